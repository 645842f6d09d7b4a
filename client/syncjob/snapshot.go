package syncjob

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"

	"github.com/autosync-go/autosync/csvspec"
)

// A Snapshot is an export, or a state Infiniti accepted, as the set of rows
// of each user: rows keyed by username, in the import's canonical form, each
// with the line of the export it came from. Rows whose fields are all empty
// (the ",,," rows Excel leaves behind) are not in it, and a row that repeats
// an earlier row of the same user exactly is kept once, with the first line.
//
// A Snapshot is compact: group names are kept once however many users name
// them, so that 200,000 rows take a few tens of bytes each. It is read-only
// and safe for concurrent use.
type Snapshot struct {
	imp   *Import
	w     int      // fields per row
	vals  []string // the rows, w fields each: users sorted by username, a user's rows contiguous and sorted
	lines []int32  // the export line of each row; nil when not known (a state read back)
	users []int32  // the first row of each user, then the number of rows
	empty int      // rows dropped because all their fields were empty
}

// ReadSnapshot reads a user-groups export into a Snapshot. It takes the same
// options as csvspec.NewReader, such as a header map. Rows whose fields are
// all empty are dropped.
//
// ReadSnapshot does not check the export (csvspec.Check does): it returns an
// error, naming the line, for the first problem that keeps it from reading
// the rows — a header problem, a row it cannot read, an empty username —
// or for a failure to read r.
func ReadSnapshot(r io.Reader, opts ...csvspec.ReaderOption) (*Snapshot, error) {
	return readSnapshot(UserGroups, r, opts, true)
}

// NewSnapshot returns the Snapshot of rows, as if they were the data rows of
// a canonical file: the first row on line 2, below the header. Rows whose
// fields are all empty are dropped. A row with an empty username and a
// group is an error naming its line.
func NewSnapshot(rows iter.Seq[csvspec.UserGroup]) (*Snapshot, error) {
	b := newBuilder(UserGroups, true)
	line := 1
	for g := range rows {
		line++
		if err := b.add(line, []string{g.Username, g.LibraryGroup, g.SystemGroup}, nil); err != nil {
			return nil, err
		}
	}
	return b.snapshot(), nil
}

func readSnapshot(imp *Import, r io.Reader, opts []csvspec.ReaderOption, keepLines bool) (*Snapshot, error) {
	b := newBuilder(imp, true)
	if err := imp.read(r, opts, b.add); err != nil {
		return nil, err
	}
	s := b.snapshot()
	if !keepLines {
		s.lines = nil
	}
	return s, nil
}

// Import returns the import the snapshot's rows belong to.
func (s *Snapshot) Import() *Import { return s.imp }

// Users returns the number of users.
func (s *Snapshot) Users() int {
	if s == nil {
		return 0
	}
	return len(s.users) - 1
}

// Rows returns the number of rows, duplicates and all-empty rows not
// counted.
func (s *Snapshot) Rows() int {
	if s == nil {
		return 0
	}
	return int(s.users[len(s.users)-1])
}

// EmptyRows returns the number of rows that were dropped because all their
// fields were empty.
func (s *Snapshot) EmptyRows() int {
	if s == nil {
		return 0
	}
	return s.empty
}

// All returns the rows in canonical order: by username, then by their other
// fields.
func (s *Snapshot) All() iter.Seq[Row] {
	return func(yield func(Row) bool) {
		for i := range s.Rows() {
			if !yield(s.rowAt(int32(i))) {
				return
			}
		}
	}
}

// WriteTo writes the snapshot as a canonical CSV file: the import's header,
// then every row in canonical order (sorted by username, then by the other
// fields), with RFC 4180 quoting and LF line endings. It is the form the
// directory journal keeps as the last accepted state. It returns the bytes
// written and the first error of w.
func (s *Snapshot) WriteTo(w io.Writer) (int64, error) {
	return writeState(w, s, nil, nil)
}

func (s *Snapshot) fields(r int32) []string {
	i := int(r) * s.w
	return s.vals[i : i+s.w : i+s.w]
}

func (s *Snapshot) line(r int32) int {
	if s.lines == nil {
		return 0
	}
	return int(s.lines[r])
}

func (s *Snapshot) rowAt(r int32) Row { return Row{Line: s.line(r), Fields: s.fields(r)} }

func (s *Snapshot) username(u int) string { return s.vals[int(s.users[u])*s.w] }

// rowsOf returns the row range of user u.
func (s *Snapshot) rowsOf(u int) (int32, int32) { return s.users[u], s.users[u+1] }

// find returns the index of the user named name, or -1.
func (s *Snapshot) find(name string) int {
	if s == nil {
		return -1
	}
	n := s.Users()
	i, ok := slices.BinarySearchFunc(s.users[:n], name, func(first int32, name string) int {
		return strings.Compare(s.vals[int(first)*s.w], name)
	})
	if !ok {
		return -1
	}
	return i
}

// userOf returns the user a row belongs to.
func (s *Snapshot) userOf(r int32) int {
	i, found := slices.BinarySearch(s.users, r)
	if found {
		return i
	}
	return i - 1
}

// writeState writes the canonical CSV of next, where each user marked in
// keep (by index in next) has the rows it has in last instead, or none if
// last has no such user. keep may be nil.
func writeState(w io.Writer, next, last *Snapshot, keep []bool) (int64, error) {
	cw := &countWriter{w: w}
	out := csv.NewWriter(cw)
	if err := out.Write(next.imp.header); err != nil {
		return cw.n, err
	}
	write := func(s *Snapshot, lo, hi int32) error {
		for r := lo; r < hi; r++ {
			if err := out.Write(s.fields(r)); err != nil {
				return err
			}
		}
		return nil
	}
	for u := range next.Users() {
		src, lo, hi := next, next.users[u], next.users[u+1]
		if keep != nil && keep[u] {
			src, lo, hi = last, 0, 0
			if lu := last.find(next.username(u)); lu >= 0 {
				lo, hi = last.rowsOf(lu)
			}
		}
		if err := write(src, lo, hi); err != nil {
			return cw.n, err
		}
	}
	out.Flush()
	return cw.n, out.Error()
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// builder collects rows into a Snapshot.
type builder struct {
	imp    *Import
	w      int
	strict bool // stop at the first row that cannot be taken, rather than set it aside

	intern map[string]string
	ids    map[string]int32 // username -> user id, in order of first appearance
	names  []string
	uid    []int32  // user id of each row
	vals   []string // w fields of each row
	lines  []int32
	empty  int

	// In lenient mode, the rows set aside, by line: rows that could not be
	// read (nil fields) and rows with an empty username. And, once the
	// snapshot is made, the line of each duplicate row's first occurrence.
	aside map[int32][]string
	dups  map[int32]int32
}

func newBuilder(imp *Import, strict bool) *builder {
	return &builder{imp: imp, w: len(imp.header), strict: strict, intern: make(map[string]string), ids: make(map[string]int32)}
}

// errEmptyUsername is wrapped by the error for a row with an empty username.
var errEmptyUsername = errors.New("the username is empty")

// add takes one row read from line. fields is not kept.
func (b *builder) add(line int, fields []string, err error) error {
	if err != nil {
		if b.strict {
			return err
		}
		b.setAside(line, nil)
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
		b.setAside(line, slices.Clone(fields))
		return nil
	}
	id, ok := b.ids[fields[0]]
	if !ok {
		name := strings.Clone(fields[0])
		id = int32(len(b.names))
		b.ids[name] = id
		b.names = append(b.names, name)
	}
	b.uid = append(b.uid, id)
	b.vals = append(b.vals, b.names[id])
	for c := 1; c < b.w; c++ {
		b.vals = append(b.vals, b.value(c, fields[c]))
	}
	b.lines = append(b.lines, int32(line))
	return nil
}

func (b *builder) setAside(line int, fields []string) {
	if b.aside == nil {
		b.aside = make(map[int32][]string)
	}
	b.aside[int32(line)] = fields
}

// value returns v as the snapshot keeps it: interned for the columns whose
// values repeat, otherwise a copy that does not pin the reader's buffer.
func (b *builder) value(col int, v string) string {
	if v == "" {
		return ""
	}
	if !b.imp.intern[col] {
		return strings.Clone(v)
	}
	if s, ok := b.intern[v]; ok {
		return s
	}
	s := strings.Clone(v)
	b.intern[s] = s
	return s
}

// snapshot sorts the rows by user and value, drops duplicates and returns
// the Snapshot. The builder must not be used after.
func (b *builder) snapshot() *Snapshot {
	w := b.w
	nusers, nrows := len(b.names), len(b.uid)
	// Users in name order: rank[id] is the user's place.
	order := make([]int32, nusers)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, c int32) int { return strings.Compare(b.names[a], b.names[c]) })
	rank := make([]int32, nusers)
	for i, id := range order {
		rank[id] = int32(i)
	}
	order = nil
	// Counting sort of the rows by user, in line order within a user.
	start := make([]int32, nusers+1)
	for _, id := range b.uid {
		start[rank[id]+1]++
	}
	for i := 1; i <= nusers; i++ {
		start[i] += start[i-1]
	}
	perm := make([]int32, nrows)
	next := slices.Clone(start[:nusers])
	for r, id := range b.uid {
		k := rank[id]
		perm[next[k]] = int32(r)
		next[k]++
	}
	next, rank, b.uid = nil, nil, nil
	// Within each user, sort by value (then line, so that the first of
	// equal rows comes first) and drop repeats.
	s := &Snapshot{imp: b.imp, w: w, empty: b.empty,
		vals: make([]string, 0, nrows*w), lines: make([]int32, 0, nrows), users: make([]int32, 0, nusers+1)}
	cmpRows := func(x, y int32) int {
		fx, fy := b.vals[int(x)*w:int(x)*w+w], b.vals[int(y)*w:int(y)*w+w]
		for c := 1; c < w; c++ {
			if d := strings.Compare(fx[c], fy[c]); d != 0 {
				return d
			}
		}
		return int(b.lines[x]) - int(b.lines[y])
	}
	for u := range nusers {
		rows := perm[start[u]:start[u+1]]
		if len(rows) > 1 {
			slices.SortFunc(rows, cmpRows)
		}
		s.users = append(s.users, int32(len(s.lines)))
		prev := int32(-1)
		for _, r := range rows {
			f := b.vals[int(r)*w : int(r)*w+w]
			if prev >= 0 && slices.Equal(f[1:], b.vals[int(prev)*w+1:int(prev)*w+w]) {
				if !b.strict {
					if b.dups == nil {
						b.dups = make(map[int32]int32)
					}
					b.dups[b.lines[r]] = b.lines[prev]
				}
				continue
			}
			prev = r
			s.vals = append(s.vals, f...)
			s.lines = append(s.lines, b.lines[r])
		}
	}
	s.users = append(s.users, int32(len(s.lines)))
	b.vals, b.lines, b.intern, b.ids, b.names = nil, nil, nil, nil, nil
	return s
}
