package syncjob

import (
	"cmp"
	"encoding/csv"
	"iter"
	"slices"
	"strings"
)

// Mode says which rows a plan sends.
type Mode string

// The modes of a plan.
const (
	// ModeIncremental sends every row of each new or changed user.
	ModeIncremental Mode = "incremental"
	// ModeFull sends every row of the export: a periodic full resync.
	ModeFull Mode = "full"
)

// Kind is how a user of a plan changed since the last accepted state.
type Kind int

// The kinds of change a plan lists. Unchanged users are counted, not listed.
const (
	KindNew     Kind = iota + 1 // in the export, not in the last state
	KindChanged                 // in both, holding something different
	KindGone                    // in the last state, not in the export
)

// String returns "new", "changed" or "gone".
func (k Kind) String() string {
	switch k {
	case KindNew:
		return "new"
	case KindChanged:
		return "changed"
	case KindGone:
		return "gone"
	}
	return "Kind(" + itoa(int(k)) + ")"
}

// MarshalText encodes the kind as its String.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// An Item is one thing a user holds in Infiniti through an import: for user
// groups, one library group or one system group; for contacts, one contact
// row.
type Item struct {
	// Column is the column that holds it, such as "library-group"; for an
	// item of several columns (a contact), their names joined with commas.
	Column string
	// Value is its value, such as "Gold"; for an item of several columns,
	// their values as one CSV record, without the line break:
	// email,guardian,False,"Smith, Jo",jo@example.com,,OVERDUE.
	Value string
}

// String returns "column=value".
func (it Item) String() string { return it.Column + "=" + it.Value }

// A UserChange is one user who is new, changed or gone, with what the user
// gains and loses.
type UserChange struct {
	Username string `json:"username"`          // the user
	Kind     Kind   `json:"kind"`              // new, changed or gone
	Added    []Item `json:"added,omitempty"`   // what the export gives the user that the last state did not
	Removed  []Item `json:"removed,omitempty"` // what the last state gave the user that the export does not; for a gone user, all of it
}

// PlanStats are the counts of a plan.
type PlanStats struct {
	Mode      Mode `json:"mode"`            // which rows the plan sends
	FirstRun  bool `json:"first_run"`       // no last accepted state: nothing to compare, every row is sent, no limit applies
	LastUsers int  `json:"last_users"`      // users in the last accepted state
	Users     int  `json:"users"`           // users in the export
	Rows      int  `json:"rows"`            // distinct rows in the export
	New       int  `json:"users_new"`       // users in the export, not in the last state
	Changed   int  `json:"users_changed"`   // users in both, holding something different
	Unchanged int  `json:"users_unchanged"` // users in both, holding the same
	Gone      int  `json:"users_gone"`      // in the last state, not in the export: never sent, so Infiniti keeps what they had
	// Losing is the number of users who would lose something: the gone
	// users and the changed users who lose at least one item. The removal
	// limit counts them.
	Losing     int `json:"users_losing"`
	Added      int `json:"added"`        // items (memberships for user groups, contact rows for contacts) that users gain, a new user's included
	Removed    int `json:"removed"`      // items that users lose, a gone user's included
	RowsToSend int `json:"rows_to_send"` // rows the plan posts: every row of each new or changed user (every row, in ModeFull)
}

// A Plan is what a sync would do: every user classified against the last
// accepted state, and the rows to send. Make it with Diff or diffFull.
type Plan struct {
	imp        *Import
	last, next *Snapshot // last is nil on a first run
	stats      PlanStats
	changes    []change
	send       []int32 // rows of next, in the order they are posted
	extra      []Row   // rows posted after them: the leaver template's
}

type change struct {
	kind       Kind
	last, next int32 // user indices; -1 where the user is absent
	lose       bool  // the user loses something (a gone user, or a changed one losing an item)
}

// Diff plans an incremental sync from last, the state Infiniti last
// accepted, to next, the export. The rows to send are every row of each new
// or changed user; unchanged users are not sent, and users gone from the
// export are never sent. A nil last means there is no state yet (a first
// run): every row is sent. A nil next is an empty export.
//
// Users are compared by what they hold (for user groups, the set of library
// groups and the set of system groups; for contacts, the set of contact
// rows), not by how the rows spell it or in which order they come.
// Diff panics if the snapshots are of different imports (by Import.Name).
func Diff(last, next *Snapshot) *Plan { return diff(last, next, ModeIncremental) }

// diffFull is Diff, except that every row of next is sent: a full resync
// that is still counted and guarded against last.
func diffFull(last, next *Snapshot) *Plan { return diff(last, next, ModeFull) }

func diff(last, next *Snapshot, mode Mode) *Plan {
	imp := userGroups
	switch {
	case next != nil:
		imp = next.imp
	case last != nil:
		imp = last.imp
	}
	if next == nil {
		next = (&builder{imp: imp, w: len(imp.header)}).snapshot()
	}
	if last != nil && last.imp.name != next.imp.name {
		panic("syncjob: Diff of snapshots of different imports (" + last.imp.name + ", " + next.imp.name + ")")
	}
	p := &Plan{imp: imp, last: last, next: next}
	st := &p.stats
	st.Mode, st.FirstRun = mode, last == nil
	st.LastUsers, st.Users, st.Rows = last.Users(), next.Users(), next.Rows()
	sendAll := mode == ModeFull || last == nil
	var sendUsers []int32
	var ib [2][16]item
	i, j, nl, nn := 0, 0, last.Users(), next.Users()
	for i < nl || j < nn {
		c := 0
		switch {
		case i == nl:
			c = 1
		case j == nn:
			c = -1
		default:
			c = strings.Compare(last.username(i), next.username(j))
		}
		switch {
		case c < 0: // gone
			p.changes = append(p.changes, change{KindGone, int32(i), -1, true})
			st.Removed += len(last.items(i, ib[0][:0]))
			st.Gone++
			st.Losing++
			i++
		case c > 0: // new
			p.changes = append(p.changes, change{KindNew, -1, int32(j), false})
			st.Added += len(next.items(j, ib[1][:0]))
			st.New++
			sendUsers = append(sendUsers, int32(j))
			j++
		default:
			changed, lose := !last.sameRows(i, next, j), false
			if changed {
				a := last.items(i, ib[0][:0])
				b := next.items(j, ib[1][:0])
				added, removed := itemDiff(imp, a, b, nil, nil)
				changed = added > 0 || removed > 0
				st.Added += added
				st.Removed += removed
				if lose = removed > 0; lose {
					st.Losing++
				}
			}
			if changed {
				p.changes = append(p.changes, change{KindChanged, int32(i), int32(j), lose})
				st.Changed++
				sendUsers = append(sendUsers, int32(j))
			} else {
				st.Unchanged++
				if sendAll {
					sendUsers = append(sendUsers, int32(j))
				}
			}
			i++
			j++
		}
	}
	p.send = next.postingOrder(sendUsers)
	st.RowsToSend = len(p.send)
	return p
}

// Stats returns the plan's counts.
func (p *Plan) Stats() PlanStats { return p.stats }

// Mode returns ModeIncremental for a plan of Diff, ModeFull for diffFull.
func (p *Plan) Mode() Mode { return p.stats.Mode }

// Rows returns the rows to send, in the order they are posted: each user's
// rows together, the users in the order they first appear in the export,
// a user's rows in export order. Each row carries its export line.
func (p *Plan) Rows() iter.Seq[Row] {
	return func(yield func(Row) bool) {
		for _, r := range p.send {
			if !yield(p.next.rowAt(r)) {
				return
			}
		}
		for _, r := range p.extra {
			if !yield(r) {
				return
			}
		}
	}
}

// Users returns the users who are new, changed or gone, in username order,
// each with what it gains and loses.
func (p *Plan) Users() iter.Seq[UserChange] {
	return func(yield func(UserChange) bool) {
		for _, c := range p.changes {
			uc := UserChange{Kind: c.kind}
			var a, b []item
			if c.last >= 0 {
				uc.Username = p.last.username(int(c.last))
				a = p.last.items(int(c.last), nil)
			}
			if c.next >= 0 {
				uc.Username = p.next.username(int(c.next))
				b = p.next.items(int(c.next), nil)
			}
			itemDiff(p.imp, a, b, &uc.Added, &uc.Removed)
			if !yield(uc) {
				return
			}
		}
	}
}

// sameRows reports whether user u of s has exactly the rows of user v of o.
func (s *Snapshot) sameRows(u int, o *Snapshot, v int) bool {
	lo, hi := s.rowsOf(u)
	olo, ohi := o.rowsOf(v)
	if hi-lo != ohi-olo {
		return false
	}
	a, b := s.vals[int(lo)*s.w:int(hi)*s.w], o.vals[int(olo)*o.w:int(ohi)*o.w]
	for i := range a {
		if s.strs[a[i]] != o.strs[b[i]] {
			return false
		}
	}
	return true
}

// item is one thing a user holds: the values of column group g of row r of
// snapshot s.
type item struct {
	s *Snapshot
	g int
	r int32
}

// items returns what user u holds, sorted and without repeats, appended to
// buf.
func (s *Snapshot) items(u int, buf []item) []item {
	lo, hi := s.rowsOf(u)
	for r := lo; r < hi; r++ {
		row := s.vals[int(r)*s.w : int(r)*s.w+s.w]
		for g, cols := range s.imp.items {
			if slices.ContainsFunc(cols, func(c int) bool { return row[c] != 0 }) {
				buf = append(buf, item{s, g, r})
			}
		}
	}
	cmpItem := func(a, b item) int { return compareItems(s.imp, a, b) }
	slices.SortFunc(buf, cmpItem)
	return slices.CompactFunc(buf, func(a, b item) bool { return cmpItem(a, b) == 0 })
}

func compareItems(imp *Import, a, b item) int {
	if a.g != b.g {
		return cmp.Compare(a.g, b.g)
	}
	for _, c := range imp.items[a.g] {
		if d := strings.Compare(a.s.value(a.r, c), b.s.value(b.r, c)); d != 0 {
			return d
		}
	}
	return 0
}

// itemDiff counts the items of b not in a (added) and of a not in b
// (removed), both sorted, and appends them to *added and *removed when
// those are not nil.
func itemDiff(imp *Import, a, b []item, added, removed *[]Item) (int, int) {
	na, nr := 0, 0
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		c := 0
		switch {
		case i == len(a):
			c = 1
		case j == len(b):
			c = -1
		default:
			c = compareItems(imp, a[i], b[j])
		}
		switch {
		case c < 0:
			nr++
			if removed != nil {
				*removed = append(*removed, imp.itemOf(a[i]))
			}
			i++
		case c > 0:
			na++
			if added != nil {
				*added = append(*added, imp.itemOf(b[j]))
			}
			j++
		default:
			i++
			j++
		}
	}
	return na, nr
}

// itemOf returns an item for people: the column names of its group and its
// values, joined with commas (the values as a CSV record) when the group has
// several columns.
func (imp *Import) itemOf(it item) Item {
	cols := imp.items[it.g]
	if len(cols) == 1 {
		return Item{Column: imp.header[cols[0]], Value: it.s.value(it.r, cols[0])}
	}
	names := make([]string, len(cols))
	vals := make([]string, len(cols))
	for k, c := range cols {
		names[k], vals[k] = imp.header[c], it.s.value(it.r, c)
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write(vals) // a strings.Builder does not fail
	w.Flush()
	return Item{Column: strings.Join(names, ","), Value: strings.TrimSuffix(b.String(), "\n")}
}

// postingOrder returns the rows of users in the order they are posted: the
// users by the first line they appear on, each user's rows by line.
func (s *Snapshot) postingOrder(users []int32) []int32 {
	first := func(u int32) int32 {
		lo, hi := s.rowsOf(int(u))
		m := int32(0)
		if s.lines != nil {
			m = slices.Min(s.lines[lo:hi])
		}
		return m
	}
	type ukey struct{ u, line int32 }
	keys := make([]ukey, len(users))
	n := 0
	for k, u := range users {
		keys[k] = ukey{u, first(u)}
		lo, hi := s.rowsOf(int(u))
		n += int(hi - lo)
	}
	slices.SortStableFunc(keys, func(a, b ukey) int { return cmp.Compare(a.line, b.line) })
	out := make([]int32, 0, n)
	for _, k := range keys {
		lo, hi := s.rowsOf(int(k.u))
		start := len(out)
		for r := lo; r < hi; r++ {
			out = append(out, r)
		}
		if s.lines != nil && hi-lo > 1 {
			slices.SortFunc(out[start:], func(a, b int32) int { return cmp.Compare(s.lines[a], s.lines[b]) })
		}
	}
	return out
}
