package syncjob

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/result"
)

// judge reads Infiniti's answer to the posted rows: it passes each failed
// row to fl, marks the users whose every row was confirmed, and reports
// whether the answer was clear (every posted row has an outcome).
func (r *Report) judge(p *Plan, res *result.Result, fl *failureLog, v *verdict) (clear bool) {
	n := p.stats.RowsToSend
	users := make(map[string]bool)
	for row := range p.Rows() {
		users[row.Username()] = true
	}
	if c, ok := res.Counts(); ok {
		switch {
		case c.Processed == n && n == len(users):
			r.counted = "both"
		case c.Processed == n:
			r.counted = "rows"
		case c.Processed == len(users):
			r.counted = "users"
		}
	}
	if res.Details == nil { // "details": {} is details that give no row an outcome
		return judgeCounts(res, n, users, v)
	}
	outcome := make([]int, n+1) // 1 + the index in res.Details of each row's outcome; 0: none
	for i, o := range res.Details {
		if o.Row < 1 || o.Row > n {
			fl.add(Failure{Row: o.Row, Code: codeOf(o), Field: o.Field(), Message: fmt.Sprintf("Infiniti reported row %d, but the posted file has %d rows: %s", o.Row, n, o.Message)})
			continue
		}
		outcome[o.Row] = i + 1
	}
	clear = true
	bad := make(map[string]bool)
	failed := make(map[string]bool)
	k := 0
	for row := range p.Rows() {
		k++
		name := row.Username()
		if outcome[k] == 0 {
			clear = false
			bad[name] = true
			continue
		}
		o := res.Details[outcome[k]-1]
		if o.Status != result.StatusCreated && o.Status != result.StatusUpdated {
			bad[name] = true
			failed[name] = true
			if v.failed != nil && v.failed[name] == "" {
				v.failed[name] = causeMessage(o.Message)
			}
			fl.add(Failure{Row: k, Line: row.Line, Fields: slices.Clone(row.Fields), Carry: v.carry[name], Code: codeOf(o), Field: o.Field(), Message: o.Message})
		}
	}
	for u := range users {
		if !bad[u] {
			v.confirmed[u] = true
		}
	}
	r.FailedUsers = len(failed)
	return clear
}

// judgeCounts judges an answer without row details by its counts: it is
// clear, and confirms every user posted, when it says every row (or every
// user) of the n rows posted was processed and none failed.
func judgeCounts(res *result.Result, n int, users map[string]bool, v *verdict) bool {
	c, ok := res.Counts()
	if !res.Success || !ok || c.Failed != 0 || (c.Processed != n && c.Processed != len(users)) {
		return false
	}
	for u := range users {
		v.confirmed[u] = true
	}
	return true
}

// writeAhead commits state, the state a post leaves if no answer comes,
// with a run record "posting", before the post.
func writeAhead(ctx context.Context, sess Session, rep *Report, plan *Plan, inFlight time.Time, state func() ([]byte, int)) error {
	run := Run{Start: rep.Start, End: time.Now(), Key: rep.Key, Mode: rep.Mode, Forced: rep.Forced, Source: cutText(rep.Source, maxRecordText),
		SHA256: rep.SHA256, RowsRead: rep.RowsRead, Outcome: OutcomePosting, SDKVersion: client.Version, InFlightUntil: inFlight}
	st := plan.Stats()
	run.Plan = &st
	data, users := state()
	if _, err := commit(context.WithoutCancel(ctx), sess, data, users, run); err != nil {
		return fmt.Errorf("syncjob: nothing was sent: the journal cannot keep the state before the post: %w", err)
	}
	return nil
}

// post sends the plan's rows and judges Infiniti's answer. judged is
// false when the answer says nothing sure of the rows posted.
func (rep *Report) post(ctx context.Context, j *Job, imp *Import, plan *Plan, fl *failureLog, v *verdict, rowsErr error) (perr error, judged bool) {
	var st client.Stats
	res, perr := imp.post(client.WithStats(ctx, &st), j.Client, plan.Rows())
	rep.Sent, rep.RowsSent, rep.HTTP, rep.Result = true, plan.stats.RowsToSend, st, res
	rep.Outcome = outcomeOf(ctx, perr, OutcomeTransportError)
	rep.untrusted = errors.Is(perr, client.ErrCertificate)
	switch {
	case rep.Outcome == OutcomeCancelled:
	case errors.Is(perr, client.ErrUnauthorized), errors.Is(perr, client.ErrForbidden):
		rep.Outcome = OutcomeAuthError
	case errors.As(perr, new(*client.StatusError)):
		// Any status but 2xx (401 and 403 aside) is no clear answer, even
		// with a result: Infiniti may have imported some of the file.
		rep.Outcome = OutcomeNoAnswer
	case res != nil && (perr == nil || errors.As(perr, new(*result.ImportError))):
		clear := rep.judge(plan, res, fl, v)
		switch {
		case !clear:
			rep.Outcome = OutcomeNoAnswer
			if perr == nil {
				perr = errors.New("syncjob: Infiniti's answer does not say the outcome of every row posted; their users are sent again on the next run")
			}
		case rep.FailedUsers > 0 || fl.total > 0 || rowsErr != nil:
			rep.Outcome = OutcomeRowsFailed
			perr = join(perr, rowsErr)
		default:
			rep.Outcome = OutcomeOK
		}
		return perr, true
	case st.HandedOver:
		rep.Outcome = OutcomeNoAnswer
	}
	return perr, false
}
