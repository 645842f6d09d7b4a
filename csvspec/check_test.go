package csvspec

import (
	"encoding/json"
	"errors"
	"fmt"
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
				p(0, 1, ColumnUsername, codeHeaderName, SeverityError),
				p(0, 1, ColumnSystemGroup, codeHeaderName, SeverityError),
			},
		},
		{
			name: "duplicate column",
			in:   "username,library-group,system-group,library-group\njsmith,Year 7,Students,Year 8\n",
			rows: 1,
			want: []Problem{p(0, 1, ColumnLibraryGroup, codeDuplicateColumn, SeverityError)},
		},
		{
			name: "duplicate column near miss",
			in:   "username,library-group,system-group,Library Group\njsmith,Year 7,Students,Year 8\n",
			rows: 1,
			want: []Problem{p(0, 1, ColumnLibraryGroup, codeDuplicateColumn, SeverityError)},
		},
		{
			name: "extra column",
			in:   "username,library-group,system-group,surname\njsmith,Year 7,Students,Smith\n",
			rows: 1,
			want: []Problem{p(0, 1, "", codeExtraColumn, SeverityWarning)},
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
			want: []Problem{p(1, 2, "", codeQuote, SeverityError)},
		},
		{
			name: "malformed header quoting",
			in:   "user\"name,library-group,system-group\nok,Year 7,Staff\n",
			rows: 1,
			want: []Problem{p(0, 1, "", codeQuote, SeverityError)},
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
				p(1, 2, ColumnUsername, codeSurroundingSpace, SeverityWarning),
				p(1, 2, ColumnLibraryGroup, codeSurroundingSpace, SeverityWarning),
			},
		},
		{
			name: "no group",
			in:   hdr + "jsmith,,\n",
			rows: 1,
			want: []Problem{p(1, 2, "", codeNoGroup, SeverityWarning)},
		},
		{
			name: "duplicate row",
			in:   hdr + "jsmith,Year 7,Students\nmjones,Year 7,Students\njsmith,Year 7,Students\n",
			rows: 3,
			want: []Problem{p(3, 4, "", codeDuplicateRow, SeverityWarning)},
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
				p(0, 1, ColumnUsername, CodeHeaderMap, SeverityError),
				p(0, 1, "", codeExtraColumn, SeverityWarning),
			},
		},
		{
			name: "missing column: the rows are counted, not checked",
			in:   "username,system-group\n,Students\n,Students\n",
			rows: 2,
			want: []Problem{p(0, 1, ColumnLibraryGroup, CodeMissingColumn, SeverityError)},
		},
		{
			name: "non-canonical header: the rows are still checked",
			in:   "Username,library-group,system-group\n,Year 7,Students\n",
			rows: 1,
			want: []Problem{
				p(0, 1, ColumnUsername, codeHeaderName, SeverityError),
				p(1, 2, ColumnUsername, CodeMissingUsername, SeverityError),
			},
		},
		{
			name: "extra columns are one warning",
			in:   "Surname,username,library-group,Given Name,system-group,Notes\nSmith,jsmith,Year 7,John,Students,\n",
			rows: 1,
			want: []Problem{p(0, 1, "", codeExtraColumn, SeverityWarning)},
		},
		{
			name: "empty rows whatever their field count",
			in:   hdr + "jsmith,Year 7,Students\n,,\n,,,,\n\"\"\n,\n,,\n",
			rows: 6,
			want: []Problem{
				p(2, 3, "", CodeEmptyRow, SeverityWarning),
				p(3, 4, "", CodeEmptyRow, SeverityWarning),
				p(4, 5, "", CodeEmptyRow, SeverityWarning),
				p(5, 6, "", CodeEmptyRow, SeverityWarning),
				p(6, 7, "", CodeEmptyRow, SeverityWarning),
			},
		},
		{
			name: "a row repeating the header",
			in:   "\ufeff" + hdr + "jsmith,Year 7,Students\r\n\ufeff" + hdr + ",Year 7,Students\n",
			rows: 3,
			want: []Problem{
				p(2, 3, "", codeRepeatedHeader, SeverityError),
				p(3, 4, ColumnUsername, CodeMissingUsername, SeverityError),
			},
		},
		{
			name: "format characters in names",
			in:   hdr + "j\u200bsmith,Year\u202e 7,\ufeffStudents\nmjones,Ye\u00adar 8,Staff\n",
			rows: 2,
			want: []Problem{
				p(1, 2, ColumnUsername, codeFormatCharacter, SeverityError),
				p(1, 2, ColumnLibraryGroup, codeFormatCharacter, SeverityError),
				p(1, 2, ColumnSystemGroup, codeFormatCharacter, SeverityError),
				p(2, 3, ColumnLibraryGroup, codeFormatCharacter, SeverityError),
			},
		},
		{
			name: "format characters are not letters of other scripts",
			in:   hdr + "zoë,Année 7 – Élèves,学生\n",
			rows: 1,
		},
		{
			name: "semicolons: one problem, the rows counted",
			in:   "Student Code;House;Year\r\nS1;Blue;Year 7\r\nS2;Red;Year 8\r\n",
			opts: []ReaderOption{WithHeaderMap(map[string]string{"username": "Student Code", "library-group": "House", "system-group": "Year"})},
			rows: 2,
			want: []Problem{p(0, 1, "", CodeSeparator, SeverityError)},
		},
		{
			name: "semicolons read WithComma",
			in:   "username;library-group;system-group\r\nS1;Year 7;\"Stu;dents\"\r\n",
			opts: []ReaderOption{WithComma(';')},
			rows: 1,
		},
		{
			name: "UTF-16: one problem, no rows",
			in:   "\xff\xfeu\x00s\x00e\x00r\x00\n\x00a\x00\n\x00",
			want: []Problem{p(0, 1, "", CodeEncoding, SeverityError)},
		},
		{
			name: "a row too large ends the check",
			in:   hdr + "a,\"" + strings.Repeat("b", maxRecordBytes) + "\",c\nd,,\n",
			rows: 1,
			want: []Problem{p(1, 2, "", codeRecordTooLarge, SeverityError)},
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
		{"did you mean a leading zero", hdr + "a,Year 07,Students\n", `did you mean "Year 7"?`},
		{"did you mean a typo", hdr + "a,Year 7,Studnets\n", `system group "Studnets" is not defined in Infiniti; did you mean "Students"?`},
		{"no near match", hdr + "a,Librarians,Students\n", `library group "Librarians" is not defined in Infiniti; create it in Infiniti first or correct the name`},
		{"header rename", "username,library_group,system-group\n", `rename it to "library-group"`},
		{"duplicate row", hdr + "a,Year 7,Students\na,Year 7,Students\n", "repeats row 1 exactly"},
		{"utf-8", hdr + "\xff,Year 7,Students\n", "export the file from the SMS as UTF-8"},
		{"empty row", hdr + ",,,\n", "the row has only empty fields, as Excel leaves below the data; how Infiniti treats such a row in a file posted as it is is unknown, and a file rewritten from this one leaves it out; remove it"},
		{"format character", hdr + "j\u200bsmith,Year 7,Students\n", `the value "j\u200bsmith" holds the invisible character U+200B, which makes names that look the same but are not; remove it`},
		{"repeated header", hdr + "a,Year 7,Students\n" + hdr, "the row repeats the header of line 1, as when two exports are joined into one file"},
		{"extra columns", "username,a,library-group,b,system-group,c\n", `header columns 2 "a", 4 "b", 6 "c" are not user-groups columns; Infiniti ignores them (remove them, or map one onto a user-groups column if it holds one)`},
		{"many extra columns", "username,library-group,system-group" + strings.Repeat(",x", 20) + "\n", `header columns 4 "x", 5 "x", 6 "x", 7 "x", 8 "x", 9 "x", 10 "x", 11 "x" and 12 more are not user-groups columns`},
		{"missing column", "username,system-group\n", `the header has no "library-group" column; add it (Infiniti requires username, library-group and system-group, even when empty), or name the file's own column for it in a header map`},
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
		p(2, 3, ColumnUsername, codeSurroundingSpace, SeverityWarning),
		p(2, 3, ColumnLibraryGroup, CodeUnknownLibraryGroup, SeverityError),
		p(3, 4, ColumnUsername, CodeMissingUsername, SeverityError),
		p(4, 5, "", codeDuplicateRow, SeverityWarning),
		p(5, 6, "", codeNoGroup, SeverityWarning),
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
	wantErr := "csvspec: the file has 5 errors (2 unknown-library-group, 1 control-character, 1 missing-username, 1 wrong-field-count); the first: line 3 (row 2), library-group: error: library group \"year 7\" is not defined in Infiniti; did you mean \"Year 7\"? Group names must match exactly [unknown-library-group]"
	if err := rep.Err(); err == nil || err.Error() != wantErr {
		t.Errorf("Err() = %v\nwant %s", err, wantErr)
	}
}

func TestCheckFixtures(t *testing.T) {
	tests := []struct {
		file string
		opts []ReaderOption
		rows int
		want []Problem
	}{
		{file: "semicolon.csv", opts: []ReaderOption{smsMap}, rows: 3, want: []Problem{p(0, 1, "", CodeSeparator, SeverityError)}},
		{file: "semicolon.csv", opts: []ReaderOption{smsMap, WithComma(';')}, rows: 3, want: []Problem{p(0, 1, "", codeExtraColumn, SeverityWarning)}},
		{file: "tab.txt", opts: []ReaderOption{smsMap}, rows: 3, want: []Problem{p(0, 1, "", CodeSeparator, SeverityError)}},
		{file: "tab.txt", opts: []ReaderOption{smsMap, WithComma('\t')}, rows: 3, want: []Problem{p(0, 1, "", codeExtraColumn, SeverityWarning)}},
		{file: "unicode_text_utf16le.txt", opts: []ReaderOption{smsMap, WithComma('\t')}, want: []Problem{p(0, 1, "", CodeEncoding, SeverityError)}},
		{file: "utf16be.csv", opts: []ReaderOption{smsMap}, want: []Problem{p(0, 1, "", CodeEncoding, SeverityError)}},
		{
			file: "sms_export.csv",
			opts: []ReaderOption{WithHeaderMap(map[string]string{"username": "Student code", "library-group": "House", "system-group": "Year Level"})},
			rows: 3,
			want: []Problem{p(0, 1, ColumnUsername, CodeHeaderMap, SeverityError), p(0, 1, "", codeExtraColumn, SeverityWarning)},
		},
		{
			file: "excel_trailing_commas.csv",
			rows: 5,
			want: []Problem{
				p(3, 4, "", CodeEmptyRow, SeverityWarning),
				p(4, 5, "", CodeEmptyRow, SeverityWarning),
				p(5, 6, "", CodeEmptyRow, SeverityWarning),
			},
		},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d options", tt.file, len(tt.opts)), func(t *testing.T) {
			f, err := os.Open("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rep, err := Check(f, Rules{LibraryGroups: []string{"Blue House", "Red House"}, SystemGroups: []string{"Year 7", "Year 8"}}, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, rep.Problems, ignoreMessage); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if rep.Rows != tt.rows {
				t.Errorf("Rows = %d, want %d", rep.Rows, tt.rows)
			}
		})
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
	if got, want := lines[len(lines)-1], "... and 69 more: 35 duplicate-row, 34 no-group"; got != want {
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

// A Problem encodes as JSON with its severity spelt out, and decodes back.
func TestSeverityJSON(t *testing.T) {
	for _, s := range []Severity{SeverityWarning, SeverityError} {
		b, err := json.Marshal(Problem{Severity: s})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"Severity":"`+string(s)+`"`) {
			t.Errorf("%v encodes as %s", s, b)
		}
		var back Problem
		if err := json.Unmarshal(b, &back); err != nil || back.Severity != s {
			t.Errorf("%v: round trip gave %v, %v", s, back.Severity, err)
		}
	}
	var zero Severity
	if zero == SeverityError || zero == SeverityWarning {
		t.Error("the zero Severity must be neither error nor warning")
	}
}
