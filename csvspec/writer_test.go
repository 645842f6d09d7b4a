package csvspec

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriterOutput(t *testing.T) {
	tests := []struct {
		name string
		rows []UserGroup
		want string
	}{
		{name: "no rows writes the header alone", want: "username,library-group,system-group\n"},
		{
			name: "plain",
			rows: []UserGroup{{"jsmith", "Year 7", "Students"}, {"mjones", "", "Staff"}},
			want: "username,library-group,system-group\njsmith,Year 7,Students\nmjones,,Staff\n",
		},
		{
			name: "quoting",
			rows: []UserGroup{{"o'brien, jr", `the "A" team`, "line\nbreak"}, {" lead", "", ""}},
			want: "username,library-group,system-group\n\"o'brien, jr\",\"the \"\"A\"\" team\",\"line\nbreak\"\n\" lead\",,\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf)
			for _, r := range tt.rows {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriterRoundTrip(t *testing.T) {
	rows := []UserGroup{
		{"jsmith", "Year 7", "Students"},
		{"a,b", `"quoted"`, "multi\nline\nvalue"},
		{"Zoë Ŝmith", "Année 7 – Élèves", "学生"},
		{"", "", ""},
		{" spaced ", "\ttab", "trailing "},
		{`"`, ",", "\n"},
		{"cr\ronly", "emoji 🎒", `back\slash`},
	}
	got := roundTrip(t, rows)
	if diff := cmp.Diff(rows, got); diff != "" {
		t.Errorf("round trip (-wrote +read):\n%s", diff)
	}
}

// roundTrip writes rows with a Writer and reads them back with a Reader.
func roundTrip(t testing.TB, rows []UserGroup) []UserGroup {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, g := range rows {
		if err := w.Write(g); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	written := buf.String()
	var got []UserGroup
	for rec, err := range NewReader(&buf).All() {
		if err != nil {
			t.Fatalf("reading back what the Writer wrote: %v\n%q", err, written)
		}
		got = append(got, rec.UserGroup)
	}
	return got
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

func TestWriterError(t *testing.T) {
	boom := errors.New("disk full")
	w := NewWriter(failWriter{boom})
	// Rows fit the buffer; the failure surfaces at Flush.
	if err := w.Write(UserGroup{"a", "b", "c"}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := w.Flush(); !errors.Is(err, boom) {
		t.Errorf("Flush error = %v, want %v", err, boom)
	}
	// A large row fails at Write.
	w = NewWriter(failWriter{boom})
	if err := w.Write(UserGroup{Username: strings.Repeat("x", 10000)}); !errors.Is(err, boom) {
		t.Errorf("Write error = %v, want %v", err, boom)
	}
	var _ io.Writer = failWriter{}
}
