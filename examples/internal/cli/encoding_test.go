package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// utf16 encodes s as UTF-16 with a byte order mark, little- or big-endian.
func utf16(s string, little bool) []byte {
	var b []byte
	put := func(u uint16) {
		if little {
			b = append(b, byte(u), byte(u>>8))
		} else {
			b = append(b, byte(u>>8), byte(u))
		}
	}
	put(0xFEFF)
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			put(uint16(0xD800 + r>>10))
			put(uint16(0xDC00 + r&0x3FF))
			continue
		}
		put(uint16(r))
	}
	return b
}

func TestDecode(t *testing.T) {
	const text = "username,library-group\r\nzoë,Blue\r\n"
	// ascii is the whole look-ahead and more, in lines of 8 bytes.
	ascii := strings.Repeat("1234567\n", LookAhead/8+100)
	tests := []struct {
		name     string
		encoding string
		in       []byte
		want     string
		wantErr  string
	}{
		{name: "utf-8 passes through", encoding: "utf-8", in: []byte(text), want: text},
		{name: "default is utf-8", encoding: "", in: []byte("\ufeff" + text), want: "\ufeff" + text},
		{name: "windows-1252", encoding: "windows-1252", in: []byte("zo\xeb \x80 \x93x\x94\n"), want: "zoë € “x”\n"},
		{name: "any case", encoding: "Windows-1252", in: []byte("zo\xeb\n"), want: "zoë\n"},
		{name: "iso-8859-1", encoding: "iso-8859-1", in: []byte("zo\xeb\n"), want: "zoë\n"},
		{name: "utf-16 LE", encoding: "utf-16", in: utf16(text+"😀", true), want: text + "😀"},
		{name: "utf-16 BE", encoding: "utf-16", in: utf16(text+"😀", false), want: text + "😀"},
		{name: "empty utf-8", encoding: "utf-8", in: nil, want: ""},
		{name: "empty windows-1252", encoding: "windows-1252", in: nil, want: ""},
		{
			name: "utf-16 without -encoding", encoding: "", in: utf16(text, true),
			wantErr: `the file starts with a UTF-16 LE byte order mark: it is Unicode text (UTF-16), as Excel saves "Unicode text"; run again with -encoding utf-16`,
		},
		{name: "utf-16 BE read as windows-1252", encoding: "windows-1252", in: utf16(text, false), wantErr: "UTF-16 BE byte order mark"},
		{name: "utf-32", encoding: "utf-16", in: []byte{0xFF, 0xFE, 0, 0, 'a', 0, 0, 0}, wantErr: "UTF-32 LE byte order mark: it is UTF-32 text, which this program cannot read"},
		{name: "utf-32 BE", encoding: "", in: []byte{0, 0, 0xFE, 0xFF}, wantErr: "UTF-32 BE byte order mark"},
		{name: "utf-8 read as windows-1252", encoding: "windows-1252", in: []byte("\ufeff" + text), wantErr: "it is UTF-8 already, not windows-1252; leave out -encoding"},
		{
			name: "utf-8 without BOM read as windows-1252", encoding: "windows-1252", in: []byte(text),
			wantErr: `this file is UTF-8 already, not windows-1252: line 2 has "ë", which windows-1252 would garble into "Ã«"; leave out -encoding`,
		},
		{name: "utf-8 without BOM read as iso-8859-1", encoding: "ISO-8859-1", in: []byte("a\nb\nBl\u00e9u\n"), wantErr: `this file is UTF-8 already, not iso-8859-1: line 3 has "é"`},
		{
			name: "utf-8 past the look-ahead read as windows-1252", encoding: "windows-1252", in: []byte(ascii + "Bl\u00e9u\n"),
			wantErr: fmt.Sprintf(`this file is UTF-8 already, not windows-1252: line %d has "é"`, LookAhead/8+101),
		},
		{name: "windows-1252 past the look-ahead", encoding: "windows-1252", in: []byte(ascii + "Bl\xe9u\n"), want: ascii + "Bléu\n"},
		{name: "windows-1252 with a pair of bytes that reads as UTF-8", encoding: "windows-1252", in: []byte("\xc3\xa9 zo\xeb\n"), want: "Ã© zoë\n"},
		{name: "windows-1252 of ASCII alone", encoding: "windows-1252", in: []byte(ascii), want: ascii},
		{name: "utf-16 without BOM", encoding: "utf-16", in: []byte("a\x00b\x00"), wantErr: "this file has none"},
		{name: "undefined windows-1252 byte", encoding: "windows-1252", in: []byte("a\nb\nc\x81\n"), wantErr: "line 3 holds bytes that are not valid windows-1252"},
		{name: "unpaired surrogate", encoding: "utf-16", in: append(utf16("a\n", true), 0x00, 0xD8, 'b', 0), wantErr: "line 2 holds bytes that are not valid utf-16"},
		{name: "odd utf-16 length", encoding: "utf-16", in: append(utf16("a", true), 'b'), wantErr: "line 1 holds bytes that are not valid utf-16"},
		{name: "unknown", encoding: "latin9", in: []byte(text), wantErr: `-encoding: unknown encoding "latin9"; use one of utf-8, windows-1252, iso-8859-1, utf-16`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, oneByte := range []bool{false, true} {
				var in io.Reader = bytes.NewReader(tt.in)
				if oneByte {
					in = iotest.OneByteReader(in)
				}
				got, err := decodeAll(in, tt.encoding)
				gotErr := ""
				if err != nil {
					gotErr = err.Error()
				}
				if !strings.Contains(gotErr, tt.wantErr) || (tt.wantErr == "") != (err == nil) {
					t.Errorf("one byte at a time %v: error %q, want %q", oneByte, gotErr, tt.wantErr)
				}
				if err == nil {
					if diff := cmp.Diff(tt.want, got); diff != "" {
						t.Errorf("one byte at a time %v: (-want +got):\n%s", oneByte, diff)
					}
				}
			}
		})
	}
}

func decodeAll(r io.Reader, encoding string) (string, error) {
	d, err := Decode(r, encoding, Flags)
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(d)
	return string(b), err
}

// TestStrictReaderSplit finds a U+FFFD split across reads at every offset.
func TestStrictReaderSplit(t *testing.T) {
	const src = "ab\ncd\n\xef\xbf\xbd"
	for chunk := 1; chunk <= len(src); chunk++ {
		s := &strictReader{r: &chunked{b: []byte(src), n: chunk}, enc: "utf-16", flagName: "-encoding", line: 1}
		_, err := io.ReadAll(s)
		if err == nil || !strings.HasPrefix(err.Error(), "line 3 holds bytes") {
			t.Errorf("reads of %d bytes: error %v, want line 3", chunk, err)
		}
	}
}

// chunked returns b in reads of at most n bytes.
type chunked struct {
	b []byte
	n int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[n:]
	return n, nil
}

func TestLooksLikeWindows1252(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"Zoë as 0xEB", "username\nzo\xeb\n", true},
		{"curly quotes", "\x93hi\x94", true},
		{"valid UTF-8", "username\nzoë\n", false},
		{"ASCII", "username\nzoe\n", false},
		{"undefined byte", "zo\xeb\x81", false},
		{"NUL: UTF-16 without a BOM", "z\x00o\x00\xeb\x00", false},
		{"empty", "", false},
		{"a UTF-8 letter split by reads", "zoë and zoë and ü", false},
		{"an incomplete sequence at the end (Ã in Windows-1252)", "zoe\xc3", true},
		{"an undefined byte at the end", "zoe\xc3\x81", false},
		{"Windows-1252 after UTF-8", "zoë\nzo\xeb", true},
	}
	for _, tt := range tests {
		got, err := LooksLikeWindows1252(strings.NewReader(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("%s: LooksLikeWindows1252 = %v, %v; want %v", tt.name, got, err, tt.want)
		}
		// A Sniffer passes the bytes through, read at any size.
		for _, chunk := range []int{1, 2, 3, 5} {
			s := NewSniffer(&chunked{b: []byte(tt.in), n: chunk})
			b, err := io.ReadAll(s)
			if err != nil || string(b) != tt.in || s.LooksLikeWindows1252() != tt.want {
				t.Errorf("%s, reads of %d: %q, %v, LooksLikeWindows1252 %v; want %v", tt.name, chunk, b, err, s.LooksLikeWindows1252(), tt.want)
			}
		}
	}
}

func TestParseComma(t *testing.T) {
	tests := []struct {
		in      string
		want    rune
		wantErr bool
	}{
		{"", ',', false}, {",", ',', false}, {";", ';', false}, {"tab", '\t', false}, {"TAB", '\t', false},
		{`\t`, '\t', false}, {"\t", '\t', false}, {"|", '|', false},
		{";;", 0, true}, {`"`, 0, true}, {"\n", 0, true}, {"semicolon", 0, true}, {"\xff", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseComma(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseComma(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestNormalEncoding(t *testing.T) {
	tests := map[string]string{
		"": "utf-8", "UTF8": "utf-8", "utf-8": "utf-8",
		"cp1252": "windows-1252", "Windows1252": "windows-1252", "windows-1252": "windows-1252",
		"latin1": "iso-8859-1", "Latin-1": "iso-8859-1", "iso8859-1": "iso-8859-1", "ISO-8859-1": "iso-8859-1",
		"utf16": "utf-16", "UTF-16": "utf-16",
		"latin9": "", "ascii": "",
	}
	got := make(map[string]string)
	for name := range tests {
		got[name] = NormalEncoding(name)
	}
	if diff := cmp.Diff(tests, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
