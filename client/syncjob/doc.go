// Package syncjob runs a whole unattended sync of one school's export to
// Infiniti, so that each night ends with Infiniti matching the export, and
// says plainly what it could not do.
//
// # What a run does
//
//  1. Read. The export is read once, as a stream (Job.Run reads a CSV file
//     with csvspec.ReadRows; Job.RunRows takes rows another source made),
//     and the row checks run on every row (csvspec.Rules.CheckRow,
//     csvspec.CheckContactRow). A problem of the file as a whole (header,
//     separator, encoding, wrong import, a repeated header, a record whose
//     username cannot be read) stops the run: outcome invalid-file. A row
//     problem holds that row's user: none of its rows is sent, and it keeps
//     its last accepted state; the failures file lists it. More than 10% of
//     the users held (at least 5) is a broken file, invalid-file. Job.Strict
//     stops on any row problem. A cut-off export (a last record without a
//     line end and with too few fields, or a file ending inside a quoted
//     field) is refused, whatever Force says.
//  2. Plan. Each user is compared with the rows Infiniti last confirmed:
//     new, changed, unchanged, or gone. The rows to send are every row of
//     each new or changed user, and of each unconfirmed user (below), which
//     is right whether Infiniti adds a file's memberships or replaces a
//     listed user's (see Applies).
//  3. Guard. A wrong file is refused whole (outcome refused): the last
//     state holds at least 20 users, and more than half are gone or the new
//     users are more than half of them. So is an empty export. Past
//     Job.Limits.MaxRemovals, what takes nothing away (new users, users who
//     only gain) is sent and the rest is held: users who would lose
//     something, and leavers' moves (outcome held). Under AppliesAdd a user
//     losing something is sent anyway, since a file cannot remove, and the
//     loss is a for-staff item. Held users keep their last accepted state.
//     Job.Force goes past the limit and the wrong-file rule only.
//  4. Write ahead. Before posting, the job commits a state in which every
//     user it posts is unconfirmed, with a run record of outcome posting
//     whose InFlightUntil says when Infiniti has surely finished with the
//     post. A later run that finds such a record, and no later record of
//     that run, does not post before then (outcome locked).
//  5. Post, and judge the answer. A clear answer gives every posted row an
//     outcome: in its details, or all at once (success, no details, no
//     failed count, and a processed count equal to the rows or to the
//     users posted). A user is confirmed when every one of its rows
//     succeeded. Any other user posted is unconfirmed: a failed row, a
//     non-2xx answer after the file was handed over (outcome no-answer),
//     an answer lost or too late. Unconfirmed users are sent every night
//     until Infiniti confirms them; their state is their last confirmed
//     rows. How Infiniti answers a contacts import is not documented: the
//     answer is judged the same way where it parses as a result.
//  6. Remember. The job writes the staff report (Job.StaffReport), then
//     commits the new state and the run record, which says if the report
//     could not be written.
//
// Job.Plan does steps 1 to 3 and sends nothing (and writes the staff
// report); Job.Full sends every row; Job.RunUnchanged runs a night whose
// source says nothing changed, and Job.PlanUnchanged plans it. Job.Observer hears how long each step
// took, for a job engine's metrics, and Report.Advice says what the engine
// does next.
//
// # Leavers, Applies and for-staff items
//
// Users gone from the export stay in the state, marked. With Job.Leavers
// nil (keep), nothing is sent for them and their memberships become
// for-staff items. With a template, each is sent once, as one row with the
// template's groups (sent again only while no answer says; if Infiniti
// fails it, the leaver is listed failed that night and marked moved), and
// users kept before the template was set are moved with it, once. Either
// way they count against the guard on the night they go (or are first
// moved) only, also when that night gets no answer. A user who comes back
// is an ordinary user, never a new one for the wrong-file rule; nor is a
// user the state knows but Infiniti never confirmed.
//
// The vendor does not say whether autoSync adds or replaces; Job.Applies
// says which the school found. Nothing Infiniti may keep is called removed:
// under AppliesReplace, a lost membership of a confirmed user is removed;
// under AppliesAdd or AppliesUnknown, it is a for-staff item, as is
// anything posted without a confirmation. An item clears when its user is
// confirmed under replace, when the export asks for it again, or when
// Job.ClearForStaff records that staff did it by hand. Report.StaffRows,
// Report.WriteReport and Report.WriteFailures give staff the night's
// changes, holds and every outstanding item.
//
// # The journal
//
// A Journal keeps, per school and import (a Key), the last accepted state
// and a log of runs. The state is bytes the job wrote: its first line names
// the format and version, then per user the last confirmed rows, the
// unconfirmed flag, the left or moved mark, the for-staff items and the
// carried columns (Job.Carry). It holds personal data: DirJournal keeps it
// 0600. A state written before the format had a version (the import's
// canonical CSV) reads as every user confirmed; a newer version is a
// journal error. A state is accepted when its SHA-256 is one a retained
// run record committed (the last 20 records are read first, every record
// kept only for a state none of them describes); a missing state whose
// only committing run is the first run is a first run again. A journal
// keeps at least 3 records (DirJournal.Retention); a HealthJournal gives a
// school's health without a read of its whole log. KeyOf gives a school's
// key without a client. So a kill at any write never locks a
// school out, and the next run says what it recovered (Report.Recovered).
// Job.History and Health read the log; a posting record followed by a later
// record of its run is part of that run.
package syncjob
