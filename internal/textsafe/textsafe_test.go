package textsafe

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQuote(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"plain", 10, `"plain"`},
		{"a\nb\r\x1b[2K", 100, `"a\nb\r\x1b[2K"`},
		{"\u202eevil\u2028", 100, `"\u202eevil\u2028"`},
		{"bad \xff byte", 100, `"bad \xff byte"`},
		{"Élèves", 100, `"Élèves"`},
		{"abcdef", 3, `"abc…"`},
		{"ééé", 3, `"é…"`}, // never splits a character
		{"abc", -1, `"…"`},
	}
	for _, tt := range tests {
		if got := Quote(tt.in, tt.n); got != tt.want {
			t.Errorf("Quote(%q, %d) = %s, want %s", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestClip(t *testing.T) {
	for _, s := range []string{"", "a", "日本語テキスト", "x\xffy", "ab€cd"} {
		for n := -1; n <= len(s)+1; n++ {
			got := Clip(s, n)
			if len(s) <= max(n, 0) {
				if got != s {
					t.Errorf("Clip(%q, %d) = %q, want it whole", s, n, got)
				}
				continue
			}
			body := got[:len(got)-len("…")]
			if len(body) > max(n, 0) || s[:len(body)] != body || utf8.ValidString(s) && !utf8.ValidString(body) {
				t.Errorf("Clip(%q, %d) = %q", s, n, got)
			}
		}
	}
}

func TestOneLine(t *testing.T) {
	if got, want := OneLine("a\n\"b\"\xff\u202e"), `a\n"b"\xff\u202e`; got != want {
		t.Errorf("OneLine = %s, want %s", got, want)
	}
}

func FuzzQuote(f *testing.F) {
	f.Add("1 user failed.\nlevel=INFO\x1b[2K\u202e\xff", 10)
	f.Fuzz(func(t *testing.T, s string, n int) {
		q := Quote(s, n)
		u, err := strconv.Unquote(q)
		if err != nil || u != Clip(s, n) {
			t.Fatalf("Quote(%q, %d) = %s, which unquotes to %q (%v)", s, n, q, u, err)
		}
		if strings.ContainsAny(q, "\n\r\x1b\u2028\u202e") {
			t.Fatalf("Quote(%q, %d) = %s: not one line", s, n, q)
		}
	})
}

func FuzzClip(f *testing.F) {
	f.Add("ab€cd", 3)
	f.Fuzz(func(t *testing.T, s string, n int) {
		got := Clip(s, n)
		if len(s) <= max(n, 0) {
			if got != s {
				t.Fatalf("Clip(%q, %d) = %q, want it whole", s, n, got)
			}
			return
		}
		body, ok := strings.CutSuffix(got, "…")
		if !ok || len(body) > max(n, 0) || !strings.HasPrefix(s, body) || utf8.ValidString(s) && !utf8.ValidString(body) {
			t.Fatalf("Clip(%q, %d) = %q", s, n, got)
		}
	})
}
