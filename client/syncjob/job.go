package syncjob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
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
	// Import is the import to sync: UserGroups (the default, when nil) or
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
	// Full sends every row, not only those of new and changed users. The
	// run is still checked, guarded and remembered.
	Full bool
	// Force goes on past a refused limit, an empty export included. The
	// run record says it was forced and what it went past.
	Force bool
	// Source names the export in the run record, such as its path. If it
	// is empty and the reader has a Name method (an *os.File), its name is
	// used.
	Source string
}

// A Report is what a run did, for people and programs. Fields that a run
// did not reach are zero.
type Report struct {
	Key     Key
	Mode    Mode
	Outcome Outcome
	Forced  bool   // Job.Force was set
	Source  string // the export's name
	SHA256  string // of the export's bytes, hex
	Start   time.Time
	End     time.Time

	// Check is the pre-flight check of the export; nil if it could not be
	// read.
	Check     *csvspec.Report
	RowsRead  int // data rows of the export
	EmptyRows int // rows whose fields were all empty, dropped

	// Plan is the plan against the last accepted state; nil if the run
	// stopped before it.
	Plan *Plan
	// Refusal is the limit that refused the plan, or that Force went past.
	Refusal *LimitError

	Sent     bool         // whether the rows were posted, successfully or not (an empty file counts)
	RowsSent int          // rows posted
	HTTP     client.Stats // what the post did on the wire
	Result   *result.Result

	// Failures are the rows that did not make it, in order: every check
	// error of an invalid export (Check keeps only the first of each
	// code), or the rows Infiniti failed, joined back to the export's
	// lines, usernames and values.
	Failures []Failure
	// FailedUsers counts the users with a failed row; they keep their
	// previous state and are sent again by the next run. When Infiniti's
	// answer cannot be matched to the rows posted, every user posted counts.
	FailedUsers int

	// Run is the record written to the journal; nil if none was written.
	Run *Run
	// Health is the school's health from the journal, this run included;
	// zero without a journal.
	Health Health

	imp *Import
}

// Causes groups the failures by cause, the largest group first: "2,140
// rows: Library group (Gold) does not exist."
func (r *Report) Causes() []Cause { return groupCauses(r.Failures) }

// WriteFailures writes every failure as CSV for library staff. The columns
// are line, row, the import's own columns (for user groups username,
// library-group, system-group; for contacts username, type, role, contact),
// code, field and message: line is the export's line, row is Infiniti's row
// number in the posted file, empty for check errors. A value that a spreadsheet would run as a formula (one
// starting with =, +, -, @, a tab or a carriage return) is written with a
// leading apostrophe. It returns the first error of w.
func (r *Report) WriteFailures(w io.Writer) error {
	imp := r.imp
	if imp == nil {
		imp = UserGroups
	}
	return writeFailures(w, imp, r.Failures)
}

func (j *Job) imp() *Import {
	if j.Import != nil {
		return j.Import
	}
	return UserGroups
}

// Key returns the journal key of the job: the client's base URL and tenant,
// and the import's name.
func (j *Job) Key() Key {
	k := Key{Import: j.imp().name}
	if j.Client != nil {
		k.Site, k.Tenant = j.Client.BaseURL(), j.Client.Tenant()
	}
	return k
}

// History returns the last n runs of the job's key, oldest first (all that
// the journal keeps if n <= 0), and the health they give. It returns an
// error if the job has no Journal or the journal cannot be read.
func (j *Job) History(ctx context.Context, n int) ([]Run, Health, error) {
	if j.Journal == nil {
		return nil, Health{}, errors.New("syncjob: the job has no journal, so it has no history")
	}
	if j.Client == nil {
		return nil, Health{}, errors.New("syncjob: Job.Client is nil; the journal key needs its base URL and tenant")
	}
	runs, err := j.Journal.Runs(ctx, j.Key(), n)
	if err != nil {
		return nil, Health{}, err
	}
	all := runs
	if n > 0 {
		if all, err = j.Journal.Runs(ctx, j.Key(), 0); err != nil {
			return nil, Health{}, err
		}
	}
	return runs, HealthOf(all), nil
}

// Plan checks the export read from r and plans it against the journal's
// last accepted state, as Run would, but sends nothing and records nothing.
// It takes the journal's lock while it reads the state, so it fails with a
// *LockedError while a run is going on.
//
// The Report's Outcome is ok when Run would go on to post, refused (with a
// *LimitError) when a limit would refuse, invalid-file (with an error
// matching ErrInvalidFile) when the export has check errors, or locked,
// cancelled or journal-error. A job that is not set up is an error without
// a Report, as for Run.
func (j *Job) Plan(ctx context.Context, r io.Reader) (*Report, error) {
	return j.run(ctx, r, false)
}

// Run runs the whole job on the export read from r: it takes the school's
// lock, checks the export (check errors stop the run: nothing is sent),
// plans it against the last accepted state, refuses it if a limit says so
// (unless Force), posts the rows to send (an empty file when nothing
// changed, which also checks the credentials), joins Infiniti's failures
// back to the export, commits the new state and records the run.
//
// r is read once, as a stream; memory grows with the number of users, not
// with the size of the file.
//
// Run returns a Report whenever the job is set up (a nil Client or r, a
// contacts mode that client.ContactsMode.Validate refuses, or Rules given to
// the contacts import, is an error without one, and nothing is sent or
// recorded), and an error unless every row sent was imported: a
// *LockedError, an error matching ErrInvalidFile, a *LimitError, the
// client's error (wrapping *result.ImportError when rows failed, matching
// client.ErrUnauthorized for bad credentials), the context's error, or the
// journal's. The Report's Outcome says which.
func (j *Job) Run(ctx context.Context, r io.Reader) (*Report, error) {
	return j.run(ctx, r, true)
}

func (j *Job) run(ctx context.Context, r io.Reader, send bool) (rep *Report, err error) {
	if r == nil {
		return nil, errors.New("syncjob: the export reader is nil")
	}
	if j.Client == nil && (send || j.Journal != nil) {
		return nil, errors.New("syncjob: Job.Client is nil; set it to the school's client")
	}
	imp := j.imp()
	if err := j.setupError(imp); err != nil {
		return nil, err
	}
	rep = &Report{imp: imp, Key: j.Key(), Mode: ModeIncremental, Forced: j.Force, Source: j.Source, Start: time.Now()}
	if j.Full || j.Journal == nil {
		rep.Mode = ModeFull
	}
	if rep.Source == "" {
		if n, ok := r.(interface{ Name() string }); ok {
			rep.Source = n.Name()
		}
	}
	var sess Session
	// record, when the run is not a plan, writes the run record (with the
	// new state when state is not nil) and sets the health.
	record := func(runErr error, state func(io.Writer) error) error {
		rep.End = time.Now()
		if sess == nil {
			return nil
		}
		if send {
			run := rep.record(runErr)
			bg := context.WithoutCancel(ctx)
			var jerr error
			if state != nil {
				jerr = commit(bg, sess, state, run)
			} else {
				jerr = sess.Record(bg, run)
			}
			if jerr != nil {
				rep.Outcome = OutcomeJournalError
				return fmt.Errorf("syncjob: the run was not recorded: %w", jerr)
			}
			rep.Run = &run
		}
		if runs, herr := j.Journal.Runs(context.WithoutCancel(ctx), rep.Key, 0); herr == nil {
			rep.Health = HealthOf(runs)
		}
		return nil
	}
	if j.Journal != nil {
		sess, err = j.Journal.Lock(ctx, rep.Key)
		if err != nil {
			rep.Outcome = outcomeOf(ctx, err, OutcomeJournalError)
			if errors.As(err, new(*LockedError)) {
				rep.Outcome = OutcomeLocked
				if runs, herr := j.Journal.Runs(ctx, rep.Key, 0); herr == nil {
					rep.Health = HealthOf(runs)
				}
			}
			rep.End = time.Now()
			return rep, err
		}
		defer func() {
			if cerr := sess.Close(); cerr != nil && err == nil {
				rep.Outcome, err = OutcomeJournalError, cerr
			}
		}()
	}
	// The last state is read while the export is: they are independent.
	type stateRead struct {
		s   *Snapshot
		err error
	}
	stateDone := make(chan stateRead, 1)
	if sess != nil {
		go func() {
			s, err := readState(ctx, sess, imp)
			stateDone <- stateRead{s, err}
		}()
	} else {
		stateDone <- stateRead{}
	}
	ex, err := j.readExport(ctx, r, imp)
	sr := <-stateDone
	last := sr.s
	if sr.err != nil {
		rep.Outcome = outcomeOf(ctx, sr.err, OutcomeJournalError)
		return rep, join(sr.err, record(sr.err, nil))
	}
	if ex != nil {
		rep.SHA256, rep.Check, rep.EmptyRows = ex.sha, ex.check, ex.snap.EmptyRows()
		if ex.check != nil {
			rep.RowsRead = ex.check.Rows
		}
	}
	if err != nil {
		rep.Outcome = outcomeOf(ctx, err, OutcomeInvalidFile)
		if rep.Outcome == OutcomeInvalidFile {
			err = fmt.Errorf("syncjob: %w: %w", ErrInvalidFile, err)
		}
		return rep, join(err, record(err, nil))
	}
	if cerr := ex.err(); cerr != nil {
		rep.Failures = ex.checkFailures()
		rep.Outcome = OutcomeInvalidFile
		err = fmt.Errorf("syncjob: %w; nothing was sent: %w", ErrInvalidFile, cerr)
		return rep, join(err, record(err, nil))
	}

	plan := diff(last, ex.snap, rep.Mode)
	rep.Plan = plan
	if lerr := plan.Check(j.Limits); lerr != nil {
		rep.Refusal = lerr.(*LimitError)
		if !j.Force {
			rep.Outcome = OutcomeRefused
			return rep, join(lerr, record(lerr, nil))
		}
	}
	if !send {
		rep.Outcome = OutcomeOK
		return rep, record(nil, nil)
	}

	var st client.Stats
	res, perr := imp.post(client.WithStats(ctx, &st), j.Client, plan.Rows())
	rep.Sent, rep.RowsSent, rep.HTTP, rep.Result = true, plan.stats.RowsToSend, st, res
	rep.Outcome = outcomeOf(ctx, perr, OutcomeTransportError)
	if perr != nil && rep.Outcome == OutcomeTransportError {
		switch {
		case errors.Is(perr, client.ErrUnauthorized), errors.Is(perr, client.ErrForbidden):
			rep.Outcome = OutcomeAuthError
		case res != nil && errors.As(perr, new(*result.ImportError)):
			rep.Outcome = OutcomeRowsFailed
		}
	}
	var keep []bool // users of the export that keep their previous state
	switch rep.Outcome {
	case OutcomeOK:
	case OutcomeRowsFailed:
		keep = rep.joinFailures(plan, res)
	default:
		return rep, join(perr, record(perr, nil))
	}
	next := plan.next
	state := func(w io.Writer) error {
		_, err := writeState(w, next, last, keep)
		return err
	}
	return rep, join(perr, record(perr, state))
}

// setupError returns an error for a job that cannot run with imp.
func (j *Job) setupError(imp *Import) error {
	if imp.validate != nil {
		if err := imp.validate(); err != nil {
			return fmt.Errorf("syncjob: %w; nothing was sent", err)
		}
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
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), ctx.Err() != nil:
		return OutcomeCancelled
	}
	return def
}

// commit streams the state into the session's Commit.
func commit(ctx context.Context, sess Session, state func(io.Writer) error, run Run) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(state(pw)) }()
	err := sess.Commit(ctx, pr, run)
	pr.CloseWithError(errors.New("syncjob: the commit is over"))
	return err
}

// readState reads the session's state into a Snapshot; nil if there is
// none.
func readState(ctx context.Context, sess Session, imp *Import) (*Snapshot, error) {
	rc, err := sess.State(ctx)
	if errors.Is(err, ErrNoState) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	s, err := readSnapshot(imp, rc, nil, false)
	if err != nil {
		what := "the journal's last accepted state"
		if f, ok := rc.(interface{ Name() string }); ok {
			what += " " + f.Name()
		}
		return nil, fmt.Errorf("syncjob: %s is damaged (%w); remove it to make the next run a first run, which sends every row", what, err)
	}
	return s, nil
}

// joinFailures maps Infiniti's failed rows back to the export, fills
// Failures and FailedUsers, and returns the users (by index in the plan's
// export) that keep their previous state.
func (r *Report) joinFailures(p *Plan, res *result.Result) []bool {
	next := p.next
	keep := make([]bool, next.Users())
	unmatched := false
	for _, o := range res.Failures() {
		f := Failure{Row: o.Row, Code: codeOf(o), Field: o.Field(), Message: o.Message}
		if o.Row >= 1 && o.Row <= len(p.send) {
			row := p.send[o.Row-1]
			f.Line, f.Fields = next.line(row), next.fields(row)
			keep[next.userOf(row)] = true
		} else {
			unmatched = true
			f.Message = fmt.Sprintf("Infiniti reported row %d, but the posted file has %d rows: %s", o.Row, len(p.send), o.Message)
		}
		r.Failures = append(r.Failures, f)
	}
	if unmatched || len(r.Failures) == 0 {
		// The answer cannot tell who failed: everyone sent is sent again.
		for _, row := range p.send {
			keep[next.userOf(row)] = true
		}
	}
	for _, k := range keep {
		if k {
			r.FailedUsers++
		}
	}
	return keep
}

// record returns the run record of the report.
func (r *Report) record(runErr error) Run {
	run := Run{
		Start: r.Start, End: r.End, Key: r.Key, Mode: r.Mode, Forced: r.Forced,
		Source: r.Source, SHA256: r.SHA256, RowsRead: r.RowsRead, EmptyRows: r.EmptyRows,
		RowsSent: r.RowsSent, BytesSent: r.HTTP.BytesSent, HTTPStatus: r.HTTP.StatusCode, Attempts: r.HTTP.Attempts,
		FailedUsers: r.FailedUsers, Outcome: r.Outcome, SDKVersion: client.Version,
	}
	if r.Forced && r.Refusal != nil {
		run.Overridden = r.Refusal.Error()
	}
	if r.Check != nil {
		run.CheckErrors, run.CheckWarnings = r.Check.NumErrors(), r.Check.NumWarnings()
	}
	if r.Plan != nil {
		st := r.Plan.Stats()
		run.Plan = &st
	}
	if res := r.Result; res != nil {
		rr := &RunResult{Success: res.Success, Summary: res.Summary}
		if c, ok := res.Counts(); ok {
			rr.Processed, rr.Created, rr.Updated, rr.Failed = c.Processed, c.Created, c.Updated, c.Failed
		}
		run.Result = rr
	}
	if r.Outcome == OutcomeRowsFailed {
		run.FailedRows = len(r.Failures)
		for _, f := range r.Failures {
			if len(run.FailedUsernames) == MaxFailedUsernames {
				break
			}
			if u := f.Username(); u != "" && !slices.Contains(run.FailedUsernames, u) {
				run.FailedUsernames = append(run.FailedUsernames, u)
			}
		}
	}
	if runErr != nil {
		run.Error = runErr.Error()
	}
	return run
}

// export is an export read and checked in one pass.
type export struct {
	imp   *Import
	snap  *Snapshot
	check *csvspec.Report
	sha   string
	errs  []csvspec.Problem // every error of the check, in file order
	b     *builder          // for the rows set aside and the duplicates
	// readErr is the header or row problem the reader met first, in case
	// the check did not report it as an error.
	readErr error
}

// err returns the check's error, or the reader's if the check found none.
func (e *export) err() error {
	if err := e.check.Err(); err != nil {
		return err
	}
	if e.readErr != nil {
		return e.readErr
	}
	if len(e.b.aside) > 0 {
		return fmt.Errorf("%d rows cannot be read or have no username", len(e.b.aside))
	}
	return nil
}

// readExport reads r once: the check reads it in a goroutine while the
// reader builds the snapshot, so the file is neither held in memory nor
// read twice.
func (j *Job) readExport(ctx context.Context, r io.Reader, imp *Import) (*export, error) {
	h := sha256.New()
	src := &sourceReader{ctx: ctx, r: r, h: h}
	pr, pw := io.Pipe()
	tee := io.TeeReader(src, pw)
	type checked struct {
		rep *csvspec.Report
		err error
	}
	done := make(chan checked, 1)
	ex := &export{imp: imp, b: newBuilder(imp, false)}
	go func() {
		// Every error, for the failures file; the report keeps only the
		// first of each code.
		rep, err := imp.check(pr, j.Rules, j.ReaderOptions, func(p csvspec.Problem) error {
			if p.Severity == csvspec.SeverityError {
				ex.errs = append(ex.errs, p)
			}
			return nil
		})
		_, _ = io.Copy(io.Discard, pr) // whatever the check left, so that the reader never blocks
		done <- checked{rep, err}
	}()
	herr := imp.read(tee, j.ReaderOptions, func(line int, fields []string, err error) error {
		if err != nil && ex.readErr == nil {
			ex.readErr = err
		}
		return ex.b.add(line, fields, err)
	})
	if herr != nil && src.err == nil {
		ex.readErr = herr
	}
	if src.err == nil {
		_, _ = io.Copy(io.Discard, tee) // the rest, for the check and the hash
	}
	pw.CloseWithError(src.err)
	c := <-done
	ex.check, ex.sha = c.rep, hex.EncodeToString(h.Sum(nil))
	if ex.check == nil {
		ex.check = &csvspec.Report{}
	}
	ex.snap = ex.b.snapshot()
	if src.err != nil {
		return ex, fmt.Errorf("syncjob: reading the export: %w", src.err)
	}
	if c.err != nil {
		return ex, c.err
	}
	return ex, nil
}

// sourceReader reads the export, hashing it, and stops when the context is
// done. err is the first error other than io.EOF.
type sourceReader struct {
	ctx context.Context
	r   io.Reader
	h   hash.Hash
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return 0, err
	}
	n, err := s.r.Read(p)
	s.h.Write(p[:n])
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// checkFailures returns the check errors as failures, with the values of
// their rows where the reader could read them.
func (e *export) checkFailures() []Failure {
	errs := e.errs
	// The lines whose values are wanted: those of the errors, and for a
	// duplicate row the line of the row it repeats, which the snapshot kept.
	fields := make(map[int32][]string)
	for _, p := range errs {
		l := int32(p.Line)
		fields[l] = e.b.aside[l]
		if first, ok := e.b.dups[l]; ok {
			fields[first] = nil
		}
	}
	s := e.snap
	for r := range int32(s.Rows()) {
		if f, ok := fields[s.lines[r]]; ok && f == nil {
			fields[s.lines[r]] = s.fields(r)
		}
	}
	out := make([]Failure, 0, len(errs))
	for _, p := range errs {
		l := int32(p.Line)
		f := fields[l]
		if first, ok := e.b.dups[l]; ok && f == nil {
			f = fields[first]
		}
		out = append(out, Failure{Line: p.Line, Fields: f, Code: p.Code, Field: p.Column, Message: p.Message})
	}
	return out
}
