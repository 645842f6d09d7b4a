package csvspec

import (
	"encoding/csv"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Severity says whether a Problem stops a file from being posted.
type Severity int

// The severities of a Problem. The zero Severity is neither.
const (
	// SeverityWarning: Infiniti accepts the file, but the row may not do
	// what was meant.
	SeverityWarning Severity = iota + 1
	// SeverityError: Infiniti would reject the file or the row; fix it
	// before posting.
	SeverityError
)

// String returns "warning", "error", or "Severity(N)" for other values.
func (s Severity) String() string {
	switch s {
	case SeverityWarning:
		return "warning"
	case SeverityError:
		return "error"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// MarshalText encodes the severity as its String.
func (s Severity) MarshalText() ([]byte, error) {
	if s != SeverityWarning && s != SeverityError {
		return nil, fmt.Errorf("csvspec: cannot encode %v: not a valid severity", s)
	}
	return []byte(s.String()), nil
}

// UnmarshalText decodes "warning" or "error".
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "warning":
		*s = SeverityWarning
	case "error":
		*s = SeverityError
	default:
		return fmt.Errorf("csvspec: unknown severity %q: want \"warning\" or \"error\"", b)
	}
	return nil
}

// The stable codes of the problems Check reports. Programs may rely on them;
// the Messages may change.
const (
	// Errors.
	CodeMissingColumn       = "missing-column"        // a required column is not in the header
	CodeHeaderName          = "non-canonical-header"  // a header name is not exactly the canonical one
	CodeDuplicateColumn     = "duplicate-column"      // the header has a column twice
	CodeFieldCount          = "wrong-field-count"     // a row has more or fewer fields than the header
	CodeQuote               = "malformed-quoting"     // a record's quoting is malformed
	CodeInvalidUTF8         = "invalid-utf8"          // a value is not valid UTF-8
	CodeControlCharacter    = "control-character"     // a value holds a control character or line break
	CodeMissingUsername     = "missing-username"      // a row's username is empty
	CodeUnknownLibraryGroup = "unknown-library-group" // a library group is not in Rules.LibraryGroups
	CodeUnknownSystemGroup  = "unknown-system-group"  // a system group is not in Rules.SystemGroups

	// Warnings.
	CodeExtraColumn      = "extra-column"      // the header has a column Infiniti does not read
	CodeSurroundingSpace = "surrounding-space" // a value starts or ends with white space
	CodeNoGroup          = "no-group"          // a row names neither a library nor a system group
	CodeDuplicateRow     = "duplicate-row"     // a row repeats an earlier row exactly
)

// Rules are the facts about the school's Infiniti that Check checks a file
// against. A nil list means that kind of group is not checked; an empty,
// non-nil list means no group of that kind is defined.
type Rules struct {
	LibraryGroups []string // names of the library groups defined in Infiniti
	SystemGroups  []string // names of the system groups defined in Infiniti
}

// A Problem is one thing wrong with a file, found by Check.
type Problem struct {
	Row      int      // 1-based data row; 0 for the header
	Line     int      // 1-based physical line where the record starts
	Column   string   // canonical column name, "" for problems not in one column
	Code     string   // stable kebab-case code, one of the Code* constants
	Severity Severity // SeverityError or SeverityWarning
	Message  string   // one sentence a school technician can act on
}

// String formats the problem as "line 3 (row 2), library-group: error: message [code]".
func (p Problem) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d", p.Line)
	if p.Row > 0 {
		fmt.Fprintf(&b, " (row %d)", p.Row)
	} else {
		b.WriteString(" (header)")
	}
	if p.Column != "" {
		b.WriteString(", ")
		b.WriteString(p.Column)
	}
	fmt.Fprintf(&b, ": %v: %s [%s]", p.Severity, p.Message, p.Code)
	return b.String()
}

// A Report is the outcome of Check.
type Report struct {
	Rows     int       // data rows read, malformed ones included
	Problems []Problem // in file order
}

// Errors returns the problems of SeverityError.
func (r *Report) Errors() []Problem { return r.filter(SeverityError) }

// Warnings returns the problems of SeverityWarning.
func (r *Report) Warnings() []Problem { return r.filter(SeverityWarning) }

func (r *Report) filter(s Severity) []Problem {
	var out []Problem
	for _, p := range r.Problems {
		if p.Severity == s {
			out = append(out, p)
		}
	}
	return out
}

// Err returns nil unless the report has a problem of SeverityError. The
// error says how many errors there are and shows the first of them.
func (r *Report) Err() error {
	errs := r.Errors()
	if len(errs) == 0 {
		return nil
	}
	return &checkError{count: len(errs), first: errs[0]}
}

type checkError struct {
	count int
	first Problem
}

func (e *checkError) Error() string {
	if e.count == 1 {
		return "csvspec: the file has 1 error: " + e.first.String()
	}
	return fmt.Sprintf("csvspec: the file has %d errors; the first: %s", e.count, e.first.String())
}

// maxListed caps how many problems String lists.
const maxListed = 50

// String returns a readable report: a count line, then one problem per line
// sorted by line, at most 50 of them and a count of the rest.
func (r *Report) String() string {
	var b strings.Builder
	nerr := len(r.Errors())
	fmt.Fprintf(&b, "%d %s, %d %s, %d %s\n", r.Rows, plural(r.Rows, "row", "rows"),
		nerr, plural(nerr, "error", "errors"), len(r.Problems)-nerr, plural(len(r.Problems)-nerr, "warning", "warnings"))
	ps := append([]Problem(nil), r.Problems...)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
	for i, p := range ps {
		if i == maxListed {
			fmt.Fprintf(&b, "... and %d more\n", len(ps)-maxListed)
			break
		}
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// catalog is one kind of group of Rules, ready for lookups.
type catalog struct {
	kind  string              // "library" or "system"
	code  string              // the problem code for an unknown group
	names map[string]struct{} // exact names
	loose map[string]string   // looseGroup(name) -> name, for "did you mean"
}

func newCatalog(kind, code string, names []string) *catalog {
	if names == nil {
		return nil
	}
	c := &catalog{kind: kind, code: code, names: make(map[string]struct{}, len(names)), loose: make(map[string]string, len(names))}
	for _, n := range names {
		c.names[n] = struct{}{}
		if _, ok := c.loose[looseGroup(n)]; !ok {
			c.loose[looseGroup(n)] = n
		}
	}
	return c
}

// looseGroup folds a group name for "did you mean": lower case, no white space.
func looseGroup(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

func (c *catalog) check(v string) (msg string, ok bool) {
	if _, ok := c.names[v]; ok {
		return "", true
	}
	msg = fmt.Sprintf("%s group %q is not defined in Infiniti; create it in Infiniti first or correct the name", c.kind, v)
	if near, found := c.loose[looseGroup(v)]; found {
		msg = fmt.Sprintf("%s group %q is not defined in Infiniti; did you mean %q? Group names must match exactly", c.kind, v, near)
	}
	return msg, false
}

// rowKey identifies a row's canonical values by two independent 64-bit
// hashes, so that the duplicate check keeps 16 bytes per distinct row rather
// than the row itself. Two different rows share a key with a probability
// of about n²/2¹²⁹ for n rows: never, in practice.
type rowKey [2]uint64

var rowSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func newRowKey(v *[numColumns]string) rowKey {
	return rowKey{maphash.Comparable(rowSeeds[0], *v), maphash.Comparable(rowSeeds[1], *v)}
}

// rowSet is an open-addressing hash set of row keys with the row each was
// first seen in. It does one probe sequence per row, where a map lookup and
// insert would do two: on a large file every probe is a cache miss.
type rowSet struct {
	slots []rowSlot // length a power of two; row 0 marks an empty slot
	n     int
}

type rowSlot struct {
	key rowKey
	row int32 // rows past 2³¹ would not fit in Infiniti's memory either
}

// insert adds key for row and returns 0, or returns the row key was first
// seen in.
func (s *rowSet) insert(key rowKey, row int) int {
	if 4*(s.n+1) > 3*len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := key[0] & mask; ; i = (i + 1) & mask {
		sl := &s.slots[i]
		if sl.row == 0 {
			*sl = rowSlot{key, int32(row)}
			s.n++
			return 0
		}
		if sl.key == key {
			return int(sl.row)
		}
	}
}

func (s *rowSet) grow() {
	old := s.slots
	s.slots = make([]rowSlot, max(1024, 2*len(old)))
	s.n = 0
	for _, sl := range old {
		if sl.row != 0 {
			s.insert(sl.key, int(sl.row))
		}
	}
}

// Check reads a user-groups file and reports every problem it finds, in one
// streaming pass: memory grows with the number of distinct rows (to spot
// duplicates), never otherwise with the size of the file. It takes the same
// options as NewReader.
//
// Errors (SeverityError) are: a missing, misspelt or repeated required
// column; a row with the wrong number of fields; malformed quoting; invalid
// UTF-8; control characters, line breaks included, in a value; an empty
// username; a group not in rules (with a "did you mean" hint when only case
// or spacing differ). Warnings are: extra columns; values with leading or
// trailing white space; a row with no group; a row that repeats an earlier
// one exactly. A row with the wrong number of fields or malformed quoting is
// reported once and not checked further, since its values cannot be told
// apart. A 0-byte file and a header-only file are valid, with 0 rows.
//
// Check returns an error only for an invalid option or when reading r
// fails; the report then holds what was found before the failure.
func Check(r io.Reader, rules Rules, opts ...ReaderOption) (*Report, error) {
	rd := NewReader(r, opts...)
	rep := &Report{}
	h, err := rd.readHeader()
	if err != nil {
		var pe *ParseError
		switch {
		case err == io.EOF:
			return rep, nil
		case errors.As(err, &pe):
			rep.Problems = append(rep.Problems, Problem{Line: pe.Line, Code: CodeQuote, Severity: SeverityError, Message: pe.msg})
			return rep, nil
		}
		return rep, err
	}
	rep.Problems = append(rep.Problems, h.problems...)
	c := checker{
		rep:    rep,
		h:      h,
		groups: [numColumns]*catalog{colLibraryGroup: newCatalog("library", CodeUnknownLibraryGroup, rules.LibraryGroups), colSystemGroup: newCatalog("system", CodeUnknownSystemGroup, rules.SystemGroups)},
	}
	for {
		fields, line, err := rd.readRecord()
		if err == io.EOF {
			return rep, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return rep, err
			}
			rep.Rows++
			c.row, c.line = rep.Rows, line
			c.add(-1, CodeQuote, SeverityError, quoteMessage(pe))
			continue
		}
		rep.Rows++
		c.row, c.line = rep.Rows, line
		c.checkRow(fields)
	}
}

type checker struct {
	rep       *Report
	h         *header
	groups    [numColumns]*catalog
	seen      rowSet
	row, line int
}

func (c *checker) add(col int, code string, sev Severity, msg string) {
	name := ""
	if col >= 0 && col < numColumns {
		name = columns[col]
	}
	c.rep.Problems = append(c.rep.Problems, Problem{Row: c.row, Line: c.line, Column: name, Code: code, Severity: sev, Message: msg})
}

func (c *checker) checkRow(fields []string) {
	if len(fields) != c.h.nfields {
		c.add(-1, CodeFieldCount, SeverityError, fieldCountMessage(len(fields), c.h.nfields))
		return
	}
	var v [numColumns]string
	for ci, fi := range c.h.index {
		if fi >= 0 {
			v[ci] = fields[fi]
		}
	}
	for ci := range v {
		c.checkValue(ci, v[ci])
	}
	if c.h.index[colUsername] >= 0 && strings.TrimSpace(v[colUsername]) == "" {
		c.add(colUsername, CodeMissingUsername, SeverityError, "the username is empty; every row needs the username of an existing Infiniti user, or remove the row")
	}
	for _, ci := range [...]int{colLibraryGroup, colSystemGroup} {
		if cat := c.groups[ci]; cat != nil && c.h.index[ci] >= 0 && v[ci] != "" {
			if msg, ok := cat.check(v[ci]); !ok {
				c.add(ci, cat.code, SeverityError, msg)
			}
		}
	}
	if v[colLibraryGroup] == "" && v[colSystemGroup] == "" {
		c.add(-1, CodeNoGroup, SeverityWarning, "the row names neither a library group nor a system group, so it changes nothing; fill in a group or remove the row")
	}
	if first := c.seen.insert(newRowKey(&v), c.row); first != 0 {
		c.add(-1, CodeDuplicateRow, SeverityWarning, fmt.Sprintf("the row repeats row %d exactly; remove one of them", first))
	}
}

// checkValue reports invalid UTF-8, control characters and surrounding white
// space in the value of canonical column ci.
func (c *checker) checkValue(ci int, s string) {
	if s == "" {
		return
	}
	// Fast path: printable ASCII, where the only white space is ' '.
	plain := true
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b >= 0x7f {
			plain = false
			break
		}
	}
	if plain {
		if s[0] == ' ' || s[len(s)-1] == ' ' {
			c.spaceWarning(ci, s)
		}
		return
	}
	badUTF8, control := false, rune(-1)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			badUTF8 = true
		} else if unicode.IsControl(r) && control < 0 {
			control = r
		}
		i += size
	}
	if badUTF8 {
		c.add(ci, CodeInvalidUTF8, SeverityError, "the value is not valid UTF-8; export the file from the SMS as UTF-8 (not Windows-1252 or Latin-1)")
	}
	if control >= 0 {
		c.add(ci, CodeControlCharacter, SeverityError, fmt.Sprintf("the value %q holds the control character %U, which an Infiniti name cannot hold; remove it (line breaks inside values included)", s, control))
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		c.spaceWarning(ci, s)
	}
}

func (c *checker) spaceWarning(ci int, s string) {
	c.add(ci, CodeSurroundingSpace, SeverityWarning, fmt.Sprintf("the value %q starts or ends with white space, and Infiniti matches names exactly; trim it", s))
}
