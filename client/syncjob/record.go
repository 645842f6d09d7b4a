package syncjob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/result"
)

// record writes the staff report, then, when the run is not a plan, the
// run record (with the new state when state is not nil), and sets the
// health if the journal gives it within healthLimit. The report goes
// first, so that the record says if it could not be written.
func (j *Job) record(ctx context.Context, rep *Report, sess Session, fl *failureLog, send bool, runErr error, state func() ([]byte, int)) error {
	rep.End = time.Now()
	var data []byte
	users := 0
	if state != nil && sess != nil && send {
		data, users = state() // before the staff report, which lists its items
	}
	var staffErr error
	if j.StaffReport != nil && (rep.Plan != nil || rep.Outcome == OutcomeRefused) {
		staffErr = j.StaffReport(rep.WriteReport)
	}
	if sess == nil {
		return nil
	}
	if send {
		run := rep.record(runErr, fl)
		if staffErr != nil {
			run.StaffReportError = cutText(fmt.Sprintf("the staff report was not written: %v", staffErr), maxRecordText)
		}
		bg := context.WithoutCancel(ctx)
		var jerr error
		start := time.Now()
		if state != nil {
			run, jerr = commit(bg, sess, data, users, run)
		} else {
			jerr = sess.Record(bg, run)
		}
		j.observe(rep, "commit", start)
		if jerr != nil {
			rep.Outcome = OutcomeJournalError
			return fmt.Errorf("syncjob: the run was not recorded: %w", jerr)
		}
		rep.Run = &run
	}
	// The health is read even when ctx is done, but for at most
	// healthLimit: a journal that cannot answer (a pool with no free
	// connection) leaves it zero rather than holding the run for ever.
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), healthLimit)
	defer cancel()
	if h, herr := healthOfKey(hctx, j.Journal, rep.Key); herr == nil {
		rep.Health = h
	}
	return nil
}

// healthLimit bounds the read of the health after a run.
var healthLimit = 30 * time.Second

// commit commits data, a state of users, with its SHA-256 and users in the
// run record; it returns the record committed.
func commit(ctx context.Context, sess Session, data []byte, users int, run Run) (Run, error) {
	sum := sha256.Sum256(data)
	run.StateSHA256, run.StateUsers = hex.EncodeToString(sum[:]), users
	return run, sess.Commit(ctx, bytes.NewReader(data), run)
}

// errDamagedState is matched by the error of a state that cannot be read,
// or that is not the state the run log says was committed.
var errDamagedState = errors.New("the last accepted state is damaged")

// damagedError is the error of a damaged state: what names the state,
// err says what is wrong with it.
type damagedError struct {
	what string
	err  error
}

func (e *damagedError) Error() string {
	return fmt.Sprintf("syncjob: %s is damaged (%v), so the limits cannot guard this run; check the export, then run once with full and force to send every row and keep a new state", e.what, e.err)
}

func (e *damagedError) Unwrap() error { return e.err }

func (e *damagedError) Is(target error) bool { return target == errDamagedState }

// record returns the run record of the report. Its texts carry no
// student data but the usernames of the first failed rows: errors are
// told by their codes and counts, not by the values or Infiniti's row
// messages that name users. Long texts are cut to maxRecordText bytes.
func (r *Report) record(runErr error, fl *failureLog) Run {
	run := Run{
		Start: r.Start, End: r.End, Key: r.Key, Mode: r.Mode, Forced: r.Forced,
		Source: cutText(r.Source, maxRecordText), SHA256: r.SHA256, RowsRead: r.RowsRead, EmptyRows: r.EmptyRows,
		RowsSent: r.RowsSent, BytesSent: r.HTTP.BytesSent, HTTPStatus: r.HTTP.StatusCode, Attempts: r.HTTP.Attempts,
		FailedUsers: r.FailedUsers, Outcome: r.Outcome, SDKVersion: client.Version, Recovered: cutText(r.Recovered, maxRecordText),
	}
	if v := r.verdict; v != nil {
		run.HeldUsers = len(v.held)
	}
	run.UnconfirmedUsers, run.Counted = r.Unconfirmed, r.counted
	if r.Forced && r.Refusal != nil {
		run.Overridden = cutText(r.Refusal.Error(), maxRecordText)
	}
	if r.Check != nil {
		run.CheckErrors, run.CheckWarnings = r.checkErrors, r.checkWarnings
	}
	if r.Plan != nil {
		st := r.Plan.Stats()
		run.Plan = &st
	}
	if res := r.Result; res != nil {
		rr := &RunResult{Success: res.Success} // not its summary, which may name users
		if c, ok := res.Counts(); ok {
			rr.Processed, rr.Created, rr.Updated, rr.Failed = c.Processed, c.Created, c.Updated, c.Failed
		}
		run.Result = rr
	}
	if r.Outcome == OutcomeRowsFailed {
		run.FailedRows = fl.total
		for _, u := range fl.users {
			run.FailedUsernames = append(run.FailedUsernames, cutText(u, maxRecordUsername))
		}
	}
	if runErr != nil {
		run.Error = cutText(r.recordError(runErr, fl), maxRecordText)
	}
	return run
}

// recordError returns the text of a run's error for its record.
func (r *Report) recordError(err error, fl *failureLog) string {
	switch r.Outcome {
	case OutcomeInvalidFile:
		if r.Check != nil && r.Check.NumErrors() > 0 {
			perCode := make(map[string]int)
			for _, p := range r.Check.Errors() {
				perCode[p.Code] = r.Check.Count(p.Code)
			}
			return fmt.Sprintf("syncjob: %v; nothing was sent: %s found by the check (%s)", ErrInvalidFile, count(r.checkErrors, "error", "errors"), codeCounts(perCode))
		}
		var ioErr *readError
		if errors.As(err, &ioErr) {
			return err.Error()
		}
		return fmt.Sprintf("syncjob: %v; nothing was sent: the export cannot be read as a %s file", ErrInvalidFile, r.imp.name)
	case OutcomeRowsFailed, OutcomeHeld:
		if r.HeldForProblems > 0 {
			return fmt.Sprintf("syncjob: %s held for row problems, %s of the %s sent failed (%s); they are sent again once right",
				count(r.HeldForProblems, "user", "users"), count(r.FailedUsers, "user", "users"), count(r.RowsSent, "row", "rows"), codeCounts(fl.perCode))
		}
		if r.Outcome == OutcomeHeld {
			msg := "syncjob: held"
			if r.Refusal != nil {
				msg = r.Refusal.Error()
			}
			if fl.total > 0 {
				msg += fmt.Sprintf("; Infiniti failed %s of the %s sent (%s)", count(fl.total, "row", "rows"), count(r.RowsSent, "row", "rows"), codeCounts(fl.perCode))
			}
			return msg
		}
		return fmt.Sprintf("syncjob: Infiniti failed %s of the %s sent (%s); their users are sent again on the next run",
			count(fl.total, "row", "rows"), count(r.RowsSent, "row", "rows"), codeCounts(fl.perCode))
	}
	// A status error quotes the body, which may name students (a 500's
	// stack trace, a result's rows): the record says the status alone.
	var se *client.StatusError
	if errors.As(err, &se) {
		return fmt.Sprintf("syncjob: Infiniti answered %d %s without a usable result (the body is not recorded: it may name students)", se.StatusCode, http.StatusText(se.StatusCode))
	}
	if errors.As(err, new(*result.ImportError)) {
		// Infiniti's row messages name students: the record counts them.
		return fmt.Sprintf("syncjob: Infiniti's answer does not give every row posted an outcome; %s failed (%s); their users are sent again on the next run",
			count(fl.total, "row", "rows"), codeCounts(fl.perCode))
	}
	return err.Error()
}
