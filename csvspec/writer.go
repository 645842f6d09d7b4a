package csvspec

import (
	"encoding/csv"
	"io"
)

// A Writer writes user-groups rows in the canonical form: the header, then
// one line per row, quoted as RFC 4180 says, ending in LF. It writes any
// value, valid or not; a CR LF in a value reads back as LF. Output is
// buffered: call Flush, and check its error.
type Writer struct{ cw *csv.Writer }

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{newCanonWriter(w, columns[:])} }

// newCanonWriter returns a csv.Writer with header in its buffer, not yet in w.
func newCanonWriter(w io.Writer, header []string) *csv.Writer {
	cw := csv.NewWriter(w)
	_ = cw.Write(header)
	return cw
}

// Write writes one row, after the header if it is the first. It returns
// an error of the underlying writer, which Flush returns too.
func (w *Writer) Write(g UserGroup) error {
	return w.cw.Write([]string{g.Username, g.LibraryGroup, g.SystemGroup})
}

// Flush writes any buffered data, and the header if no row was written.
// It returns the first error met while writing.
func (w *Writer) Flush() error {
	w.cw.Flush()
	return w.cw.Error()
}
