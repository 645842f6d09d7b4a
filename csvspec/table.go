package csvspec

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A ParseError is a problem of a file that a Reader or ReadRows returns:
// of the header, of the file as a whole, or of one row.
type ParseError struct {
	Row    int    // 1-based data row; 0 for the header
	Line   int    // 1-based physical line where the record starts
	Column string // canonical column name; "" when the problem is not in one column
	Code   string // the problem's code, such as CodeFieldCount

	// For CodeSeparator and CodeEncoding, both facts of a file in another
	// dialect, when known: the separator of its header, and its encoding
	// ("utf-16le", "utf-16be", "utf-32le", "utf-32be", or "windows-1252").
	Comma    rune
	Encoding string

	msg string
}

// Error returns the position and what the problem is.
func (e *ParseError) Error() string {
	where := ""
	switch {
	case e.Line > 0 && e.Row > 0:
		where = fmt.Sprintf("line %d (row %d): ", e.Line, e.Row)
	case e.Line > 0:
		where = fmt.Sprintf("line %d (header): ", e.Line)
	case e.Row > 0:
		where = fmt.Sprintf("row %d: ", e.Row)
	}
	return "csvspec: " + where + cmp.Or(e.msg, e.Code, "invalid CSV")
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// boms are the byte order marks of the encodings Infiniti cannot read.
var boms = []struct{ mark, name, label string }{
	{"\xFF\xFE\x00\x00", "UTF-32 (little-endian)", "utf-32le"},
	{"\x00\x00\xFE\xFF", "UTF-32 (big-endian)", "utf-32be"},
	{"\xFF\xFE", "UTF-16 (little-endian)", "utf-16le"},
	{"\xFE\xFF", "UTF-16 (big-endian)", "utf-16be"},
}

// utf16Line returns the first line of UTF-16 text b in UTF-8.
func utf16Line(b []byte, bigEndian bool) []byte {
	var out []byte
	for i := 2; i+1 < len(b); i += 2 {
		r := rune(b[i]) | rune(b[i+1])<<8
		if bigEndian {
			r = rune(b[i])<<8 | rune(b[i+1])
		}
		if r == '\n' || r == '\r' {
			break
		}
		out = utf8.AppendRune(out, r)
	}
	return out
}

// notUTF8 reports whether b is not UTF-8 but for a rune cut off at its end.
func notUTF8(b []byte) bool {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				b = b[:i]
			}
			break
		}
	}
	return !utf8.Valid(b)
}

// A table reads the header and rows of a file of one schema.
type table struct {
	src       *source
	br        *bufio.Reader
	cr        *csv.Reader
	base      int64 // bytes before the csv.Reader's first (a byte order mark)
	sch       *schema
	comma     rune
	source    []string // per canonical column, its header name
	mapped    []bool   // per canonical column, whether a header map named it
	carry     []string // header names of the columns to carry
	err       error    // sticky: an option, header or I/O error, or io.EOF
	hdr       *header
	row       int    // data rows read
	lastLine  int    // the line of the last field of the last record read
	lastField string // that field
	size      int64  // the size of the last record read
	end       int64  // the csv.Reader's offset after it
	raw       []byte // the header record as it is in the file, if buffered
	peeked    []byte // the start of the file, as the header was read
}

const maxRecordBytes = 1 << 20 // bounds a record as it is in the file

const bufSize = 64 << 10

func newTable(r io.Reader, sch *schema, opts []ReaderOption) *table {
	cfg := readerConfig{comma: ',', headerMap: make(map[string]string)}
	t := &table{sch: sch}
	for _, opt := range opts {
		if opt != nil && t.err == nil {
			t.err = opt(&cfg)
		}
	}
	if t.comma = cfg.comma; t.err == nil {
		t.source, t.mapped, t.err = cfg.resolve(sch)
	}
	t.src = &source{r: r, limit: maxRecordBytes + bufSize, lastNL: -1, prevNL: -1}
	t.br = bufio.NewReaderSize(t.src, bufSize)
	return t
}

var errTooLarge = errors.New("record too large")

// A source is the file, failing a read past limit, and keeping its end.
type source struct {
	r              io.Reader
	n, limit       int64
	last           byte
	lastNL, prevNL int64 // offsets of the last two '\n' read; -1 if none
	eof            bool
}

func (s *source) Read(p []byte) (int, error) {
	if s.n >= s.limit {
		return 0, errTooLarge
	}
	p = p[:min(int64(len(p)), s.limit-s.n)]
	k, err := s.r.Read(p)
	if k > 0 {
		if i := bytes.LastIndexByte(p[:k], '\n'); i >= 0 {
			s.prevNL = s.lastNL
			if j := bytes.LastIndexByte(p[:i], '\n'); j >= 0 {
				s.prevNL = s.n + int64(j)
			}
			s.lastNL = s.n + int64(i)
		}
		s.n += int64(k)
		s.last = p[k-1]
	}
	if err == io.EOF {
		s.eof = true
	}
	return k, err
}

// lastLine returns the length of the file's last line, without its '\n'.
func (s *source) lastLine() int64 {
	if s.lastNL == s.n-1 {
		return s.lastNL - s.prevNL - 1
	}
	return s.n - s.lastNL - 1
}

// atEnd reports whether the csv.Reader has read the whole file.
func (t *table) atEnd() bool {
	return t.src.eof && t.base+t.cr.InputOffset() == t.src.n
}

// read reads the next record and moves the record limit past it.
func (t *table) read() ([]string, error) {
	fields, err := t.cr.Read()
	end := t.cr.InputOffset()
	t.size, t.end = end-t.end, end
	t.src.limit = t.base + end + maxRecordBytes + bufSize
	if err == nil && t.size <= maxRecordBytes {
		t.lastLine, _ = t.cr.FieldPos(len(fields) - 1)
		t.lastField = fields[len(fields)-1]
	} else if err == nil {
		err = errTooLarge
	}
	return fields, err
}

// readHeader reads the header once; io.EOF means an empty file.
func (t *table) readHeader() (*header, error) {
	if t.hdr == nil && t.err == nil {
		t.hdr, t.err = t.headerRecord()
	}
	return t.hdr, t.err
}

// headerRecord reads the header record and resolves it.
func (t *table) headerRecord() (*header, error) {
	h := &header{rowCheck: rowCheck{line: 1}}
	b, _ := t.br.Peek(4)
	for _, m := range boms {
		if !bytes.HasPrefix(b, []byte(m.mark)) {
			continue
		}
		h.noRows, h.encoding = true, m.label
		and := ""
		if strings.HasPrefix(m.label, "utf-16") {
			b, _ = t.br.Peek(t.br.Buffered())
			t.raw = utf16Line(b, m.label == "utf-16be")
			if h.comma = t.separator(); h.comma != 0 {
				and = fmt.Sprintf(", and its fields are separated by %s", separatorName(h.comma))
			}
		}
		h.fail(CodeEncoding, fmt.Sprintf("the file is %s text (it starts with that byte order mark)%s, but Infiniti reads UTF-8", m.name, and))
		return h, nil
	}
	if bytes.HasPrefix(b, bom) {
		_, _ = t.br.Discard(len(bom))
		t.base = int64(len(bom))
	}
	if t.crOnly() {
		h.noRows = true
		h.fail("cr-line-endings", `the lines of the file end in CR only (Excel for Mac's "CSV (Macintosh)"), so it reads as one line`)
		return h, nil
	}
	peeked, _ := t.br.Peek(t.br.Buffered())
	t.peeked = bytes.Clone(peeked)
	t.cr = csv.NewReader(t.br)
	t.cr.Comma, t.cr.FieldsPerRecord, t.cr.ReuseRecord = t.comma, -1, true
	fields, err := t.read()
	if off := t.cr.InputOffset(); off <= int64(len(t.peeked)) {
		t.raw = t.peeked[:off]
	}
	var pe *csv.ParseError
	switch {
	case err == nil:
		h.line, _ = t.cr.FieldPos(0)
	case errors.As(err, &pe):
		h.line = pe.StartLine
		if !t.detectSeparator(h) {
			h.fail("malformed-quoting", quoteMessage(pe))
		}
		return h, nil
	case errors.Is(err, errTooLarge):
		h.fail("record-too-large", fmt.Sprintf("the header is over %d bytes, the most a record may have; this is not a %s file, or a quote in its header is never closed", maxRecordBytes, t.sch.kind))
		return h, nil
	case err == io.EOF:
		return nil, err
	default:
		return nil, fmt.Errorf("csvspec: reading the file: %w", err)
	}
	if bytes.IndexByte(t.raw, 0) >= 0 || strings.ContainsRune(strings.Join(fields, ""), 0) {
		h.noRows, h.encoding = true, "utf-16le"
		if len(t.raw) > 0 && t.raw[0] == 0 {
			h.encoding = "utf-16be"
		}
		h.fail(CodeEncoding, "the header holds NUL bytes, which UTF-8 text does not: the file looks like UTF-16 or UTF-32 without a byte order mark")
		return h, nil
	}
	h = parseHeader(fields, t.sch, t.source, t.mapped, t.carry, h.line)
	if h.unreadable {
		// Rather than columns missing, it may be the other import's or dialect's.
		alt := &header{rowCheck: rowCheck{line: h.line}}
		if t.detectWrongImport(alt, h.loose) || t.detectSeparator(alt) || t.detectQuotedLines(alt, fields) {
			h = alt
		}
	}
	return h, nil
}

// detectWrongImport reports, in h too, a header (by looseName) of the other import.
func (t *table) detectWrongImport(h *header, loose []string) bool {
	other := contacts
	if t.sch == contacts {
		other = userGroups
	}
	for _, col := range other.columns {
		if slices.Contains(loose, col) {
			continue
		}
		if i := slices.Index(t.sch.columns, col); i < 0 || !slices.Contains(loose, looseName(t.source[i])) {
			return false
		}
	}
	h.fail(CodeWrongImport, fmt.Sprintf("the header is a %s file's (%s), not a %s file's", other.kind, other.brief, t.sch.kind))
	return true
}

// separator returns another usual separator that splits the header, or 0.
func (t *table) separator() rune {
	for _, alt := range []rune{',', ';', '\t', '|'} {
		if alt != t.comma && t.splits(t.raw, alt) {
			return alt
		}
	}
	return 0
}

// detectSeparator reports, in h too, a header of another separator.
func (t *table) detectSeparator(h *header) bool {
	if h.comma = t.separator(); h.comma == 0 {
		return false
	}
	and := ""
	if notUTF8(t.peeked) {
		h.encoding = "windows-1252"
		and = ", and the file is not UTF-8 text (Windows-1252, perhaps)"
	}
	h.fail(CodeSeparator, fmt.Sprintf("the header is separated by %s, not %s%s", separatorName(h.comma), separatorName(t.comma), and))
	return true
}

// splits reports whether comma splits the first record of b into a header.
func (t *table) splits(b []byte, comma rune) bool {
	cr := csv.NewReader(bytes.NewReader(b))
	cr.Comma, cr.FieldsPerRecord = comma, -1
	fields, err := cr.Read()
	return err == nil && len(fields) >= 2 && !parseHeader(fields, t.sch, t.source, t.mapped, nil, 1).unreadable
}

// detectQuotedLines reports, in h too, a header that is one quoted field.
func (t *table) detectQuotedLines(h *header, fields []string) bool {
	line := bytes.TrimRight(t.raw, "\r\n")
	if len(fields) != 1 || len(line) < 2 || line[0] != '"' || line[len(line)-1] != '"' {
		return false
	}
	for _, alt := range []rune{t.comma, ',', ';', '\t', '|'} {
		if !t.splits([]byte(fields[0]), alt) {
			continue
		}
		fix := ""
		if alt != t.comma {
			fix = fmt.Sprintf(", and its fields are separated by %s", separatorName(alt))
		}
		h.fail("quoted-lines", fmt.Sprintf("every line of the file is enclosed in double quotes, so the header reads as the one value %s%s", quote(fields[0]), fix))
		return true
	}
	return false
}

// crOnly reports whether the first line ends in a CR that no LF follows.
func (t *table) crOnly() bool {
	quoted := false
	for i := 0; ; i++ {
		b, _ := t.br.Peek(i + 1)
		if len(b) <= i {
			return false // the end of the file, or a line over the buffer
		}
		switch c := b[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\n':
			return false
		case c == '\r':
			b, _ = t.br.Peek(i + 2)
			return len(b) > i+1 && b[i+1] != '\n' && b[i+1] != '\r'
		}
	}
}

func separatorName(r rune) string {
	return cmp.Or(map[rune]string{',': `commas (",")`, ';': `semicolons (";")`, '\t': "tabs", '|': `vertical bars ("|")`}[r], strconv.QuoteRune(r))
}

// fault returns the problem that makes the record at line not a plain row.
func (t *table) fault(line int, code, msg string) *Problem {
	sev := SeverityError
	if code == CodeEmptyRow {
		sev = SeverityWarning
	}
	return &Problem{Row: t.row, Line: line, Code: code, Severity: sev, Message: msg}
}

// parseError returns p as a Reader's error.
func parseError(p *Problem) *ParseError {
	return &ParseError{Row: p.Row, Line: p.Line, Column: p.Column, Code: p.Code, msg: p.Message}
}

func quoteMessage(e *csv.ParseError) string {
	return fmt.Sprintf("malformed quoting at line %d, column %d (%v)", e.Line, e.Column, e.Err)
}

// next reads row t.row: its fields until the next call, its line, and its
// problem if it is not plain. Errors are sticky, io.EOF at the end.
func (t *table) next() ([]string, int, *Problem, error) {
	if t.hdr == nil {
		if h, err := t.readHeader(); err == nil {
			t.err = h.firstError()
		}
	}
	if t.err != nil {
		return nil, 0, nil, t.err
	}
	fields, err := t.read()
	if err != nil {
		return t.unread(err)
	}
	t.row++
	line, _ := t.cr.FieldPos(0)
	// The plain row, the most common by far, costs one test: its first
	// field is not empty, cannot be the header's first name again, and
	// the number of fields is right.
	if c := fields[0]; c != "" && len(fields) == t.hdr.nfields && c[0]|0x20 != t.hdr.start && c[0] != t.hdr.start && c[0] > ' ' && c[0] < utf8.RuneSelf && c[0] != '_' {
		return fields, line, nil, nil
	}
	return t.odd(fields, line)
}

// unread returns what next returns for a record that cannot be read.
func (t *table) unread(err error) ([]string, int, *Problem, error) {
	var pe *csv.ParseError // declared here, as it escapes
	if !errors.As(err, &pe) && !errors.Is(err, errTooLarge) {
		if t.err = err; err != io.EOF {
			t.err = fmt.Errorf("csvspec: reading the file: %w", err)
		}
		return nil, 0, nil, t.err
	}
	t.row++
	switch {
	case pe != nil && pe.Err == csv.ErrQuote && t.atEnd() && int64(pe.Column) > t.src.lastLine(): // the file ends inside quotes
		t.err = io.EOF
		return nil, pe.StartLine, t.fault(pe.StartLine, CodeUnclosedQuote, fmt.Sprintf(
			"the file ends inside a quoted field of the record that starts here: either the export was cut off, or line %d has an unclosed quote", pe.StartLine)), nil
	case pe != nil && t.size <= maxRecordBytes:
		t.lastLine, t.lastField = pe.Line, ""
		return nil, pe.StartLine, t.fault(pe.StartLine, "malformed-quoting", quoteMessage(pe)), nil
	}
	t.err = io.EOF
	line := t.lastLine + strings.Count(t.lastField, "\n") + 1 // after the last record read
	return nil, line, t.fault(line, "record-too-large", fmt.Sprintf(
		"the record starting here is over %d bytes, the most a record may have: perhaps a quote is never closed", maxRecordBytes)), nil
}

// odd returns what next returns for a record that next's one test does not
// pass: a plain row still, or an empty, cut-off, short or long row, or the
// header repeated.
func (t *table) odd(fields []string, line int) ([]string, int, *Problem, error) {
	h := t.hdr
	if fields[0] == "" && !slices.ContainsFunc(fields, func(f string) bool { return f != "" }) {
		return fields, line, t.fault(line, CodeEmptyRow, "the row has only empty fields"), nil
	}
	if len(fields) < h.nfields && t.atEnd() && t.src.last != '\n' && t.src.last != '\r' {
		return fields, line, t.fault(line, CodeCutOff, fmt.Sprintf(
			"the last record has no line break and %d of the header's %d fields: the export looks cut off at line %d", len(fields), h.nfields, line)), nil
	}
	if len(fields) != h.nfields {
		return fields, line, t.fault(line, CodeFieldCount, fmt.Sprintf("the row has %d fields but the header has %d", len(fields), h.nfields)), nil
	}
	if slices.EqualFunc(fields, h.loose, looseEqual) {
		return nil, line, t.fault(line, "repeated-header", fmt.Sprintf(
			"the row repeats the header of line %d, as when two exports are joined into one file", h.line)), nil
	}
	return fields, line, nil, nil
}

// looseEqual reports whether looseName(s) == loose, but for marks before s.
// It folds ASCII in place: a row is compared with the header without
// allocating, whatever its first letter.
func looseEqual(s, loose string) bool {
	s = strings.TrimSpace(strings.TrimLeft(s, "\ufeff"))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			return looseName(s) == loose
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c == ' ' || c == '_':
			c = '-'
		}
		if i >= len(loose) || c != loose[i] {
			return false
		}
	}
	return len(s) == len(loose)
}

// countRows reads the rest of the file only to count its rows.
func (t *table) countRows() error {
	for t.cr != nil {
		_, err := t.read()
		switch {
		case err == io.EOF || errors.Is(err, errTooLarge):
			return nil
		case err != nil && !errors.As(err, new(*csv.ParseError)):
			return fmt.Errorf("csvspec: reading the file: %w", err)
		}
		t.row++
	}
	return nil
}
