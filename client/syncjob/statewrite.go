package syncjob

import (
	"iter"
	"maps"
	"slices"
)

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
