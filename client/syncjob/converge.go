package syncjob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
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
	data, err := io.ReadAll(rc)
	if err != nil {
		return stateRead{err: fmt.Errorf("syncjob: reading the last accepted state: %w", err)}
	}
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
func (j *Job) guard(p *Plan, last *state, imp *Import, applies Applies, held map[string]string) *LimitError {
	st := p.stats
	if st.FirstRun {
		return nil
	}
	// A user the state knows without confirmed rows (never confirmed, or
	// gone and back) is a user of the last state, not a new one.
	for _, c := range p.changes {
		if c.kind == KindNew && last.knows(p.next.username(int(c.next))) {
			st.New--
			st.LastUsers++
		}
	}
	// Leavers kept before a template was set are moved with it: leavers'
	// moves, counted as users gone, but not by the wrong-file rule.
	var moves []string
	if j.Leavers != nil {
		moves = last.kept(p.next)
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
	st.Losing += len(moves)
	e := &LimitError{Limit: j.Limits.MaxRemovals, Losing: st.Losing, Gone: st.Gone + len(moves), Shrinking: st.Losing - st.Gone - len(moves), LastUsers: st.LastUsers, New: st.New, noun: imp.noun}
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
	if e.Held = j.holdLosses(p, moves, applies, held); e.Held == 0 {
		return nil // nothing to hold: under add, losses are sent and left to staff
	}
	return e
}

// holdLosses holds, for the removal limit, each user the plan would make
// lose a membership, and returns how many it held.
func (j *Job) holdLosses(p *Plan, moves []string, applies Applies, held map[string]string) int {
	n := len(held)
	for _, name := range moves {
		held[name] = "limit"
	}
	for _, c := range p.changes {
		switch {
		case c.kind == KindGone && (applies != AppliesAdd || j.Leavers != nil) && held[p.last.username(int(c.last))] == "":
			held[p.last.username(int(c.last))] = "limit"
		case c.kind == KindChanged && c.lose && applies != AppliesAdd && held[p.next.username(int(c.next))] == "":
			held[p.next.username(int(c.next))] = "limit"
		}
	}
	return len(held) - n
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
	}
	markGone(p, last, v)
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
		for _, name := range leavers(next, last, v) {
			p.extra = append(p.extra, Row{Fields: append([]string{name}, v.tmpl...)})
			v.posted[name] = true
		}
	}
	p.stats.RowsToSend = len(p.send) + len(p.extra)
}

// markGone marks in v.gone each leaver who is not held: a user gone from
// the export, or posted without an answer, never confirmed, and gone.
func markGone(p *Plan, last *state, v *verdict) {
	for _, c := range p.changes {
		if c.kind == KindGone && v.held[p.last.username(int(c.last))] == "" {
			v.gone[p.last.username(int(c.last))] = true
		}
	}
	if last == nil {
		return
	}
	for name, m := range last.meta {
		if m.unconfirmed && m.mark == "" && p.next.find(name) < 0 && last.active.find(name) < 0 && last.marked.find(name) < 0 && v.held[name] == "" {
			v.gone[name] = true
		}
	}
}

// leavers returns, sorted, the users to move with the leaver template:
// the ones gone, the ones moved before without an answer, and the ones
// kept before a template was set.
func leavers(next *snapshot, last *state, v *verdict) []string {
	var names []string
	for name := range v.gone {
		names = append(names, name)
	}
	if last != nil {
		for name, m := range last.meta {
			if m.mark == markMoved && m.unconfirmed && next.find(name) < 0 {
				names = append(names, name)
			}
		}
		for _, name := range last.kept(next) {
			if v.held[name] == "" {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	return names
}

// kept returns, sorted, the users of the state kept as leavers (marked
// left) and not back in the export next.
func (s *state) kept(next *snapshot) []string {
	var names []string
	if s == nil {
		return nil
	}
	for name, m := range s.meta {
		if m.mark == markLeft && next.find(name) < 0 {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
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

// itemsOf returns the items of rows lo to hi of s, each as a row of the
// import with only its columns filled, without repeats: by column group
// (for user groups, library groups first), then by value.
func (imp *Import) itemsOf(s *snapshot, lo, hi int32) [][]string {
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

// postedItems returns the items a run posts for user name that its
// confirmed rows (ls from llo to lhi) do not hold.
func (v *verdict) postedItems(imp *Import, name string, next *snapshot, ls *snapshot, llo, lhi int32) [][]string {
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

// writeState returns the state after a run, or, with ahead, the state to
// commit before the post: the last state with every user about to be
// posted marked unconfirmed; and the users it holds. A user written as
// the last state held them is copied from it, not encoded again.
func (v *verdict) writeState(imp *Import, last *state, next *snapshot, ahead bool) ([]byte, int) {
	if last == nil {
		last = &state{meta: map[string]*meta{}}
	}
	sw := newStateWriter(imp, len(last.raw))
	if !ahead {
		v.staff = map[string][][]string{}
		sw.onItems = func(name string, items [][]string) { v.staff[name] = items }
	}
	for u, nu := range stateUsers(last, next) {
		v.writeUser(sw, imp, next, u, nu, ahead)
	}
	return sw.buf, sw.users
}

// stateUsers yields, in username order, every user of the last state and of
// next, with their rows in the last state and their index in next (-1 if
// not in it): a merge of the sorted snapshots and of the users with meta.
func stateUsers(last *state, next *snapshot) iter.Seq2[userRows, int] {
	return func(yield func(userRows, int) bool) {
		extras := slices.Sorted(maps.Keys(last.meta))
		var ia, im, in, ie int
		for {
			name, ok := "", false
			head := func(s *snapshot, i int) {
				if i < s.Users() && (!ok || s.username(i) < name) {
					name, ok = s.username(i), true
				}
			}
			head(last.active, ia)
			head(last.marked, im)
			head(next, in)
			if ie < len(extras) && (!ok || extras[ie] < name) {
				name, ok = extras[ie], true
			}
			if !ok {
				return
			}
			u, nu := userRows{name: name}, -1
			if ie < len(extras) && extras[ie] == name {
				u.lm = last.meta[name]
				ie++
			}
			if ia < last.active.Users() && last.active.username(ia) == name {
				u.ls, u.llo, u.lhi, u.raw = last.active, last.active.users[ia], last.active.users[ia+1], last.rawOf(last.active, ia)
				ia++
			} else if im < last.marked.Users() && last.marked.username(im) == name {
				u.ls, u.llo, u.lhi, u.raw = last.marked, last.marked.users[im], last.marked.users[im+1], last.rawOf(last.marked, im)
				im++
			}
			u.fromActive = u.ls == last.active
			if in < next.Users() && next.username(in) == name {
				nu = in
				in++
			}
			if !yield(u, nu) {
				return
			}
		}
	}
}

// userRows is a user of the state being written, and their rows in the
// last state: ls is nil when they had none.
type userRows struct {
	name       string
	lm         *meta
	ls         *snapshot
	llo, lhi   int32
	fromActive bool   // ls is the last state's active snapshot
	raw        []byte // their records in the last state; nil if not known
}

// keep writes the user with their last rows and the meta m.
func (u userRows) keep(sw *stateWriter, m *meta) {
	if m == u.lm && u.raw != nil {
		sw.raw(u.name, m, u.raw)
		return
	}
	sw.user(u.name, m, u.ls, u.llo, u.lhi, nil)
}

// writeUser writes one user, at nu in next (-1: not in the export).
func (v *verdict) writeUser(sw *stateWriter, imp *Import, next *snapshot, u userRows, nu int, ahead bool) {
	name, lm := u.name, u.lm
	// A leaver is marked left or moved (unconfirmed) ahead of the post
	// too, so that a run with no answer does not count them again.
	leaving := nu < 0 && (v.gone[name] || v.posted[name])
	if (ahead && !leaving) || v.held[name] != "" || (nu < 0 && !leaving) {
		m := lm
		if ahead && v.posted[name] {
			// Infiniti may hold what is posted from now on, whatever
			// the answer: an item until a confirmed run says otherwise.
			m = lm.clone()
			m.unconfirmed = true
			m.items = union(m.items, v.postedItems(imp, name, next, u.ls, u.llo, u.lhi))
		}
		u.keep(sw, m)
		return
	}
	if nu >= 0 && !v.posted[name] && (lm == nil || len(lm.items) == 0) && u.fromActive && slices.Equal(lm.carryOf(), v.carry[name]) {
		// unchanged, with nothing to clear: the fast path of most users
		nlo, nhi := next.rowsOf(nu)
		if u.raw != nil && sameRows(u.ls, u.llo, u.lhi, next, nlo, nhi) {
			sw.raw(name, lm, u.raw)
		} else {
			sw.user(name, lm, next, nlo, nhi, nil)
		}
		return
	}
	m := lm.clone()
	var old [][]string
	if u.ls != nil {
		old = imp.itemsOf(u.ls, u.llo, u.lhi)
	}
	if nu < 0 {
		v.writeLeaver(sw, imp, next, u, m, old)
		return
	}
	v.writeStayer(sw, imp, next, u, nu, m, old)
}

// sameRows reports whether rows alo to ahi of a hold the values of rows
// blo to bhi of b.
func sameRows(a *snapshot, alo, ahi int32, b *snapshot, blo, bhi int32) bool {
	if ahi-alo != bhi-blo || a.w != b.w {
		return false
	}
	av, bv := a.vals[int(alo)*a.w:int(ahi)*a.w], b.vals[int(blo)*b.w:int(bhi)*b.w]
	for i := range av {
		if a.strs[av[i]] != b.strs[bv[i]] {
			return false
		}
	}
	return true
}

// writeStayer writes a user at nu in the export, with m, a clone of their
// meta, and old, their items in the last state.
func (v *verdict) writeStayer(sw *stateWriter, imp *Import, next *snapshot, u userRows, nu int, m *meta, old [][]string) {
	name := u.name
	nlo, nhi := next.rowsOf(nu)
	now := imp.itemsOf(next, nlo, nhi)
	m.mark = ""
	if c, ok := v.carry[name]; ok {
		m.carry = c
	}
	switch {
	case v.posted[name] && !v.confirmed[name]:
		m.unconfirmed = true
		m.items = union(m.items, v.postedItems(imp, name, next, u.ls, u.llo, u.lhi))
		u.keep(sw, m)
		return
	case v.posted[name]:
		m.unconfirmed = false
		if v.applies == AppliesReplace {
			m.items = nil
		} else {
			m.items = union(m.items, minus(old, now))
		}
	}
	m.items = minus(m.items, now)
	sw.user(name, m, next, nlo, nhi, nil)
}

// writeLeaver writes a user who left the export, with m, a clone of
// their meta, and old, their items in the last state.
func (v *verdict) writeLeaver(sw *stateWriter, imp *Import, next *snapshot, u userRows, m *meta, old [][]string) {
	name := u.name
	if v.gone[name] && v.tmpl == nil {
		m.mark, m.unconfirmed, m.items = markLeft, false, union(m.items, old)
		u.keep(sw, m)
		return
	}
	if v.gone[name] && v.applies != AppliesReplace {
		m.items = union(m.items, old)
	}
	m.mark = markMoved
	if v.failed[name] != "" {
		// Infiniti failed the template (it may never have had the user):
		// sent once, it is not sent again; what they held is for staff.
		m.unconfirmed, m.items = false, union(m.items, old)
		u.keep(sw, m)
		return
	}
	if m.unconfirmed = !v.confirmed[name]; m.unconfirmed {
		m.items = union(m.items, v.postedItems(imp, name, next, u.ls, u.llo, u.lhi))
		u.keep(sw, m)
		return
	}
	if v.applies == AppliesReplace {
		m.items = nil
	}
	sw.user(name, m, nil, 0, 0, [][]string{append([]string{name}, v.tmpl...)})
}

// runRead reads the export and the state from stateDone, and goes on
// with the run: plan, guard, write ahead, post, judge the answer, commit.
func (j *Job) runRead(ctx context.Context, rows iter.Seq2[csvspec.SourceRow, error], done func() (string, error), imp *Import, fl *failureLog, rep *Report, sess Session, stateDone <-chan stateRead,
	record func(error, func() ([]byte, int)) error, send bool) (*Report, error) {
	start := time.Now()
	ex := j.readRows(ctx, rows, imp, fl)
	if done != nil {
		ex.hashed(ctx, rep, done)
	}
	j.observe(rep, "check", start)
	sr := <-stateDone
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
		rep.Outcome = OutcomeOK
		if rowsErr != nil {
			rep.Outcome = OutcomeRowsFailed
		}
		if heldErr != nil {
			rep.Outcome = OutcomeHeld
		}
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
	if rep.HTTP.HandedOver && (rep.Outcome == OutcomeNoAnswer || rep.Outcome == OutcomeCancelled) {
		rep.LockedUntil = inFlight // Infiniti may be importing the post until then
	}
	for u := range v.posted {
		if !v.confirmed[u] {
			rep.Unconfirmed++
		}
	}
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

// newVerdict starts the verdict of a run on the export ex.
func (j *Job) newVerdict(ex *export, imp *Import) *verdict {
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
	return v
}

// refuse applies the limits to the plan: stop is the refusal that ends
// the run, held the one that only holds users.
func (j *Job) refuse(lost bool, plan *Plan, last *state, imp *Import, v *verdict, rep *Report) (held, stop error) {
	if lost {
		lerr := &LimitError{NoState: true, Limit: j.Limits.MaxRemovals, noun: imp.noun}
		rep.Refusal = lerr
		if !j.Force {
			return nil, lerr
		}
	}
	refusal := j.guard(plan, last, imp, v.applies, v.held)
	if refusal == nil {
		return nil, nil
	}
	rep.Refusal = refusal
	if refusal.Held == 0 {
		if !j.Force || refusal.Empty {
			return nil, refusal
		}
		return nil, nil
	}
	return refusal, nil
}

// rowsErr is the error of the row problems that hold their users, or nil.
func (ex *export) rowsErr() error {
	if len(ex.held) == 0 && ex.noName == 0 {
		return nil
	}
	return fmt.Errorf("syncjob: %s held for row problems, %s without a username: %w", count(len(ex.held), "user", "users"), count(ex.noName, "row", "rows"), ex.check.Err())
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
