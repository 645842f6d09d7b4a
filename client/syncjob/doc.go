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
//     more or a group less; for contacts, a contact row added, removed or
//     changed), unchanged, or gone (there before, not in the export). The
//     rows to send are every row of each new or changed user.
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
// # Contacts
//
// Job.Import = Contacts(mode) syncs the contacts import: the email
// addresses and phone numbers of patrons (students and staff) and of their
// guardians, which Infiniti uses for overdue notices and password resets.
// The one mode seen in the field is
// client.ContactsReplaceDeclaredPatronsKeepCustomContacts: for each patron
// named in the file, Infiniti replaces the patron's contacts with the
// file's rows, and keeps the contacts staff added by hand. The run is the
// same as for user groups, with these differences.
//
//   - What is sent. A patron's contacts (the patron's own and every
//     guardian's) are one unit. When any of them changed since the last
//     accepted state, every contact row of that patron is sent, and
//     nobody else's: a guardian's new email sends that student's three or
//     four rows, not the school's. Sending the changed row alone would not
//     do, since Infiniti would replace the student's contacts with that
//     one row.
//   - What counts as a change. Rows are compared by what they mean, not
//     by how the export spells them. Each row is kept, compared and sent in
//     the form the one known field script writes: type and role in lower
//     case, booleans as True and False, scenarios in upper case, each once,
//     in a fixed order (ANY, NONE, OVERDUE, then the escalations one to
//     three). So an export that writes Y and N instead of True and False,
//     changes case, or lists a patron's rows or a row's scenarios in
//     another order, changes nothing and sends nothing. Any other
//     difference in a row (the address, the addressee, a flag) is a change.
//     Two rows of a patron that mean the same (one written with Y, the
//     other with True, say) are one row, sent once, from the export's
//     first line of them.
//   - What counts against the removal limit. The patrons gone from the
//     export, and the patrons who lost a contact row. A changed row counts
//     too, since the old row is no longer there: a changed email is a row
//     lost and a row gained. So a night on which the SMS changes many
//     contacts at once (relabels every phone number, say) is refused like
//     a cut-off export: look at the plan, then run once with Force.
//   - Patrons gone from the export are never sent, and their contacts
//     stay in Infiniti: a mode that replaces the contacts of the patrons in
//     the file does not touch the others. Plan.Users lists them, with
//     their contacts, so that staff can remove them in Infiniti.
//   - Infiniti's answer. How Infiniti answers a contacts import is not
//     documented, so its answer is read as the user-groups answer is, and
//     read fail-closed: only a row whose outcome says "User Created" or
//     "User Updated" counts as imported. A row with any other outcome counts
//     as failed (code unknown-outcome in the failures file): its patron
//     keeps the previous state and is sent again the next night. That is
//     safe, at the cost of re-sending: if Infiniti words its successes in
//     another way, every night sends those patrons again and ends
//     rows-failed until the SDK learns the wording.
//   - The check is csvspec.CheckContactsEach; Job.Rules (group lists) do not
//     apply. The failures file has the columns line, row, username, type,
//     role, contact, code, field and message.
//   - The journal key names the import and its mode
//     ("user-contacts/replaceDeclaredPatronsKeepCustomContacts"), so that a
//     school's contacts and user groups, or two contacts modes, keep states
//     of their own. Other mode names are not published: Contacts takes any
//     name that client.ContactsMode.Validate accepts, unverified.
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
// the log is kept for years), the outcome, the error and the SDK version;
// a run that keeps a state also records the state's SHA-256 and number of
// users, and the next run refuses to plan against a state that does not
// match them (edited, cut short or swapped by hand): the limits could not
// guard it. Job.History reads the log back, with the school's Health: when the last
// run succeeded, and how many runs failed or were refused since.
//
// # Memory
//
// The export is read once, as a stream: it is checked while it is read,
// and never held in memory. Memory grows with the number of users (with
// the distinct rows, at most), not with the size of the file: a snapshot
// of 200,000 rows takes a few megabytes, since values that repeat (group
// names, a contact's type, role and flags) are kept once; a row that
// repeats an earlier one is dropped as it is read; and a Report keeps the
// first failures of each code (csvspec.MaxProblemsPerCode), counting the
// rest, while Job.Failures receives every failure as the run finds it. So
// a file of one row repeated for a hundred megabytes, or of a million bad
// rows, runs in a few megabytes.
//
// # The failures file
//
// Set Job.Failures to the file library staff open: it receives every
// failure of the run, check errors of the export or rows Infiniti failed,
// as CSV with the export's line, Infiniti's row, the row's values, a code,
// a field and a message (Report.WriteFailures writes the same, for the
// failures the Report keeps).
package syncjob
