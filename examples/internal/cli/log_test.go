package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDated(t *testing.T) {
	at := time.Date(2026, 12, 8, 2, 30, 0, 0, time.FixedZone("AEDT", 11*3600))
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{"one line", []string{"hello\n"}, "2026-12-08T02:30:00+11:00 hello\n"},
		{"a line in pieces", []string{"hel", "lo\n", "again\n"}, "2026-12-08T02:30:00+11:00 hello\n2026-12-08T02:30:00+11:00 again\n"},
		{"two lines at once", []string{"a\nb\n"}, "2026-12-08T02:30:00+11:00 a\n2026-12-08T02:30:00+11:00 b\n"},
		{"an unended line", []string{"a\nb"}, "2026-12-08T02:30:00+11:00 a\n2026-12-08T02:30:00+11:00 b"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		d := NewDated(&buf, func() time.Time { return at })
		for _, w := range tt.writes {
			if n, err := d.Write([]byte(w)); n != len(w) || err != nil {
				t.Errorf("%s: Write(%q) = %d, %v", tt.name, w, n, err)
			}
		}
		if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
		if Raw(d) != &buf {
			t.Errorf("%s: Raw does not return the writer under it", tt.name)
		}
	}
}

func TestProgName(t *testing.T) {
	tests := []struct{ arg0, want string }{
		{"/usr/local/bin/infiniti-sync", "infiniti-sync"},
		{`infiniti-sync.exe`, "infiniti-sync"},
		{"", "sync"},
	}
	for _, tt := range tests {
		if got := ProgName(tt.arg0, "sync"); got != tt.want {
			t.Errorf("ProgName(%q) = %q, want %q", tt.arg0, got, tt.want)
		}
	}
	if !strings.HasPrefix(ProgName("./sync", "x"), "sync") {
		t.Error("ProgName(./sync) lost the name")
	}
}
