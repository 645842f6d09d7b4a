package syncjob

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/autosync-go/autosync/csvspec"
)

// The state's format. Its first record is "autosync-state,<version>,<import>";
// every other record starts with its kind and the username:
//
//	u,<username>,<unconfirmed 0|1>,<mark>,<carry...>   the user's flags, before its rows
//	r,<username>,<other fields of the import>            one last confirmed row
//	i,<username>,<other fields of the import>            one for-staff item (only its columns filled)
//
// Users come in username order. A state written by the package before the
// format had a version (the import's canonical CSV, header first) is read as
// every user confirmed, without marks, items or carried values.
const (
	stateMagic   = "autosync-state"
	stateVersion = 2
)

// The marks of a user gone from the export.
const (
	markLeft  = "left"  // kept in Infiniti as it was (Job.Leavers keep)
	markMoved = "moved" // sent once with the leaver template
)

// meta is what the state keeps of a user besides its confirmed rows.
type meta struct {
	unconfirmed bool
	mark        string
	items       [][]string // rows of the import with the username and the item's columns filled
	carry       []string
}

func (m *meta) zero() bool {
	return m == nil || (!m.unconfirmed && m.mark == "" && len(m.items) == 0 && len(m.carry) == 0)
}

func (m *meta) clone() *meta {
	if m == nil {
		return &meta{}
	}
	c := *m
	c.items = slices.Clone(m.items)
	return &c
}

// state is the last accepted state: the confirmed rows of the users in the
// export (active) and of those gone from it (marked), and each user's meta.
type state struct {
	active *snapshot
	marked *snapshot
	meta   map[string]*meta

	raw                  []byte  // the bytes the state was read from; nil for the older format
	activeRaw, markedRaw []int64 // where each user of active and of marked is in raw: 2 offsets a user
}

func (s *state) metaOf(u string) *meta {
	if s == nil {
		return nil
	}
	return s.meta[u]
}

// knows reports whether the state holds user u: confirmed, unconfirmed,
// left or moved.
func (s *state) knows(u string) bool {
	return s != nil && (s.meta[u] != nil || s.active.find(u) >= 0 || s.marked.find(u) >= 0)
}

// users returns the number of users the state holds.
func (s *state) users() int {
	if s == nil {
		return 0
	}
	n := s.active.Users() + s.marked.Users()
	for u := range s.meta {
		if s.active.find(u) < 0 && s.marked.find(u) < 0 {
			n++
		}
	}
	return n
}

// rows yields the rows of the state's active users, each with its
// carried values: the export of a night of no updates.
func (s *state) rows() iter.Seq2[csvspec.SourceRow, error] {
	return func(yield func(csvspec.SourceRow, error) bool) {
		if s == nil {
			return
		}
		for u := range s.active.Users() {
			carry := s.metaOf(s.active.username(u)).carryOf()
			lo, hi := s.active.rowsOf(u)
			for r := lo; r < hi; r++ {
				if !yield(csvspec.SourceRow{Fields: s.active.fields(r), Carry: carry}, nil) {
					return
				}
			}
		}
	}
}

// errStateVersion is matched by the error of a state of a newer format.
var errStateVersion = errors.New("the state is of a newer format")

// parseState reads a state of either format from data. A state of the
// current format keeps data and where each user's records are in it, so
// that a commit copies the users it does not change rather than encode
// them again.
func parseState(imp *Import, data []byte) (*state, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	first, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("it has no header")
	}
	if err != nil {
		return nil, err
	}
	sp := &stateParser{st: &state{meta: map[string]*meta{}}, act: newBuilder(imp, true), mk: newBuilder(imp, true), width: len(imp.header) + 1}
	if len(first) > 0 && strings.TrimPrefix(first[0], "\ufeff") != stateMagic {
		// The canonical CSV of older versions: every user confirmed.
		if !slices.Equal(first, imp.header) && !slices.Equal(append([]string{strings.TrimPrefix(first[0], "\ufeff")}, first[1:]...), imp.header) {
			return nil, errors.New("it has no header")
		}
		err = eachRecord(cr, func(line int, rec []string, _, _ int64) error { return sp.act.add(line, rec, nil) })
	} else if err = checkStateHead(imp, first); err == nil {
		sp.st.raw = data
		if err = eachRecord(cr, sp.record); err == nil {
			sp.endUser()
		}
	}
	if err != nil {
		return nil, err
	}
	sp.st.active, sp.st.marked = sp.act.snapshot(), sp.mk.snapshot()
	return sp.st, nil
}

// checkStateHead checks the first line of a state of the current format:
// its magic, version and import.
func checkStateHead(imp *Import, first []string) error {
	if len(first) < 3 {
		return errors.New("its first line does not name its format")
	}
	v, err := strconv.Atoi(first[1])
	switch {
	case err != nil || v < 1:
		return fmt.Errorf("its format version %q is not a number", first[1])
	case v > stateVersion:
		return fmt.Errorf("%w: version %d, where this version of the package reads up to %d", errStateVersion, v, stateVersion)
	case first[2] != imp.name:
		return fmt.Errorf("it is a state of the %s import", first[2])
	}
	return nil
}

// eachRecord calls f with each record of cr, its line and the offsets of
// its start and end in the input, until the end or an error.
func eachRecord(cr *csv.Reader, f func(line int, rec []string, lo, hi int64) error) error {
	for {
		lo := cr.InputOffset()
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		line, _ := cr.FieldPos(0)
		if err := f(line, rec, lo, cr.InputOffset()); err != nil {
			return err
		}
	}
}

// A stateParser reads the records of a state of the current format.
type stateParser struct {
	st      *state
	act, mk *builder // the active and the marked users' rows
	width   int      // the fields of an "r" or "i" record
	cur     string   // the user of the records being read
	curMeta *meta
	in      *builder // the builder of the current user's rows; nil if none yet
	lo, hi  int64    // the span of the current user's records
}

// endUser notes where the current user's records are, for a user with rows.
func (sp *stateParser) endUser() {
	switch sp.in {
	case sp.act:
		sp.st.activeRaw = append(sp.st.activeRaw, sp.lo, sp.hi)
	case sp.mk:
		sp.st.markedRaw = append(sp.st.markedRaw, sp.lo, sp.hi)
	}
}

// record reads one record of the state, at line, from lo to hi in the input.
func (sp *stateParser) record(line int, rec []string, lo, hi int64) error {
	if len(rec) < 2 || rec[1] == "" {
		return fmt.Errorf("line %d has no username", line)
	}
	name := rec[1]
	if name != sp.cur {
		if name < sp.cur {
			return fmt.Errorf("line %d is out of order", line)
		}
		sp.endUser()
		sp.cur, sp.curMeta, sp.in, sp.lo = name, nil, nil, lo
	}
	sp.hi = hi
	switch rec[0] {
	case "u":
		if len(rec) < 4 {
			return fmt.Errorf("line %d has %d fields", line, len(rec))
		}
		sp.curMeta = &meta{unconfirmed: rec[2] == "1", mark: rec[3]}
		if len(rec) > 4 {
			sp.curMeta.carry = slices.Clone(rec[4:])
		}
		sp.st.meta[name] = sp.curMeta
		return nil
	case "r", "i":
		if len(rec) != sp.width {
			return fmt.Errorf("line %d has %d fields, want %d", line, len(rec), sp.width)
		}
	default:
		return fmt.Errorf("line %d is of an unknown kind %q", line, rec[0])
	}
	if rec[0] == "i" {
		if sp.curMeta == nil {
			sp.curMeta = &meta{}
			sp.st.meta[name] = sp.curMeta
		}
		sp.curMeta.items = append(sp.curMeta.items, slices.Clone(rec[1:]))
		return nil
	}
	sp.in = sp.act
	if sp.curMeta != nil && sp.curMeta.mark != "" {
		sp.in = sp.mk
	}
	return sp.in.add(line, rec[1:], nil)
}

// rawOf returns the records of user u of s, one of the state's snapshots,
// as the state was read; nil when not known.
func (s *state) rawOf(sn *snapshot, u int) []byte {
	spans := s.activeRaw
	if sn == s.marked {
		spans = s.markedRaw
	}
	if sn == nil || 2*u+1 >= len(spans) {
		return nil
	}
	raw := s.raw[spans[2*u]:spans[2*u+1]]
	if !bytes.HasSuffix(raw, []byte{'\n'}) {
		return nil // the last line of a file without a line end: encoded again
	}
	return raw
}

// stateWriter writes a state of the current format into memory, one user
// at a time, in username order.
type stateWriter struct {
	buf     []byte
	users   int
	onItems func(name string, items [][]string) // if not nil, called with each user's items
}

// newStateWriter starts a state of about size bytes.
func newStateWriter(imp *Import, size int) *stateWriter {
	sw := &stateWriter{buf: make([]byte, 0, size+size/8+512)}
	sw.record(stateMagic, []string{strconv.Itoa(stateVersion), imp.name})
	return sw
}

// user writes one user: its meta, its confirmed rows (rows of s from lo to
// hi, or none if s is nil, then the rows of extra) and its items.
func (sw *stateWriter) user(name string, m *meta, s *snapshot, lo, hi int32, extra [][]string) {
	if s == nil {
		lo, hi = 0, 0
	}
	if hi == lo && len(extra) == 0 && m.zero() {
		return // nothing to remember
	}
	sw.users++
	if m != nil && (m.unconfirmed || m.mark != "" || len(m.carry) > 0) {
		flag := "0"
		if m.unconfirmed {
			flag = "1"
		}
		sw.record("u", append([]string{name, flag, m.mark}, m.carry...))
	}
	for r := lo; r < hi; r++ {
		sw.buf = append(sw.buf, 'r')
		for _, v := range s.vals[int(r)*s.w : int(r+1)*s.w] {
			sw.buf = appendField(append(sw.buf, ','), s.strs[v])
		}
		sw.buf = append(sw.buf, '\n')
	}
	for _, f := range extra {
		sw.record("r", f)
	}
	sw.items(name, m)
}

// raw writes a user as the last state held them: raw, their records, and
// m, their meta.
func (sw *stateWriter) raw(name string, m *meta, raw []byte) {
	sw.users++
	sw.buf = append(sw.buf, raw...)
	if m != nil && len(m.items) > 0 && sw.onItems != nil {
		sw.onItems(name, m.items)
	}
}

// items writes the user's for-staff items.
func (sw *stateWriter) items(name string, m *meta) {
	if m == nil {
		return
	}
	if len(m.items) > 0 && sw.onItems != nil {
		sw.onItems(name, m.items)
	}
	for _, it := range m.items {
		sw.record("i", it)
	}
}

// record writes a record of the kind ("r" or "i") with fields.
func (sw *stateWriter) record(kind string, fields []string) {
	sw.buf = append(sw.buf, kind...)
	for _, f := range fields {
		sw.buf = appendField(append(sw.buf, ','), f)
	}
	sw.buf = append(sw.buf, '\n')
}

// appendField appends f as encoding/csv writes a field: quoted, its quotes
// doubled, only when it holds a comma, a quote or a line end, starts with
// a space, or is \. alone.
func appendField(b []byte, f string) []byte {
	if f == "" || (f != `\.` && !strings.ContainsAny(f, ",\"\r\n") && !unicode.IsSpace(firstRune(f))) {
		return append(b, f...)
	}
	b = append(b, '"')
	for {
		i := strings.IndexByte(f, '"')
		if i < 0 {
			break
		}
		b = append(append(b, f[:i+1]...), '"')
		f = f[i+1:]
	}
	return append(append(b, f...), '"')
}

func firstRune(s string) rune {
	if s[0] < utf8.RuneSelf {
		return rune(s[0])
	}
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// rowsIn returns the snapshot of the two that holds user name, with its
// row range, or nil.
func rowsIn(name string, snaps ...*snapshot) (*snapshot, int32, int32) {
	for _, s := range snaps {
		if u := s.find(name); u >= 0 {
			lo, hi := s.rowsOf(u)
			return s, lo, hi
		}
	}
	return nil, 0, 0
}
