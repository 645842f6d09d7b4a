package csvspec

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
)

// A SourceRow is one row of an import, whatever produced it: a line of an
// export, a row group rules made, or a row a program built.
type SourceRow struct {
	Fields   []string  // the values, in the order of Header() or ContactHeader()
	Line     int       // the 1-based line where the row starts; 0 if none
	Origin   string    // what made the row from its line, such as the rule "rows[1]"; "" if read as it is
	Carry    []string  // the values of the columns the caller asked to carry, in its order
	Problems []Problem // the row's problems; an error holds the row's user back
}

// ReadRows reads an export of one import once, streaming, and yields its
// rows for the row checks (Rules.CheckRow, CheckContactRow) and the
// caller's own. columns picks the import: Header() or ContactHeader(). The
// options are NewReader's. carry names columns of the file whose values
// each row carries in SourceRow.Carry.
//
// Header warnings come first, in a SourceRow with no Fields. Then each
// record but blank lines yields a SourceRow with Fields in canonical order;
// an empty row comes with a CodeEmptyRow warning and no values, a row with
// the wrong number of fields but a readable username with a CodeFieldCount
// error. Any other problem of a record, or of the header or carry columns,
// ends the sequence with its *ParseError; an invalid option or an I/O
// error ends it wrapped. An empty file yields nothing.
func ReadRows(r io.Reader, columns, carry []string, opts ...ReaderOption) iter.Seq2[SourceRow, error] {
	return func(yield func(SourceRow, error) bool) {
		sch := userGroups
		if !slices.Equal(columns, sch.columns) {
			sch = contacts
		}
		if !slices.Equal(columns, sch.columns) {
			yield(SourceRow{}, errors.New("csvspec: ReadRows: the columns are neither Header() nor ContactHeader()"))
			return
		}
		t := newTable(r, sch, opts)
		t.carry = carry
		h, err := t.readHeader()
		if err == nil {
			err = h.firstError()
		}
		if err != nil {
			if err != io.EOF {
				yield(SourceRow{}, err)
			}
			return
		}
		if len(h.ps) > 0 && !yield(SourceRow{Line: h.line, Problems: slices.Clone(h.ps)}, nil) {
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
			if err == nil && f != nil && f.Code != CodeEmptyRow {
				err = rowFault(t, f, fields)
			}
			if err != nil {
				yield(SourceRow{}, err)
				return
			}
			// The values of 512 rows share one allocation.
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
				f.Row = 0
				row.Problems = []Problem{*f}
			}
			if !yield(row, nil) {
				return
			}
		}
	}
}

// rowFault returns f as ReadRows' error, or nil for a row it yields with f.
func rowFault(t *table, f *Problem, fields []string) error {
	e := parseError(f)
	if f.Code == CodeFieldCount {
		if fi := t.hdr.index[colUsername]; fi < len(fields) {
			var c rowCheck // CheckRow's username checks
			c.checkValue(ColumnUsername, fields[fi], true)
			c.checkUsername(fields[fi])
			if !slices.ContainsFunc(c.ps, isError) {
				return nil
			}
		}
		e.msg += "; the username cannot be read"
	}
	return e
}

// rowCheckOf returns the check of a row of n Fields, and whether it applies.
func rowCheckOf(row *SourceRow, n int) (rowCheck, bool) {
	c := rowCheck{line: row.Line, ps: row.Problems}
	unread := func(p Problem) bool { return p.Code == CodeEmptyRow || p.Code == CodeFieldCount }
	if row.Fields == nil || slices.ContainsFunc(row.Problems, unread) {
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
// Fields are in the order of Header(), but for repeated rows, which need
// the rows before. Each has the row's Line and Row 0.
func (r Rules) CheckRow(row *SourceRow) { r.RowChecker()(row) }

// RowChecker returns CheckRow with r's group lists indexed once, for
// checking many rows, one at a time (it is not safe for concurrent use).
// The lists must not change while it is in use.
func (r Rules) RowChecker() func(row *SourceRow) {
	groups := r.catalogs()
	return func(row *SourceRow) {
		if c, ok := rowCheckOf(row, numColumns); ok {
			checkUserGroup(&c, (*[numColumns]string)(row.Fields), &groups)
			row.Problems = c.ps
		}
	}
}

// CheckContactRow appends to row.Problems the problems of a contacts row
// whose Fields are in the order of ContactHeader(), as CheckRow does. When
// none is an error, it rewrites Fields in the canonical spelling a
// ContactWriter writes, so that rows that mean the same are equal; the
// username, addressee and contact stay as they are.
func CheckContactRow(row *SourceRow) {
	c, ok := rowCheckOf(row, numContactColumns)
	if !ok {
		return
	}
	v := (*[numContactColumns]string)(row.Fields)
	k := checkContact(&c, v)
	row.Problems = c.ps
	if slices.ContainsFunc(row.Problems, isError) {
		return
	}
	var sc []Scenario
	for i, s := range knownScenarios {
		if k.known&(1<<i) != 0 {
			sc = append(sc, s)
		}
	}
	copy(v[:], Contact{v[ccUsername], k.typ, k.role, k.primary == BoolTrue, v[ccAddressee], v[ccContact], k.sms, sc}.canonical())
}

func isError(p Problem) bool { return p.Severity == SeverityError }
