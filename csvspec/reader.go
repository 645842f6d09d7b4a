package csvspec

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
)

// Errors that a *ParseError wraps, for errors.Is.
var (
	// ErrMissingColumn: the header lacks a required column.
	ErrMissingColumn = errors.New("missing column")
	// ErrHeaderName: a header name is close to, but not exactly, a canonical name.
	ErrHeaderName = errors.New("non-canonical header name")
	// ErrDuplicateColumn: the header names a column twice.
	ErrDuplicateColumn = errors.New("duplicate column")
	// ErrFieldCount: a row has a different number of fields than the header.
	ErrFieldCount = errors.New("wrong number of fields")
	// ErrQuote: a field's quoting is malformed.
	ErrQuote = errors.New("malformed quoting")
)

// codeErr returns the error of a header problem's code.
func codeErr(code string) error {
	switch code {
	case CodeMissingColumn:
		return ErrMissingColumn
	case CodeDuplicateColumn:
		return ErrDuplicateColumn
	}
	return ErrHeaderName
}

// A ParseError is a problem with the header or with one row, found by a
// Reader. It says where the problem is and what to do about it.
type ParseError struct {
	Row    int    // 1-based data row; 0 for the header
	Line   int    // 1-based physical line where the record starts
	Column string // canonical column name; "" when the problem is not in one column
	Err    error  // ErrMissingColumn, ErrHeaderName, ErrDuplicateColumn, ErrFieldCount or ErrQuote
	msg    string
}

// Error returns the position and a sentence on how to fix the problem.
func (e *ParseError) Error() string {
	where := fmt.Sprintf("line %d", e.Line)
	if e.Row > 0 {
		where += fmt.Sprintf(" (row %d)", e.Row)
	} else {
		where += " (header)"
	}
	return "csvspec: " + where + ": " + e.msg
}

// Unwrap returns the kind of problem, one of the Err* variables of this package.
func (e *ParseError) Unwrap() error { return e.Err }

var bom = []byte{0xEF, 0xBB, 0xBF}

// A Reader reads the records of a user-groups file, streaming.
//
// The first non-blank record is the header; its columns may come in any
// order, and columns other than the canonical three are ignored. Blank lines
// are skipped and not counted. A leading UTF-8 byte order mark is removed.
// Values are returned as they are in the file: the Reader does not trim or
// validate them (Check does).
type Reader struct {
	br  *bufio.Reader
	cr  *csv.Reader
	cfg readerConfig
	err error // sticky: an option, header or I/O error, or io.EOF
	hdr *header
	row int
}

// NewReader returns a Reader that reads from r. Options that get bad input
// make the first Read return the error.
func NewReader(r io.Reader, opts ...ReaderOption) *Reader {
	cfg, err := newReaderConfig(opts)
	br := bufio.NewReaderSize(r, 64<<10)
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return &Reader{br: br, cr: cr, cfg: cfg, err: err}
}

// readRecord returns the next raw record and its first physical line. A
// malformed record is returned as a *csv.ParseError with a nil record.
func (r *Reader) readRecord() ([]string, int, error) {
	rec, err := r.cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, pe.StartLine, pe
		}
		if err != io.EOF {
			err = fmt.Errorf("csvspec: reading the file: %w", err)
		}
		return nil, 0, err
	}
	line, _ := r.cr.FieldPos(0)
	return rec, line, nil
}

// readHeader reads and resolves the header. It returns the header, or a
// sticky error: io.EOF for an empty file, a *ParseError for a malformed
// header record, or an I/O error. Header problems are in the header; the
// caller decides whether they stop reading.
func (r *Reader) readHeader() (*header, error) {
	if r.err != nil {
		return nil, r.err
	}
	if b, err := r.br.Peek(len(bom)); err == nil && bytes.Equal(b, bom) {
		_, _ = r.br.Discard(len(bom))
	}
	fields, line, err := r.readRecord()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			err = &ParseError{Line: line, Err: ErrQuote, msg: quoteMessage(pe)}
		}
		r.err = err
		return nil, err
	}
	h := parseHeader(fields, &r.cfg, line)
	r.hdr = &h
	return r.hdr, nil
}

func quoteMessage(pe *csv.ParseError) string {
	return fmt.Sprintf("malformed quoting at line %d, column %d (%v); a value with a quote, comma or line break must be enclosed in double quotes and its quotes doubled",
		pe.Line, pe.Column, pe.Err)
}

// Read returns the next record, or io.EOF after the last one.
//
// A problem with the header (a missing, misspelt or repeated required
// column, not resolved by WithHeaderMap) is returned as a *ParseError by the
// first Read and by every Read after it. A row with the wrong number of
// fields or malformed quoting is returned as a *ParseError together with a
// Record carrying only its Row and Line; the next Read goes on with the next
// row. An I/O error of the underlying reader is returned as it is wrapped,
// and again by every later Read.
func (r *Reader) Read() (Record, error) {
	if r.hdr == nil {
		h, err := r.readHeader()
		if err != nil {
			return Record{}, err
		}
		if err := h.firstError(); err != nil {
			r.err = err
			return Record{}, err
		}
	}
	if r.err != nil {
		return Record{}, r.err
	}
	fields, line, err := r.readRecord()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			r.row++
			return Record{Row: r.row, Line: line}, &ParseError{Row: r.row, Line: line, Err: ErrQuote, msg: quoteMessage(pe)}
		}
		r.err = err
		return Record{}, err
	}
	r.row++
	if len(fields) != r.hdr.nfields {
		return Record{Row: r.row, Line: line}, &ParseError{Row: r.row, Line: line, Err: ErrFieldCount, msg: fieldCountMessage(len(fields), r.hdr.nfields)}
	}
	idx := &r.hdr.index
	return Record{
		UserGroup: UserGroup{
			Username:     fields[idx[colUsername]],
			LibraryGroup: fields[idx[colLibraryGroup]],
			SystemGroup:  fields[idx[colSystemGroup]],
		},
		Row:  r.row,
		Line: line,
	}, nil
}

func fieldCountMessage(got, want int) string {
	return fmt.Sprintf("the row has %d fields but the header has %d; quote values that contain commas and give every row one value per header column", got, want)
}

// All returns an iterator over the remaining records. It yields every row
// error as Read returns it and goes on with the next row; it stops after
// the last record, or after yielding a header or I/O error (which do not
// let reading go on). io.EOF is never yielded.
func (r *Reader) All() iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for {
			rec, err := r.Read()
			if err == io.EOF {
				return
			}
			if !yield(rec, err) {
				return
			}
			if err != nil && r.err != nil {
				return
			}
		}
	}
}
