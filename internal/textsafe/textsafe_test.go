package textsafe

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestOneLine(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"plain ASCII", "3 users processed. 1 user failed.", "3 users processed. 1 user failed."},
		{"non-ASCII letters kept", "Zoë Ngā Đặng 张伟 مريم", "Zoë Ngā Đặng 张伟 مريم"},
		{"backslash kept", `C:\imports\a.csv`, `C:\imports\a.csv`},
		{"line breaks", "a\nb\r\nc", `a\nb\r\nc`},
		{"tab", "a\tb", `a\tb`},
		{"NUL and ESC", "a\x00b\x1b[31mred", `a\x00b\x1b[31mred`},
		{"DEL", "a\x7fb", `a\x7fb`},
		{"C1 NEL and CSI", "a\u0085b\u009bc", `a\u0085b\u009bc`},
		{"line and paragraph separators", "a\u2028b\u2029c", `a\u2028b\u2029c`},
		{"bidi embeddings and overrides", "a\u202ab\u202bc\u202cd\u202de\u202ef", `a\u202ab\u202bc\u202cd\u202de\u202ef`},
		{"bidi isolates and marks", "\u2066\u2067\u2068\u2069\u200e\u200f\u061c", `\u2066\u2067\u2068\u2069\u200e\u200f\u061c`},
		{"invalid UTF-8", "bad \xff\xfe end", `bad \xff\xfe end`},
		{"truncated rune", "ab\xe2\x80", `ab\xe2\x80`},
		{"escape at the start", "\nfirst", `\nfirst`},
		{"escape at the end", "last\r", `last\r`},
		{"zero width joiner kept", "\u0915\u094d\u200d\u0937", "\u0915\u094d\u200d\u0937"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, OneLine(tt.in)); diff != "" {
				t.Errorf("OneLine(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestOneLineEveryRune checks every rune of the Basic Multilingual Plane
// and some beyond: the output is valid UTF-8 and holds no control, line
// separator or bidirectional control.
func TestOneLineEveryRune(t *testing.T) {
	for r := rune(0); r <= 0x1ffff; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		in := "x" + string(r) + "y"
		out := OneLine(in)
		if !utf8.ValidString(out) {
			t.Fatalf("OneLine(%q) = %q: invalid UTF-8", in, out)
		}
		for _, o := range out {
			if unicode.IsControl(o) || o == 0x2028 || o == 0x2029 || unicode.Is(unicode.Bidi_Control, o) {
				t.Fatalf("OneLine(%q) = %q: holds %U", in, out, o)
			}
		}
		if strings.ContainsRune(out, '\\') != (in != out) && r != '\\' {
			t.Fatalf("OneLine(%q) = %q: changed without an escape", in, out)
		}
	}
}

func FuzzOneLine(f *testing.F) {
	f.Add("a\nb\x1b[0m\u202e\xff")
	f.Fuzz(func(t *testing.T, s string) {
		out := OneLine(s)
		if !utf8.ValidString(out) {
			t.Fatalf("OneLine(%q) = %q: invalid UTF-8", s, out)
		}
		for _, o := range out {
			if unicode.IsControl(o) || o == 0x2028 || o == 0x2029 || unicode.Is(unicode.Bidi_Control, o) {
				t.Fatalf("OneLine(%q) = %q: holds %U", s, out, o)
			}
		}
		if OneLine(out) != out {
			t.Fatalf("OneLine is not idempotent on %q", out)
		}
	})
}
