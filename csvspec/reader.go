package csvspec

import (
	"io"
	"iter"
)

// A Reader reads the records of a user-groups file, streaming. The header's
// columns may come in any order; other columns are ignored. Blank lines and
// a UTF-8 byte order mark are skipped. Values are returned as they are.
type Reader struct{ t *table }

var userGroups = &schema{kind: "user-groups", columns: columns[:], brief: "username,library-group,system-group"}

// NewReader returns a Reader that reads from r.
func NewReader(r io.Reader, opts ...ReaderOption) *Reader {
	return &Reader{t: newTable(r, userGroups, opts)}
}

// Read returns the next record, or io.EOF after the last one.
//
// A problem of the header or the file is a *ParseError, returned by every
// Read. A row that cannot be read is a *ParseError with a Record holding
// its Row and Line, and reading goes on, but for a record over 1 MiB or an
// unclosed quote at the end, which end the file. An empty row is a Record
// with Empty set and a nil error. An I/O error is returned wrapped, and
// again by every later Read.
func (r *Reader) Read() (Record, error) {
	fields, line, f, err := r.t.next()
	if err != nil || f != nil {
		return oddRecord(r.t.row, line, f, err)
	}
	return r.record(fields, line), nil
}

// record returns the record of a plain row.
func (r *Reader) record(fields []string, line int) Record {
	idx := r.t.hdr.index
	return Record{UserGroup: UserGroup{fields[idx[colUsername]], fields[idx[colLibraryGroup]], fields[idx[colSystemGroup]]}, Row: r.t.row, Line: line}
}

// oddRecord returns what Read returns for a row with problem f or for err.
func oddRecord(row, line int, f *Problem, err error) (Record, error) {
	if err != nil {
		return Record{}, err
	}
	rec := Record{Row: row, Line: line, Empty: f.Code == CodeEmptyRow}
	if rec.Empty {
		return rec, nil
	}
	return rec, parseError(f)
}

// All returns an iterator over the remaining records and their errors, as
// Read returns them; it stops after a header or I/O error and never yields
// io.EOF.
func (r *Reader) All() iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for {
			fields, line, f, err := r.t.next()
			if f == nil && err == nil {
				if !yield(r.record(fields, line), nil) {
					return
				}
			} else if rec, err := oddRecord(r.t.row, line, f, err); err == io.EOF || !yield(rec, err) || err != nil && r.t.err != nil {
				return
			}
		}
	}
}
