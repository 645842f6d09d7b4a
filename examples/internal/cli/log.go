package cli

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// A Dated writer starts each line written to it with the local date and
// time (RFC 3339, with the offset) and a space: a cron log or a journal
// file then says when each line was written.
type Dated struct {
	w   io.Writer
	now func() time.Time

	mu      sync.Mutex
	midLine bool // the last write did not end a line
}

// NewDated returns a Dated writer to w; now is the clock (time.Now).
func NewDated(w io.Writer, now func() time.Time) *Dated { return &Dated{w: w, now: now} }

// Write writes p, each of its lines after the date and time.
func (d *Dated) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	stamp := d.now().Format(time.RFC3339) + " "
	var b []byte
	for _, c := range p {
		if !d.midLine {
			b = append(b, stamp...)
			d.midLine = true
		}
		b = append(b, c)
		if c == '\n' {
			d.midLine = false
		}
	}
	if _, err := d.w.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Raw returns the writer under w if w is a *Dated, else w: what a
// program writes a JSON document to, which carries no dates.
func Raw(w io.Writer) io.Writer {
	if d, ok := w.(*Dated); ok {
		return d.w
	}
	return w
}

// Output returns f as a program writes to it: f itself on a terminal,
// else a Dated writer.
func Output(f *os.File) io.Writer {
	if IsTerminal(f) {
		return f
	}
	return NewDated(f, time.Now)
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// ProgName returns the name a program was run by (its binary's name,
// without .exe), from arg0, or def when arg0 names none.
func ProgName(arg0, def string) string {
	name := strings.TrimSuffix(filepath.Base(arg0), ".exe")
	if name == "" || name == "." || name == string(filepath.Separator) {
		return def
	}
	return name
}
