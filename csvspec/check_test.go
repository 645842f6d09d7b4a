package csvspec

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// p is a Problem without its Message, which tests check separately.
func p(row, line int, column, code string, sev Severity) Problem {
	return Problem{Row: row, Line: line, Column: column, Code: code, Severity: sev}
}

var ignoreMessage = cmpopts.IgnoreFields(Problem{}, "Message")

const hdr = "username,library-group,system-group\n"

func TestCheckRules(t *testing.T) {
	rules := Rules{LibraryGroups: []string{"Year 7", "Year 8"}, SystemGroups: []string{"Students", "Staff"}}
	tests := []struct {
		name  string
		in    string
		rules Rules
		opts  []ReaderOption
		rows  int
		want  []Problem
	}{
		{name: "zero bytes", in: ""},
		{name: "header only", in: hdr},
		{name: "clean", in: hdr + "jsmith,Year 7,Students\n", rules: rules, rows: 1},
		{
			name: "missing column",
			in:   "username,system-group\njsmith,Students\n",
			rows: 1,
			want: []Problem{p(0, 1, ColumnLibraryGroup, CodeMissingColumn, SeverityError)},
		},
		{
			name: "non-canonical header",
			in:   "Username,library-group,System Group\njsmith,Year 7,Students\n",
			rows: 1,
			want: []Problem{
				p(0, 1, ColumnUsername, CodeHeaderName, SeverityError),
				p(0, 1, ColumnSystemGroup, CodeHeaderName, SeverityError),
			},
		},
		{
			name: "duplicate column",
			in:   "username,library-group,system-group,library-group\njsmith,Year 7,Students,Year 8\n",
			rows: 1,
			want: []Problem{p(0, 1, ColumnLibraryGroup, CodeDuplicateColumn, SeverityError)},
		},
		{
			name: "duplicate column near miss",
			in:   "username,library-group,system-group,Library Group\njsmith,Year 7,Students,Year 8\n",
			rows: 1,
			want: []Problem{p(0, 1, ColumnLibraryGroup, CodeDuplicateColumn, SeverityError)},
		},
		{
			name: "extra column",
			in:   "username,library-group,system-group,surname\njsmith,Year 7,Students,Smith\n",
			rows: 1,
			want: []Problem{p(0, 1, "", CodeExtraColumn, SeverityWarning)},
		},
		{
			name: "wrong field count",
			in:   hdr + "jsmith,Year 7\nmjones,Year 8,Staff,extra\nok,Year 7,Staff\n",
			rows: 3,
			want: []Problem{p(1, 2, "", CodeFieldCount, SeverityError), p(2, 3, "", CodeFieldCount, SeverityError)},
		},
		{
			name: "malformed quoting",
			in:   hdr + "js\"mith,Year 7,Students\nok,Year 7,Staff\n",
			rows: 2,
			want: []Problem{p(1, 2, "", CodeQuote, SeverityError)},
		},
		{
			name: "malformed header quoting",
			in:   "user\"name,library-group,system-group\nok,Year 7,Staff\n",
			want: []Problem{p(0, 1, "", CodeQuote, SeverityError)},
		},
		{
			name: "invalid utf-8",
			in:   hdr + "j\xe9r\xf4me,Year 7,Students\n",
			rows: 1,
			want: []Problem{p(1, 2, ColumnUsername, CodeInvalidUTF8, SeverityError)},
		},
		{
			name: "control characters",
			in:   hdr + "jsmith,\"Year\n7\",Stu\x01dents\nx,a\u0085b,Staff\n",
			rows: 2,
			want: []Problem{
				p(1, 2, ColumnLibraryGroup, CodeControlCharacter, SeverityError),
				p(1, 2, ColumnSystemGroup, CodeControlCharacter, SeverityError),
				p(2, 4, ColumnLibraryGroup, CodeControlCharacter, SeverityError),
			},
		},
		{
			name: "empty username",
			in:   hdr + ",Year 7,Students\n",
			rows: 1,
			want: []Problem{p(1, 2, ColumnUsername, CodeMissingUsername, SeverityError)},
		},
		{
			name:  "unknown groups",
			in:    hdr + "jsmith,Year 9,Parents\nmjones,year  7,students\n",
			rules: rules,
			rows:  2,
			want: []Problem{
				p(1, 2, ColumnLibraryGroup, CodeUnknownLibraryGroup, SeverityError),
				p(1, 2, ColumnSystemGroup, CodeUnknownSystemGroup, SeverityError),
				p(2, 3, ColumnLibraryGroup, CodeUnknownLibraryGroup, SeverityError),
				p(2, 3, ColumnSystemGroup, CodeUnknownSystemGroup, SeverityError),
			},
		},
		{
			name:  "nil rules are not checked, empty rules are",
			in:    hdr + "jsmith,Anything,Students\n",
			rules: Rules{SystemGroups: []string{}},
			rows:  1,
			want:  []Problem{p(1, 2, ColumnSystemGroup, CodeUnknownSystemGroup, SeverityError)},
		},
		{
			name: "surrounding space",
			in:   hdr + " jsmith,Year 7 ,Students\n",
			rows: 1,
			want: []Problem{
				p(1, 2, ColumnUsername, CodeSurroundingSpace, SeverityWarning),
				p(1, 2, ColumnLibraryGroup, CodeSurroundingSpace, SeverityWarning),
			},
		},
		{
			name: "no group",
			in:   hdr + "jsmith,,\n",
			rows: 1,
			want: []Problem{p(1, 2, "", CodeNoGroup, SeverityWarning)},
		},
		{
			name: "duplicate row",
			in:   hdr + "jsmith,Year 7,Students\nmjones,Year 7,Students\njsmith,Year 7,Students\n",
			rows: 3,
			want: []Problem{p(3, 4, "", CodeDuplicateRow, SeverityWarning)},
		},
		{
			name:  "header map",
			in:    "Student Code,House,Year\nS1,Year 7,Students\n",
			opts:  []ReaderOption{WithHeaderMap(map[string]string{"username": "Student Code", "library-group": "House", "system-group": "Year"})},
			rules: rules,
			rows:  1,
		},
		{
			name: "header map to a missing column",
			in:   "username,library-group,system-group\nS1,Year 7,Students\n",
			opts: []ReaderOption{WithHeaderMap(map[string]string{"username": "Student Code"})},
			rows: 1,
			want: []Problem{
				p(0, 1, "", CodeExtraColumn, SeverityWarning),
				p(0, 1, ColumnUsername, CodeMissingColumn, SeverityError),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Check(strings.NewReader(tt.in), tt.rules, tt.opts...)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if rep.Rows != tt.rows {
				t.Errorf("Rows = %d, want %d", rep.Rows, tt.rows)
			}
			if diff := cmp.Diff(tt.want, rep.Problems, ignoreMessage, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			for _, p := range rep.Problems {
				if p.Message == "" || p.Code == "" {
					t.Errorf("problem without message or code: %+v", p)
				}
			}
			hasErr := len(rep.Errors()) > 0
			if (rep.Err() != nil) != hasErr {
				t.Errorf("Err() = %v with %d errors", rep.Err(), len(rep.Errors()))
			}
			if len(rep.Errors())+len(rep.Warnings()) != len(rep.Problems) {
				t.Errorf("Errors()+Warnings() do not add up to Problems")
			}
		})
	}
}

func TestCheckMessages(t *testing.T) {
	rules := Rules{LibraryGroups: []string{"Year 7"}, SystemGroups: []string{"Students"}}
	tests := []struct {
		name, in string
		want     string
	}{
		{"did you mean case", hdr + "a,year 7,Students\n", `library group "year 7" is not defined in Infiniti; did you mean "Year 7"?`},
		{"did you mean space", hdr + "a,Year7,Students\n", `did you mean "Year 7"?`},
		{"no near match", hdr + "a,Year 9,Students\n", `library group "Year 9" is not defined in Infiniti; create it in Infiniti first or correct the name`},
		{"header rename", "username,library_group,system-group\n", `rename it to "library-group"`},
		{"duplicate row", hdr + "a,Year 7,Students\na,Year 7,Students\n", "repeats row 1 exactly"},
		{"utf-8", hdr + "\xff,Year 7,Students\n", "export the file from the SMS as UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Check(strings.NewReader(tt.in), rules)
			if err != nil {
				t.Fatal(err)
			}
			var msgs []string
			for _, p := range rep.Problems {
				msgs = append(msgs, p.Message)
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tt.want) {
				t.Errorf("messages %q\ndo not contain %q", msgs, tt.want)
			}
		})
	}
}

func TestCheckFixture(t *testing.T) {
	f, err := os.Open("testdata/problems.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := Check(f, Rules{LibraryGroups: []string{"Year 7", "Year 8"}, SystemGroups: []string{"Students"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Problem{
		p(2, 3, ColumnUsername, CodeSurroundingSpace, SeverityWarning),
		p(2, 3, ColumnLibraryGroup, CodeUnknownLibraryGroup, SeverityError),
		p(3, 4, ColumnUsername, CodeMissingUsername, SeverityError),
		p(4, 5, "", CodeDuplicateRow, SeverityWarning),
		p(5, 6, "", CodeNoGroup, SeverityWarning),
		p(6, 7, ColumnLibraryGroup, CodeControlCharacter, SeverityError),
		p(6, 7, ColumnLibraryGroup, CodeUnknownLibraryGroup, SeverityError),
		p(7, 9, "", CodeFieldCount, SeverityError),
	}
	if diff := cmp.Diff(want, rep.Problems, ignoreMessage); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if rep.Rows != 7 {
		t.Errorf("Rows = %d, want 7", rep.Rows)
	}
	wantErr := "csvspec: the file has 5 errors; the first: line 3 (row 2), library-group: error: library group \"year 7\" is not defined in Infiniti; did you mean \"Year 7\"? Group names must match exactly [unknown-library-group]"
	if err := rep.Err(); err == nil || err.Error() != wantErr {
		t.Errorf("Err() = %v\nwant %s", err, wantErr)
	}
}

func TestReportString(t *testing.T) {
	var b strings.Builder
	b.WriteString(hdr)
	for i := 0; i < 60; i++ {
		b.WriteString("a,,\n") // each a no-group warning; from the second on a duplicate too
	}
	rep, err := Check(strings.NewReader(b.String()), Rules{})
	if err != nil {
		t.Fatal(err)
	}
	s := rep.String()
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if got, want := lines[0], "60 rows, 0 errors, 119 warnings"; got != want {
		t.Errorf("first line = %q, want %q", got, want)
	}
	if got, want := len(lines), 1+maxListed+1; got != want {
		t.Errorf("%d lines, want %d", got, want)
	}
	if got, want := lines[len(lines)-1], "... and 69 more"; got != want {
		t.Errorf("last line = %q, want %q", got, want)
	}
	if got, want := lines[1], "line 2 (row 1): warning: the row names neither a library group nor a system group, so it changes nothing; fill in a group or remove the row [no-group]"; got != want {
		t.Errorf("second line = %q\nwant %q", got, want)
	}
}

func TestCheckIOError(t *testing.T) {
	boom := errors.New("network share went away")
	rep, err := Check(iotest.DataErrReader(strings.NewReader(hdr+"a,b,c\n")), Rules{})
	if err != nil {
		t.Fatalf("DataErrReader with EOF: %v", err)
	}
	if rep.Rows != 1 {
		t.Errorf("Rows = %d, want 1", rep.Rows)
	}
	rep, err = Check(iotestErrAfter(hdr+"a,b,c\n", boom), Rules{})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if rep == nil || rep.Rows != 1 {
		t.Errorf("report before the failure = %+v, want 1 row", rep)
	}
}

func iotestErrAfter(s string, err error) *errAfter { return &errAfter{s: s, err: err} }

type errAfter struct {
	s   string
	err error
}

func (e *errAfter) Read(b []byte) (int, error) {
	if e.s == "" {
		return 0, e.err
	}
	n := copy(b, e.s)
	e.s = e.s[n:]
	return n, nil
}

func TestSeverityText(t *testing.T) {
	for _, s := range []Severity{SeverityWarning, SeverityError} {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Severity
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%v: round trip gave %v, %v", s, back, err)
		}
	}
	var zero Severity
	if zero == SeverityError || zero == SeverityWarning {
		t.Error("the zero Severity must be neither error nor warning")
	}
	if _, err := zero.MarshalText(); err == nil {
		t.Error("MarshalText of the zero Severity succeeded")
	}
	if err := zero.UnmarshalText([]byte("fatal")); err == nil {
		t.Error(`UnmarshalText("fatal") succeeded`)
	}
	if got := Severity(7).String(); got != "Severity(7)" {
		t.Errorf("String = %q", got)
	}
}
