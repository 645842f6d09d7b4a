package csvspec

import (
	"encoding/csv"
	"io"
)

// A Writer writes user-groups rows in the canonical form: the header
// "username,library-group,system-group", then one line per row with RFC 4180
// quoting, so that commas, quotes and line breaks in values read back as they
// were. Lines end in LF.
//
// The Writer is an encoder, not a validator: it writes any value as it is,
// including values that Check would reject. One exception is inherent to
// CSV as encoding/csv reads it: a CR LF pair inside a value reads back as LF.
//
// Output is buffered; call Flush when done, and check its error.
type Writer struct {
	w canonWriter
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{canonWriter{cw: csv.NewWriter(w), header: columns[:]}}
}

// Write writes one row, preceded by the header if it is the first. It
// returns an error only if the underlying writer failed; the same error
// is returned by Flush.
func (w *Writer) Write(g UserGroup) error {
	return w.w.write(g.Username, g.LibraryGroup, g.SystemGroup)
}

// Flush writes any buffered data to the underlying writer, and the header
// alone if no row was written, so that a flushed Writer always leaves a
// valid file. It returns the first error met while writing.
func (w *Writer) Flush() error {
	return w.w.flush()
}

// A canonWriter writes the records of one import, preceded by its header.
type canonWriter struct {
	cw     *csv.Writer
	header []string // the header, until it is written
}

func (w *canonWriter) write(rec ...string) error {
	if h := w.header; h != nil {
		w.header = nil
		if err := w.cw.Write(h); err != nil {
			return err
		}
	}
	return w.cw.Write(rec)
}

func (w *canonWriter) flush() error {
	if h := w.header; h != nil {
		w.header = nil
		if err := w.cw.Write(h); err != nil {
			return err
		}
	}
	w.cw.Flush()
	return w.cw.Error()
}
