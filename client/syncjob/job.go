package syncjob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"time"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/result"
)

// ErrInvalidFile is matched (errors.Is) by the error of a run stopped by
// check errors in the export, or by an export that cannot be read.
var ErrInvalidFile = errors.New("the export cannot be posted")

// A Job is a whole unattended sync of one import of one school: check the
// export, plan it against the last state Infiniti accepted, guard, post,
// join Infiniti's answer back to the export, and remember. Set its fields,
// then call Run (or Plan). A Job may be run again, and Run and Plan may be
// called concurrently (they do not change the Job); runs of the same school
// exclude each other through the journal's lock. Jobs may share a Client
// and a Journal.
type Job struct {
	// Client posts the rows. Its base URL and tenant are part of the
	// journal key. Required by Run, and by Plan with a Journal.
	Client *client.Client
	// Journal remembers the last accepted state and the runs. With a nil
	// Journal every row is sent, nothing is guarded and nothing is
	// remembered, as a plain upload does.
	Journal Journal
	// Import is the import to sync: UserGroups() (the default, when nil) or
	// Contacts(mode).
	Import *Import
	// Rules are the groups defined in Infiniti, for the pre-flight check
	// of user groups. The contacts import has no groups: Run and Plan
	// refuse a contacts job with Rules, rather than ignore them.
	Rules csvspec.Rules
	// ReaderOptions read the export, such as csvspec.WithHeaderMap for an
	// SMS's own column names.
	ReaderOptions []csvspec.ReaderOption
	// Limits guard against a broken export.
	Limits Limits
	// Applies says how Infiniti applies a file: what the job may call
	// removed, and what it leaves to staff. Contacts take AppliesReplace
	// only (their one known mode replaces).
	Applies Applies
	// Leavers, when not nil, is the template each user gone from the
	// export is sent with, once: one row with its groups (its Username is
	// not used; an empty group is sent empty, and whether Infiniti accepts
	// an empty library group is not documented). When nil, leavers are
	// kept: nothing is sent for them, and their memberships are for-staff
	// items. Only the user-groups import has a template.
	Leavers *csvspec.UserGroup
	// Carry names columns of the export (by their names in the file)
	// copied, with each user, into the state and the staff files: a
	// student's name, say, so that leavers have names too.
	Carry []string
	// Strict stops the run on any row problem, as on a problem of the
	// file. Without it, a row problem holds its user (not sent, its state
	// kept) and the others are sent.
	Strict bool
	// Full sends every row, not only those of new and changed users. The
	// run is still checked, guarded and remembered.
	Full bool
	// Force goes past the removal limit (nothing is held) and the
	// wrong-file rule only; never past an empty or cut-off export or a
	// row problem. The run record says it was forced and what it went
	// past.
	Force bool
	// Source names the export in the run record, such as its path. If it
	// is empty and the reader has a Name method (an *os.File), its name is
	// used.
	Source string
	// Failures, if not nil, receives the failures file of each run as the
	// run goes: the CSV that Report.WriteFailures writes, but with every
	// failure, where the Report keeps only the first of each code. The
	// header is written when the run starts (a run without failures writes
	// it alone), each check error of the export as the check finds it,
	// and each row Infiniti failed once its answer is read. Give it the
	// file that library staff open, such as the -failures file of the
	// example programs. Nothing is written for a job that is not set up.
	// An error of Failures does not stop the run: Run and Plan return it,
	// with the run's own, once the run is over. Runs that overlap must not
	// share a Failures writer.
	Failures io.Writer
	// StaffReport, if not nil, writes the staff report of each run that
	// plans, or that refuses the export (the example programs' -report
	// file): it is called with the Report's WriteReport once the run knows
	// what became of each user, before the run is recorded. Its error is
	// kept in the run record (Run.StaffReportError), so that the log says
	// the file was not written; it does not change how the run ended, and
	// Run does not return it.
	StaffReport func(write func(io.Writer) error) error

	// Observer, if not nil, is called as the run goes, for a job engine's
	// metrics: once each phase is over, and once at the end with the
	// run's outcome. It must not block; runs that overlap call it
	// concurrently.
	Observer func(Observation)

	now func() time.Time // the clock of the in-flight rule; nil: time.Now
}

// An Observation is one phase of a run, for a job engine's metrics (see
// Job.Observer).
type Observation struct {
	Key Key // the journal key of the job
	// Phase is "lock" (waiting for the journal's lock), "check" (reading
	// and checking the export), "plan", "commit" (each write to the
	// journal: the state before the post, the run record), "post"
	// (sending the rows and reading Infiniti's answer), or "end", the
	// whole run.
	Phase   string
	Took    time.Duration // how long the phase took
	Outcome Outcome       // with "end", how the run ended; else empty
}

// observe tells the Observer that phase took since start.
func (j *Job) observe(rep *Report, phase string, start time.Time) {
	if j.Observer == nil {
		return
	}
	o := Observation{Key: rep.Key, Phase: phase, Took: time.Since(start)}
	if phase == "end" {
		o.Outcome = rep.Outcome
	}
	j.Observer(o)
}

// A Report is what a run did, for people and programs. Fields that a run
// did not reach are zero.
type Report struct {
	Key     Key       // the journal key of the job (Job.Key)
	Mode    Mode      // ModeFull when every row is sent (Job.Full, or no Journal), else ModeIncremental
	Outcome Outcome   // how the run ended
	Forced  bool      // Job.Force was set
	Source  string    // the export's name
	SHA256  string    // of the export's bytes, hex
	Start   time.Time // when the run started
	End     time.Time // when it ended

	// Check is the pre-flight check of the export; nil if it could not be
	// read.
	Check    *csvspec.Report
	RowsRead int // data rows of the export
	// HeldForProblems counts the users held for row problems: none of
	// their rows was sent, and they keep their last accepted state.
	HeldForProblems int
	// HeaderWarnings are the header's warnings, such as columns the import
	// does not read; a program reports them on a plan and a first run.
	HeaderWarnings []csvspec.Problem
	EmptyRows      int // rows whose fields were all empty, dropped

	// Plan is the plan against the last accepted state; nil if the run
	// stopped before it.
	Plan *Plan
	// Refusal is the limit that refused the plan, or that Force went past.
	Refusal *LimitError

	Sent     bool           // whether the rows were posted, successfully or not (an empty file counts)
	RowsSent int            // rows posted
	HTTP     client.Stats   // what the post did on the wire
	Result   *result.Result // Infiniti's answer; nil if none was read

	// Failures are the rows that did not make it, in order: the check
	// errors of an invalid export, or the rows Infiniti failed, joined
	// back to the export's lines, usernames and values. It keeps the first
	// csvspec.MaxProblemsPerCode failures of each code, so that its size
	// does not grow with the export's; FailureCount counts them all, and
	// Job.Failures receives them all.
	Failures []Failure
	// FailureCount is the number of failures the run found, those that
	// Failures does not keep included.
	FailureCount int
	// FailedUsers counts the users with a failed row; they keep their
	// previous state and are sent again by the next run. When Infiniti's
	// answer cannot be matched to the rows posted, every user posted counts.
	FailedUsers int

	// Recovered says, in one line, what the run recovered from an earlier
	// run that was stopped; empty if nothing.
	Recovered string
	// LockedUntil, for the outcome locked because an earlier post may
	// still be importing, is when a run may post again; for no-answer, or
	// cancelled after the file was handed over, it is when Infiniti has
	// surely finished with this run's post, after which a job engine
	// retries (see Advice; zero without a Journal).
	LockedUntil time.Time
	// Unconfirmed counts the users posted that Infiniti did not confirm
	// (a failed row, or no clear answer), whether or not an answer came:
	// they are sent again by the next run, but a leaver whose template
	// Infiniti failed, which is sent once.
	Unconfirmed int

	// Run is the record written to the journal; nil if none was written.
	Run *Run
	// Health is the school's health from the journal, this run included;
	// zero without a journal, or when the journal does not give it within
	// 30 seconds of the run's end.
	Health Health

	imp                        *Import
	verdict                    *verdict
	checkErrors, checkWarnings int // every problem of the check, counted
	last                       *state
	carryNames                 []string
	counted                    string       // what Infiniti's processed count matched (Run.Counted)
	untrusted                  bool         // the post failed on Infiniti's certificate
	causes                     *causeGroups // every failure's cause; nil for a Report not made by a run
}

// Causes groups the failures by cause, the largest group first: "2,140
// rows: Library group (Gold) does not exist." It counts every failure of
// the run, those that Failures does not keep included. Past 1,000 causes
// (a file whose every row fails in a way of its own), the failures of
// further causes are counted, per code, in one cause whose message says
// so.
func (r *Report) Causes() []Cause {
	if r.causes != nil {
		return r.causes.sorted()
	}
	return groupCauses(r.Failures)
}

// WriteFailures writes the failures that the Report keeps (see Failures)
// as CSV for library staff, UTF-8 with a byte order mark: line, username,
// the carried columns (Job.Carry), the import's item columns (library-group
// and system-group; for contacts type, role and contact) and problem, one
// sentence (Infiniti's message once). Job.Failures receives every failure
// in the same form as the run goes. A value a spreadsheet would run as a
// formula (one starting with =, +, -, @, a tab or a carriage return) gets
// a leading apostrophe. It returns the first error of w.
func (r *Report) WriteFailures(w io.Writer) error {
	imp := r.imp
	if imp == nil {
		imp = userGroups
	}
	return writeFailures(w, imp, r.carryNames, r.Failures)
}

func (j *Job) imp() *Import {
	if j.Import != nil {
		return j.Import
	}
	return userGroups
}

// Key returns the journal key of the job: KeyOf the client's base URL and
// tenant, and the job's import.
func (j *Job) Key() Key {
	if j.Client == nil {
		return Key{Import: j.imp().name}
	}
	return KeyOf(j.Client.BaseURL(), j.Client.Tenant(), j.imp())
}

// History returns the last n runs of the job's key, oldest first (all that
// the journal keeps if n <= 0), and the health they give. A posting record
// is part of its run when a later record of the run follows it, and is
// left out; one that none follows is listed, its Error saying that the run
// ended after its post, with no answer. It returns an error if the job
// has no Journal or the journal cannot be read.
func (j *Job) History(ctx context.Context, n int) ([]Run, Health, error) {
	if j.Journal == nil {
		return nil, Health{}, errors.New("syncjob: the job has no journal, so it has no history")
	}
	if j.Client == nil {
		return nil, Health{}, errors.New("syncjob: Job.Client is nil; the journal key needs its base URL and tenant")
	}
	all, err := j.Journal.Runs(ctx, j.Key(), 0)
	if err != nil {
		return nil, Health{}, err
	}
	var runs []Run
	for i, r := range all {
		switch {
		case r.Outcome != OutcomePosting:
		case finished(all[i+1:], r):
			continue // part of the run that follows
		case r.Error == "":
			r.Error = "ended after its post, no answer"
		}
		runs = append(runs, r)
	}
	if n > 0 && len(runs) > n {
		runs = slices.Clip(runs[len(runs)-n:])
	}
	return runs, healthOf(all), nil
}

// Plan checks the export read from r and plans it against the journal's
// last accepted state, as Run would, but sends nothing and records nothing.
// It takes the journal's lock, reads the state, and releases the lock
// before it reads the export: so it fails with a *LockedError while a run
// is going on, but a run started while a plan reads a large export is not
// locked out (the plan is then against the state as it was).
//
// The Report's Outcome is ok when Run would post everything, rows-failed
// when row problems would hold users, held or refused (with a *LimitError)
// when the guard would hold or refuse, invalid-file (with an error matching
// ErrInvalidFile), or locked, cancelled or journal-error. A job that is not
// set up is an error without a Report, as for Run.
func (j *Job) Plan(ctx context.Context, r io.Reader) (*Report, error) {
	return j.run(ctx, r, nil, false, false)
}

// Run runs the whole job on the CSV export read from r, as the package
// documentation's steps say, and returns what it did. r is read once, as a
// stream; memory grows with the number of users, not with the size of the
// file.
//
// A state that is gone while the run log shows that more than a first run
// committed one is refused as a LimitError with NoState; a state that
// cannot be read, or that no retained run record committed, is damaged: a
// journal error. Force goes past both, as a first run that sends every row.
//
// Run returns a Report whenever the job is set up (a nil Client or r, an
// Import the package did not make, a contacts mode that
// client.ContactsMode.Validate refuses, Rules or Leavers given to the
// contacts import, is an error without one, and nothing is sent or
// recorded), and an error unless every user posted was confirmed and
// nothing was held: a *LockedError or *InFlightError, an error matching
// ErrInvalidFile, a *LimitError (refused or held), the row problems, the
// client's error (wrapping *result.ImportError when rows failed, matching
// client.ErrUnauthorized for bad credentials), the context's error, or the
// journal's. The Report's Outcome says which. An error of Job.Failures is
// joined to it.
func (j *Job) Run(ctx context.Context, r io.Reader) (*Report, error) {
	return j.run(ctx, r, nil, true, false)
}

// RunRows runs the whole job as Run does, on rows in the import's shape
// (csvspec.Header or csvspec.ContactHeader order) that another source made,
// such as the group rules from an SMS export. The job runs the row checks
// on every row. The Report's SHA256 is empty.
func (j *Job) RunRows(ctx context.Context, rows iter.Seq2[csvspec.SourceRow, error]) (*Report, error) {
	return j.run(ctx, nil, rows, true, false)
}

// PlanRows plans rows as Plan plans an export (see RunRows).
func (j *Job) PlanRows(ctx context.Context, rows iter.Seq2[csvspec.SourceRow, error]) (*Report, error) {
	return j.run(ctx, nil, rows, false, false)
}

// RunUnchanged runs a night whose source says nothing changed since the
// last run, such as a OneRoster package whose manifest marks every file
// absent: the export is the last accepted state itself. Every user keeps
// that state, its carried values (Job.Carry) included. An unconfirmed
// user that is not a leaver is not sent: the state keeps only its last
// confirmed rows, and sending them would undo what Infiniti may have
// applied; it stays unconfirmed, with its for-staff items, and the
// Report lists it as unconfirmed. Leavers stay as they are, left or moved
// (a leaver moved without an answer is sent the template again, as on
// any night, but one kept is not moved); nothing is removed, and the
// guard sees no change. The post is the usual one: an
// empty file when nothing is due, which still checks the credentials.
// Without a state (a first run, or no Journal) it posts an empty file.
// It returns what Run returns; the Report's RowsRead counts the state's
// rows, and its SHA256 is empty.
func (j *Job) RunUnchanged(ctx context.Context) (*Report, error) {
	return j.run(ctx, nil, nil, true, true)
}

// PlanUnchanged plans a night of no updates as RunUnchanged would run it,
// and sends nothing, as Plan does: it reads the state under the lock, is
// refused while a post is in flight, and writes the staff report.
func (j *Job) PlanUnchanged(ctx context.Context) (*Report, error) {
	return j.run(ctx, nil, nil, false, true)
}

// run runs the job on the export r, or on rows; with unchanged, on the
// rows of the last state (r and rows are nil).
func (j *Job) run(ctx context.Context, r io.Reader, rows iter.Seq2[csvspec.SourceRow, error], send, unchanged bool) (rep *Report, err error) {
	imp, err := j.usable(r, rows, send, unchanged)
	if err != nil {
		return nil, err
	}
	rep = j.newReport(imp, r)
	defer func() { j.observe(rep, "end", rep.Start) }() // deferred first: the last to run
	var done func() (string, error)
	if r != nil {
		rows, done = j.csvRows(ctx, r, imp)
	}
	fl := newFailureLog(imp, j.Carry, j.Failures)
	defer func() {
		rep.Failures, rep.FailureCount, rep.causes = fl.kept, fl.total, &fl.causes
		if werr := fl.close(); werr != nil {
			err = join(err, fmt.Errorf("syncjob: writing the failures to Job.Failures: %w", werr))
		}
	}()
	var sess Session
	record := func(runErr error, state func() ([]byte, int)) error {
		return j.record(ctx, rep, sess, fl, send, runErr, state)
	}
	if j.Journal != nil {
		start := time.Now()
		sess, err = j.Journal.Lock(ctx, rep.Key)
		j.observe(rep, "lock", start)
		if err != nil {
			j.lockFailed(ctx, rep, err)
			return rep, err
		}
		closed := false
		closeSession := func() error {
			if closed {
				return nil
			}
			closed = true
			return sess.Close()
		}
		defer func() {
			if cerr := closeSession(); cerr != nil && err == nil {
				rep.Outcome, err = OutcomeJournalError, cerr
			}
		}()
		if !send {
			// A plan holds the lock only while it reads the state, not
			// while it reads the export, so that a plan does not make a
			// run fail as locked.
			sr := j.lastState(ctx, sess, rep.Key, imp, send)
			if cerr := closeSession(); cerr != nil && sr.err == nil {
				sr.err = cerr
			}
			stateDone := make(chan stateRead, 1)
			stateDone <- sr
			return j.runRead(ctx, rows, done, imp, fl, rep, sess, stateDone, record, send)
		}
	}
	// The last state is read while the export is: they are independent.
	stateDone := make(chan stateRead, 1)
	if sess != nil {
		go func() { stateDone <- j.lastState(ctx, sess, rep.Key, imp, send) }()
	} else {
		stateDone <- stateRead{}
	}
	return j.runRead(ctx, rows, done, imp, fl, rep, sess, stateDone, record, send)
}

// usable returns the job's import, or the error of a job that cannot run.
func (j *Job) usable(r io.Reader, rows iter.Seq2[csvspec.SourceRow, error], send, unchanged bool) (*Import, error) {
	if r == nil && rows == nil && !unchanged {
		return nil, errors.New("syncjob: the export reader is nil")
	}
	if j.Client == nil && (send || j.Journal != nil) {
		return nil, errors.New("syncjob: Job.Client is nil; set it to the school's client")
	}
	imp := j.imp()
	if err := imp.usable(); err != nil {
		return nil, err
	}
	if err := j.setupError(imp); err != nil {
		return nil, err
	}
	return imp, nil
}

// newReport starts the report of a run of the export r (nil for rows).
func (j *Job) newReport(imp *Import, r io.Reader) *Report {
	rep := &Report{imp: imp, Key: j.Key(), Mode: ModeIncremental, Forced: j.Force, Source: j.Source, Start: time.Now()}
	if j.Full || j.Journal == nil {
		rep.Mode = ModeFull
	}
	if rep.Source == "" && r != nil {
		if n, ok := r.(interface{ Name() string }); ok {
			rep.Source = n.Name()
		}
	}
	return rep
}

// lockFailed sets the report of a run whose journal could not be locked.
func (j *Job) lockFailed(ctx context.Context, rep *Report, err error) {
	rep.Outcome = outcomeOf(ctx, err, OutcomeJournalError)
	if errors.As(err, new(*LockedError)) {
		rep.Outcome = OutcomeLocked
		if h, herr := healthOfKey(ctx, j.Journal, rep.Key); herr == nil {
			rep.Health = h
		}
	}
	rep.End = time.Now()
}

// setupError returns an error for a job that cannot run with imp.
func (j *Job) setupError(imp *Import) error {
	if imp.validate != nil {
		if err := imp.validate(); err != nil {
			return fmt.Errorf("syncjob: %w; nothing was sent", err)
		}
	}
	if !imp.rules && j.Leavers != nil {
		return fmt.Errorf("syncjob: Job.Leavers is set, but the %s import has no leaver template; leave it nil", imp.name)
	}
	if !imp.rules && j.Applies != AppliesReplace && j.Applies != AppliesUnknown {
		return fmt.Errorf("syncjob: Job.Applies is %s, but the %s import replaces", j.Applies, imp.name)
	}
	if !imp.rules && (j.Rules.LibraryGroups != nil || j.Rules.SystemGroups != nil) {
		return fmt.Errorf("syncjob: Job.Rules are set, but the %s import has no groups to check; leave Rules at its zero value", imp.name)
	}
	return nil
}

// join returns a, or a and b joined when b is not nil.
func join(a, b error) error {
	switch {
	case b == nil:
		return a
	case a == nil:
		return b
	}
	return errors.Join(a, b)
}

// outcomeOf returns cancelled for an error of a done context, otherwise
// def, or ok for no error.
func outcomeOf(ctx context.Context, err error, def Outcome) Outcome {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, context.Canceled), ctx.Err() != nil:
		// A deadline error with ctx live is a source's own, such as a
		// credentials vault's timeout: not the run's.
		return OutcomeCancelled
	}
	return def
}
