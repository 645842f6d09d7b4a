package csvspec

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A file in another dialect gets one error that names every fact a program
// needs to name its fixes: the separator and the encoding (issue 14 §7).
func TestDialectFacts(t *testing.T) {
	tests := []struct {
		name     string
		file     string // in testdata
		opts     []ReaderOption
		want     ParseError // Code, Comma and Encoding
		fragment string     // a part of the message
	}{
		{
			name: "Windows-1252 separated by semicolons", file: "semicolon_windows1252.csv",
			want:     ParseError{Code: CodeSeparator, Comma: ';', Encoding: "windows-1252"},
			fragment: `separated by semicolons (";"), not commas (","), and the file is not UTF-8 text`,
		},
		{
			name: "UTF-8 separated by semicolons", file: "semicolon.csv", opts: []ReaderOption{schoolMap},
			want: ParseError{Code: CodeSeparator, Comma: ';'},
		},
		{
			name: "UTF-16 separated by tabs", file: "unicode_text_utf16le.txt", opts: []ReaderOption{schoolMap},
			want:     ParseError{Code: CodeEncoding, Comma: '\t', Encoding: "utf-16le"},
			fragment: "UTF-16 (little-endian) text (it starts with that byte order mark), and its fields are separated by tabs",
		},
		{
			name: "UTF-16 read with its own separator", file: "unicode_text_utf16le.txt", opts: []ReaderOption{schoolMap, WithComma('\t')},
			want: ParseError{Code: CodeEncoding, Encoding: "utf-16le"},
		},
		{
			name: "UTF-16 BE separated by commas", file: "utf16be.csv",
			want: ParseError{Code: CodeEncoding, Encoding: "utf-16be"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			for name, err := range map[string]error{
				"Reader":   firstError(NewReader(strings.NewReader(string(data)), tt.opts...).All()),
				"ReadRows": firstError(ReadRows(strings.NewReader(string(data)), Header(), nil, tt.opts...)),
			} {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("%s: error %v, want a *ParseError", name, err)
				}
				got := ParseError{Code: pe.Code, Comma: pe.Comma, Encoding: pe.Encoding}
				if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(ParseError{})); diff != "" {
					t.Errorf("%s: (-want +got):\n%s", name, diff)
				}
				if !strings.Contains(err.Error(), tt.fragment) {
					t.Errorf("%s: error %q does not say %q", name, err, tt.fragment)
				}
			}
		})
	}
}

// firstError returns the first error a sequence yields.
func firstError[T any](seq func(yield func(T, error) bool)) error {
	for _, err := range seq {
		if err != nil {
			return err
		}
	}
	return nil
}

func TestNotUTF8(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"plain ASCII", false},
		{"Zoë", false},
		{"Zo\xeb;Year 7", true},
		{"Zo\xeb", false},      // at the end, it may be a rune cut off
		{"Zo\xc3", false},      // a rune cut off at the end of what was read
		{"Zo\xc3 x", true},     // but not in the middle
		{"学生"[:4], false},      // a cut three-byte rune
		{"\xff\xfe\x00", true}, // not text at all
	}
	for _, tt := range tests {
		if got := notUTF8([]byte(tt.in)); got != tt.want {
			t.Errorf("notUTF8(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
