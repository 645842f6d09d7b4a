package syncjob

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/autosync-go/autosync/csvspec"
)

// Applies says how Infiniti applies a file to the users it lists; the
// vendor does not say which for autoSync. It decides what the job calls
// removed: nothing that Infiniti may keep.
type Applies int

// The ways Infiniti may apply a file.
const (
	// AppliesUnknown (the zero value): a lost membership may be kept by
	// Infiniti, so it is a for-staff item.
	AppliesUnknown Applies = iota
	// AppliesAdd: a file adds memberships and never removes one; a user
	// who loses something is still sent, and the loss is a for-staff item.
	AppliesAdd
	// AppliesReplace: a file replaces each listed user's memberships, so
	// a confirmed user holds exactly what was sent.
	AppliesReplace
)

// String returns "unknown", "add" or "replace".
func (a Applies) String() string {
	switch a {
	case AppliesAdd:
		return "add"
	case AppliesReplace:
		return "replace"
	}
	return "unknown"
}

// UnmarshalText reads "unknown", "add" or "replace".
func (a *Applies) UnmarshalText(b []byte) error {
	for _, v := range []Applies{AppliesUnknown, AppliesAdd, AppliesReplace} {
		if string(b) == v.String() {
			*a = v
			return nil
		}
	}
	return fmt.Errorf("syncjob: applies %q is not unknown, add or replace", b)
}

// runRead reads the export and the state from stateDone, and goes on
// with the run: plan, guard, write ahead, post, judge the answer, commit.
// Nil rows are a night of no updates (Job.RunUnchanged): the export is
// the state's rows.
func (j *Job) runRead(ctx context.Context, rows iter.Seq2[csvspec.SourceRow, error], done func() (string, error), imp *Import, fl *failureLog, rep *Report, sess Session, stateDone <-chan stateRead,
	record func(error, func() ([]byte, int)) error, send bool) (*Report, error) {
	start := time.Now()
	var sr stateRead
	unchanged := rows == nil
	if unchanged {
		sr = <-stateDone
		rows = sr.st.rows()
	}
	ex := j.readRows(ctx, rows, imp, fl)
	if done != nil {
		ex.hashed(ctx, rep, done)
	}
	j.observe(rep, "check", start)
	if !unchanged {
		sr = <-stateDone
	}
	rep.read(ex, sr, j.Carry)
	var inflight *InFlightError
	if errors.As(sr.err, &inflight) {
		rep.Outcome, rep.LockedUntil = OutcomeLocked, inflight.Until
		return rep, sr.err
	}
	if sr.err != nil {
		rep.Outcome = outcomeOf(ctx, sr.err, OutcomeJournalError)
		return rep, join(sr.err, record(sr.err, nil))
	}
	if err := ex.err(j.Strict); err != nil {
		err = rep.invalidFile(ctx, ex, err)
		return rep, join(err, record(err, nil))
	}

	last := sr.st
	var base *snapshot
	if last != nil && last.active.Users()+last.marked.Users() > 0 {
		base = last.active // else nothing was ever confirmed: a first run
	}
	start = time.Now()
	plan := diff(base, ex.snap, rep.Mode)
	rep.Plan = plan
	v := j.newVerdict(ex, imp)
	v.unchanged = unchanged
	heldErr, stop := j.refuse(sr.lost, plan, last, imp, v, rep)
	if stop != nil {
		rep.Outcome = OutcomeRefused
		return rep, join(stop, record(stop, nil))
	}
	j.choose(plan, last, v)
	j.observe(rep, "plan", start)
	rep.verdict = v
	if rep.Refusal != nil && rep.Refusal.Held > 0 && send {
		rep.Refusal.Sent = len(v.posted)
	}
	rowsErr := ex.rowsErr() // row problems, which hold their users
	if !send {
		rep.Outcome = planned(rowsErr, heldErr)
		return rep, join(join(rowsErr, heldErr), record(nil, nil))
	}
	var inFlight time.Time
	if sess != nil && plan.stats.RowsToSend > 0 {
		inFlight = inFlightUntil(ctx, rep.Start, plan, j.Client.ResponseHeaderTimeout())
		start := time.Now()
		werr := writeAhead(ctx, sess, rep, plan, inFlight, func() ([]byte, int) {
			return v.writeState(imp, last, ex.snap, true)
		})
		j.observe(rep, "commit", start)
		if werr != nil {
			rep.Outcome = OutcomeJournalError
			return rep, join(werr, record(werr, nil))
		}
	}

	start = time.Now()
	perr, judged := rep.post(ctx, j, imp, plan, fl, v, rowsErr)
	j.observe(rep, "post", start)
	rep.posted(v, inFlight)
	if !judged && plan.stats.RowsToSend > 0 {
		// The state stays the one written ahead: the users posted are
		// unconfirmed, and sent again by the next run. (With no rows
		// posted, nobody is unconfirmed: the state is kept as after an
		// answer, its leavers marked.)
		return rep, join(perr, record(perr, nil))
	}
	if heldErr != nil && (rep.Outcome == OutcomeOK || rep.Outcome == OutcomeRowsFailed) {
		rep.Outcome = OutcomeHeld
		perr = join(perr, heldErr)
	}
	state := func() ([]byte, int) { return v.writeState(imp, last, ex.snap, false) }
	return rep, join(perr, record(perr, state))
}

// planned returns the outcome of a plan with the row problems rowsErr
// and the guard's hold heldErr.
func planned(rowsErr, heldErr error) Outcome {
	switch {
	case heldErr != nil:
		return OutcomeHeld
	case rowsErr != nil:
		return OutcomeRowsFailed
	}
	return OutcomeOK
}

// posted counts the users posted that Infiniti did not confirm, and,
// when the file was handed over without a clear answer, says until when
// Infiniti may be importing it (inFlight).
func (rep *Report) posted(v *verdict, inFlight time.Time) {
	if rep.HTTP.HandedOver && (rep.Outcome == OutcomeNoAnswer || rep.Outcome == OutcomeCancelled) {
		rep.LockedUntil = inFlight
	}
	for u := range v.posted {
		if !v.confirmed[u] {
			rep.Unconfirmed++
		}
	}
}

// hashed ends the read of the file with done, which gives its SHA-256
// or the error that stopped the read.
func (ex *export) hashed(ctx context.Context, rep *Report, done func() (string, error)) {
	var err error
	rep.SHA256, err = done()
	if err != nil {
		ex.fileErr = &readError{err}
		if ctx.Err() != nil {
			ex.fileErr = ctx.Err()
		}
	}
}

// read puts into the report what the read of the export and of the state found.
func (rep *Report) read(ex *export, sr stateRead, carry []string) {
	rep.last, rep.carryNames = sr.st, carry
	rep.Check, rep.EmptyRows, rep.RowsRead, rep.HeaderWarnings = ex.check, ex.snap.EmptyRows(), ex.check.Rows, ex.warns
	rep.checkErrors, rep.checkWarnings, rep.HeldForProblems = ex.nErr, ex.nWarn, len(ex.held)
	rep.Recovered = sr.recovered
}

// invalidFile sets the outcome of a run stopped by err, the export's
// error, and returns the error the run ends with.
func (rep *Report) invalidFile(ctx context.Context, ex *export, err error) error {
	rep.Outcome = outcomeOf(ctx, err, OutcomeInvalidFile)
	if rep.Outcome != OutcomeInvalidFile {
		return err
	}
	var pe *csvspec.ParseError
	if errors.As(ex.fileErr, &pe) && (pe.Code == csvspec.CodeCutOff || pe.Code == csvspec.CodeUnclosedQuote) {
		rep.Outcome = OutcomeRefused // a cut-off export: refused, and Force does not go past it
	}
	if errors.As(err, new(*readError)) {
		return fmt.Errorf("syncjob: %w: %w", ErrInvalidFile, err)
	}
	return fmt.Errorf("syncjob: %w; nothing was sent: %w", ErrInvalidFile, err)
}

// rowsErr is the error of the row problems that hold their users, or nil.
func (ex *export) rowsErr() error {
	if len(ex.held) == 0 && ex.noName == 0 {
		return nil
	}
	return fmt.Errorf("syncjob: %s held for row problems, %s without a username: %w", count(len(ex.held), "user", "users"), count(ex.noName, "row", "rows"), ex.check.Err())
}
