package csvspec

import (
	"io"
	"iter"
)

// A Reader reads the records of a user-groups file, streaming.
//
// The first non-blank record is the header; its columns may come in any
// order, and columns other than the canonical three are ignored. Blank lines
// are skipped and not counted. A leading UTF-8 byte order mark is removed.
// Values are returned as they are in the file: the Reader does not trim or
// validate them (Check does).
type Reader struct {
	t *table
}

var userGroups = &schema{
	kind:     "user-groups",
	columns:  columns[:],
	required: "Infiniti requires username, library-group and system-group, even when empty",
	brief:    "username,library-group,system-group",
}

// NewReader returns a Reader that reads from r. Options that get bad input
// make the first Read return the error.
func NewReader(r io.Reader, opts ...ReaderOption) *Reader {
	return &Reader{t: newTable(r, userGroups, opts)}
}

// Read returns the next record, or io.EOF after the last one.
//
// A problem with the header is returned as a *ParseError by the first Read
// and by every Read after it, its Code one of the codes of the file and
// the header (see the package documentation): a missing, misspelt or
// repeated required column, a header-map name the file does not have, the
// header of a contacts file (one error rather than a missing column each;
// ReadRows with ContactHeader() gives it for a user-groups file), a header separated by
// another character than the one read with, a UTF-16 or UTF-32 file, a
// malformed or too large header.
//
// A row that cannot be read is returned as a *ParseError together with a
// Record carrying only its Row and Line, and the next Read goes on with the
// next row: the wrong number of fields (CodeFieldCount), malformed quoting,
// a repeat of the header. A last record with no line break and fewer
// fields than the header is CodeCutOff. A record over 1 MiB (the error
// naming the line where it began), and a file that ends inside the quotes
// of a field (CodeUnclosedQuote), end the file: the next Read returns
// io.EOF.
//
// A row whose fields are all empty (",," or ",,,,", as Excel leaves below
// the data, whatever its number of fields) is returned as a Record with
// Empty set, a zero UserGroup and a nil error, keeping its Row and Line, so
// that a caller can drop it; Check warns about it (CodeEmptyRow).
//
// An I/O error of the underlying reader is returned wrapped, and again by
// every later Read.
func (r *Reader) Read() (Record, error) {
	fields, line, f, err := r.t.next()
	if err != nil {
		return Record{}, err
	}
	rec := Record{Row: r.t.row, Line: line}
	if f != nil {
		rec.Empty = f == emptyRow
		return rec, f.parseError(rec.Row, line)
	}
	idx := r.t.hdr.index
	rec.UserGroup = UserGroup{
		Username:     fields[idx[colUsername]],
		LibraryGroup: fields[idx[colLibraryGroup]],
		SystemGroup:  fields[idx[colSystemGroup]],
	}
	return rec, nil
}

// All returns an iterator over the remaining records. It yields every row
// error as Read returns it and goes on with the next row; it stops after
// the last record, or after yielding a header or I/O error (which do not
// let reading go on). io.EOF is never yielded.
func (r *Reader) All() iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for {
			rec, err := r.Read()
			if err == io.EOF || !yield(rec, err) || err != nil && r.t.err != nil {
				return
			}
		}
	}
}
