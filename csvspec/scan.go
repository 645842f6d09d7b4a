package csvspec

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"unicode/utf8"
)

// The limits of a record. A file that passes them is read with bounded
// memory whatever its size; a record past them is an error and is skipped
// without being held.
const (
	// MaxRecordBytes is the size limit of one record (the header or a data
	// row), counted in bytes as they are in the file, quotes and line
	// breaks included. A record over it is a problem of
	// CodeRecordTooLarge (from a Reader, a *ParseError wrapping
	// ErrRecordTooLarge) naming the line where it began; reading goes on
	// after its end. An unbalanced quote makes the rest of a file one
	// record, so it ends as one such problem rather than as a record held
	// in memory.
	MaxRecordBytes = 1 << 20

	// MaxFields is the most fields a record may have. A header with more is
	// one problem of CodeRecordTooLarge (ErrRecordTooLarge from a Reader);
	// a data row with more has the wrong number of fields, a problem of
	// CodeFieldCount (ErrFieldCount), since a header has at most MaxFields.
	MaxFields = 1024
)

// errLong is the signal of readLine that a line takes its record past
// MaxRecordBytes.
var errLong = errors.New("record too long")

// A recordError is a record the scanner could not read: malformed quoting,
// or a record over MaxRecordBytes. Its bytes have been consumed; the next
// record starts after it.
type recordError struct {
	kind      error // ErrQuote or ErrRecordTooLarge
	detail    error // csv.ErrBareQuote or csv.ErrQuote, for ErrQuote
	start     int   // line where the record starts
	line, col int   // where the quoting error is (col 1-based, in bytes)
	unclosed  int   // the line where a quoted field starts that the input ends in; 0 if none
}

func (e *recordError) Error() string { return e.kind.Error() }

// A scanner reads CSV records as encoding/csv's Reader does with
// FieldsPerRecord -1 and LazyQuotes off (RFC 4180; \r\n read as \n; blank
// lines skipped; a \r before the end of the input dropped), with a field
// separator of choice, and within the limits of MaxRecordBytes and
// MaxFields: a larger record is consumed without being held.
type scanner struct {
	br       *bufio.Reader
	limit    int // MaxRecordBytes, smaller in tests
	comma    rune
	commaLen int
	commaB   [utf8.UTFMax]byte

	line    int      // physical lines consumed
	start   int      // line where the last record returned starts
	size    int      // bytes of the current record read so far
	raw     []byte   // a line longer than br's buffer
	rec     []byte   // the unescaped fields, one after another
	ends    []int    // end of each field in rec; at most MaxFields+1 of them
	fields  []string // the last record returned, reused
	nfields int      // fields of the last record, counted past MaxFields too

	keep bool   // keep the lines of the next record in kept
	kept []byte // the lines of the last record, \r\n read as \n, if keep

	pending error // a read error met by a readLine that returned errLong
	noEOL   bool  // the last record ended the input without a line break
}

func newScanner(br *bufio.Reader, comma rune) *scanner {
	s := &scanner{br: br, limit: MaxRecordBytes, comma: comma}
	s.commaLen = utf8.EncodeRune(s.commaB[:], comma)
	return s
}

// readLine reads the next line with its \n (\r\n is returned as \n). A last
// line without \n is returned without it, and a \r that ends the input is
// dropped. It returns io.EOF only when no byte was read. When the line takes
// the record past limit bytes it returns errLong with the bytes of the line
// read so far, as they were in the file; a read error met on the way is
// then in s.pending.
func (s *scanner) readLine(limit int) ([]byte, error) {
	line, err := s.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		s.raw = append(s.raw[:0], line...)
		for err == bufio.ErrBufferFull && len(s.raw) <= limit {
			line, err = s.br.ReadSlice('\n')
			s.raw = append(s.raw, line...)
		}
		line = s.raw
	}
	n := len(line)
	if n > limit && !(s.size == 0 && blank(line)) {
		if err == bufio.ErrBufferFull {
			err = nil
		}
		s.pending = err
		return line, errLong
	}
	if n > 0 && err == io.EOF {
		err = nil
		s.noEOL = line[n-1] != '\r'
		if !s.noEOL {
			line = line[:n-1]
		}
	}
	if n > 0 {
		s.line++
	}
	s.size += n
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	return line, err
}

// blank reports whether a line at the start of a record is a blank line,
// which is skipped and is no part of the record.
func blank(line []byte) bool {
	switch string(line) {
	case "\n", "\r\n", "\r":
		return true
	}
	return false
}

func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}

func nextRune(b []byte) rune {
	r, _ := utf8.DecodeRune(b)
	return r
}

func (s *scanner) endField() {
	s.nfields++
	if len(s.ends) <= MaxFields {
		s.ends = append(s.ends, len(s.rec))
	}
}

func (s *scanner) quoteError(detail error, line, col int) error {
	return &recordError{kind: ErrQuote, detail: detail, start: s.start, line: line, col: col}
}

// next reads the next record. It returns its fields (valid until the next
// call; at most MaxFields+1 of them, s.nfields counts them all), or io.EOF
// after the last record, or a *recordError for a record it could not read
// (the next call goes on after it), or an error of the underlying reader.
// s.start is the line where the record starts.
func (s *scanner) next() ([]string, error) {
	s.rec = s.rec[:0]
	s.ends = s.ends[:0]
	s.nfields = 0
	s.noEOL = false
	var line []byte
	var errRead error
	for {
		s.size = 0
		line, errRead = s.readLine(s.limit)
		if errRead == errLong {
			s.start = s.line + 1
			return nil, s.skip(line, stFieldStart, s.start)
		}
		if errRead == nil && len(line) == lengthNL(line) {
			continue // a blank line
		}
		break
	}
	if errRead != nil {
		return nil, errRead // io.EOF, or a read error
	}
	if s.keep {
		s.kept = append(s.kept[:0], line...)
	}
	s.start = s.line
	lineNo, col := s.line, 1
	commaLen := s.commaLen
parseField:
	for {
		if len(line) == 0 || line[0] != '"' {
			// An unquoted field.
			i := bytes.IndexRune(line, s.comma)
			field := line
			if i >= 0 {
				field = field[:i]
			} else {
				field = field[:len(field)-lengthNL(field)]
			}
			if j := bytes.IndexByte(field, '"'); j >= 0 {
				return nil, s.quoteError(csv.ErrBareQuote, lineNo, col+j)
			}
			s.rec = append(s.rec, field...)
			s.endField()
			if i >= 0 {
				line = line[i+commaLen:]
				col += i + commaLen
				continue parseField
			}
			break parseField
		}
		// A quoted field.
		qline := lineNo
		line = line[1:]
		col++
		for {
			i := bytes.IndexByte(line, '"')
			switch {
			case i >= 0:
				s.rec = append(s.rec, line[:i]...)
				line = line[i+1:]
				col += i + 1
				switch rn := nextRune(line); {
				case rn == '"': // "" is a quote
					s.rec = append(s.rec, '"')
					line = line[1:]
					col++
				case rn == s.comma: // the end of the field
					line = line[commaLen:]
					col += commaLen
					s.endField()
					continue parseField
				case lengthNL(line) == len(line): // the end of the record
					s.endField()
					break parseField
				default:
					return nil, s.quoteError(csv.ErrQuote, lineNo, col-1)
				}
			case len(line) > 0:
				// The field goes on on the next line.
				s.rec = append(s.rec, line...)
				col += len(line)
				line, errRead = s.readLine(s.limit - s.size)
				if errRead == errLong {
					return nil, s.skip(line, stQuoted, qline)
				}
				if errRead != nil && errRead != io.EOF {
					return nil, errRead
				}
				if len(line) > 0 {
					lineNo++
					col = 1
				}
				if s.keep {
					s.kept = append(s.kept, line...)
				}
			default:
				// The input ends inside quotes.
				return nil, &recordError{kind: ErrQuote, detail: csv.ErrQuote, start: s.start, line: lineNo, col: col, unclosed: qline}
			}
		}
	}
	str := string(s.rec) // one allocation for all the fields
	n := len(s.ends)
	if cap(s.fields) < n {
		s.fields = make([]string, n, max(n, 8))
	}
	s.fields = s.fields[:n]
	prev := 0
	for i, end := range s.ends {
		s.fields[i] = str[prev:end]
		prev = end
	}
	return s.fields, nil
}

// The states of skip, which follows the quoting of a record it does not
// hold, to find where it ends.
const (
	stFieldStart = iota // at the start of a field
	stUnquoted          // in an unquoted field
	stQuoted            // in a quoted field
	stQuote             // after a quote in a quoted field: its end, or the first of ""
	stQuoteCR           // after a quote and a \r
	stComma             // in a separator of several bytes after a quoted field
	stBad               // after a quoting error: the record ends with the line
	stDone              // the record has ended
)

// skip consumes the rest of a record over s.limit: b is the part of its
// current line read so far, st the parse state at the start of b, and
// s.pending a read error met while reading b. It ends where encoding/csv
// would end the record, malformed quoting included, and returns a
// *recordError of ErrRecordTooLarge, or a read error. qline is the line
// where the field being read starts, for a file that ends in its quotes.
func (s *scanner) skip(b []byte, st, qline int) error {
	m := skipper{st: st, comma: s.commaB[:s.commaLen]}
	tooLarge := &recordError{kind: ErrRecordTooLarge, start: s.start}
	err := s.pending
	s.pending = nil
	partial := false // the last byte consumed is not the end of a line
	for {
		// b holds at most one \n, at its end: it is a part of one line.
		if len(b) > 0 {
			m.feed(b)
			partial = b[len(b)-1] != '\n'
			if !partial {
				s.line++
			}
		}
		if m.st == stDone || err != nil {
			break
		}
		b, err = s.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			err = nil
		}
	}
	if m.st != stDone && partial {
		s.line++ // the last line, without \n
	}
	// Let go of what the record grew, not to hold it for the rest of the file.
	if cap(s.raw) > 256<<10 {
		s.raw = nil
	}
	if cap(s.rec) > 256<<10 {
		s.rec = nil
	}
	if err != nil && err != io.EOF {
		return err
	}
	if err == io.EOF && m.st == stQuoted {
		tooLarge.unclosed = qline
	}
	return tooLarge
}

// A skipper follows the quoting of a record without holding it, to find
// where it ends.
type skipper struct {
	st    int
	comma []byte
	cm    int // bytes of a separator of several bytes matched so far
}

// feed advances over b, a part of one line (a \n, if any, is its last byte).
func (m *skipper) feed(b []byte) {
	for i := 0; i < len(b) && m.st != stDone; {
		rest := b[i:]
		// Fast paths: a quoted field up to its next quote; the rest of a
		// line after a quoting error; an unquoted field up to a quote, with
		// a separator of one byte.
		switch {
		case m.st == stQuoted:
			j := bytes.IndexByte(rest, '"')
			if j < 0 {
				return
			}
			i += j + 1
			m.st = stQuote
			continue
		case m.st == stBad:
			if rest[len(rest)-1] == '\n' {
				m.st = stDone
			}
			return
		case (m.st == stUnquoted || m.st == stFieldStart) && len(m.comma) == 1:
			j := bytes.IndexByte(rest, '"')
			if j < 0 {
				switch last := rest[len(rest)-1]; {
				case last == '\n':
					m.st = stDone
				case last == m.comma[0]:
					m.st = stFieldStart
				default:
					m.st = stUnquoted
				}
				return
			}
			if (j == 0 && m.st == stFieldStart) || (j > 0 && rest[j-1] == m.comma[0]) {
				m.st = stQuoted
			} else {
				m.st = stBad // a quote in an unquoted field
			}
			i += j + 1
			continue
		}
		m.step(b[i])
		i++
	}
}

// step advances over one byte.
func (m *skipper) step(c byte) {
	switch m.st {
	case stFieldStart:
		switch c {
		case '"':
			m.st = stQuoted
			return
		case '\n':
			m.st = stDone
			return
		}
		m.st, m.cm = stUnquoted, 0
		fallthrough
	case stUnquoted:
		switch {
		case c == '\n':
			m.st = stDone
		case c == m.comma[m.cm]:
			m.cm++
			if m.cm == len(m.comma) {
				m.st, m.cm = stFieldStart, 0
			}
		case c == '"':
			m.st = stBad
		case c == m.comma[0]:
			m.cm = 1
		default:
			m.cm = 0
		}
	case stQuoted:
		if c == '"' {
			m.st = stQuote
		}
	case stQuote:
		switch {
		case c == '"':
			m.st = stQuoted
		case c == '\n':
			m.st = stDone
		case c == '\r':
			m.st = stQuoteCR
		case c == m.comma[0] && len(m.comma) == 1:
			m.st = stFieldStart
		case c == m.comma[0]:
			m.st, m.cm = stComma, 1
		default:
			m.st = stBad
		}
	case stQuoteCR:
		if c == '\n' {
			m.st = stDone
		} else {
			m.st = stBad
		}
	case stComma:
		switch {
		case c == m.comma[m.cm]:
			m.cm++
			if m.cm == len(m.comma) {
				m.st, m.cm = stFieldStart, 0
			}
		case c == '\n':
			m.st = stDone
		default:
			m.st = stBad
		}
	case stBad:
		if c == '\n' {
			m.st = stDone
		}
	}
}
