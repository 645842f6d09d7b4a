// Package syncjob runs a whole unattended sync of one school's export to
// Infiniti: it checks the export, plans it against the last state Infiniti
// accepted, refuses a plan that would take too much away, posts only what
// changed, joins Infiniti's failures back to the export's lines, and
// remembers what was accepted in a journal.
//
// A nightly job that runs unattended must survive a broken export from the
// Student Management System (SMS): a file cut off halfway, an empty file, a
// file from the wrong year. Infiniti has no such guard of its own, so the
// job has one.
//
// # What a run does
//
//  1. Check. The export is read with csvspec (with the school's header map
//     and group lists) and checked. Any check error stops the run: nothing
//     is sent, and the failures file lists every error with its line.
//     Warnings are reported and the run goes on. Rows whose fields are all
//     empty (the ",,," rows Excel leaves at the end of a sheet) are
//     dropped.
//  2. Plan. Each user of the export is compared with what Infiniti last
//     accepted for that user: new (not there before), changed (a group
//     more or a group less), unchanged, or gone (there before, not in the
//     export). The rows to send are every row of each new or changed user.
//     Unchanged users are not sent, so a nightly run posts a small file;
//     with nothing changed it posts an empty file, which Infiniti accepts
//     and which still checks the password every night.
//  3. Guard. The job counts the users who would lose something: the users
//     gone from the export, and the users losing at least one group. If
//     there are more than the limit allows, it refuses: nothing is sent,
//     the refusal is recorded, and the school can look at the export
//     before anything happens. See "The guard" below.
//  4. Post. The rows are posted with the client, as the export's own rows
//     in the canonical form.
//  5. Join. Infiniti numbers the rows of the file it was sent, not of the
//     export. The job maps each failed row back to the export's line, the
//     username and the groups, and groups identical causes ("2,140 rows:
//     Library group (Gold) does not exist.").
//  6. Remember. If every row was imported, the export becomes the last
//     accepted state; users gone from the export are dropped from it, so
//     that they are not counted again every night. If some rows failed, the
//     users with a failed row keep their previous state (or stay absent, if
//     new), so the next run sends them again without anyone doing
//     anything. After a network or password error, or a refusal, the state
//     stays as it was. Every run is recorded.
//
// # What reaches Infiniti: adding or replacing groups
//
// The vendor does not say whether its autoSync user-groups import adds the
// groups of a file to a user's groups, or replaces the user's groups with
// those of the file (its interactive import offers both, "Add" and
// "Replace – Patrons In File"). The job is right either way, because it
// sends every row of a user whose groups changed, not only the new row.
// But what Infiniti does with a removal depends on it:
//
//   - A group taken away from a user in the export is taken away in
//     Infiniti only if the import replaces a user's groups. If it adds,
//     the user keeps the old group.
//   - Users gone from the export are never sent, so Infiniti keeps
//     whatever it had for them, either way.
//   - The plan lists both, so that staff can act in Infiniti: Plan.Users
//     gives every new, changed and gone user with the groups gained and
//     lost.
//
// # The guard
//
// Job.Limits.MaxRemovals is a count ("25": refuse when more than 25 users
// would lose something; "0": refuse any loss) or a percentage ("10%":
// refuse when more than 10% of the users Infiniti last accepted would lose
// something, and more than 5 users: the floor lets a small school lose a
// few leavers). The default is 10%. ParseLimit reads both forms.
//
// An empty export (no rows, once all-empty rows are dropped: a 0-byte
// file, a header alone, only ",,," rows) is always refused when Infiniti
// last accepted some users: it is the classic broken export.
//
// Job.Force goes on past a refusal; the run record says that it was forced
// and what it went past. A first run, with no state yet, has nothing to
// compare: it sends every row and is not guarded (its plan says FirstRun).
// Job.Full sends every row, still checked, guarded and recorded: a
// periodic full resync.
//
// # The journal
//
// A Journal keeps, per school and import (a Key: the site's base URL, the
// tenant and the import's name), the last state Infiniti accepted and a log
// of runs. DirJournal, from OpenDir, is the default: one folder per school
// with the state as a sorted CSV a person can open, and the run log as JSON
// lines. It is crash-safe (a run killed at any moment leaves the previous
// state whole, and the next run sends again what was not remembered, which
// is safe because imports are upserts) and locked per school: a second run
// for the same school fails at once with a *LockedError naming the first
// one's process id and start time, and the lock of a killed run never
// blocks the next. It works on Linux, macOS and Windows. An SMS vendor can
// implement Journal on its own database; package journaltest checks an
// implementation. MemJournal keeps a journal in memory, for tests.
//
// Each run record holds its times, key, mode, whether it was forced, the
// export's name and SHA-256, rows read, check errors and warnings, the
// plan's counts, rows and bytes sent, the HTTP status, Infiniti's counts,
// the failed rows (with at most 20 usernames: they are student ids, and
// the log is kept for years), the outcome, the error and the SDK version.
// Job.History reads the log back, with the school's Health: when the last
// run succeeded, and how many runs failed or were refused since.
//
// # Memory
//
// The export is read once, as a stream: it is checked while it is read,
// and never held in memory. Memory grows with the number of users: a
// snapshot of 200,000 rows takes a few megabytes, since group names are
// kept once.
package syncjob
