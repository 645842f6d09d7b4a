package syncjob

import "slices"

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
	unchanged bool                  // a night of no updates: no user is newly gone, no kept leaver is moved
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
func (j *Job) guard(p *Plan, last *state, imp *Import, v *verdict) *LimitError {
	applies, held := v.applies, v.held
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
	if j.Leavers != nil && !v.unchanged {
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
// full mode, none of a held user (nor, on a night of no updates, of an
// unconfirmed user that is not a leaver); and the leaver template for
// each leaver to move.
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
		if v.held[name] != "" || v.unchanged && last.metaOf(name).unconfirmedOnly() {
			continue // on a night of no updates, its last confirmed rows would undo what Infiniti applied
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
	if last == nil || v.unchanged {
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
			if v.held[name] == "" && !v.unchanged {
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

// unconfirmedOnly reports whether the user was posted without an answer
// and is not a leaver.
func (m *meta) unconfirmedOnly() bool { return m != nil && m.unconfirmed && m.mark == "" }

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
	refusal := j.guard(plan, last, imp, v)
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
