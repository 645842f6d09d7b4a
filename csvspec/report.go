package csvspec

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"maps"
	"math/bits"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Severity says whether a Problem stops a file from being posted.
type Severity string

// The severities of a Problem.
const (
	SeverityWarning Severity = "warning" // Infiniti takes the row, which may not do what was meant
	SeverityError   Severity = "error"   // Infiniti would reject the file or the row
)

// The codes programs most often act on (the package documentation lists the
// others), by the kind of problem.
const (
	// Errors of the file or its header, after which its rows cannot be read.
	CodeEncoding      = "wrong-encoding"       // UTF-16 or UTF-32 (or a NUL in the header), not UTF-8
	CodeSeparator     = "wrong-separator"      // the header is separated by ';', a tab or '|'
	CodeWrongImport   = "wrong-import"         // the header is the other import's
	CodeMissingColumn = "missing-column"       // a required column is not in the header
	CodeHeaderMap     = "header-map-mismatch"  // a name the header map gives is not in the header
	CodeMissingCarry  = "missing-carry-column" // a column ReadRows is to carry is not in the header

	// Errors of a record; the last two end the file.
	CodeFieldCount    = "wrong-field-count" // a row has more or fewer fields than the header
	CodeCutOff        = "cut-off"           // the last record has no line break and too few fields
	CodeUnclosedQuote = "unclosed-quote"    // the file ends inside a quoted field

	// Errors of a value or a row.
	CodeInvalidUTF8         = "invalid-utf8"          // a value is not valid UTF-8
	CodeControlCharacter    = "control-character"     // a value holds a control character or line break (U+2028 and U+2029 too)
	CodeMissingUsername     = "missing-username"      // the username is empty
	CodeUnknownLibraryGroup = "unknown-library-group" // a library group is not in Rules.LibraryGroups
	CodeUnknownSystemGroup  = "unknown-system-group"  // a system group is not in Rules.SystemGroups
	CodeUnknownContactType  = "unknown-contact-type"  // type is neither email nor phone, in any case
	CodeUnknownContactRole  = "unknown-contact-role"  // role is neither patron nor guardian, in any case
	CodeMissingContact      = "missing-contact"       // the contact is empty
	CodeInvalidEmail        = "invalid-email"         // an email contact is not one bare address as net/mail writes it
	CodeUnknownScenario     = "unknown-scenario"      // a scenario is not a known one

	// Warnings.
	CodeExtraColumn     = "extra-column"     // the header has columns the import does not read (one warning for all)
	CodeEmptyRow        = "empty-row"        // a row's fields are all empty, as Excel leaves below the data
	CodeBooleanSpelling = "boolean-spelling" // a boolean spelt yes/no, y/n or 1/0
	CodeScenarioFormat  = "scenario-format"  // an empty scenario, one given twice, or spaces around ';'
)

// A Problem is one thing wrong with a file, found by Check or CheckContacts.
type Problem struct {
	Row      int      // 1-based data row; 0 for the header
	Line     int      // 1-based physical line where the record starts
	Column   string   // canonical column name, "" for problems not in one column
	Code     string   // stable kebab-case code (see the package documentation)
	Severity Severity // SeverityError or SeverityWarning
	Message  string   // one sentence a school technician can act on
}

// String formats the problem as "line 3 (row 2), library-group: error: message [code]".
func (p Problem) String() string {
	where := " (header)"
	if p.Row > 0 {
		where = fmt.Sprintf(" (row %d)", p.Row)
	}
	if p.Column != "" {
		where += ", " + p.Column
	}
	return fmt.Sprintf("line %d%s: %v: %s [%s]", p.Line, where, p.Severity, p.Message, p.Code)
}

// MaxProblemsPerCode is how many problems of each code a Report keeps.
const MaxProblemsPerCode = 1000

// A Report is the outcome of Check or CheckContacts.
type Report struct {
	Rows     int             // data rows read, malformed and empty ones included
	Problems []Problem       // in file order: the first MaxProblemsPerCode problems of each code
	more     map[Problem]int // problems counted but not kept, by code and severity
}

// Errors returns the problems of SeverityError that the report keeps.
func (r *Report) Errors() []Problem {
	var out []Problem
	for _, p := range r.Problems {
		if p.Severity == SeverityError {
			out = append(out, p)
		}
	}
	return out
}

// NumErrors returns how many errors the check found, kept or not.
func (r *Report) NumErrors() int { return r.count(SeverityError) }

// NumWarnings returns how many warnings the check found, kept or not.
func (r *Report) NumWarnings() int { return r.count(SeverityWarning) }

func (r *Report) count(s Severity) int {
	n := 0
	for _, m := range r.counts(s) {
		n += m
	}
	return n
}

// Count returns how many problems of code the check found, kept or not.
func (r *Report) Count(code string) int { return r.Counts()[code] }

// Counts returns a new map of Count by code.
func (r *Report) Counts() map[string]int { return r.counts("") }

// counts returns a new map of Count by code of the problems of severity s,
// or of all if s is "".
func (r *Report) counts(s Severity) map[string]int {
	m := make(map[string]int)
	for k, n := range r.more {
		if s == "" || k.Severity == s {
			m[k.Code] += n
		}
	}
	for _, p := range r.Problems {
		if s == "" || p.Severity == s {
			m[p.Code]++
		}
	}
	return m
}

// Err returns nil, or an error counting the errors by code and showing the first.
func (r *Report) Err() error {
	n := r.NumErrors()
	if n == 0 {
		return nil
	}
	first := r.Errors()[0]
	if n == 1 {
		return errors.New("csvspec: the file has 1 error: " + first.String())
	}
	return fmt.Errorf("csvspec: the file has %d errors (%s); the first: %s", n, codeCounts(r.counts(SeverityError)), first)
}

// codeCounts formats counts as "3 missing-username, 1 no-group", most first.
func codeCounts(counts map[string]int) string {
	codes := slices.SortedFunc(maps.Keys(counts), func(a, b string) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), strings.Compare(a, b))
	})
	var parts []string
	for _, c := range codes {
		if counts[c] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[c], c))
		}
	}
	return strings.Join(parts, ", ")
}

// String returns a count line, then at most 50 problems by line, then a
// count by code of the rest.
func (r *Report) String() string {
	var b strings.Builder
	nerr, nwarn := r.NumErrors(), r.NumWarnings()
	fmt.Fprintf(&b, "%d %s, %d %s, %d %s\n", r.Rows, plural(r.Rows, "row", "rows"), nerr, plural(nerr, "error", "errors"), nwarn, plural(nwarn, "warning", "warnings"))
	ps := slices.Clone(r.Problems)
	slices.SortStableFunc(ps, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	ps = ps[:min(len(ps), 50)]
	for _, p := range ps {
		fmt.Fprintln(&b, p)
	}
	if rest := nerr + nwarn - len(ps); rest > 0 {
		counts := r.Counts()
		for _, p := range ps {
			counts[p.Code]--
		}
		fmt.Fprintf(&b, "... and %d more: %s\n", rest, codeCounts(counts))
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// A run collects the problems of one check into its Report.
type run struct {
	rowCheck // the row being checked
	rep      *Report
	kept     map[string]int // by code
}

// A rowCheck collects the problems of one row.
type rowCheck struct {
	row, line int
	ps        []Problem
}

func (c *rowCheck) addRow(column, code string, sev Severity, msg string) {
	c.ps = append(c.ps, Problem{Row: c.row, Line: c.line, Column: column, Code: code, Severity: sev, Message: msg})
}

// add adds p to the report, or counts it past MaxProblemsPerCode.
func (c *run) add(p Problem) {
	if c.kept[p.Code] < MaxProblemsPerCode {
		c.kept[p.Code]++
		c.rep.Problems = append(c.rep.Problems, p)
		return
	}
	c.rep.more[Problem{Code: p.Code, Severity: p.Severity}]++
}

// runCheck checks the header and rows of t, calling check for each plain
// row with its values in canonical order, then adds the repeats dups find.
func runCheck(t *table, check func(c *run, v []string), dups ...*dupFinder) (*Report, error) {
	c := &run{rep: &Report{more: make(map[Problem]int)}, kept: make(map[string]int)}
	v := make([]string, len(t.sch.columns)) // a row's values in canonical order
	h, err := t.readHeader()
	if err != nil {
		if err == io.EOF {
			err = nil // an empty file
		}
		return c.rep, err
	}
	for _, p := range h.ps {
		c.add(p)
	}
	if h.unreadable {
		if !h.noRows {
			err = t.countRows()
		}
		c.rep.Rows = t.row
		return c.rep, err
	}
	for {
		fields, line, f, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return c.rep, err
		}
		c.rep.Rows = t.row
		if f != nil {
			c.add(*f)
			continue
		}
		c.row, c.line, c.ps = t.row, line, c.ps[:0]
		for ci, fi := range h.index {
			v[ci] = fields[fi]
		}
		check(c, v)
		for _, p := range c.ps {
			c.add(p)
		}
	}
	// The repeats, found when the file ends, go in row order.
	var hits []dupHit
	for i, d := range dups {
		hits = d.repeats(hits, int32(i))
	}
	slices.SortFunc(hits, func(a, b dupHit) int { return cmp.Or(cmp.Compare(a.row, b.row), cmp.Compare(a.finder, b.finder)) })
	for _, h := range hits {
		d := dups[h.finder]
		c.add(Problem{Row: int(h.row), Line: int(h.line), Column: d.column, Code: d.code, Severity: SeverityWarning, Message: fmt.Sprintf(d.format, h.first)})
	}
	if len(hits) > 0 {
		slices.SortStableFunc(c.rep.Problems, func(a, b Problem) int { return cmp.Compare(a.Row, b.Row) })
	}
	return c.rep, nil
}

// checkValue checks a value of column; name: one Infiniti matches exactly.
func (c *rowCheck) checkValue(column, s string, name bool) {
	if s == "" {
		return
	}
	if plainASCII(s) { // the only white space is ' '
		if s[0] == ' ' || s[len(s)-1] == ' ' {
			c.spaceWarning(column, s)
		}
		return
	}
	if !utf8.ValidString(s) {
		c.addRow(column, CodeInvalidUTF8, SeverityError, "the value is not valid UTF-8")
	}
	if r := firstRune(s, isControl); r >= 0 {
		what := "control character"
		if r == '\u2028' || r == '\u2029' {
			what = "line break"
		}
		c.addRow(column, CodeControlCharacter, SeverityError, fmt.Sprintf("the value %s holds the %s %U", quote(s), what, r))
	}
	if name && strings.ContainsFunc(s, isInvisible) {
		c.addRow(column, "format-character", SeverityError, fmt.Sprintf("the value %s holds the invisible character %U", quote(s), firstRune(s, isInvisible)))
	}
	trimmed := strings.TrimFunc(s, unicode.IsSpace)
	if trimmed != s {
		c.spaceWarning(column, s)
	}
	if r := firstRune(trimmed, isUnusualSpace); name && r >= 0 {
		c.addRow(column, "unusual-space", SeverityWarning, fmt.Sprintf("the value %s holds %U, a space other than U+0020, between its words", quote(s), r))
	}
}

// plainASCII reports whether s is printable ASCII.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// firstRune returns the first rune of s for which f is true, or -1.
func firstRune(s string, f func(rune) bool) rune {
	if i := strings.IndexFunc(s, f); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return r
	}
	return -1
}

// isUnusualSpace reports whether r is white space other than ASCII's.
func isUnusualSpace(r rune) bool {
	return r >= 0x80 && unicode.IsSpace(r) && !isControl(r)
}

// isControl reports whether r is a control character or line break.
func isControl(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// isInvisible reports whether r shows as nothing, or as a blank (U+2800).
func isInvisible(r rune) bool {
	return r >= 0x80 && (r == '\u2800' || unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector))
}

// checkUsername reports an empty username.
func (c *rowCheck) checkUsername(v string) {
	if (v == "" || v[0] <= ' ' || v[0] >= utf8.RuneSelf) && strings.TrimSpace(v) == "" {
		c.addRow(ColumnUsername, CodeMissingUsername, SeverityError, "the username is empty")
	}
}

func (c *rowCheck) spaceWarning(column, s string) {
	c.addRow(column, "surrounding-space", SeverityWarning, fmt.Sprintf("the value %s starts or ends with white space", quote(s)))
}

var rowSeed = maphash.MakeSeed() // of the hashes that identify rows

// A dupFinder finds the rows whose key repeats an earlier row's, by a 64-bit
// hash of the key, when the file ends.
type dupFinder struct {
	column, code string       // of the problem
	format       string       // its message, with %d for the earlier row
	rows         [][]dupEntry // in chunks of 1024, as one slice would be copied as it grows
}

type dupEntry struct {
	h         uint64
	row, line int32 // rows past 2³¹ would not fit in Infiniti's memory either
}

func (d *dupFinder) add(h uint64, row, line int) {
	if n := len(d.rows); n == 0 || len(d.rows[n-1]) == cap(d.rows[n-1]) {
		d.rows = append(d.rows, make([]dupEntry, 0, 1024))
	}
	last := &d.rows[len(d.rows)-1]
	*last = append(*last, dupEntry{h, int32(row), int32(line)})
}

// A dupHit is a row that repeats the row first, found by dups[finder].
type dupHit struct{ row, line, first, finder int32 }

// repeats appends the rows that repeat an earlier one to hits.
//
// Most rows are new, and a bit per hash value, in a set of at least 16
// bits a row, tells so at once. Only the rows whose bit another row took
// are compared by their whole hash.
func (d *dupFinder) repeats(hits []dupHit, finder int32) []dupHit {
	set := make([]uint64, 1<<bits.Len(uint(len(d.rows)*1024))/4)
	bit := func(h uint64) (*uint64, uint64) { return &set[h>>6&uint64(len(set)-1)], 1 << (h % 64) }
	var taken []uint64 // the hashes whose bit another row took
	for _, chunk := range d.rows {
		for _, e := range chunk {
			if w, b := bit(e.h); *w&b == 0 {
				*w |= b
			} else {
				taken = append(taken, e.h)
			}
		}
	}
	// The set now holds the bits of taken only, and first their first rows.
	clear(set)
	first := make(map[uint64]int32, len(taken))
	for _, h := range taken {
		w, b := bit(h)
		*w |= b
		first[h] = 0
	}
	for _, chunk := range d.rows {
		for _, e := range chunk {
			if w, b := bit(e.h); *w&b == 0 {
				continue
			}
			if f, ok := first[e.h]; ok && f == 0 {
				first[e.h] = e.row
			} else if ok {
				hits = append(hits, dupHit{e.row, e.line, f, finder})
			}
		}
	}
	return hits
}

// appendKey appends each string to a key after its length.
func appendKey(key []byte, ss ...string) []byte {
	for _, s := range ss {
		key = binary.AppendUvarint(key, uint64(len(s)))
		key = append(key, s...)
	}
	return key
}
