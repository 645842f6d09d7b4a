package syncjob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	runs, err := j.Journal.Runs(ctx, key, 0)
	if err != nil {
		return stateRead{err: fmt.Errorf("syncjob: reading the run log: %w", err)}
	}
	now := time.Now
	if j.now != nil {
		now = j.now
	}
	if p := unfinishedPosting(runs); p != nil && send && now().Before(p.InFlightUntil) {
		return stateRead{err: &InFlightError{Start: p.Start, Until: p.InFlightUntil}}
	}
	sr := readState(ctx, sess, imp, runs)
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

// readState reads the session's state. A state is accepted when its
// SHA-256 and users are those of any record of the log that committed a
// state (a journal may be stopped between appending a record and
// replacing the state), or when no record says which state was
// committed; any other is damaged. A missing state is a first run when
// no record committed one, or when only one run did (a first run stopped
// before its state was in place): that run's users are sent again.
func readState(ctx context.Context, sess Session, imp *Import, runs []Run) stateRead {
	var committed []Run
	for _, r := range runs {
		if r.StateSHA256 != "" || (r.Outcome == OutcomeOK || r.Outcome == OutcomeRowsFailed) {
			committed = append(committed, r)
		}
	}
	rc, err := sess.State(ctx)
	if errors.Is(err, ErrNoState) {
		if len(committed) == 0 {
			return stateRead{}
		}
		if !slices.ContainsFunc(committed, func(r Run) bool { return !r.Start.Equal(committed[0].Start) }) {
			return stateRead{recovered: fmt.Sprintf("the first run, started at %s, was stopped before its state was kept: every user is sent again", committed[0].Start.Local().Format(time.RFC3339))}
		}
		return stateRead{lost: true}
	}
	if err != nil {
		return stateRead{err: err}
	}
	defer rc.Close()
	damaged := func(err error) stateRead {
		what := "the journal's last accepted state"
		if f, ok := rc.(interface{ Name() string }); ok {
			what += " " + f.Name()
		}
		return stateRead{err: &damagedError{what, err}}
	}
	h := sha256.New()
	st, err := parseState(imp, io.TeeReader(rc, h))
	if errors.Is(err, errStateVersion) {
		return stateRead{err: fmt.Errorf("syncjob: the journal's state cannot be read: %w", err)}
	}
	if err != nil {
		return damaged(err)
	}
	if _, err := io.Copy(h, rc); err != nil {
		return stateRead{err: fmt.Errorf("syncjob: reading the last accepted state: %w", err)}
	}
	sum, users := hex.EncodeToString(h.Sum(nil)), st.users()
	var withSum []Run
	for _, r := range committed {
		if r.StateSHA256 != "" {
			withSum = append(withSum, r)
		}
	}
	if len(withSum) == 0 {
		return stateRead{st: st}
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
		return sr
	}
	if users != last.StateUsers {
		return damaged(fmt.Errorf("it has %s, where the last run that kept a state, at %s, kept %d", count(users, "user", "users"), last.End.Local().Format(time.RFC3339), last.StateUsers))
	}
	return damaged(fmt.Errorf("its SHA-256 is not one the run log recorded (last at %s)", last.End.Local().Format(time.RFC3339)))
}

// verdict is what a run decided for the users of a plan.
type verdict struct {
	held      map[string]string   // username: "limit" or "problem"
	posted    map[string]bool     // users whose rows are posted, leavers moved included
	gone      map[string]bool     // users newly gone from the export and not held
	confirmed map[string]bool     // posted users whose every row Infiniti confirmed
	tmpl      []string            // the leaver template row without its username; nil: keep
	carry     map[string][]string // the carried values of each user in the export
	failed    map[string]string   // posted users with a failed row: Infiniti's message
	problem   map[string]string   // users held for a row problem: the first problem
	applies   Applies
	staff     map[string][][]string // the for-staff items of each user after the run, as the state keeps them
}

// items returns the for-staff items of user name after the run.
func (v *verdict) items(name string) [][]string {
	if v == nil {
		return nil
	}
	return v.staff[name]
}

// guard applies the wrong-file rule and the removal limit to the plan. It
// returns the refusal, if any (with Held set when it holds users rather
// than refuses), and adds the users it holds to held.
func (j *Job) guard(p *Plan, imp *Import, applies Applies, held map[string]string) *LimitError {
	st := p.stats
	if st.FirstRun {
		return nil
	}
	// Users held for row problems are held whatever the guard says, and
	// not counted by it.
	for _, c := range p.changes {
		if c.lose && c.kind == KindGone && held[p.last.username(int(c.last))] != "" {
			st.Gone--
			st.Losing--
		} else if c.lose && c.next >= 0 && held[p.next.username(int(c.next))] != "" {
			st.Losing--
		}
	}
	e := &LimitError{Limit: j.Limits.MaxRemovals, Losing: st.Losing, Gone: st.Gone, Shrinking: st.Losing - st.Gone, LastUsers: st.LastUsers, New: st.New, noun: imp.noun}
	e.Allowed = e.Limit.Max(st.LastUsers)
	switch {
	case st.Rows == 0 && st.LastUsers > 0:
		e.Empty = true
		return e
	case st.LastUsers >= wrongFileUsers && (2*st.Gone > st.LastUsers || 2*st.New > st.LastUsers):
		e.WrongFile = true
		return e
	case st.Losing <= e.Allowed:
		return nil
	case j.Force:
		return e // gone past, and recorded
	}
	n := len(held)
	for _, c := range p.changes {
		switch {
		case c.kind == KindGone && (applies != AppliesAdd || j.Leavers != nil) && held[p.last.username(int(c.last))] == "":
			held[p.last.username(int(c.last))] = "limit"
		case c.kind == KindChanged && c.lose && applies != AppliesAdd && held[p.next.username(int(c.next))] == "":
			held[p.next.username(int(c.next))] = "limit"
		}
	}
	if e.Held = len(held) - n; e.Held == 0 {
		return nil // nothing to hold: under add, losses are sent and left to staff
	}
	return e
}

// wrongFileUsers is the fewest users of the last state for which the
// wrong-file rule applies.
const wrongFileUsers = 20

// choose sets the rows the plan posts: every row of each new or changed
// user, of each unconfirmed user still in the export, of every user in
// full mode, none of a held user; and the leaver template for each leaver
// to move.
func (j *Job) choose(p *Plan, last *state, v *verdict) {
	next := p.next
	changed := make([]bool, next.Users())
	for _, c := range p.changes {
		if c.next >= 0 {
			changed[c.next] = true
		}
		if c.kind == KindGone && v.held[p.last.username(int(c.last))] == "" {
			v.gone[p.last.username(int(c.last))] = true
		}
	}
	if last != nil {
		// A user posted without an answer and never confirmed, gone from
		// the export, is a leaver too.
		for name, m := range last.meta {
			if m.unconfirmed && m.mark == "" && next.find(name) < 0 && last.active.find(name) < 0 && last.marked.find(name) < 0 && v.held[name] == "" {
				v.gone[name] = true
			}
		}
	}
	var users []int32
	for u := range next.Users() {
		name := next.username(u)
		if v.held[name] != "" {
			continue
		}
		if changed[u] || p.stats.Mode == ModeFull || p.stats.FirstRun || last.metaOf(name).unconfirmedOrMarked() {
			users = append(users, int32(u))
			v.posted[name] = true
		}
	}
	p.send = next.postingOrder(users)
	p.extra = nil
	if v.tmpl != nil {
		var leavers []string
		for name := range v.gone {
			leavers = append(leavers, name)
		}
		if last != nil {
			for name, m := range last.meta {
				if m.mark == markMoved && m.unconfirmed && next.find(name) < 0 {
					leavers = append(leavers, name)
				}
			}
		}
		slices.Sort(leavers)
		for _, name := range leavers {
			p.extra = append(p.extra, Row{Fields: append([]string{name}, v.tmpl...)})
			v.posted[name] = true
		}
	}
	p.stats.RowsToSend = len(p.send) + len(p.extra)
}

func (m *meta) carryOf() []string {
	if m == nil {
		return nil
	}
	return m.carry
}

func (m *meta) unconfirmedOrMarked() bool { return m != nil && (m.unconfirmed || m.mark != "") }

// inFlightUntil returns when Infiniti has surely finished with a post of
// rows started at start: an upload allowance (the context's deadline, or
// a minute per 8 MB, at least a minute) plus the answer limit.
func inFlightUntil(ctx context.Context, start time.Time, p *Plan) time.Time {
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
	return start.Add(allow + client.DefaultResponseHeaderTimeout)
}

// judge reads Infiniti's answer to the posted rows: it passes each failed
// row to fl, marks the users whose every row was confirmed, and reports
// whether the answer was clear (every posted row has an outcome).
func (r *Report) judge(p *Plan, res *result.Result, fl *failureLog, v *verdict) (clear bool) {
	n := p.stats.RowsToSend
	users := make(map[string]bool)
	for row := range p.Rows() {
		users[row.Username()] = true
	}
	if len(res.Details) == 0 {
		c, ok := res.Counts()
		if res.Success && ok && c.Failed == 0 && (c.Processed == n || c.Processed == len(users)) {
			for u := range users {
				v.confirmed[u] = true
			}
			return true
		}
		return false
	}
	status := make([]result.Status, n+1)
	known := make([]bool, n+1)
	for _, o := range res.Details {
		if o.Row < 1 || o.Row > n {
			fl.add(Failure{Row: o.Row, Code: codeOf(o), Field: o.Field(), Message: fmt.Sprintf("Infiniti reported row %d, but the posted file has %d rows: %s", o.Row, n, o.Message)})
			continue
		}
		status[o.Row], known[o.Row] = o.Status, true
	}
	clear = true
	bad := make(map[string]bool)
	failed := make(map[string]bool)
	k := 0
	for row := range p.Rows() {
		k++
		name := row.Username()
		ok := known[k] && (status[k] == result.StatusCreated || status[k] == result.StatusUpdated)
		if !known[k] {
			clear = false
		}
		if !ok {
			bad[name] = true
		}
		if known[k] && !ok {
			failed[name] = true
			o := res.Details[slices.IndexFunc(res.Details, func(o result.RowOutcome) bool { return o.Row == k })]
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

// itemsOf returns the items of rows lo to hi of s, each as a row of the
// import with only its columns filled, without repeats: by column group
// (for user groups, library groups first), then by value.
func (imp *Import) itemsOf(s *Snapshot, lo, hi int32) [][]string {
	var out [][]string
	for _, cols := range imp.items {
		start := len(out)
		for r := lo; r < hi; r++ {
			if !slices.ContainsFunc(cols, func(c int) bool { return s.value(r, c) != "" }) {
				continue
			}
			it := make([]string, s.w)
			it[0] = s.value(r, 0)
			for _, c := range cols {
				it[c] = s.value(r, c)
			}
			out = append(out, it)
		}
		group := out[start:]
		slices.SortFunc(group, slices.Compare)
		out = append(out[:start], slices.CompactFunc(group, slices.Equal)...)
	}
	return out
}

// minus returns the items of a not in b.
func minus(a, b [][]string) [][]string {
	return slices.DeleteFunc(slices.Clone(a), func(it []string) bool {
		return slices.ContainsFunc(b, func(o []string) bool { return slices.Equal(it, o) })
	})
}

// union returns the items of a and b, sorted and without repeats.
func union(a, b [][]string) [][]string {
	out := append(slices.Clone(a), b...)
	slices.SortFunc(out, slices.Compare)
	return slices.CompactFunc(out, slices.Equal)
}

// cursor walks the users of a snapshot in order, for names asked in order.
type cursor struct {
	s *Snapshot
	i int
}

// at returns the index of the user named name, or -1.
func (c *cursor) at(name string) int {
	n := c.s.Users()
	for c.i < n && c.s.username(c.i) < name {
		c.i++
	}
	if c.i < n && c.s.username(c.i) == name {
		return c.i
	}
	return -1
}

// postedItems returns the items a run posts for user name that its
// confirmed rows (ls from llo to lhi) do not hold.
func (v *verdict) postedItems(imp *Import, name string, next *Snapshot, ls *Snapshot, llo, lhi int32) [][]string {
	var posted, old [][]string
	if u := next.find(name); u >= 0 {
		lo, hi := next.rowsOf(u)
		posted = imp.itemsOf(next, lo, hi)
	} else if v.tmpl != nil {
		posted = imp.itemsOf(snapOf(imp, append([]string{name}, v.tmpl...)), 0, 1)
	}
	if ls != nil {
		old = imp.itemsOf(ls, llo, lhi)
	}
	return minus(posted, old)
}

// writeState writes the state after a run, or, with ahead, the state to
// commit before the post: the last state with every user about to be
// posted marked unconfirmed. It returns the users written.
func (v *verdict) writeState(w io.Writer, imp *Import, last *state, next *Snapshot, ahead bool) (int, error) {
	if last == nil {
		last = &state{meta: map[string]*meta{}}
	}
	sw, err := newStateWriter(w, imp)
	if err != nil {
		return 0, err
	}
	if !ahead {
		v.staff = map[string][][]string{}
		sw.onItems = func(name string, items [][]string) { v.staff[name] = items }
	}
	ca, cm, cn := cursor{s: last.active}, cursor{s: last.marked}, cursor{s: next}
	for _, name := range allNames(last.meta, last.active, last.marked, next) {
		lm := last.meta[name]
		var ls *Snapshot
		var llo, lhi int32
		if u := ca.at(name); u >= 0 {
			ls = last.active
			llo, lhi = ls.rowsOf(u)
		} else if u := cm.at(name); u >= 0 {
			ls = last.marked
			llo, lhi = ls.rowsOf(u)
		}
		keep := func(m *meta) error { return sw.user(name, m, ls, llo, lhi, nil) }
		nu := cn.at(name)
		if ahead || v.held[name] != "" || (nu < 0 && !v.gone[name] && !v.posted[name]) {
			m := lm
			if ahead && v.posted[name] {
				// Infiniti may hold what is posted from now on, whatever
				// the answer: an item until a confirmed run says otherwise.
				m = lm.clone()
				m.unconfirmed = true
				m.items = union(m.items, v.postedItems(imp, name, next, ls, llo, lhi))
			}
			if err := keep(m); err != nil {
				return 0, err
			}
			continue
		}
		if nu >= 0 && !v.posted[name] && (lm == nil || len(lm.items) == 0) && ls == last.active && slices.Equal(lm.carryOf(), v.carry[name]) {
			// unchanged, with nothing to clear: the fast path of most users
			nlo, nhi := next.rowsOf(nu)
			if err := sw.user(name, lm, next, nlo, nhi, nil); err != nil {
				return 0, err
			}
			continue
		}
		m := lm.clone()
		var old [][]string
		if ls != nil {
			old = imp.itemsOf(ls, llo, lhi)
		}
		if nu < 0 { // a leaver
			if v.gone[name] && v.tmpl == nil {
				m.mark, m.unconfirmed, m.items = markLeft, false, union(m.items, old)
				err = keep(m)
			} else {
				if v.gone[name] && v.applies != AppliesReplace {
					m.items = union(m.items, old)
				}
				m.mark = markMoved
				if m.unconfirmed = !v.confirmed[name]; m.unconfirmed {
					m.items = union(m.items, v.postedItems(imp, name, next, ls, llo, lhi))
					err = keep(m)
				} else {
					if v.applies == AppliesReplace {
						m.items = nil
					}
					err = sw.user(name, m, nil, 0, 0, [][]string{append([]string{name}, v.tmpl...)})
				}
			}
			if err != nil {
				return 0, err
			}
			continue
		}
		nlo, nhi := next.rowsOf(nu)
		now := imp.itemsOf(next, nlo, nhi)
		m.mark = ""
		if c, ok := v.carry[name]; ok {
			m.carry = c
		}
		src, lo, hi := next, nlo, nhi
		switch {
		case v.posted[name] && !v.confirmed[name]:
			m.unconfirmed = true
			m.items = union(m.items, v.postedItems(imp, name, next, ls, llo, lhi))
			if err := sw.user(name, m, ls, llo, lhi, nil); err != nil {
				return 0, err
			}
			continue
		case v.posted[name]:
			m.unconfirmed = false
			if v.applies == AppliesReplace {
				m.items = nil
			} else {
				m.items = union(m.items, minus(old, now))
			}
		}
		m.items = minus(m.items, now)
		if err := sw.user(name, m, src, lo, hi, nil); err != nil {
			return 0, err
		}
	}
	_, users, err := sw.close()
	return users, err
}

// runRead reads the export and the state from stateDone, and goes on
// with the run: plan, guard, write ahead, post, judge the answer, commit.
func (j *Job) runRead(ctx context.Context, rows iter.Seq2[csvspec.SourceRow, error], done func() (string, error), imp *Import, fl *failureLog, rep *Report, sess Session, stateDone <-chan stateRead,
	record func(error, func(io.Writer) (int, error)) error, send bool) (*Report, error) {
	ex := j.readRows(ctx, rows, imp, fl)
	var err error
	if done != nil {
		var rerr error
		rep.SHA256, rerr = done()
		if rerr != nil {
			ex.fileErr = &readError{rerr}
			if ctx.Err() != nil {
				ex.fileErr = ctx.Err()
			}
		}
	}
	sr := <-stateDone
	rep.last, rep.carryNames = sr.st, j.Carry
	rep.Check, rep.EmptyRows, rep.RowsRead, rep.HeaderWarnings = ex.check, ex.snap.EmptyRows(), ex.check.Rows, ex.warns
	rep.checkErrors, rep.checkWarnings, rep.HeldForProblems = ex.nErr, ex.nWarn, len(ex.held)
	rep.Recovered = sr.recovered
	var inflight *InFlightError
	if errors.As(sr.err, &inflight) {
		rep.Outcome, rep.LockedUntil = OutcomeLocked, inflight.Until
		return rep, sr.err
	}
	if sr.err != nil {
		rep.Outcome = outcomeOf(ctx, sr.err, OutcomeJournalError)
		return rep, join(sr.err, record(sr.err, nil))
	}
	if err = ex.err(j.Strict); err != nil {
		rep.Outcome = outcomeOf(ctx, err, OutcomeInvalidFile)
		switch {
		case rep.Outcome != OutcomeInvalidFile:
		case errors.As(err, new(*readError)):
			err = fmt.Errorf("syncjob: %w: %w", ErrInvalidFile, err)
		default:
			err = fmt.Errorf("syncjob: %w; nothing was sent: %w", ErrInvalidFile, err)
		}
		if rep.Outcome == OutcomeInvalidFile && ex.fileErr != nil && errors.As(ex.fileErr, new(*csvspec.ParseError)) {
			var pe *csvspec.ParseError
			errors.As(ex.fileErr, &pe)
			if pe.Code == csvspec.CodeCutOff || pe.Code == csvspec.CodeUnclosedQuote {
				rep.Outcome = OutcomeRefused // a cut-off export: refused, and Force does not go past it
			}
		}
		return rep, join(err, record(err, nil))
	}

	last := sr.st
	var base *Snapshot
	if last != nil && last.active.Users()+last.marked.Users() > 0 {
		base = last.active // else nothing was ever confirmed: a first run
	}
	plan := diff(base, ex.snap, rep.Mode)
	rep.Plan = plan
	v := &verdict{posted: map[string]bool{}, gone: map[string]bool{}, confirmed: map[string]bool{}, applies: j.Applies, carry: ex.carry, held: map[string]string{},
		failed: map[string]string{}, problem: ex.problem}
	for u := range ex.held {
		v.held[u] = "problem"
	}
	if !imp.rules {
		v.applies = AppliesReplace // the one known contacts mode replaces
	}
	if j.Leavers != nil {
		v.tmpl = []string{j.Leavers.LibraryGroup, j.Leavers.SystemGroup}
	}
	if sr.lost {
		lerr := &LimitError{NoState: true, Limit: j.Limits.MaxRemovals, noun: imp.noun}
		rep.Refusal = lerr
		if !j.Force {
			rep.Outcome = OutcomeRefused
			return rep, join(lerr, record(lerr, nil))
		}
	}
	refusal := j.guard(plan, imp, v.applies, v.held)
	if refusal != nil {
		rep.Refusal = refusal
		if refusal.Held == 0 && !j.Force {
			rep.Outcome = OutcomeRefused
			return rep, join(refusal, record(refusal, nil))
		}
	}
	j.choose(plan, last, v)
	rep.verdict = v
	var heldErr error
	if refusal != nil && refusal.Held > 0 {
		heldErr = refusal
	}
	var rowsErr error // row problems, which hold their users
	if len(ex.held) > 0 || ex.noName > 0 {
		rowsErr = fmt.Errorf("syncjob: %s held for row problems, %s without a username: %w", count(len(ex.held), "user", "users"), count(ex.noName, "row", "rows"), ex.check.Err())
	}
	if !send {
		rep.Outcome = OutcomeOK
		if rowsErr != nil {
			rep.Outcome = OutcomeRowsFailed
		}
		if heldErr != nil {
			rep.Outcome = OutcomeHeld
		}
		return rep, join(join(rowsErr, heldErr), record(nil, nil))
	}

	if sess != nil && plan.stats.RowsToSend > 0 {
		run := Run{Start: rep.Start, End: time.Now(), Key: rep.Key, Mode: rep.Mode, Forced: rep.Forced, Source: cutText(rep.Source, maxRecordText),
			SHA256: rep.SHA256, RowsRead: rep.RowsRead, Outcome: OutcomePosting, SDKVersion: client.Version, InFlightUntil: inFlightUntil(ctx, rep.Start, plan)}
		st := plan.Stats()
		run.Plan = &st
		if _, werr := commit(context.WithoutCancel(ctx), sess, func(w io.Writer) (int, error) {
			return v.writeState(w, imp, last, ex.snap, true)
		}, run); werr != nil {
			rep.Outcome = OutcomeJournalError
			werr = fmt.Errorf("syncjob: nothing was sent: the journal cannot keep the state before the post: %w", werr)
			return rep, join(werr, record(werr, nil))
		}
	}

	var st client.Stats
	res, perr := imp.post(client.WithStats(ctx, &st), j.Client, plan.Rows())
	rep.Sent, rep.RowsSent, rep.HTTP, rep.Result = true, plan.stats.RowsToSend, st, res
	rep.Outcome = outcomeOf(ctx, perr, OutcomeTransportError)
	judged := false
	switch {
	case rep.Outcome == OutcomeCancelled:
	case errors.Is(perr, client.ErrUnauthorized), errors.Is(perr, client.ErrForbidden):
		rep.Outcome = OutcomeAuthError
	case res != nil && (perr == nil || errors.As(perr, new(*result.ImportError))):
		judged = true
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
	case st.HandedOver:
		rep.Outcome = OutcomeNoAnswer
	}
	if !judged {
		// The state stays the one written ahead: the users posted are
		// unconfirmed, and sent again by the next run.
		return rep, join(perr, record(perr, nil))
	}
	for u := range v.posted {
		if !v.confirmed[u] {
			rep.Unconfirmed++
		}
	}
	if heldErr != nil && (rep.Outcome == OutcomeOK || rep.Outcome == OutcomeRowsFailed) {
		rep.Outcome = OutcomeHeld
		perr = join(perr, heldErr)
	}
	state := func(w io.Writer) (int, error) { return v.writeState(w, imp, last, ex.snap, false) }
	return rep, join(perr, record(perr, state))
}
