package mapping

import (
	"encoding/binary"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/autosync-go/autosync/csvspec"
)

// Rows maps source rows to rows of the import, streaming: header names
// the source's columns, and each source row's Fields are its values in
// that order (a row of an SMS export, a row of a vendor's database).
//
// Each source row yields one row for every entry of the rules whose
// "when" holds (one for each part of a split), identical rows once, in
// the import's canonical column order (csvspec.Header or
// csvspec.ContactHeader), each with the source row's Line and Carry, its
// warnings, and the entry as its Origin ("rows[1]"). A row that a skip
// entry matches, or that no entry matches when "unmatched" is "skip",
// yields nothing, whatever its username and the problems of other
// entries.
//
// A source row that the rules cannot map yields one row with the username
// (if it has one), the columns that the entry of its first problem could
// make (the others empty) and its problems, each a csvspec.SeverityError
// with the row's Line: an empty or white-space reference
// (CodeEmptyValue), a value not in a table (CodeUnmappedValue, with a
// "did you mean"), or, when "unmatched" is "hold", no entry matching
// (CodeUnmatchedRow; an entry that holds matches, even when its split has
// no parts). Each message starts with its place in the rules
// ("rows[1].library-group: "). A sync job holds that row's user.
//
// A source row with an error of its own (a csvspec.SeverityError), or
// without Fields, or with more or fewer Fields than header (given a
// csvspec.CodeFieldCount error), is passed on with its problems, its
// Fields replaced by the username alone; its warnings alone do not stop
// it from being mapped.
//
// A column the rules name that header lacks ends the sequence with an
// *Error naming it, before any row; so does a row no entry matches when
// "unmatched" is "error", a row too short to have the columns of the
// username (a record whose username cannot be read is a problem of the
// file, as csvspec.ReadRows makes it: a sync job stops and sends nothing,
// rather than take that user for a leaver), and an error of src, which
// is passed on.
func (m *Mapping) Rows(header []string, src iter.Seq2[csvspec.SourceRow, error]) iter.Seq2[csvspec.SourceRow, error] {
	return func(yield func(csvspec.SourceRow, error) bool) {
		mp, err := m.newMapper(header)
		if err != nil {
			yield(csvspec.SourceRow{}, err)
			return
		}
		for row, err := range src {
			if err != nil {
				yield(csvspec.SourceRow{}, err)
				return
			}
			if !mp.mapRow(row, yield, nil) {
				return
			}
		}
	}
}

// A mapper maps the rows of one source.
type mapper struct {
	m       *Mapping
	idx     []int    // the header position of each of m.names
	row     []string // the current row's Fields
	line    int
	store   []string   // output rows' Fields, cut from one slice
	rows    [][]string // the current row's output rows so far
	from    []string   // their entries
	ps      []csvspec.Problem
	first   string              // the entry of the first problem
	partial []string            // the row of the first entry whose columns had a problem
	memo    []map[string]string // by template id: values made, by the value of its one column
	made    map[string]*made    // what the entries made, by key
	key     []byte
	header  []string
	userEnd int               // 1 + the last header position the username names
	warn    []csvspec.Problem // the current row's warnings, for each of its rows
	parts   map[string]bool   // the parts of the current split
	seen    map[string]bool   // the current row's rows, by rowKey, once there are many
	hits    int               // recalls that found what the entries made
	misses  int
}

// maxMemo is how many values of one template a mapper remembers.
const maxMemo = 1000

func (m *Mapping) newMapper(header []string) (*mapper, error) {
	mp := &mapper{m: m, idx: make([]int, len(m.names)), memo: make([]map[string]string, m.ntmpl), made: map[string]*made{},
		header: header, parts: map[string]bool{}, seen: map[string]bool{}}
	for i, n := range m.names {
		var err error
		if mp.idx[i], err = column(header, n, "named at "+m.where[i]); err != nil {
			return nil, err
		}
	}
	for _, pt := range m.username.parts {
		if pt.ref != nil {
			mp.userEnd = max(mp.userEnd, mp.idx[pt.ref.col]+1)
		}
	}
	return mp, nil
}

// val returns the current row's value of m.names[i].
func (mp *mapper) val(i int) string {
	if p := mp.idx[i]; p < len(mp.row) {
		return mp.row[p]
	}
	return ""
}

// load sets the values of the row's named columns.
func (mp *mapper) load(row csvspec.SourceRow) {
	mp.line = row.Line
	mp.row = row.Fields
}

// mapRow maps one source row and yields its rows; it returns false when
// the sequence ends. ex, if not nil, gets the steps.
func (mp *mapper) mapRow(row csvspec.SourceRow, yield func(csvspec.SourceRow, error) bool, ex *Explanation) bool {
	m := mp.m
	mp.load(row)
	mp.rows, mp.from, mp.ps, mp.first, mp.partial, mp.warn = mp.rows[:0], mp.from[:0], nil, "", nil, nil
	user, p := mp.eval(m.username, "", 0)
	if row.Fields == nil || len(row.Problems) > 0 || len(row.Fields) != len(mp.header) {
		if ps, ok := mp.own(row); !ok {
			return mp.pass(row, user, ps, yield)
		}
	}
	recall := p == nil && ex == nil && (len(mp.made) < maxMade || mp.hits >= mp.misses) // worth its key
	if recall {
		if md := mp.recall(); md != nil {
			for i, r := range md.rows {
				f := mp.fields()
				copy(f, r)
				f[0] = user
				if !yield(csvspec.SourceRow{Fields: f, Line: row.Line, Origin: md.from[i], Carry: row.Carry, Problems: mp.warn}, nil) {
					return false
				}
			}
			return true
		}
	}
	mp.problem(p, 0, "", "username")
	fired, skip := false, false
	for _, e := range m.entries {
		if !mp.holds(e, ex) {
			continue
		}
		if fired, skip = true, e.skip; skip {
			break
		}
		mp.entryRows(e, user)
	}
	switch {
	case skip || !fired && m.unmatched == "skip" && len(mp.ps) == btoi(p != nil):
		return true // nobody's, whatever the username
	case len(mp.ps) > 0:
		return yield(mp.held(row, user, append(slices.Clone(mp.warn), mp.ps...), mp.first), nil)
	case !fired && m.unmatched == "hold":
		mp.problem(&problem{CodeUnmatchedRow, "no entry of the rules matches the row" + mp.tested()}, -1, "", "")
		return yield(mp.held(row, user, append(slices.Clone(mp.warn), mp.ps...), ""), nil)
	case !fired && m.unmatched == "error":
		yield(csvspec.SourceRow{}, &Error{Line: row.Line, Msg: "no entry of the rules matches the row" + mp.tested() + ", and unmatched is \"error\""})
		return false
	}
	if recall {
		mp.remember()
	}
	return mp.emit(row, yield)
}

// pass yields the row that cannot be mapped with its problems ps, or
// ends the sequence when its username cannot be read.
func (mp *mapper) pass(row csvspec.SourceRow, user string, ps []csvspec.Problem, yield func(csvspec.SourceRow, error) bool) bool {
	switch {
	case slices.ContainsFunc(row.Problems, func(p csvspec.Problem) bool { return p.Code == csvspec.CodeEmptyRow }):
		user = ""
	case row.Fields != nil && len(row.Fields) < mp.userEnd:
		yield(csvspec.SourceRow{}, &Error{Line: row.Line, Msg: fmt.Sprintf("the row has %d fields, not %d as the header; the username cannot be read", len(row.Fields), len(mp.header))})
		return false
	}
	return yield(mp.held(row, user, ps, ""), nil)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// own returns the row's own problems, with a CodeFieldCount error if its
// Fields do not match the header, and whether the row can be mapped: it
// has Fields and no error. The warnings of a row that can be mapped go
// to mp.warn, for each row made of it.
func (mp *mapper) own(row csvspec.SourceRow) ([]csvspec.Problem, bool) {
	ps := slices.Clone(row.Problems)
	empty := slices.ContainsFunc(ps, func(p csvspec.Problem) bool { return p.Code == csvspec.CodeEmptyRow })
	if row.Fields != nil && !empty && len(row.Fields) != len(mp.header) &&
		!slices.ContainsFunc(ps, func(p csvspec.Problem) bool { return p.Code == csvspec.CodeFieldCount }) {
		ps = append(ps, csvspec.Problem{Line: row.Line, Code: csvspec.CodeFieldCount, Severity: csvspec.SeverityError,
			Message: fmt.Sprintf("the row has %d fields, not %d as the header", len(row.Fields), len(mp.header))})
	}
	if row.Fields == nil || empty || slices.ContainsFunc(ps, func(p csvspec.Problem) bool { return p.Severity == csvspec.SeverityError }) {
		return ps, false
	}
	for i := range ps {
		if ps[i].Line == 0 {
			ps[i].Line = row.Line
		}
	}
	mp.warn = slices.Clip(ps)
	return nil, true
}

// emit yields the rows made of row.
func (mp *mapper) emit(row csvspec.SourceRow, yield func(csvspec.SourceRow, error) bool) bool {
	for i, f := range mp.rows {
		if !yield(csvspec.SourceRow{Fields: f, Line: row.Line, Origin: mp.from[i], Carry: row.Carry, Problems: mp.warn}, nil) {
			return false
		}
	}
	return true
}

// A made is what the entries made of the values of the columns they name:
// the rows, but for their username, and their entries. Exports repeat
// these values (a year, a house, a role) across many rows.
type made struct {
	rows [][]string
	from []string
}

// maxMade is how many sets of values a mapper remembers what it made of.
const maxMade = 4096

// setKey sets mp.key to the current values of the columns the entries name,
// each after its length.
func (mp *mapper) setKey() {
	mp.key = mp.key[:0]
	for i := range mp.idx {
		if v := mp.val(i); mp.m.inRows[i] {
			mp.key = binary.AppendUvarint(mp.key, uint64(len(v)))
			mp.key = append(mp.key, v...)
		}
	}
}

// recall returns what was made earlier of the current values, or nil,
// and counts its hits and misses.
func (mp *mapper) recall() *made {
	mp.setKey()
	md := mp.made[string(mp.key)]
	if md == nil {
		mp.misses++
	} else {
		mp.hits++
	}
	return md
}

// remember remembers the rows made of the current values (recall set
// the key).
func (mp *mapper) remember() {
	if len(mp.made) >= maxMade {
		return
	}
	md := &made{from: slices.Clone(mp.from)}
	for _, r := range mp.rows {
		md.rows = append(md.rows, slices.Clone(r))
	}
	mp.made[string(mp.key)] = md
}

// fields returns the Fields of a new row, cut from one slice every 512
// rows.
func (mp *mapper) fields() []string {
	w := len(mp.m.columns)
	if len(mp.store) < w {
		mp.store = make([]string, 512*w)
	}
	f := mp.store[:w:w]
	mp.store = mp.store[w:]
	return f
}

// tested returns the values of the columns the rules test, as " (Role
// "Boarder")", for the message of an unmatched row.
func (mp *mapper) tested() string {
	var parts []string
	for i, n := range mp.m.names {
		if mp.m.tests(i) {
			parts = append(parts, fmt.Sprintf("%s %q", n, mp.val(i)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// tests reports whether a "when" tests the column names[i].
func (m *Mapping) tests(i int) bool {
	for _, e := range m.entries {
		if slices.ContainsFunc(e.when, func(c cond) bool { return c.key.col == i }) {
			return true
		}
	}
	return false
}

// held returns the row that holds user for the problems ps: the
// username and, if an entry's columns made the first problem, the columns
// that entry could make.
func (mp *mapper) held(row csvspec.SourceRow, user string, ps []csvspec.Problem, origin string) csvspec.SourceRow {
	f := make([]string, len(mp.m.columns))
	if mp.partial != nil {
		copy(f, mp.partial) // what the entry made, but for its problems
	}
	f[0] = user
	for i := range ps {
		if ps[i].Line == 0 {
			ps[i].Line = row.Line
		}
	}
	return csvspec.SourceRow{Fields: f, Line: row.Line, Origin: origin, Carry: row.Carry, Problems: ps}
}

// problem adds the problem p, if not nil, of output column ci (none
// when ci < 0) of the entry origin, made at path of the rules, which its
// message starts with: "rows[1].library-group: House "PUR" is not in
// table "houses"...".
func (mp *mapper) problem(p *problem, ci int, origin, path string) {
	if p == nil {
		return
	}
	msg := p.msg
	if path != "" {
		msg = path + ": " + msg
	}
	col := ""
	if ci >= 0 {
		col = mp.m.columns[ci]
	}
	if len(mp.ps) == 0 {
		mp.first = origin
	}
	mp.ps = append(mp.ps, csvspec.Problem{Line: mp.line, Column: col, Code: p.code, Severity: csvspec.SeverityError, Message: msg})
}

// holds reports whether the entry's conditions hold for the current row,
// testing them in order up to the first that fails, and adds the problems
// of its keys; with ex it adds the step.
func (mp *mapper) holds(e *entry, ex *Explanation) bool {
	ok := true
	var why []string
	for _, c := range e.when {
		v, p := c.key.apply(mp.val(c.key.col), c.key.pipes)
		if p != nil {
			mp.problem(p, -1, e.origin, e.origin+".when."+c.text)
			ok, why = false, append(why, c.text+": "+p.msg)
			break
		}
		ok = c.test.holds(v)
		if ex != nil {
			why = append(why, fmt.Sprintf("%s is %q, wanted %s: %s", c.text, v, c.test, yesNo(ok)))
		}
		if !ok {
			break
		}
	}
	if ex != nil {
		if len(e.when) == 0 {
			why = append(why, "no when: always")
		}
		ex.Steps = append(ex.Steps, Step{Origin: e.origin, Fired: ok, Skip: e.skip, Why: strings.Join(why, "; ")})
	}
	return ok
}

// entryRows adds the rows of a fired entry, or its problems.
func (mp *mapper) entryRows(e *entry, user string) {
	if !e.split {
		mp.add(e, user, "", 0, nil)
		return
	}
	ci := slices.IndexFunc(e.out, func(t *template) bool { return t != nil && t.split != nil })
	r := e.out[ci].split
	v, p := r.apply(mp.val(r.col), r.pipes)
	if p != nil {
		mp.problem(p, ci, e.origin, e.out[ci].path)
		return
	}
	sep := r.pipes[slices.IndexFunc(r.pipes, func(p pipe) bool { return p.kind == "split" })].sep
	n := 0
	var first []string
	clear(mp.parts)
	for part := range strings.SplitSeq(v, sep) {
		if part = strings.TrimSpace(part); part != "" {
			n++
			if !mp.parts[part] {
				mp.parts[part] = true
				f := mp.add(e, user, part, n, first)
				if n == 1 {
					first = f
				}
			}
		}
	}
}

// add adds the row that e makes with the split's part and its number n,
// and returns its Fields, or nil if it has a problem. first, if not nil,
// is the row of the split's first part, whose columns that do not depend
// on the part it reuses.
func (mp *mapper) add(e *entry, user, part string, n int, first []string) []string {
	f := mp.fields()
	f[0] = user
	bad := false
	for ci, t := range e.out {
		if t == nil {
			continue
		}
		if first != nil && t.split == nil && !t.part {
			f[ci] = first[ci]
			continue
		}
		v, p := mp.eval(t, part, n)
		if p != nil {
			mp.problem(p, ci, e.origin, t.path)
			bad = true
		}
		f[ci] = v
	}
	if bad && mp.partial == nil {
		mp.partial = f
	}
	if bad {
		return nil
	}
	if !mp.repeats(f) {
		mp.rows = append(mp.rows, f)
		mp.from = append(mp.from, e.origin)
	}
	return f
}

// repeats reports whether the current row already made the row f, and
// notes f: by a scan of the first few rows, then by a map.
func (mp *mapper) repeats(f []string) bool {
	const scan = 8
	if len(mp.rows) < scan {
		return slices.ContainsFunc(mp.rows, func(r []string) bool { return slices.Equal(r, f) })
	}
	if len(mp.rows) == scan {
		clear(mp.seen)
		for _, r := range mp.rows {
			mp.seen[rowKey(r)] = true
		}
	}
	k := rowKey(f)
	if mp.seen[k] {
		return true
	}
	mp.seen[k] = true
	return false
}

// rowKey returns the fields of a row as one string, each after its length.
func rowKey(f []string) string {
	var b []byte
	for _, s := range f {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return string(b)
}

// eval returns the value of the template for the current row, with the
// split's part and its number n.
func (mp *mapper) eval(t *template, part string, n int) (string, *problem) {
	if len(t.parts) == 1 {
		return mp.value(t, t.parts[0], part, n)
	}
	memo := mp.memo[t.id]
	if t.memo >= 0 {
		if v, ok := memo[mp.val(t.memo)]; ok {
			return v, nil
		}
	}
	var b strings.Builder
	var buf [8]string // the values of the parts, to build the string in one allocation
	vals := buf[:0]
	size := 0
	for _, pt := range t.parts {
		v, p := mp.value(t, pt, part, n)
		if p != nil {
			return "", p
		}
		vals, size = append(vals, v), size+len(v)
	}
	b.Grow(size)
	for _, v := range vals {
		b.WriteString(v)
	}
	if t.memo >= 0 && len(memo) < maxMemo {
		if memo == nil {
			memo = map[string]string{}
			mp.memo[t.id] = memo
		}
		memo[mp.val(t.memo)] = b.String()
	}
	return b.String(), nil
}

// value returns the value of one part of t.
func (mp *mapper) value(t *template, pt part, part string, n int) (string, *problem) {
	r := pt.ref
	if r == nil {
		return pt.lit, nil
	}
	var v string
	var p *problem
	switch {
	case r.col < 0:
		v, p = r.apply(strconv.Itoa(n), r.pipes)
	case r == t.split:
		v, p = r.apply(part, r.afterSplit())
	default:
		v, p = r.apply(mp.val(r.col), r.pipes)
	}
	if p == nil && strings.TrimSpace(v) == "" {
		p = &problem{CodeEmptyValue, "{" + r.text + "} is empty"}
	}
	return v, p
}
