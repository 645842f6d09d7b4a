package mapping

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/internal/suggest"
)

// ReadRows reads a CSV export of an SMS, streaming, and yields its rows
// mapped as Rows maps them. The first record is the header; comma is the
// separator (0 for a comma); a UTF-8 byte order mark is dropped. carry
// names columns whose values each row carries in Carry, in that order.
//
// A row whose fields are all empty yields a row with empty Fields and a
// csvspec.CodeEmptyRow warning; a row with the wrong number of fields
// yields the username alone with a csvspec.CodeFieldCount error, or ends
// the sequence when it is too short to have the username. The rows
// yielded are the caller's to keep. A
// header without a column the rules or carry name, a malformed record and
// an error of r end the sequence with an error; a file of 0 bytes yields
// nothing.
func (m *Mapping) ReadRows(r io.Reader, comma rune, carry []string) iter.Seq2[csvspec.SourceRow, error] {
	return func(yield func(csvspec.SourceRow, error) bool) {
		header, src, err := ReadSource(r, comma, carry)
		if err == io.EOF {
			return
		}
		if err != nil {
			yield(csvspec.SourceRow{}, err)
			return
		}
		m.Rows(header, src)(yield)
	}
}

// ReadSource reads the header of a CSV export of an SMS, and returns it
// and the export's rows, unmapped, for Rows and Explain: each with its
// values in the order of the header, its Line and its Carry, as ReadRows
// reads them. It returns io.EOF for a file of 0 bytes. A row's Fields
// share their backing array with the next row's: a caller that keeps
// them past the next row copies them (Rows does not keep them).
func ReadSource(r io.Reader, comma rune, carry []string) ([]string, iter.Seq2[csvspec.SourceRow, error], error) {
	br := bufio.NewReader(r)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\ufeff")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	if comma != 0 {
		cr.Comma = comma
	}
	cr.FieldsPerRecord, cr.ReuseRecord = -1, true
	header, err := cr.Read()
	if err != nil {
		return nil, nil, readError(err)
	}
	header = slices.Clone(header)
	idx := make([]int, len(carry))
	for i, c := range carry {
		if idx[i], err = column(header, c, "to carry"); err != nil {
			return nil, nil, err
		}
	}
	src := func(yield func(csvspec.SourceRow, error) bool) {
		var store []string
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(csvspec.SourceRow{}, readError(err))
				return
			}
			line, _ := cr.FieldPos(0)
			if len(store) < len(carry) {
				store = make([]string, 512*len(carry))
			}
			row := csvspec.SourceRow{Fields: rec, Line: line}
			if len(carry) > 0 {
				row.Carry, store = store[:len(carry):len(carry)], store[len(carry):]
				for i, ci := range idx {
					if ci < len(rec) {
						row.Carry[i] = rec[ci]
					}
				}
			}
			switch {
			case !slices.ContainsFunc(rec, func(s string) bool { return s != "" }):
				row.Problems = []csvspec.Problem{{Line: line, Code: csvspec.CodeEmptyRow, Severity: csvspec.SeverityWarning,
					Message: "the row's fields are all empty; it is dropped"}}
			case len(rec) != len(header):
				row.Problems = []csvspec.Problem{{Line: line, Code: csvspec.CodeFieldCount, Severity: csvspec.SeverityError,
					Message: fmt.Sprintf("the row has %d fields, not %d as the header", len(rec), len(header))}}
			}
			if !yield(row, nil) {
				return
			}
		}
	}
	return header, src, nil
}

// readError returns err of encoding/csv as the reader's error.
func readError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{Line: pe.StartLine, Msg: pe.Err.Error()}
	}
	if err == io.EOF {
		return err
	}
	return fmt.Errorf("mapping: reading the export: %w", err)
}

// column returns the index in header of the column name, which where
// says why the caller wants ("named at rows[0].library-group", "to
// carry"); or an *Error naming it and the header's columns.
func column(header []string, name, where string) (int, error) {
	found := -1
	for i, h := range header {
		if strings.EqualFold(strings.TrimSpace(h), name) {
			if found >= 0 {
				return 0, &Error{Line: 1, Msg: fmt.Sprintf("the header has the column %q twice, %s", name, where)}
			}
			found = i
		}
	}
	if found >= 0 {
		return found, nil
	}
	q := make([]string, len(header))
	for i, h := range header {
		q[i] = strconv.Quote(h)
	}
	msg := fmt.Sprintf("the file has no column %q %s; its columns are %s", name, where, strings.Join(q, ", "))
	if near, ok := suggest.Nearest(name, header); ok {
		msg += fmt.Sprintf("; did you mean %q?", near)
	}
	return 0, &Error{Line: 1, Msg: msg}
}
