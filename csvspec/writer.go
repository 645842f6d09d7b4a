package csvspec

import (
	"encoding/csv"
	"io"
)

// A Writer writes user-groups rows in the canonical form: the header, then
// one line per row, quoted as RFC 4180 says, ending in LF. It writes any
// value, valid or not; a CR LF in a value reads back as LF. Output is
// buffered: call Flush, and check its error.
type Writer struct {
	w canonWriter
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{canonWriter{cw: csv.NewWriter(w), header: columns[:]}}
}

// Write writes one row, after the header if it is the first. It returns
// an error of the underlying writer, which Flush returns too.
func (w *Writer) Write(g UserGroup) error {
	return w.w.write(g.Username, g.LibraryGroup, g.SystemGroup)
}

// Flush writes any buffered data, and the header if no row was written.
// It returns the first error met while writing.
func (w *Writer) Flush() error {
	return w.w.flush()
}

// A canonWriter writes the records of one import, after its header.
type canonWriter struct {
	cw     *csv.Writer
	header []string // the header, until it is written
}

func (w *canonWriter) writeHeader() error {
	h := w.header
	w.header = nil
	if h == nil {
		return nil
	}
	return w.cw.Write(h)
}

func (w *canonWriter) write(rec ...string) error {
	if w.header != nil {
		if err := w.writeHeader(); err != nil {
			return err
		}
	}
	return w.cw.Write(rec)
}

func (w *canonWriter) flush() error {
	if err := w.writeHeader(); err != nil {
		return err
	}
	w.cw.Flush()
	return w.cw.Error()
}
