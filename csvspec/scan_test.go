package csvspec

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// scanned is one record as the scanner or encoding/csv read it.
type scanned struct {
	Start     int
	Fields    []string
	Err       string // "bare", "quote", "large" or ""
	Line, Col int    // of a quoting error
}

// scanAll reads data with a scanner of the given separator and record limit.
func scanAll(t testing.TB, data []byte, comma rune, limit int) []scanned {
	t.Helper()
	s := newScanner(bufio.NewReaderSize(bytes.NewReader(data), 16), comma)
	s.limit = limit
	var out []scanned
	for {
		fields, err := s.next()
		if err == io.EOF {
			return out
		}
		var re *recordError
		switch {
		case errors.As(err, &re) && re.kind == ErrRecordTooLarge:
			out = append(out, scanned{Start: re.start, Err: "large"})
		case errors.As(err, &re):
			out = append(out, scanned{Start: re.start, Err: csvErrName(re.detail), Line: re.line, Col: re.col})
		case err != nil:
			t.Fatalf("scanner: %v", err)
		default:
			out = append(out, scanned{Start: s.start, Fields: append([]string(nil), fields...)})
		}
	}
}

func csvErrName(err error) string {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return "bare"
	case errors.Is(err, csv.ErrQuote):
		return "quote"
	}
	return err.Error()
}

// csvAll reads data with encoding/csv as the scanner should, except that a
// record whose bytes (from its first line to the end of the last line read
// for it) are more than limit is reported as "large".
func csvAll(t testing.TB, data []byte, comma rune, limit int) []scanned {
	t.Helper()
	lineStart := []int64{0, 0} // lineStart[n]: offset of line n
	for i, b := range data {
		if b == '\n' {
			lineStart = append(lineStart, int64(i+1))
		}
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	var out []scanned
	for {
		fields, err := cr.Read()
		if err == io.EOF {
			return out
		}
		var rec scanned
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			rec = scanned{Start: pe.StartLine, Err: csvErrName(pe.Err), Line: pe.Line, Col: pe.Column}
		} else if err != nil {
			t.Fatalf("encoding/csv: %v", err)
		} else {
			line, _ := cr.FieldPos(0)
			rec = scanned{Start: line, Fields: fields}
		}
		if cr.InputOffset()-lineStart[rec.Start] > int64(limit) {
			rec = scanned{Start: rec.Start, Err: "large"}
		}
		out = append(out, rec)
	}
}

func TestScannerMatchesEncodingCSV(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		comma rune
		limit int
	}{
		{"plain", "a,b,c\nd,e,f\n", ',', 1 << 20},
		{"no final newline", "a,b\nc,d", ',', 1 << 20},
		{"CRLF and blank lines", "\r\na,b\r\n\r\n\nc,d\r\n", ',', 1 << 20},
		{"trailing CR at the end", "a,b\r", ',', 1 << 20},
		{"lone CR in a value", "a\rb,c\n", ',', 1 << 20},
		{"quoted with separators, quotes and line breaks", "\"a,b\",\"say \"\"hi\"\"\",\"x\r\ny\"\nz\n", ',', 1 << 20},
		{"empty fields", ",,\n\"\"\n,\n", ',', 1 << 20},
		{"bare quote", "ab\"c,d\ne,f\n", ',', 1 << 20},
		{"quote after a quoted field", "\"ab\"c,d\ne,f\n", ',', 1 << 20},
		{"unclosed quote", "a,\"b\nc\nd", ',', 1 << 20},
		{"quote then CR then text", "\"a\"\rb\nc\n", ',', 1 << 20},
		{"semicolons", "a;\"b;c\";d\n", ';', 1 << 20},
		{"tabs", "a\t\"b\tc\"\td\n", '\t', 1 << 20},
		{"multi-byte separator", "a€\"b€c\"€d\ne€f\n", '€', 1 << 20},
		{"long line over the limit", "a,b\n" + strings.Repeat("x", 100) + "\nc,d\n", ',', 50},
		{"long line within the limit", "a,b\n" + strings.Repeat("x", 100) + "\nc,d\n", ',', 101},
		{"unclosed quote over the limit", "a,b\n\"" + strings.Repeat("x\n", 60) + "c,d\n", ',', 50},
		{"quoted field over the limit, then more", "a\n\"" + strings.Repeat("x\n", 30) + "\",y\nc,d\n", ',', 20},
		{"long record with a quote error", "a\n" + strings.Repeat("x", 30) + "\"y\nc,d\n", ',', 20},
		{"long record with a multi-byte separator", "a\n" + strings.Repeat("x€", 30) + "\"q€\n\"€b\nc€d\n", '€', 20},
		{"long record, quote CR", "a\n\"" + strings.Repeat("x", 30) + "\"\r\nc\n", ',', 20},
		{"long record ending at EOF", "a\n" + strings.Repeat("x", 30), ',', 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := csvAll(t, []byte(tt.in), tt.comma, tt.limit)
			got := scanAll(t, []byte(tt.in), tt.comma, tt.limit)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("records (-encoding/csv +scanner):\n%s", diff)
			}
		})
	}
}

// FuzzScanner checks that the scanner reads any input as encoding/csv does,
// for several separators and record limits: the same records, start lines,
// errors and error positions, and "too large" exactly for the records over
// the limit, reading going on after them at the same place.
func FuzzScanner(f *testing.F) {
	f.Add([]byte("a,b\n\"c\nd\",e\n"), uint8(0), uint8(0))
	f.Add([]byte("a;\"b\"\"c\";d\r\n\r\n\"x\"y\n"), uint8(1), uint8(5))
	f.Add([]byte("a€\"b€c\"€d\ne€f\n\"unclosed"), uint8(3), uint8(4))
	f.Add([]byte("x\n\""+strings.Repeat("y\n", 20)+"\"\r\nz,\"q\"\n"), uint8(0), uint8(8))
	commas := []rune{',', ';', '\t', '€', 'é', '😀'}
	f.Fuzz(func(t *testing.T, data []byte, c, l uint8) {
		comma := commas[int(c)%len(commas)]
		limit := 1 << 20
		if l%8 != 0 {
			limit = int(l)
		}
		want := csvAll(t, data, comma, limit)
		got := scanAll(t, data, comma, limit)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("comma %q, limit %d: records (-encoding/csv +scanner):\n%s", comma, limit, diff)
		}
	})
}
