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

func TestClip(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"short", "abc", 3, "abc"},
		{"empty", "", 0, ""},
		{"cut", "abcdef", 3, "abc…"},
		{"zero", "abc", 0, "…"},
		{"negative", "abc", -1, "…"},
		{"not inside a two-byte rune", "aöb", 2, "a…"},
		{"after a two-byte rune", "aöb", 3, "aö…"},
		{"not inside a four-byte rune", "a😀b", 4, "a…"},
		{"invalid UTF-8 cut as bytes", "\xff\xff\xff\xff\xff", 2, "\xff\xff…"},
		{"continuation bytes only", "\x80\x80\x80\x80\x80\x80", 5, "\x80\x80\x80\x80\x80…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Clip(tt.in, tt.n)); diff != "" {
				t.Errorf("Clip(%q, %d) (-want +got):\n%s", tt.in, tt.n, diff)
			}
		})
	}
}

func FuzzClip(f *testing.F) {
	f.Add("aöb😀c", 3)
	f.Fuzz(func(t *testing.T, s string, n int) {
		n %= 64
		out := Clip(s, n)
		if len(s) <= max(n, 0) {
			if out != s {
				t.Fatalf("Clip(%q, %d) = %q, want it unchanged", s, n, out)
			}
			return
		}
		cut, ok := strings.CutSuffix(out, "…")
		if !ok || !strings.HasPrefix(s, cut) || len(cut) > max(n, 0) || len(cut) < max(n, 0)-utf8.UTFMax+1 {
			t.Fatalf("Clip(%q, %d) = %q", s, n, out)
		}
		if utf8.ValidString(s) && !utf8.ValidString(cut) {
			t.Fatalf("Clip(%q, %d) = %q splits a character", s, n, out)
		}
	})
}
