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
	var rec Record
	err := r.read(&rec)
	return rec, err
}

// read reads the next record into rec, as Read returns it.
func (r *Reader) read(rec *Record) error {
	fields, line, f, err := r.t.next()
	if err != nil {
		return err
	}
	rec.Row, rec.Line = r.t.row, line
	if f != nil {
		if rec.Empty = f.Code == CodeEmptyRow; rec.Empty {
			return nil
		}
		return parseError(f)
	}
	idx := r.t.hdr.index
	rec.UserGroup = UserGroup{fields[idx[colUsername]], fields[idx[colLibraryGroup]], fields[idx[colSystemGroup]]}
	return nil
}

// All returns an iterator over the remaining records and their errors, as
// Read returns them; it stops after a header or I/O error and never yields
// io.EOF.
func (r *Reader) All() iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for {
			var rec Record
			err := r.read(&rec)
			if err == io.EOF || !yield(rec, err) || err != nil && r.t.err != nil {
				return
			}
		}
	}
}
