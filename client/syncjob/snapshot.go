package syncjob

import (
	"cmp"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
)

// A snapshot is an export, or a state Infiniti accepted, as the set of rows
// of each user: rows keyed by username, in the import's canonical form, each
// with the line of the export it came from. Rows whose fields are all empty
// (the ",,," rows Excel leaves behind) are not in it, and a row that repeats
// an earlier row of the same user exactly is kept once, with the first line.
//
// A snapshot is compact: values that repeat across users (group names, a
// contact's type, role and flags) are kept once however many users name
// them, so that 200,000 rows take a few tens of bytes each. It is read-only
// and safe for concurrent use.
type snapshot struct {
	imp   *Import
	w     int      // fields per row
	strs  []string // the values, each kept once per column where the import interns it
	vals  []uint32 // the rows, w indices into strs each: users sorted by username, a user's rows contiguous and sorted
	lines []int32  // the export line of each row; nil when not known (a state read back)
	users []int32  // the first row of each user, then the number of rows
	empty int      // rows dropped because all their fields were empty
}

// Users returns the number of users.
func (s *snapshot) Users() int {
	if s == nil {
		return 0
	}
	return len(s.users) - 1
}

// Rows returns the number of rows, duplicates and all-empty rows not
// counted.
func (s *snapshot) Rows() int {
	if s == nil {
		return 0
	}
	return int(s.users[len(s.users)-1])
}

// EmptyRows returns the number of rows that were dropped because all their
// fields were empty.
func (s *snapshot) EmptyRows() int {
	if s == nil {
		return 0
	}
	return s.empty
}

// fields returns a new slice with the values of row r.
func (s *snapshot) fields(r int32) []string {
	return s.fieldsInto(make([]string, s.w), r)
}

// fieldsInto fills buf, of length w, with the values of row r.
func (s *snapshot) fieldsInto(buf []string, r int32) []string {
	row := s.vals[int(r)*s.w : int(r)*s.w+s.w]
	for c, v := range row {
		buf[c] = s.strs[v]
	}
	return buf
}

// value returns the value of column c of row r.
func (s *snapshot) value(r int32, c int) string { return s.strs[s.vals[int(r)*s.w+c]] }

func (s *snapshot) line(r int32) int {
	if s.lines == nil {
		return 0
	}
	return int(s.lines[r])
}

func (s *snapshot) rowAt(r int32) Row { return Row{Line: s.line(r), Fields: s.fields(r)} }

func (s *snapshot) username(u int) string { return s.value(s.users[u], 0) }

// rowsOf returns the row range of user u.
func (s *snapshot) rowsOf(u int) (int32, int32) { return s.users[u], s.users[u+1] }

// find returns the index of the user named name, or -1.
func (s *snapshot) find(name string) int {
	if s == nil {
		return -1
	}
	n := s.Users()
	i, ok := slices.BinarySearchFunc(s.users[:n], name, func(first int32, name string) int {
		return strings.Compare(s.value(first, 0), name)
	})
	if !ok {
		return -1
	}
	return i
}

// builder collects rows into a snapshot.
type builder struct {
	imp    *Import
	w      int
	strict bool // stop at the first row that cannot be taken, rather than count it

	strs   []string            // as in snapshot; strs[0] is ""
	intern []map[string]uint32 // per column, for the columns the import interns
	last   []uint32            // per column, the index of the previous row's value

	// Runs of rows: a block of consecutive rows with the same username.
	// Runs of the same user are merged when the snapshot is made, by
	// sorting them by name: no map of usernames is needed, and exports
	// list a user's rows together, so there are about as many runs as
	// users.
	names []uint32 // the username of each run, as an index into strs

	uid   []int32  // the run of each row
	vals  []uint32 // w indices of each row
	lines []int32
	empty int

	// seen, when not nil, maps the hash of a row's values to the first row
	// kept with that hash, so that a row repeating an earlier one is
	// dropped at once: the builder then grows with the distinct rows of an
	// export, not with its size. (A row whose hash matches a different
	// row is kept; the snapshot drops duplicates exactly.)
	seen *rowSet
	seed maphash.Seed

	// In lenient mode, the rows that could not be taken: rows that could
	// not be read and rows with an empty username, counted, with the line
	// of the first.
	bad, firstBad int
}

func newBuilder(imp *Import, strict bool) *builder {
	w := len(imp.header)
	b := &builder{imp: imp, w: w, strict: strict, strs: []string{""}, intern: make([]map[string]uint32, w), last: make([]uint32, w)}
	for c := 1; c < w; c++ {
		if imp.intern[c] {
			b.intern[c] = make(map[string]uint32)
		}
	}
	return b
}

// dedupe makes the builder drop a row that repeats an earlier one as it
// is added. A state the journal wrote has no such rows; an export may.
func (b *builder) dedupe() *builder {
	b.seen, b.seed = &rowSet{}, maphash.MakeSeed()
	return b
}

// errEmptyUsername is wrapped by the error for a row with an empty username.
var errEmptyUsername = errors.New("the username is empty")

// add takes one row read from line. fields is not kept.
func (b *builder) add(line int, fields []string, err error) error {
	if err != nil {
		if b.strict {
			return err
		}
		b.setAside(line)
		return nil
	}
	if len(fields) != b.w {
		return fmt.Errorf("syncjob: line %d has %d fields, the %s import has %d", line, len(fields), b.imp.name, b.w)
	}
	if !slices.ContainsFunc(fields, func(f string) bool { return f != "" }) {
		b.empty++ // an Excel leftover (",,,"): the one place such rows are dropped
		return nil
	}
	if fields[0] == "" {
		if b.strict {
			return fmt.Errorf("syncjob: line %d: %w; every row needs the username of an existing Infiniti user, or remove the row", line, errEmptyUsername)
		}
		b.setAside(line)
		return nil
	}
	r := int32(len(b.uid))
	if b.seen != nil {
		h := b.hash(fields)
		if first, ok := b.seen.addOrGet(h, r); ok && b.sameAs(first, fields) {
			return nil // a repeat: the snapshot keeps the first
		}
	}
	id := b.run(fields[0])
	b.uid = append(grow(b.uid, 1), id)
	b.vals = append(grow(b.vals, b.w), b.names[id])
	for c := 1; c < b.w; c++ {
		b.vals = append(b.vals, b.value(c, fields[c]))
	}
	b.lines = append(grow(b.lines, 1), int32(line))
	return nil
}

// rowSet maps the hash of a row to the first row with that hash: an
// open-addressing table, lighter than a map for this one use.
type rowSet struct {
	hashes []uint64
	rows   []int32 // the row + 1; 0 for an empty slot
	n      int
}

// addOrGet returns the row kept with hash h and true, or adds row r with
// it and returns false.
func (s *rowSet) addOrGet(h uint64, r int32) (int32, bool) {
	if 2*(s.n+1) > len(s.rows) {
		s.grow()
	}
	mask := uint64(len(s.rows) - 1)
	for i := slot(h, mask); ; i = (i + 1) & mask {
		switch {
		case s.rows[i] == 0:
			s.hashes[i], s.rows[i] = h, r+1
			s.n++
			return 0, false
		case s.hashes[i] == h:
			return s.rows[i] - 1, true
		}
	}
}

// slot returns the first slot of hash h in a table of mask+1 slots.
func slot(h, mask uint64) uint64 { return (h * 0x9e3779b97f4a7c15 >> 32) & mask }

func (s *rowSet) grow() {
	old, oldRows := s.hashes, s.rows
	size := max(1024, 2*len(oldRows))
	s.hashes, s.rows = make([]uint64, size), make([]int32, size)
	mask := uint64(size - 1)
	for j, r := range oldRows {
		if r == 0 {
			continue
		}
		i := slot(old[j], mask)
		for s.rows[i] != 0 {
			i = (i + 1) & mask
		}
		s.hashes[i], s.rows[i] = old[j], r
	}
}

// hash returns the hash of a row's values.
func (b *builder) hash(fields []string) uint64 {
	var h uint64
	for _, f := range fields {
		h = (h ^ maphash.String(b.seed, f)) * 0x100000001b3
	}
	return h
}

// sameAs reports whether row r has the values fields.
func (b *builder) sameAs(r int32, fields []string) bool {
	row := b.vals[int(r)*b.w : int(r)*b.w+b.w]
	for c, v := range row {
		if b.strs[v] != fields[c] {
			return false
		}
	}
	return true
}

// grow makes room for n more elements in s, doubling its capacity when it
// is full: append grows large slices by a quarter only, which copies them
// over and over.
func grow[T any](s []T, n int) []T {
	if len(s)+n <= cap(s) {
		return s
	}
	return slices.Grow(s, max(n, len(s), 256))
}

// run returns the run of a row of the user named name: the run of the row
// before if it has the same name, else a new one.
func (b *builder) run(name string) int32 {
	n := len(b.names)
	if n > 0 && name == b.strs[b.names[n-1]] {
		return int32(n - 1)
	}
	b.names = append(grow(b.names, 1), b.add1(name))
	return int32(n)
}

// add1 keeps a copy of v, which must not pin the reader's buffer, and
// returns its index.
func (b *builder) add1(v string) uint32 {
	b.strs = append(grow(b.strs, 1), strings.Clone(v))
	return uint32(len(b.strs) - 1)
}

func (b *builder) setAside(line int) {
	if b.bad == 0 {
		b.firstBad = line
	}
	b.bad++
}

// value returns the index of v in column col: the same index as the row
// before, an interned one for the columns whose values repeat, or a new
// one.
func (b *builder) value(col int, v string) uint32 {
	if v == "" {
		return 0
	}
	if last := b.last[col]; b.strs[last] == v {
		return last
	}
	m := b.intern[col]
	if m == nil {
		b.last[col] = b.add1(v)
		return b.last[col]
	}
	i, ok := m[v]
	if !ok {
		i = b.add1(v)
		m[b.strs[i]] = i
	}
	b.last[col] = i
	return i
}

// snapshot sorts the rows by user and value, drops duplicates and returns
// the snapshot. The builder must not be used after.
func (b *builder) snapshot() *snapshot {
	w := b.w
	nruns, nrows := len(b.names), len(b.uid)
	strs := b.strs
	// Runs in name order (already so for a state read back, which costs
	// one comparison per run); rank[run] is the place of its user.
	order := make([]int32, nruns)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, c int32) int {
		if d := strings.Compare(strs[b.names[a]], strs[b.names[c]]); d != 0 {
			return d
		}
		return cmp.Compare(a, c)
	})
	rank := make([]int32, nruns)
	nusers := 0
	for i, id := range order {
		if i > 0 && strs[b.names[id]] != strs[b.names[order[i-1]]] {
			nusers++
		}
		rank[id] = int32(nusers)
	}
	if nruns > 0 {
		nusers++
	}
	order = nil
	rankOf := func(id int32) int32 { return rank[id] }
	// Counting sort of the rows by user, in line order within a user.
	start := make([]int32, nusers+1)
	for _, id := range b.uid {
		start[rankOf(id)+1]++
	}
	for i := 1; i <= nusers; i++ {
		start[i] += start[i-1]
	}
	perm := make([]int32, nrows)
	next := slices.Clone(start[:nusers])
	for r, id := range b.uid {
		k := rankOf(id)
		perm[next[k]] = int32(r)
		next[k]++
	}
	next, rank, b.uid = nil, nil, nil
	// Within each user, sort by value (then line, so that the first of
	// equal rows comes first) and drop repeats.
	s := &snapshot{imp: b.imp, w: w, empty: b.empty, strs: strs,
		vals: make([]uint32, 0, nrows*w), lines: make([]int32, 0, nrows), users: make([]int32, 0, nusers+1)}
	row := func(r int32) []uint32 { return b.vals[int(r)*w : int(r)*w+w] }
	cmpRows := func(x, y int32) int {
		fx, fy := row(x), row(y)
		for c := 1; c < w; c++ {
			if fx[c] != fy[c] {
				if d := strings.Compare(strs[fx[c]], strs[fy[c]]); d != 0 {
					return d
				}
			}
		}
		return int(b.lines[x]) - int(b.lines[y])
	}
	sameRow := func(x, y int32) bool {
		fx, fy := row(x), row(y)
		for c := 1; c < w; c++ {
			if fx[c] != fy[c] && strs[fx[c]] != strs[fy[c]] {
				return false
			}
		}
		return true
	}
	for u := range nusers {
		rows := perm[start[u]:start[u+1]]
		if len(rows) > 1 {
			slices.SortFunc(rows, cmpRows)
		}
		s.users = append(s.users, int32(len(s.lines)))
		prev := int32(-1)
		for _, r := range rows {
			if prev >= 0 && sameRow(prev, r) {
				continue
			}
			prev = r
			s.vals = append(s.vals, row(r)...)
			s.lines = append(s.lines, b.lines[r])
		}
	}
	s.users = append(s.users, int32(len(s.lines)))
	b.vals, b.lines, b.intern, b.names, b.strs, b.seen = nil, nil, nil, nil, nil, nil
	return s
}
