package syncjob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"time"

	"github.com/autosync-go/autosync/client"
)

// An InFlightError says that an earlier run posted and may still be
// importing: no run posts before Until.
type InFlightError struct {
	Start time.Time // the start of the run that posted
	Until time.Time // when Infiniti has surely finished with its post
}

// Error says when the earlier post started and until when to wait.
func (e *InFlightError) Error() string {
	return fmt.Sprintf("syncjob: the run started at %s posted and may still be importing; wait until %s",
		e.Start.Local().Format(time.RFC3339), e.Until.Local().Format(time.RFC3339))
}

// stateRead is the last accepted state as a run reads it.
type stateRead struct {
	st        *state // nil: a first run
	lost      bool   // no state, but the log shows a committed run
	recovered string
	err       error
}

// lastState reads the session's state and checks it against the run log.
// A run that sends also refuses to go on while an earlier post is in flight.
func (j *Job) lastState(ctx context.Context, sess Session, key Key, imp *Import, send bool) stateRead {
	runs, err := j.Journal.Runs(ctx, key, recentRuns)
	if err != nil {
		return stateRead{err: fmt.Errorf("syncjob: reading the run log: %w", err)}
	}
	all := func() ([]Run, error) {
		if len(runs) < recentRuns {
			return runs, nil // every record kept
		}
		all, err := j.Journal.Runs(ctx, key, 0)
		if err != nil {
			return nil, fmt.Errorf("syncjob: reading the run log: %w", err)
		}
		return all, nil
	}
	now := time.Now
	if j.now != nil {
		now = j.now
	}
	if p := unfinishedPosting(runs); p != nil && send && now().Before(p.InFlightUntil) {
		return stateRead{err: &InFlightError{Start: p.Start, Until: p.InFlightUntil}}
	}
	sr := readState(ctx, sess, imp, runs, all)
	if errors.Is(sr.err, errDamagedState) && j.Force {
		// Force goes past a damaged state as past a lost one.
		sr = stateRead{lost: true}
	}
	if p := unfinishedPosting(runs); p != nil && sr.err == nil && sr.recovered == "" {
		sr.recovered = fmt.Sprintf("the run started at %s ended after its post, with no answer: its users are sent again", p.Start.Local().Format(time.RFC3339))
	}
	return sr
}

// unfinishedPosting returns the last posting record if no later record of
// its run follows it, else nil.
func unfinishedPosting(runs []Run) *Run {
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].Outcome == OutcomePosting {
			if finished(runs[i+1:], runs[i]) {
				return nil
			}
			return &runs[i]
		}
	}
	return nil
}

// recentRuns is how many of the last run records a run reads first: a
// state that none of them describes is checked against every record kept.
const recentRuns = 20

// readState reads the session's state. A state is accepted when its
// SHA-256 and users are those of any record of the log that committed a
// state (a journal may be stopped between appending a record and
// replacing the state), or when no record says which state was
// committed; any other is damaged. A missing state is a first run when
// no record committed one, or when only one run did (a first run stopped
// before its state was in place): that run's users are sent again. recent
// are the last records; all returns every record kept, for a state that
// no recent record describes.
func readState(ctx context.Context, sess Session, imp *Import, recent []Run, all func() ([]Run, error)) stateRead {
	rc, err := sess.State(ctx)
	if errors.Is(err, ErrNoState) {
		runs, err := all()
		if err != nil {
			return stateRead{err: err}
		}
		return noState(committedOf(runs))
	}
	if err != nil {
		return stateRead{err: err}
	}
	defer rc.Close()
	what := "the journal's last accepted state"
	if f, ok := rc.(interface{ Name() string }); ok {
		what += " " + f.Name()
	}
	var buf bytes.Buffer // read at once from a journal in memory, or grown to a file's size
	if f, ok := rc.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := f.Stat(); err == nil {
			buf.Grow(int(fi.Size()) + bytes.MinRead)
		}
	}
	if _, err := io.Copy(&buf, rc); err != nil {
		return stateRead{err: fmt.Errorf("syncjob: reading the last accepted state: %w", err)}
	}
	data := buf.Bytes()
	st, err := parseState(imp, data)
	if errors.Is(err, errStateVersion) {
		return stateRead{err: fmt.Errorf("syncjob: the journal's state cannot be read: %w", err)}
	}
	if err != nil {
		return stateRead{err: &damagedError{what, err}}
	}
	h := sha256.Sum256(data)
	sum, users := hex.EncodeToString(h[:]), st.users()
	if sr, ok := matchState(st, sum, users, recent); ok && slices.ContainsFunc(recent, func(r Run) bool { return r.StateSHA256 != "" }) {
		return sr
	}
	runs, err := all()
	if err != nil {
		return stateRead{err: err}
	}
	sr, ok := matchState(st, sum, users, runs)
	if !ok {
		sr.err = &damagedError{what, sr.err}
	}
	return sr
}

// committedOf returns the records of runs that committed a state.
func committedOf(runs []Run) []Run {
	var committed []Run
	for _, r := range runs {
		if r.StateSHA256 != "" || (r.Outcome == OutcomeOK || r.Outcome == OutcomeRowsFailed) {
			committed = append(committed, r)
		}
	}
	return committed
}

// noState reads a missing state, given the records that committed one.
func noState(committed []Run) stateRead {
	if len(committed) == 0 {
		return stateRead{}
	}
	if !slices.ContainsFunc(committed, func(r Run) bool { return !r.Start.Equal(committed[0].Start) }) {
		return stateRead{recovered: fmt.Sprintf("the first run, started at %s, was stopped before its state was kept: every user is sent again", committed[0].Start.Local().Format(time.RFC3339))}
	}
	return stateRead{lost: true}
}

// matchState accepts st, of SHA-256 sum and users, if a record of runs
// that committed a state describes it, or if none says which; otherwise
// it returns false, and the error says why.
func matchState(st *state, sum string, users int, runs []Run) (stateRead, bool) {
	var withSum []Run
	for _, r := range committedOf(runs) {
		if r.StateSHA256 != "" {
			withSum = append(withSum, r)
		}
	}
	if len(withSum) == 0 {
		return stateRead{st: st}, true
	}
	last := withSum[len(withSum)-1]
	for i := len(withSum) - 1; i >= 0; i-- {
		r := withSum[i]
		if r.StateSHA256 != sum || r.StateUsers != users {
			continue
		}
		sr := stateRead{st: st}
		if i != len(withSum)-1 {
			sr.recovered = fmt.Sprintf("recovered the state kept at %s: a later commit was stopped before its state was in place, and its users are sent again", r.End.Local().Format(time.RFC3339))
		}
		return sr, true
	}
	if users != last.StateUsers {
		return stateRead{err: fmt.Errorf("it has %s, where the last run that kept a state, at %s, kept %d", count(users, "user", "users"), last.End.Local().Format(time.RFC3339), last.StateUsers)}, false
	}
	return stateRead{err: fmt.Errorf("its SHA-256 is not one the run log recorded (last at %s)", last.End.Local().Format(time.RFC3339))}, false
}

// inFlightUntil returns when Infiniti has surely finished with a post of
// rows started at start: an upload allowance (the context's deadline, or
// a minute per 8 MB, at least a minute) plus the answer limit.
func inFlightUntil(ctx context.Context, start time.Time, p *Plan, answer time.Duration) time.Time {
	allow := time.Minute
	if d, ok := ctx.Deadline(); ok {
		allow = max(d.Sub(start), 0)
	} else {
		var n int64
		for r := range p.Rows() {
			for _, f := range r.Fields {
				n += int64(len(f)) + 1
			}
		}
		allow = max(allow, time.Duration(n/(8<<20))*time.Minute)
	}
	if answer <= 0 { // unknown: the caller's own HTTP client decides
		answer = client.DefaultResponseHeaderTimeout
	}
	return start.Add(allow + answer)
}
