package oneroster

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/autosync-go/autosync/internal/suggest"
)

// A table is one CSV file of a package, read record by record.
type table struct {
	p      *Package
	name   string
	rc     io.Closer
	in     *capped
	cr     *csv.Reader
	header []string
	col    map[string]int // by the spec's name, or the name asked for: the column's index
	first  []string       // the first data record, read ahead
	status int            // the index of the status column, or -1
	line   int            // its line
	last   int            // the line of the last record read
	off    int64          // the offset of its end
	bulk   bool
}

// openTable opens the file name and reads its header: each column of
// spec is found by its name, or by its name in another case (a
// warning); a column of required not found is an error naming the
// nearest header name; other header names but metadata.* are warnings.
// A file the manifest marks bulk must have a data row.
func (p *Package) openTable(name string, spec, required []string) (*table, error) {
	rc, err := p.arc.open(p.arc.names[name])
	if err != nil {
		return nil, err
	}
	in := &capped{r: rc, limit: 3 + bufSize + MaxRecord}
	br := bufio.NewReaderSize(in, bufSize)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\ufeff")) {
		_, _ = br.Discard(3)
	}
	t := &table{p: p, name: path.Base(p.arc.names[name]), rc: rc, in: in, cr: csv.NewReader(br), col: map[string]int{}, bulk: p.bulk[name]}
	t.cr.ReuseRecord = true
	h, err := t.cr.Read()
	if err != nil && err != io.EOF {
		rc.Close()
		return nil, t.csvError(err)
	}
	if err = t.advance(1); err != nil {
		rc.Close()
		return nil, err
	}
	t.header = slices.Clone(h)
	if err := t.resolve(spec, required); err != nil {
		rc.Close()
		return nil, err
	}
	t.status = t.index("status")
	t.first, t.line, err = t.read()
	if err == io.EOF && t.bulk {
		err = t.errorf(2, "", CodeNoRows, "the manifest marks %s bulk, but it has no data rows", t.name)
	}
	if err != nil && err != io.EOF {
		rc.Close()
		return nil, err
	}
	return t, nil
}

// resolve finds the columns of spec and required in the header.
func (t *table) resolve(spec, required []string) error {
	last := -1
	for _, s := range spec {
		i := slices.Index(t.header, s)
		if i < 0 {
			if i = slices.IndexFunc(t.header, func(h string) bool { return strings.EqualFold(strings.TrimSpace(h), s) }); i >= 0 {
				t.p.warn(Error{File: t.name, Line: 1, Column: t.header[i], Code: CodeHeaderCase, Msg: fmt.Sprintf("the header has %q, which the spec writes %q", t.header[i], s)})
			}
		}
		switch {
		case i < 0 && slices.ContainsFunc(required, func(r string) bool { return strings.EqualFold(r, s) }):
			return t.missing(s)
		case i < 0:
			t.p.warn(Error{File: t.name, Line: 1, Column: s, Code: CodeOptionalCol, Msg: fmt.Sprintf("the header has no column %q", s)})
			continue
		case i < last:
			t.p.warn(Error{File: t.name, Line: 1, Column: s, Code: CodeHeaderOrder, Msg: fmt.Sprintf("the header has %q out of the spec's order", s)})
		}
		last = i
		t.col[s] = i
	}
	for _, h := range t.header {
		if spec != nil && !slices.ContainsFunc(spec, func(s string) bool { return strings.EqualFold(strings.TrimSpace(h), s) }) && !hasPrefixFold(h, "metadata.") {
			t.p.warn(Error{File: t.name, Line: 1, Column: h, Code: CodeUnknownCol, Msg: fmt.Sprintf("the header has %q, which is not a column of the spec", h)})
		}
	}
	for _, r := range required {
		if _, ok := t.col[r]; ok {
			continue
		}
		i := slices.IndexFunc(t.header, func(h string) bool { return strings.EqualFold(strings.TrimSpace(h), r) })
		if i < 0 {
			return t.missing(r)
		}
		t.col[r] = i
	}
	return nil
}

// missing returns the error of a required column not in the header.
func (t *table) missing(col string) error {
	msg := fmt.Sprintf("the header has no column %q", col)
	if near, ok := suggest.Nearest(col, t.header); ok {
		msg += fmt.Sprintf("; the nearest is %q", near)
	}
	if t.p.warned["manifest.csv\x00"+CodeNoVersion] {
		msg += "; the manifest has no oneroster.version, so the package is read as 1.1"
	}
	return &Error{File: t.name, Line: 1, Column: col, Code: CodeMissingColumn, Msg: msg}
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// MaxRecord is the most bytes a record of a file may have, so that a
// file of one huge record cannot fill the memory.
const MaxRecord = 1 << 20

const bufSize = 64 << 10

// A capped reader refuses to read past limit, which the table moves
// past each record it reads.
type capped struct {
	r        io.Reader
	n, limit int64
}

var errTooLarge = errors.New("record too large")

func (c *capped) Read(b []byte) (int, error) {
	if c.n >= c.limit {
		return 0, errTooLarge
	}
	b = b[:min(int64(len(b)), c.limit-c.n)]
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// advance checks the size of the record just read, at line, and lets
// the next one be read.
func (t *table) advance(line int) error {
	off := t.cr.InputOffset()
	if off-t.off > MaxRecord {
		return t.tooLarge(line)
	}
	t.in.limit, t.off, t.last = 3+bufSize+MaxRecord+off, off, line
	return nil
}

// read reads a record and returns it and its line.
func (t *table) read() ([]string, int, error) {
	rec, err := t.cr.Read()
	if err != nil {
		return nil, 0, t.csvError(err)
	}
	line, _ := t.cr.FieldPos(0)
	if err := t.advance(line); err != nil {
		return nil, 0, err
	}
	if t.bulk {
		if i := t.status; i >= 0 && strings.EqualFold(rec[i], "active") {
			t.p.warn(Error{File: t.name, Line: line, Column: "status", Code: CodeActive, Msg: "status is \"active\" in a bulk file, where it should be empty"})
		}
	}
	return rec, line, nil
}

// next returns the next data record and its line, or io.EOF.
func (t *table) next() ([]string, int, error) {
	if t.first != nil {
		rec, line := t.first, t.line
		t.first = nil
		return rec, line, nil
	}
	if t.line == 0 {
		return nil, 0, io.EOF
	}
	rec, line, err := t.read()
	if err == io.EOF {
		t.line = 0
	}
	return rec, line, err
}

// csvError returns an error of encoding/csv as an *Error.
func (t *table) csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		col := ""
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return t.errorf(pe.StartLine, "", CodeCSV, "the record has a number of fields other than the header's %d", len(t.header))
		}
		return t.errorf(pe.Line, col, CodeCSV, "column %d: %v", pe.Column, pe.Err)
	}
	if err == io.EOF {
		return err
	}
	if errors.Is(err, errTooLarge) {
		return t.tooLarge(t.last + 1)
	}
	return &Error{File: t.name, Code: CodeRead, Msg: err.Error(), Err: err}
}

func (t *table) close() { t.rc.Close() }

func (t *table) tooLarge(line int) error {
	return t.errorf(line, "", CodeTooLarge, "the record starting here is over %d bytes", MaxRecord)
}

// index returns the index of the column name, or -1 if the file lacks
// it.
func (t *table) index(name string) int {
	if i, ok := t.col[name]; ok {
		return i
	}
	return -1
}

// get returns the value of rec's column name, "" if the file lacks it.
func (t *table) get(rec []string, name string) string { return at(rec, t.index(name)) }

// at returns rec[i], or "" when i is -1.
func at(rec []string, i int) string {
	if i < 0 {
		return ""
	}
	return rec[i]
}

// gone reports whether rec's status is tobedeleted.
func (t *table) gone(rec []string) bool { return strings.EqualFold(at(rec, t.status), "tobedeleted") }

func (t *table) errorf(line int, col, code, format string, args ...any) *Error {
	return &Error{File: t.name, Line: line, Column: col, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// checkID warns, once a file, of a sourcedId outside the characters and
// length the spec gives. OneRoster types a sourcedId as a GUID: a string,
// unique and stable, for which the spec says no character set with MUST
// (the clause could not be checked against the spec's text when this was
// written, so this stays a warning). Its CSV binding writes lists of
// sourcedIds (orgSourcedIds) comma-separated, so a comma or a space in
// one breaks a join; the 256 characters are our bound, not the spec's.
func (p *Package) checkID(t *table, line int, col, id string) {
	ok := len(id) > 0 && len(id) <= 256
	for i := 0; ok && i < len(id); i++ {
		ok = id[i] > ' ' && id[i] < 0x7f && id[i] != ','
	}
	if !ok {
		p.warn(Error{File: t.name, Line: line, Column: col, Code: CodeSourcedID, Msg: fmt.Sprintf("the sourcedId %q is empty, longer than 256 characters, or has a character other than printable ASCII but space and comma", id)})
	}
}
