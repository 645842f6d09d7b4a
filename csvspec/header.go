package csvspec

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/autosync-go/autosync/internal/suggest"
)

// ReaderOption configures how a file is read, by a Reader, ReadRows or a
// check. An option given bad input is the error of the first Read.
type ReaderOption func(*readerConfig) error

type readerConfig struct {
	headerMap map[string]string // canonical name -> header name in the file
	comma     rune
}

// WithHeaderMap reads the columns a map names, from canonical name to the
// header name in the file, as a Student Management System names them:
//
//	csvspec.WithHeaderMap(map[string]string{"username": "Student Code", "library-group": "House"})
//
// Other columns are read by their canonical names. Names are matched
// exactly. A key that is not a column, an empty name, or two columns of one
// name are errors. Maps given more than once are merged, the later winning.
func WithHeaderMap(canonicalToSource map[string]string) ReaderOption {
	m := maps.Clone(canonicalToSource) // the caller may change theirs later
	return func(c *readerConfig) error {
		maps.Copy(c.headerMap, m)
		return nil
	}
}

// WithComma reads a file whose fields are separated by r: ';' as Excel
// saves "CSV" in many regions, or '\t'. r must be a tab or a visible
// character other than a letter, digit or double quote.
func WithComma(r rune) ReaderOption {
	return func(c *readerConfig) error {
		if why := badComma(r); why != "" {
			return fmt.Errorf("csvspec: WithComma: %U cannot separate fields: it is %s", r, why)
		}
		c.comma = r
		return nil
	}
}

// badComma says why r cannot separate fields, or returns "".
func badComma(r rune) string {
	switch {
	case r == '\t':
		return ""
	case !utf8.ValidRune(r) || r == utf8.RuneError:
		return "not a valid character"
	case r == '"':
		return "the double quote, which encloses values"
	case isControl(r):
		return "a line break or control character"
	case unicode.IsSpace(r):
		return "white space"
	case unicode.IsLetter(r) || unicode.IsNumber(r):
		return "a letter or digit, which values hold"
	case isInvisible(r) || unicode.IsMark(r) || !unicode.IsGraphic(r):
		return "invisible, or not a character of its own"
	}
	return ""
}

// A schema is the set of columns of one kind of import file.
type schema struct {
	kind    string   // "user-groups": the file kind, in messages
	columns []string // the canonical names, in the order the Writer writes them; all required
	brief   string   // the header, or its start, in messages
}

// resolve returns each column's header name and whether the map gave it.
func (c *readerConfig) resolve(sch *schema) (source []string, mapped []bool, err error) {
	source = slices.Clone(sch.columns)
	mapped = make([]bool, len(sch.columns))
	used := make(map[string]string, len(c.headerMap))
	for _, canonical := range slices.Sorted(maps.Keys(c.headerMap)) {
		src := c.headerMap[canonical]
		i := slices.Index(sch.columns, canonical)
		if i < 0 {
			return nil, nil, fmt.Errorf("csvspec: WithHeaderMap: %q is not a column of a %s file; use one of %s as the key",
				canonical, sch.kind, quoteList(sch.columns, len(sch.columns)))
		}
		if src == "" {
			return nil, nil, fmt.Errorf("csvspec: WithHeaderMap: the header name for %q is empty; give the name the column has in your file", canonical)
		}
		if other, dup := used[src]; dup {
			return nil, nil, fmt.Errorf("csvspec: WithHeaderMap: %q and %q are both mapped to the header %q; map each column to its own header", other, canonical, src)
		}
		used[src] = canonical
		source[i] = src
		mapped[i] = src != canonical
	}
	// A column left alone keeps its name, which the map may have given away.
	for i, src := range source {
		if other, dup := used[src]; dup && !mapped[i] && other != sch.columns[i] {
			return nil, nil, fmt.Errorf("csvspec: WithHeaderMap: %q is mapped to the header %q, which is the name of the %q column; map %q to its own header too",
				other, src, sch.columns[i], sch.columns[i])
		}
	}
	return source, mapped, nil
}

// quote returns s quoted, cut to 40 runes.
func quote(s string) string {
	n := 0
	for i := range s {
		if n++; n > 40 {
			return strconv.Quote(s[:i] + "…")
		}
	}
	return strconv.Quote(s)
}

// quoteList quotes the first limit names, and counts the rest.
func quoteList(names []string, limit int) string {
	var q []string
	for _, n := range names[:min(len(names), limit)] {
		q = append(q, quote(n))
	}
	return listed(q, len(names))
}

// listed joins items with ", ", and counts the rest of total.
func listed(items []string, total int) string {
	s := strings.Join(items, ", ")
	if total > len(items) {
		s += fmt.Sprintf(" and %d more", total-len(items))
	}
	return s
}

// looseName folds a header name such as " Library_Group" to spot near misses.
func looseName(s string) string {
	return looseDashes.Replace(strings.ToLower(strings.TrimSpace(s)))
}

var looseDashes = strings.NewReplacer(" ", "-", "_", "-")

// header is the outcome of reading a header record.
type header struct {
	rowCheck            // its line and problems, errors and warnings
	index      []int    // index of each canonical column in a record; -1 if absent
	nfields    int      // its number of fields
	loose      []string // its fields by looseName, to spot a repeated header
	start      byte     // the first byte of loose[0], or 0
	carry      []int    // index of each column to carry in a record
	comma      rune     // ParseError.Comma of a separator or encoding problem
	encoding   string   // and its ParseError.Encoding
	unreadable bool     // rows cannot be read against it
	noRows     bool     // nor counted
}

// fail records a problem that makes the header unreadable.
func (h *header) fail(code, msg string) {
	h.addRow("", code, SeverityError, msg)
	h.unreadable = true
}

// parseHeader resolves the columns of sch and carry, with every problem.
func parseHeader(fields []string, sch *schema, source []string, mapped []bool, carry []string, line int) *header {
	h := &header{rowCheck: rowCheck{line: line}, index: slices.Repeat([]int{-1}, len(sch.columns)), nfields: len(fields), loose: make([]string, len(fields))}
	for i, f := range fields {
		h.loose[i] = looseName(strings.TrimLeft(f, "\ufeff"))
	}
	if len(h.loose) > 0 && h.loose[0] != "" {
		h.start = h.loose[0][0]
	}
	claimed := make([]bool, len(fields))
	// Exact names first; resolve gave each column its own.
	for fi, name := range fields {
		if ci := slices.Index(source, name); ci >= 0 {
			claimed[fi] = true
			if h.index[ci] >= 0 {
				h.addRow(sch.columns[ci], "duplicate-column", SeverityError, fmt.Sprintf("header column %d %s repeats column %d", fi+1, quote(name), h.index[ci]+1))
			} else {
				h.index[ci] = fi
			}
		}
	}
	for _, name := range carry {
		fi := slices.Index(fields, name)
		if fi < 0 {
			h.addRow("", CodeMissingCarry, SeverityError, fmt.Sprintf("the header has no %s column to carry", quote(name)))
			continue
		}
		claimed[fi] = true
		h.carry = append(h.carry, fi)
	}
	// Then near misses of the canonical names and of the header map's.
	for fi, name := range fields {
		if !claimed[fi] {
			claimed[fi] = h.nearMiss(fi, name, sch, source, mapped)
		}
	}
	h.missing(fields, sch, source, mapped)
	h.extra(fields, claimed, sch)
	return h
}

// nearMiss reports whether field fi nearly names a column, and its problem.
func (h *header) nearMiss(fi int, name string, sch *schema, source []string, mapped []bool) bool {
	bare := strings.TrimLeft(name, "\ufeff")
	ci := -1
	for i, col := range sch.columns {
		if h.loose[fi] == looseName(source[i]) || (!mapped[i] && h.loose[fi] == col) {
			ci = i
			break
		}
	}
	switch {
	case ci < 0:
		return false
	case bare != name && h.index[ci] < 0:
		// A second byte order mark, the first having been removed.
		h.index[ci] = fi
		h.addRow(sch.columns[ci], "non-canonical-header", SeverityError, fmt.Sprintf("header column %d starts with a second byte order mark (U+FEFF) before %s, which Infiniti reads as part of the name",
			fi+1, quote(bare)))
	case h.index[ci] >= 0:
		h.addRow(sch.columns[ci], "duplicate-column", SeverityError, fmt.Sprintf("header column %d %s is another %s column (column %d)",
			fi+1, quote(name), quote(source[ci]), h.index[ci]+1))
	case mapped[ci]:
		// A near miss of the header map's name: said by missing.
	default:
		h.index[ci] = fi
		h.addRow(sch.columns[ci], "non-canonical-header", SeverityError, fmt.Sprintf("header column %d is %s but Infiniti requires exactly %s",
			fi+1, quote(name), quote(source[ci])))
	}
	return true
}

// missing records the problems of the columns not found.
func (h *header) missing(fields []string, sch *schema, source []string, mapped []bool) {
	for ci, col := range sch.columns {
		switch {
		case h.index[ci] >= 0:
			continue
		case !mapped[ci]:
			h.addRow(col, CodeMissingColumn, SeverityError, fmt.Sprintf("the header has no %s column", quote(col)))
		default:
			hint := ""
			if name, ok := suggest.Nearest(source[ci], fields); ok {
				hint = fmt.Sprintf(" (did you mean %s?)", quote(name))
			}
			h.addRow(col, CodeHeaderMap, SeverityError, fmt.Sprintf("the header map names %s as the %s column, but the file's header has no such column%s: it is %s",
				quote(source[ci]), quote(col), hint, quoteList(fields, 12)))
		}
		h.unreadable = true
	}
}

// extra records one warning for all the columns Infiniti does not read.
func (h *header) extra(fields []string, claimed []bool, sch *schema) {
	var extra []string
	for fi, name := range fields {
		if !claimed[fi] {
			extra = append(extra, fmt.Sprintf("%d %s", fi+1, quote(name)))
		}
	}
	switch {
	case len(extra) == 1:
		h.addRow("", CodeExtraColumn, SeverityWarning, fmt.Sprintf("header column %s is not a %s column; Infiniti ignores it", extra[0], sch.kind))
	case len(extra) > 1:
		h.addRow("", CodeExtraColumn, SeverityWarning, fmt.Sprintf("header columns %s are not %s columns; Infiniti ignores them",
			listed(extra[:min(len(extra), 8)], len(extra)), sch.kind))
	}
}

// firstError returns the header's first error as a *ParseError, or nil.
func (h *header) firstError() error {
	i := slices.IndexFunc(h.ps, isError)
	if i < 0 {
		return nil
	}
	e := parseError(&h.ps[i])
	e.Comma, e.Encoding = h.comma, h.encoding
	return e
}
