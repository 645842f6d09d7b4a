package csvspec

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// WithComma takes the separators of real files.
func TestWithCommaAccepts(t *testing.T) {
	for _, r := range []rune{';', '\t', '|', '#', '§', ':'} {
		in := strings.NewReplacer(",", string(r)).Replace(hdr + "a,G,S\n")
		rec, err := NewReader(strings.NewReader(in), WithComma(r)).Read()
		if err != nil {
			t.Errorf("WithComma(%q): %v", r, err)
			continue
		}
		if diff := cmp.Diff(UserGroup{"a", "G", "S"}, rec.UserGroup); diff != "" {
			t.Errorf("WithComma(%q) (-want +got):\n%s", r, diff)
		}
	}
}

// a second byte order mark is named as such.
func TestSecondByteOrderMark(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		opts    []ReaderOption
		want    []Problem
		message string
	}{
		{name: "canonical header", in: "\ufeff\ufeff" + hdr + ",G,S\n",
			want: []Problem{
				p(0, 1, ColumnUsername, "non-canonical-header", SeverityError),
				p(1, 2, ColumnUsername, CodeMissingUsername, SeverityError), // the rows are still checked
			},
			message: `header column 1 starts with a second byte order mark (U+FEFF) before "username", which Infiniti reads as part of the name`},
		{name: "misspelt too", in: "\ufeff\ufeffUsername,library-group,system-group\n",
			want:    []Problem{p(0, 1, ColumnUsername, "non-canonical-header", SeverityError)},
			message: `before "Username"`},
		{name: "a header map's name", in: "\ufeff\ufeffStudent Code,House,Year Level\n", opts: []ReaderOption{schoolMap},
			want:    []Problem{p(0, 1, ColumnUsername, "non-canonical-header", SeverityError)},
			message: `second byte order mark (U+FEFF) before "Student Code"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Check(strings.NewReader(tt.in), Rules{}, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, rep.Problems, ignoreMessage); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if len(rep.Problems) == 0 || !strings.Contains(rep.Problems[0].Message, tt.message) {
				t.Errorf("problems %v\nthe first does not say %q", rep.Problems, tt.message)
			}
			if _, err := NewReader(strings.NewReader(tt.in), tt.opts...).Read(); errCode(err) != "non-canonical-header" {
				t.Errorf("Read error = %v, want one wrapping non-canonical-header", err)
			}
		})
	}
}

// TestMessagesCutValues: a value quoted in a message is cut to a readable
// length.
func TestMessagesCutValues(t *testing.T) {
	long := strings.Repeat("é", 30) + strings.Repeat("x", 1000)
	tests := []struct {
		name, in string
		want     string
	}{
		{"control", hdr + "a," + long + "\x01,c\n", fmt.Sprintf("the value %q holds the control character U+0001", strings.Repeat("é", 30)+strings.Repeat("x", 10)+"…")},
		{"space", hdr + "a, " + long + ",c\n", fmt.Sprintf("the value %q starts or ends", " "+strings.Repeat("é", 30)+strings.Repeat("x", 9)+"…")},
		{"group", hdr + "a," + long + ",c\n", fmt.Sprintf("library group %q is not defined", strings.Repeat("é", 30)+strings.Repeat("x", 10)+"…")},
		{"header", "username,library-group,system-group," + long + "\n", fmt.Sprintf("header column 4 %q is not", strings.Repeat("é", 30)+strings.Repeat("x", 10)+"…")},
		{"short values are whole", hdr + "a,Year 9,c\n", `library group "Year 9" is not defined`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Check(strings.NewReader(tt.in), Rules{LibraryGroups: []string{"Year 7"}})
			if err != nil {
				t.Fatal(err)
			}
			var msgs []string
			for _, p := range rep.Problems {
				msgs = append(msgs, p.Message)
				if len(p.Message) > 400 {
					t.Errorf("message of %d bytes: %s", len(p.Message), p.Message)
				}
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tt.want) {
				t.Errorf("messages %q\ndo not contain %q", msgs, tt.want)
			}
		})
	}
}
