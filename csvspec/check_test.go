package csvspec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

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
				p(0, 1, ColumnUsername, "non-canonical-header", SeverityError),
				p(0, 1, ColumnSystemGroup, "non-canonical-header", SeverityError),
			},
		},
		{
			name: "duplicate column",
			in:   "username,library-group,system-group,library-group\njsmith,Year 7,Students,Year 8\n",
			rows: 1,
			want: []Problem{p(0, 1, ColumnLibraryGroup, "duplicate-column", SeverityError)},
		},
		{
			name: "duplicate column near miss",
			in:   "username,library-group,system-group,Library Group\njsmith,Year 7,Students,Year 8\n",
			rows: 1,
			want: []Problem{p(0, 1, ColumnLibraryGroup, "duplicate-column", SeverityError)},
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
			want: []Problem{p(1, 2, "", "malformed-quoting", SeverityError)},
		},
		{
			name: "malformed header quoting",
			in:   "user\"name,library-group,system-group\nok,Year 7,Staff\n",
			rows: 1,
			want: []Problem{p(0, 1, "", "malformed-quoting", SeverityError)},
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
				p(1, 2, ColumnUsername, "surrounding-space", SeverityWarning),
				p(1, 2, ColumnLibraryGroup, "surrounding-space", SeverityWarning),
			},
		},
		{
			name: "no group",
			in:   hdr + "jsmith,,\n",
			rows: 1,
			want: []Problem{p(1, 2, "", "no-group", SeverityWarning)},
		},
		{
			name: "duplicate row",
			in:   hdr + "jsmith,Year 7,Students\nmjones,Year 7,Students\njsmith,Year 7,Students\n",
			rows: 3,
			want: []Problem{p(3, 4, "", "duplicate-row", SeverityWarning)},
		},
		{
			name:  "duplicate row of defined groups",
			in:    hdr + "jsmith,Year 7,Students\njsmith,Year 8,Students\njsmith,Year 7,Staff\njsmith,,Year 7\njsmith,Year 7,\njsmith,Year 8,Students\n",
			rules: Rules{LibraryGroups: []string{"Year 7", "Year 8"}, SystemGroups: []string{"Year 7", "Students", "Staff"}},
			rows:  6,
			want: []Problem{
				p(6, 7, "", "duplicate-row", SeverityWarning),
			},
		},
		{
			name: "duplicate rows of a long catalog, a short one, and groups they do not define",
			in: hdr + "a,G1,Students\na,G2,Students\na,X,Students\na,G1,Staff\na,G1,\n" +
				"a,X,Students\na,G1,Students\nb,G1,\nb,G1,\nb,X,Y\nb,X,Y\nb,G9,Y\n",
			rules: Rules{LibraryGroups: []string{"G0", "G1", "G2", "G3", "G4", "G5", "G6", "G7", "G8", "G1", "G9"}, SystemGroups: []string{"Students", "Staff"}},
			rows:  12,
			want: []Problem{
				p(3, 4, ColumnLibraryGroup, CodeUnknownLibraryGroup, SeverityError),
				p(6, 7, ColumnLibraryGroup, CodeUnknownLibraryGroup, SeverityError),
				p(6, 7, "", "duplicate-row", SeverityWarning),
				p(7, 8, "", "duplicate-row", SeverityWarning),
				p(9, 10, "", "duplicate-row", SeverityWarning),
				p(10, 11, ColumnLibraryGroup, CodeUnknownLibraryGroup, SeverityError),
				p(10, 11, ColumnSystemGroup, CodeUnknownSystemGroup, SeverityError),
				p(11, 12, ColumnLibraryGroup, CodeUnknownLibraryGroup, SeverityError),
				p(11, 12, ColumnSystemGroup, CodeUnknownSystemGroup, SeverityError),
				p(11, 12, "", "duplicate-row", SeverityWarning),
				p(12, 13, ColumnSystemGroup, CodeUnknownSystemGroup, SeverityError),
			},
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
				p(0, 1, "", CodeExtraColumn, SeverityWarning),
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
				p(0, 1, ColumnUsername, "non-canonical-header", SeverityError),
				p(1, 2, ColumnUsername, CodeMissingUsername, SeverityError),
			},
		},
		{
			name: "extra columns are one warning",
			in:   "Surname,username,library-group,Given Name,system-group,Notes\nSmith,jsmith,Year 7,John,Students,\n",
			rows: 1,
			want: []Problem{p(0, 1, "", CodeExtraColumn, SeverityWarning)},
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
				p(2, 3, "", "repeated-header", SeverityError),
				p(3, 4, ColumnUsername, CodeMissingUsername, SeverityError),
			},
		},
		{
			name: "format characters in names",
			in:   hdr + "j\u200bsmith,Year\u202e 7,\ufeffStudents\nmjones,Ye\u00adar 8,Staff\n",
			rows: 2,
			want: []Problem{
				p(1, 2, ColumnUsername, "format-character", SeverityError),
				p(1, 2, ColumnLibraryGroup, "format-character", SeverityError),
				p(1, 2, ColumnSystemGroup, "format-character", SeverityError),
				p(2, 3, ColumnLibraryGroup, "format-character", SeverityError),
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
			want: []Problem{p(1, 2, "", "record-too-large", SeverityError)},
		},
		{
			name: "a cut-off export",
			in:   hdr + "a,G,\nb,G",
			rows: 2,
			want: []Problem{p(2, 3, "", CodeCutOff, SeverityError)},
		},
		{
			name: "a file that ends inside quotes",
			in:   hdr + "a,G,\nb,\"G,\nc,G,\n",
			rows: 2,
			want: []Problem{p(2, 3, "", CodeUnclosedQuote, SeverityError)},
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

// Each message says the fact that names its fix.
func TestCheckMessages(t *testing.T) {
	rules := Rules{LibraryGroups: []string{"Year 7"}, SystemGroups: []string{"Students"}}
	tests := []struct {
		name, in string
		want     string
	}{
		{"did you mean case", hdr + "a,year 7,Students\n", `did you mean "Year 7"?`},
		{"did you mean space", hdr + "a,Year7,Students\n", `did you mean "Year 7"?`},
		{"did you mean a leading zero", hdr + "a,Year 07,Students\n", `did you mean "Year 7"?`},
		{"did you mean a typo", hdr + "a,Year 7,Studnets\n", `did you mean "Students"?`},
		{"no near match", hdr + "a,Librarians,Students\n", `"Librarians" is not defined in Infiniti`},
		{"header rename", "username,library_group,system-group\n", `requires exactly "library-group"`},
		{"duplicate row", hdr + "a,Year 7,Students\na,Year 7,Students\n", "repeats row 1 exactly"},
		{"utf-8", hdr + "\xff,Year 7,Students\n", "is not valid UTF-8"},
		{"empty row", hdr + ",,,\n", "only empty fields"},
		{"format character", hdr + "j\u200bsmith,Year 7,Students\n", `invisible character U+200B`},
		{"repeated header", hdr + "a,Year 7,Students\n" + hdr, "repeats the header of line 1"},
		{"extra columns", "username,a,library-group,b,system-group,c\n", `header columns 2 "a", 4 "b", 6 "c" are not user-groups columns`},
		{"many extra columns", "username,library-group,system-group" + strings.Repeat(",x", 20) + "\n", `11 "x" and 12 more`},
		{"missing column", "username,system-group\n", `no "library-group" column`},
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
		p(2, 3, ColumnUsername, "surrounding-space", SeverityWarning),
		p(2, 3, ColumnLibraryGroup, CodeUnknownLibraryGroup, SeverityError),
		p(3, 4, ColumnUsername, CodeMissingUsername, SeverityError),
		p(4, 5, "", "duplicate-row", SeverityWarning),
		p(5, 6, "", "no-group", SeverityWarning),
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
	wantErr := "csvspec: the file has 5 errors (2 unknown-library-group, 1 control-character, 1 missing-username, 1 wrong-field-count); the first: line 3 (row 2), library-group: error: library group \"year 7\" is not defined in Infiniti; did you mean \"Year 7\"? [unknown-library-group]"
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
		{file: "semicolon.csv", opts: []ReaderOption{schoolMap}, rows: 3, want: []Problem{p(0, 1, "", CodeSeparator, SeverityError)}},
		{file: "semicolon.csv", opts: []ReaderOption{schoolMap, WithComma(';')}, rows: 3, want: []Problem{p(0, 1, "", CodeExtraColumn, SeverityWarning)}},
		{file: "tab.txt", opts: []ReaderOption{schoolMap}, rows: 3, want: []Problem{p(0, 1, "", CodeSeparator, SeverityError)}},
		{file: "tab.txt", opts: []ReaderOption{schoolMap, WithComma('\t')}, rows: 3, want: []Problem{p(0, 1, "", CodeExtraColumn, SeverityWarning)}},
		{file: "unicode_text_utf16le.txt", opts: []ReaderOption{schoolMap, WithComma('\t')}, want: []Problem{p(0, 1, "", CodeEncoding, SeverityError)}},
		{file: "utf16be.csv", opts: []ReaderOption{schoolMap}, want: []Problem{p(0, 1, "", CodeEncoding, SeverityError)}},
		{
			file: "sms_export.csv",
			opts: []ReaderOption{WithHeaderMap(map[string]string{"username": "Student code", "library-group": "House", "system-group": "Year Level"})},
			rows: 3,
			want: []Problem{p(0, 1, ColumnUsername, CodeHeaderMap, SeverityError), p(0, 1, "", CodeExtraColumn, SeverityWarning)},
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
	if got, want := len(lines), 1+50+1; got != want {
		t.Errorf("%d lines, want %d", got, want)
	}
	if got, want := lines[len(lines)-1], "... and 69 more: 35 duplicate-row, 34 no-group"; got != want {
		t.Errorf("last line = %q, want %q", got, want)
	}
	if got, want := lines[1], "line 2 (row 1): warning: the row names neither a library group nor a system group [no-group]"; got != want {
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

// line breaks that are not control characters, and invisible
// characters that are not Cf, in names; spaces that only look like one.
func TestCheckInvisibleCharacters(t *testing.T) {
	tests := []struct {
		name, value string
		code        string // "" for none
		sev         Severity
	}{
		{"U+2028 line separator", "ali\u2028ce", CodeControlCharacter, SeverityError},
		{"U+2029 paragraph separator", "ali\u2029ce", CodeControlCharacter, SeverityError},
		{"U+3164 Hangul filler", "ali\u3164ce", "format-character", SeverityError},
		{"U+115F Hangul choseong filler", "ali\u115fce", "format-character", SeverityError},
		{"U+1160 Hangul jungseong filler", "ali\u1160ce", "format-character", SeverityError},
		{"U+FFA0 halfwidth Hangul filler", "ali\uffa0ce", "format-character", SeverityError},
		{"U+2800 Braille blank", "ali\u2800ce", "format-character", SeverityError},
		{"U+034F combining grapheme joiner", "ali\u034fce", "format-character", SeverityError},
		{"U+FE0F variation selector", "ali\ufe0fce", "format-character", SeverityError},
		{"U+E0101 variation selector supplement", "ali\U000E0101ce", "format-character", SeverityError},
		{"U+200B still", "ali\u200bce", "format-character", SeverityError},
		{"U+E0041 tag still", "alice\U000E0041", "format-character", SeverityError},
		{"no-break space between words", "Year\u00a07", "unusual-space", SeverityWarning},
		{"ideographic space between words", "Year\u30007", "unusual-space", SeverityWarning},
		{"narrow no-break space between words", "Year\u202f7", "unusual-space", SeverityWarning},
		{"no-break space at the end is surrounding space", "Year 7\u00a0", "surrounding-space", SeverityWarning},
		{"letters of other scripts", "Zoë Ελένη 学生 ה", "", ""},
		{"a Hangul name", "김민준", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Check(strings.NewReader(hdr+"jsmith,"+tt.value+",Students\n"), Rules{})
			if err != nil {
				t.Fatal(err)
			}
			var want []Problem
			if tt.code != "" {
				want = []Problem{p(1, 2, ColumnLibraryGroup, tt.code, tt.sev)}
			}
			if diff := cmp.Diff(want, rep.Problems, ignoreMessage, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckKeepsFirstOfEachCode: one bad row repeated is counted every
// time, kept MaxProblemsPerCode times, and the Report stays small.
func TestCheckKeepsFirstOfEachCode(t *testing.T) {
	const rows = 200_000
	var rep *Report
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rep, err := Check(io.MultiReader(strings.NewReader(hdr), &repeatReader{unit: " ,Year 7,\n", n: rows * 10}), Rules{LibraryGroups: []string{"Year 8"}})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if held := int64(after.HeapAlloc) - int64(before.HeapAlloc); held > 4<<20 {
		t.Errorf("the Report holds %d bytes, want at most 4 MiB", held)
	}
	wantCounts := map[string]int{
		"surrounding-space":     rows,
		CodeMissingUsername:     rows,
		CodeUnknownLibraryGroup: rows,
		"duplicate-row":         rows - 1,
	}
	if diff := cmp.Diff(wantCounts, rep.Counts()); diff != "" {
		t.Errorf("Counts (-want +got):\n%s", diff)
	}
	for code, n := range wantCounts {
		if got := rep.Count(code); got != n {
			t.Errorf("Count(%q) = %d, want %d", code, got, n)
		}
	}
	if got := rep.Count("no-group"); got != 0 {
		t.Errorf("Count(%q) = %d, want 0", "no-group", got)
	}
	type sum struct{ Rows, Kept, KeptErrors, Errors, Warnings int }
	got := sum{rep.Rows, len(rep.Problems), len(rep.Errors()), rep.NumErrors(), rep.NumWarnings()}
	want := sum{rows, 4 * MaxProblemsPerCode, 2 * MaxProblemsPerCode, 2 * rows, 2*rows - 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The kept problems are the first ones, in file order.
	if last := rep.Problems[len(rep.Problems)-1]; last.Row != MaxProblemsPerCode+1 || last.Code != "duplicate-row" {
		t.Errorf("last kept problem = %v, want the duplicate-row of row %d", last, MaxProblemsPerCode+1)
	}

	lines := strings.Split(strings.TrimSuffix(rep.String(), "\n"), "\n")
	wantFirst := "200000 rows, 400000 errors, 399999 warnings"
	// Listed: the 3 problems of row 1, the 4 of each of rows 2 to 12, 3 of row 13.
	wantLast := "... and 799949 more: 199988 duplicate-row, 199987 missing-username, 199987 surrounding-space, 199987 unknown-library-group"
	if diff := cmp.Diff([]string{wantFirst, wantLast}, []string{lines[0], lines[len(lines)-1]}); diff != "" {
		t.Errorf("String (-want +got):\n%s", diff)
	}
	wantErr := `csvspec: the file has 400000 errors (200000 missing-username, 200000 unknown-library-group); the first: line 2 (row 1), username: error: the username is empty [missing-username]`
	if err := rep.Err(); err == nil || err.Error() != wantErr {
		t.Errorf("Err() = %v\nwant %s", err, wantErr)
	}
}

func TestCheckFileOrder(t *testing.T) {
	in := io.MultiReader(strings.NewReader(hdr), &repeatReader{unit: ",Year 7,\nok,,Staff\n", n: 500 * 19})
	rep, err := Check(in, Rules{})
	if err != nil {
		t.Fatal(err)
	}
	// Every problem, in file order: odd rows have an empty username, and
	// from row 3 on every row repeats row 1 or row 2.
	var want []Problem
	for row := 1; row <= 1000; row++ {
		if row%2 == 1 {
			want = append(want, p(row, row+1, ColumnUsername, CodeMissingUsername, SeverityError))
		}
		if row > 2 {
			want = append(want, p(row, row+1, "", "duplicate-row", SeverityWarning))
		}
	}
	if diff := cmp.Diff(want, rep.Problems, ignoreMessage); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if got, want := rep.Problems[len(rep.Problems)-1].Message, "the row repeats row 2 exactly"; got != want {
		t.Errorf("last message = %q, want %q", got, want)
	}
}

// TestCheckRowHash gives one user, and an empty username, every pair of a
// library group and a system group, defined, not defined or empty, twice:
// each row of the second time repeats its own row of the first, and no
// other, but the empty row, which is not checked.
func TestCheckRowHash(t *testing.T) {
	libs := []string{"", "L0", "L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8", "L9", "X", "Y"}
	syss := []string{"", "Students", "Staff", "Z"}
	rules := Rules{LibraryGroups: libs[1:11], SystemGroups: syss[1:3]}
	var b strings.Builder
	b.WriteString(hdr)
	n := 0
	for range 2 {
		for _, user := range []string{"a", ""} {
			for _, l := range libs {
				for _, s := range syss {
					fmt.Fprintf(&b, "%s,%s,%s\n", user, l, s)
					n++
				}
			}
		}
	}
	rep, err := Check(strings.NewReader(b.String()), rules)
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	empty := len(libs)*len(syss) + 1 // ",,", the first row of the empty username
	for row := n/2 + 1; row <= n; row++ {
		if row-n/2 != empty {
			want = append(want, fmt.Sprintf("row %d repeats row %d", row, row-n/2))
		}
	}
	for _, p := range rep.Problems {
		if p.Code == "duplicate-row" {
			var first int
			fmt.Sscanf(p.Message, "the row repeats row %d exactly", &first)
			got = append(got, fmt.Sprintf("row %d repeats row %d", p.Row, first))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("repeats (-want +got):\n%s", diff)
	}
}
