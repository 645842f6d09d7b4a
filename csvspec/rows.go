package csvspec

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
)

// ReadRows reads a CSV export of one import once, streaming, and yields its
// rows.
//
// columns picks the import: Header() for user groups, ContactHeader() for
// contacts; any other list is an error. The options are those of NewReader
// (WithHeaderMap, WithComma), and the header is read as a Reader reads it.
// carry names columns of the file, by their header names in the file, whose
// values each row carries along in SourceRow.Carry (a student's name, say).
//
// When the header has warnings (columns that the import does not read and
// that are not carried: "extra-column"), the first thing yielded is a
// SourceRow with the header's Line, no Fields and those warnings as its
// Problems. Then every data record that is not a blank line yields one
// SourceRow: Fields holds its values in the canonical order of columns,
// as they are in the file; Line is the line where the record starts;
// Carry holds the carried values in the order of carry. Its Problems are
// the record's own reading problems, each with Line set and Row 0:
//   - a row whose fields are all empty (",,", as Excel leaves below the
//     data) has one SeverityWarning problem of CodeEmptyRow, and empty
//     Fields;
//   - a row with the wrong number of fields, whose username column exists
//     and passes the username checks, has one SeverityError problem of
//     CodeFieldCount; Fields holds the values the record has at the
//     header's positions, "" for those it lacks.
//
// ReadRows does not run the row checks: the caller runs Rules.CheckRow or
// CheckContactRow on each row, whatever produced it. A row with an empty
// username is yielded, and CheckRow reports it.
//
// A problem with the file as a whole ends the sequence with a *ParseError
// and nothing is yielded after it. Its Code says which: a problem of the
// header (see Reader.Read), a column of carry the header lacks
// (CodeMissingCarry), a record whose username cannot be read (the wrong
// number of fields, and the value at the username's position is missing
// or fails the username checks: CodeFieldCount), malformed quoting
// ("malformed-quoting"), a record over 1 MiB ("record-too-large"), a repeat
// of the header ("repeated-header"), a last record with no line break and
// fewer fields than the header (CodeCutOff: the export looks cut off), and
// a file that ends inside a quoted field (CodeUnclosedQuote: either the
// export was cut off, or the line where the field starts has an unclosed
// quote; ParseError.Line is that line). An invalid option or an I/O error
// of r ends it with that error, wrapped. A file of 0 bytes, or a header
// alone, yields nothing and no error.
func ReadRows(r io.Reader, columns, carry []string, opts ...ReaderOption) iter.Seq2[SourceRow, error] {
	return func(yield func(SourceRow, error) bool) {
		var sch *schema
		switch {
		case slices.Equal(columns, userGroups.columns):
			sch = userGroups
		case slices.Equal(columns, contacts.columns):
			sch = contacts
		default:
			yield(SourceRow{}, errors.New("csvspec: ReadRows: the columns are neither Header() nor ContactHeader()"))
			return
		}
		t := newTable(r, sch, opts)
		t.carry = carry
		h, err := t.readHeader()
		if err == io.EOF {
			return
		}
		if err == nil {
			err = h.firstError()
		}
		if err != nil {
			yield(SourceRow{}, err)
			return
		}
		if len(h.problems) > 0 && !yield(SourceRow{Line: h.line, Problems: slices.Clone(h.problems)}, nil) {
			return
		}
		ncol := len(sch.columns)
		idx := append(slices.Clone(h.index), h.carry...) // where each value is in a record
		var store []string
		for {
			fields, line, f, err := t.next()
			if err == io.EOF {
				return
			}
			if err == nil && f != nil && f != emptyRow {
				err = rowFault(t, f, fields, line)
			}
			if err != nil {
				yield(SourceRow{}, err)
				return
			}
			// The rows' values come from one slice every 512 rows: a
			// row costs no allocation of its own.
			if len(store) < len(idx) {
				store = make([]string, 512*len(idx))
			}
			vals := store[:len(idx):len(idx)]
			store = store[len(idx):]
			for i, fi := range idx {
				if fi < len(fields) {
					vals[i] = fields[fi]
				}
			}
			row := SourceRow{Fields: vals[:ncol:ncol], Line: line, Carry: vals[ncol:]}
			if len(carry) == 0 {
				row.Carry = nil
			}
			if f != nil {
				row.Problems = []Problem{{Line: line, Code: f.code, Severity: f.severity(), Message: f.msg}}
			}
			if !yield(row, nil) {
				return
			}
		}
	}
}

// rowFault returns the *ParseError that a record's fault f makes of a
// file read by ReadRows, or nil when the record is a row with its
// problem: a wrong field count with a readable username.
func rowFault(t *table, f *fault, fields []string, line int) error {
	e := f.parseError(t.row, line)
	if f.code == CodeFieldCount {
		if fi := t.hdr.index[colUsername]; fi < len(fields) && usernameOK(fields[fi]) {
			return nil
		}
		e.(*ParseError).msg += "; the username cannot be read"
	}
	return e
}

// usernameOK reports whether a username passes the username checks of
// CheckRow: not empty, valid UTF-8, no control or invisible character.
func usernameOK(s string) bool {
	if strings.TrimSpace(s) == "" {
		return false
	}
	c := rowCheck{}
	c.checkValue(ColumnUsername, s, true)
	return !slices.ContainsFunc(c.ps, isError)
}

// rowCheckOf returns the check of a row whose Fields should be n values,
// and true; or false when the row checks leave the row alone: a row
// without Fields (the header's warnings from ReadRows), an empty row, a
// row with the wrong number of fields, whose values are not where their
// columns are (one CodeFieldCount error is added when the row has none).
func rowCheckOf(row *SourceRow, n int, spaceFix string) (rowCheck, bool) {
	c := rowCheck{line: row.Line, spaceFix: spaceFix, ps: row.Problems}
	if row.Fields == nil || slices.ContainsFunc(row.Problems, func(p Problem) bool {
		return p.Code == CodeEmptyRow || p.Code == CodeFieldCount
	}) {
		return c, false
	}
	if len(row.Fields) != n {
		c.addRow("", CodeFieldCount, SeverityError, fmt.Sprintf("the row has %d fields, not %d", len(row.Fields), n))
		row.Problems = c.ps
		return c, false
	}
	return c, true
}

// CheckRow appends to row.Problems the problems of a user-groups row whose
// Fields are in the order of Header(): invalid UTF-8, control characters
// and line breaks in a value, invisible characters and unusual spaces in a
// username or group, surrounding white space, an empty username, a group
// not in the rules (with a "did you mean" when one group is near), a row
// with no group. Each problem has the row's Line and Row 0. The checks of
// Check that need the rows before (a duplicate row) are the caller's.
//
// A row with the wrong number of Fields gets one CodeFieldCount error. A
// row without Fields, and a row that already has a problem of
// CodeEmptyRow or CodeFieldCount (as ReadRows yields them), is left as
// it is.
func (r Rules) CheckRow(row *SourceRow) {
	checkRow(row, r.catalogs(false))
}

// RowChecker returns CheckRow with r's group lists looked up in an index
// made once, for checking many rows. The lists must not change while the
// returned function is in use.
func (r Rules) RowChecker() func(row *SourceRow) {
	groups := r.catalogs(true)
	return func(row *SourceRow) { checkRow(row, groups) }
}

func checkRow(row *SourceRow, groups [numColumns]*catalog) {
	if c, ok := rowCheckOf(row, numColumns, spaceFixName); ok {
		checkUserGroup(&c, (*[numColumns]string)(row.Fields), &groups)
		row.Problems = c.ps
	}
}

// CheckContactRow appends to row.Problems the problems of a contacts row
// whose Fields are in the order of ContactHeader(): those CheckContacts
// finds in one row (a malformed email or phone, an unknown type, role or
// scenario, a value that is not a boolean, and so on), each with the
// row's Line and Row 0. The checks that need the rows before (duplicates,
// a second primary) are the caller's.
//
// When none of the row's problems is an error, CheckContactRow rewrites
// row.Fields in the one canonical spelling, what a ContactWriter writes:
// type and role in lower case, primary True or False, sms True, False or
// empty, the scenarios in upper case, each once, in the order of the
// Scenario constants, separated by ';'. Rows that mean the same then
// have equal Fields. Username, addressee and contact are kept as they are.
//
// Rows without Fields, with the wrong number of Fields, or with a problem
// of CodeEmptyRow or CodeFieldCount are treated as by Rules.CheckRow.
func CheckContactRow(row *SourceRow) {
	c, ok := rowCheckOf(row, numContactColumns, spaceFixContact)
	if !ok {
		return
	}
	v := (*[numContactColumns]string)(row.Fields)
	k := checkContact(&c, v)
	row.Problems = c.ps
	if slices.ContainsFunc(row.Problems, isError) {
		return
	}
	v[ccType] = string(k.typ)
	v[ccRole] = string(k.role)
	v[ccPrimary] = OptionalBoolOf(k.primary).String()
	v[ccSMS] = ""
	if k.smsGiven {
		v[ccSMS] = OptionalBoolOf(k.sms).String()
	}
	v[ccScenarios] = scenarioLists[k.known]
}

// scenarioLists holds the canonical text of each set of known scenarios,
// by its bit set.
var scenarioLists = func() (lists [1 << len(knownScenarios)]string) {
	for mask := range lists {
		var parts []string
		for i, s := range knownScenarios {
			if mask&(1<<i) != 0 {
				parts = append(parts, string(s))
			}
		}
		lists[mask] = strings.Join(parts, ";")
	}
	return lists
}()

func isError(p Problem) bool { return p.Severity == SeverityError }
