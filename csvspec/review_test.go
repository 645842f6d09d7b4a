package csvspec

// Regression tests for the second outside review of csvspec (the findings
// B2, W4, W5, W6 and the nits), ported from its attack tests.

import (
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// B2: an email contact is a single bare address: no comment, angle
// brackets or invisible character, even where net/mail drops them.
func TestValidEmailIsBare(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		// The review's: net/mail gives an empty Name for these.
		{"<a@b.c> (x)", false},
		{"<a@b.c>()", false},
		{"a@b.c ()", false},
		{"a@b.c\u200b", false},
		// More of the same kind.
		{"<a@b.c>", false},
		{"(x) a@b.c", false},
		{"a@b.c (x)", false},
		{"a@ b.c", false},
		{"a(x)@b.c", false},
		{"a@b.c\u2060", false},
		{"a\u034f@b.c", false},
		{"a@b\ufe0f.c", false},
		{"Ann <a@b.c>", false},
		{"a@b.c, d@e.f", false},
		// Bare addresses, with and without the fast path.
		{"a@b.c", true},
		{" a@b.c ", true}, // surrounding space is a warning of its own
		{`"an nguyen"@example.com`, true},
		{`"a(b)"@example.com`, true},
		{"zoë@exämple.de", true},
		{"o'brien+library@example.com", true},
		{"a@[192.0.2.1]", true},
	}
	for _, tt := range tests {
		if got := validEmail(tt.in); got != tt.want {
			t.Errorf("validEmail(%q) = %v, want %v", tt.in, got, tt.want)
		}
		checkEmailFastPath(t, tt.in)
	}
}

func TestCheckContactsEmailComments(t *testing.T) {
	in := chdr +
		"S1,email,patron,True,An,<s1@example.com> (An),,ANY\n" +
		"S2,email,patron,True,An,<s2@example.com>(),,ANY\n" +
		"S3,email,patron,True,An,s3@example.com (),,ANY\n" +
		"S4,email,patron,True,An,s4@example.com\u200b,,ANY\n" +
		"S5,email,patron,True,An,s5@example.com,,ANY\n"
	rep, err := CheckContacts(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Problem{
		cp(1, columnContact, CodeInvalidEmail, SeverityError),
		cp(2, columnContact, CodeInvalidEmail, SeverityError),
		cp(3, columnContact, CodeInvalidEmail, SeverityError),
		cp(4, columnContact, CodeInvalidEmail, SeverityError),
	}
	if diff := cmp.Diff(want, rep.Problems, ignoreMessage); diff != "" {
		t.Fatalf("problems (-want +got):\n%s", diff)
	}
	if got, want := rep.Problems[3].Message, `the email address "s4@example.com\u200b" holds the invisible character U+200B`; !strings.HasPrefix(got, want) {
		t.Errorf("message %q, want it to start with %q", got, want)
	}
}

// W4: line breaks that are not control characters, and invisible
// characters that are not Cf, in names; spaces that only look like one.
func TestCheckInvisibleCharacters(t *testing.T) {
	tests := []struct {
		name, value string
		code        string // "" for none
		sev         Severity
	}{
		{"U+2028 line separator", "ali\u2028ce", CodeControlCharacter, SeverityError},
		{"U+2029 paragraph separator", "ali\u2029ce", CodeControlCharacter, SeverityError},
		{"U+3164 Hangul filler", "ali\u3164ce", codeFormatCharacter, SeverityError},
		{"U+115F Hangul choseong filler", "ali\u115fce", codeFormatCharacter, SeverityError},
		{"U+1160 Hangul jungseong filler", "ali\u1160ce", codeFormatCharacter, SeverityError},
		{"U+FFA0 halfwidth Hangul filler", "ali\uffa0ce", codeFormatCharacter, SeverityError},
		{"U+2800 Braille blank", "ali\u2800ce", codeFormatCharacter, SeverityError},
		{"U+034F combining grapheme joiner", "ali\u034fce", codeFormatCharacter, SeverityError},
		{"U+FE0F variation selector", "ali\ufe0fce", codeFormatCharacter, SeverityError},
		{"U+E0101 variation selector supplement", "ali\U000E0101ce", codeFormatCharacter, SeverityError},
		{"U+200B still", "ali\u200bce", codeFormatCharacter, SeverityError},
		{"U+E0041 tag still", "alice\U000E0041", codeFormatCharacter, SeverityError},
		{"no-break space between words", "Year\u00a07", codeUnusualSpace, SeverityWarning},
		{"ideographic space between words", "Year\u30007", codeUnusualSpace, SeverityWarning},
		{"narrow no-break space between words", "Year\u202f7", codeUnusualSpace, SeverityWarning},
		{"no-break space at the end is surrounding space", "Year 7\u00a0", codeSurroundingSpace, SeverityWarning},
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

func TestCheckContactsInvisibleCharacters(t *testing.T) {
	// A line separator is an error anywhere; invisible characters and
	// unusual spaces only in the username, since a Persian addressee
	// needs U+200C and an addressee may hold a no-break space.
	in := chdr +
		"S1,email,guardian,True,\"Mr\u2028Smith\",a@example.com,,OVERDUE\n" +
		"S\u31642,email,patron,True,An,b@example.com,,ANY\n" +
		"S3,email,guardian,True,\u0632\u0647\u0631\u0647\u200c \u0627\u062d\u0645\u062f\u06cc,c@example.com,,OVERDUE\n" +
		"S4,email,guardian,True,Mr\u00a0Smith,d@example.com,,OVERDUE\n" +
		"S\u00a05,email,patron,True,An,e@example.com,,ANY\n"
	rep, err := CheckContacts(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Problem{
		cp(1, columnAddressee, CodeControlCharacter, SeverityError),
		cp(2, ColumnUsername, codeFormatCharacter, SeverityError),
		cp(5, ColumnUsername, codeUnusualSpace, SeverityWarning),
	}
	if diff := cmp.Diff(want, rep.Problems, ignoreMessage); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

var schoolMap = WithHeaderMap(map[string]string{"username": "Student Code", "library-group": "House", "system-group": "Year Level"})

// W5: dialects of real files get one clear problem, not a flood.
func TestCheckDialects(t *testing.T) {
	tests := []struct {
		name    string
		file    string // in testdata, or
		in      string
		opts    []ReaderOption
		rows    int
		want    []Problem
		message string // a part of the first problem's message
		readErr string // the code of the Reader's first Read's error
	}{
		{
			name: "semicolons, a comma in a header name", file: "semicolon_comma_in_header.csv", opts: []ReaderOption{schoolMap},
			rows: 2, want: []Problem{p(0, 1, "", CodeSeparator, SeverityError)},
			message: "read the file with WithComma(';')", readErr: CodeSeparator,
		},
		{
			name: "semicolons, a comma in a header name, read WithComma", file: "semicolon_comma_in_header.csv", opts: []ReaderOption{schoolMap, WithComma(';')},
			rows: 2, want: []Problem{p(0, 1, "", codeExtraColumn, SeverityWarning)},
		},
		{
			name: "tabs, a comma in a header name", file: "tab_comma_in_header.txt", opts: []ReaderOption{schoolMap},
			rows: 2, want: []Problem{p(0, 1, "", CodeSeparator, SeverityError)},
			message: `read the file with WithComma('\t')`, readErr: CodeSeparator,
		},
		{
			name: "tabs, a comma in a header name, read WithComma", file: "tab_comma_in_header.txt", opts: []ReaderOption{schoolMap, WithComma('\t')},
			rows: 2, want: []Problem{p(0, 1, "", codeExtraColumn, SeverityWarning)},
		},
		{
			name: "commas read WithComma(';'), a ';' in a header name", in: "username,library-group,system-group,Notes;Remarks\na,G,S,x\n", opts: []ReaderOption{WithComma(';')},
			rows: 1, want: []Problem{p(0, 1, "", CodeSeparator, SeverityError)},
			message: "read the file without WithComma", readErr: CodeSeparator,
		},
		{
			name: "vertical bars", in: "username|library-group|system-group\na|G|S\n",
			rows: 1, want: []Problem{p(0, 1, "", CodeSeparator, SeverityError)},
			message: "read the file with WithComma('|')", readErr: CodeSeparator,
		},
		{
			name: "CR-only line endings (CSV (Macintosh))", file: "mac_cr_only.csv", opts: []ReaderOption{schoolMap},
			want:    []Problem{p(0, 1, "", codeLineEnding, SeverityError)},
			message: `the lines of the file end in CR only (Excel for Mac's "CSV (Macintosh)"), so it reads as one line; save it as "CSV UTF-8"`, readErr: codeLineEnding,
		},
		{
			name: "CR-only line endings, canonical header", in: "username,library-group,system-group\ra,G,S\rb,H,T\r",
			want: []Problem{p(0, 1, "", codeLineEnding, SeverityError)}, readErr: codeLineEnding,
		},
		{
			name: "CR-only line endings after a byte order mark", in: "\ufeffusername,library-group,system-group\ra,G,S",
			want: []Problem{p(0, 1, "", codeLineEnding, SeverityError)}, readErr: codeLineEnding,
		},
		{
			name: "a CR inside a quoted header name is not a line ending", in: "username,\"library\rgroup\",system-group\na,G,S\n",
			rows: 1, want: []Problem{p(0, 1, ColumnLibraryGroup, CodeMissingColumn, SeverityError), p(0, 1, "", codeExtraColumn, SeverityWarning)},
			readErr: CodeMissingColumn,
		},
		{
			name: "CR LF is read", in: "username,library-group,system-group\r\na,G,S\r\n", rows: 1,
		},
		{
			name: "a header-only file ending in CR is read", in: "username,library-group,system-group\r",
		},
		{
			name: "every line in quotes", file: "whole_line_quoted.csv", opts: []ReaderOption{schoolMap},
			rows: 2, want: []Problem{p(0, 1, "", codeQuotedLines, SeverityError)},
			message: "every line of the file is enclosed in double quotes", readErr: codeQuotedLines,
		},
		{
			name: "every line in quotes, canonical header", in: "\"username,library-group,system-group\"\n\"a,G,S\"\n",
			rows: 1, want: []Problem{p(0, 1, "", codeQuotedLines, SeverityError)}, readErr: codeQuotedLines,
		},
		{
			name: "every line in quotes, semicolons", in: "\"username;library-group;system-group\"\n\"a;G;S\"\n",
			rows: 1, want: []Problem{p(0, 1, "", codeQuotedLines, SeverityError)},
			message: `and its fields are separated by semicolons (";")`, readErr: codeQuotedLines,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			open := func() io.Reader {
				if tt.file == "" {
					return strings.NewReader(tt.in)
				}
				b, err := os.ReadFile("testdata/" + tt.file)
				if err != nil {
					t.Fatal(err)
				}
				return strings.NewReader(string(b))
			}
			rep, err := Check(open(), Rules{}, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, rep.Problems, ignoreMessage, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if rep.Rows != tt.rows {
				t.Errorf("Rows = %d, want %d", rep.Rows, tt.rows)
			}
			if tt.message != "" && (len(rep.Problems) == 0 || !strings.Contains(rep.Problems[0].Message, tt.message)) {
				t.Errorf("problems %v\nthe first does not say %q", rep.Problems, tt.message)
			}
			_, err = NewReader(open(), tt.opts...).Read()
			if tt.readErr == "" {
				if err != nil && err != io.EOF {
					t.Errorf("Read: %v", err)
				}
			} else if errCode(err) != tt.readErr {
				t.Errorf("Read error = %v, want one wrapping %v", err, tt.readErr)
			}
		})
	}
}

// A CR-only file of 3 MiB is one problem, read in bounded memory, and
// not a record over maxRecordBytes.
func TestCheckLargeCROnlyFile(t *testing.T) {
	in := io.MultiReader(strings.NewReader("username,library-group,system-group\r"),
		&repeatReader{unit: "jsmith,Year 7,Students\r", n: 3 << 20})
	var rep *Report
	var err error
	if n := allocated(func() { rep, err = Check(in, Rules{}) }); n > 4<<20 {
		t.Errorf("Check allocated %d bytes", n)
	}
	if err != nil {
		t.Fatal(err)
	}
	want := []Problem{p(0, 1, "", codeLineEnding, SeverityError)}
	if diff := cmp.Diff(want, rep.Problems, ignoreMessage); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// W6: a repeated header spelt otherwise is still a repeated header, for
// Check and for the Reader (which would give a user named "Username").
func TestRepeatedHeaderSpeltOtherwise(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts []ReaderOption
		want []Problem
	}{
		{name: "capitalised", in: hdr + "a,G,S\nUsername,Library-Group,System-Group\n",
			want: []Problem{p(2, 3, "", codeRepeatedHeader, SeverityError)}},
		{name: "a space after a name", in: hdr + "a,G,S\nusername ,library-group,system-group\n",
			want: []Problem{p(2, 3, "", codeRepeatedHeader, SeverityError)}},
		{name: "underscores and spaces", in: hdr + "a,G,S\nUSERNAME,library_group,System Group\n",
			want: []Problem{p(2, 3, "", codeRepeatedHeader, SeverityError)}},
		{name: "quoted, with a byte order mark", in: hdr + "a,G,S\n\ufeffUsername,\"library-group\",\"system-group\"\r\n",
			want: []Problem{p(2, 3, "", codeRepeatedHeader, SeverityError)}},
		{name: "a header map's names, spelt otherwise", in: "Student Code,House,Year Level\nS1,G,S\nstudent code,HOUSE,Year level\n", opts: []ReaderOption{schoolMap},
			want: []Problem{p(2, 3, "", codeRepeatedHeader, SeverityError)}},
		{name: "a user named username is a user", in: hdr + "username,Year 7,Students\n"},
		{name: "groups named like columns are groups", in: hdr + "a,library-group,system group\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Check(strings.NewReader(tt.in), Rules{}, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, rep.Problems, ignoreMessage, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			var readErrs []Problem
			for rec, err := range NewReader(strings.NewReader(tt.in), tt.opts...).All() {
				if errCode(err) == codeRepeatedHeader {
					readErrs = append(readErrs, p(rec.Row, rec.Line, "", codeRepeatedHeader, SeverityError))
				}
			}
			if diff := cmp.Diff(tt.want, readErrs, ignoreMessage, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Reader's repeated headers (-want +got):\n%s", diff)
			}
		})
	}
}

// From the syncjob engineer: an all-empty row can be told from a row whose
// only value is a false primary, or a value of white space.
func TestRecordEmpty(t *testing.T) {
	tests := []struct {
		in   string
		want []bool // Empty of each record
	}{
		{hdr + ",,\n,,,,\n\"\",\"\",\"\"\n", []bool{true, true, true}},
		{hdr + " ,,\na,,\n,,S\n", []bool{false, false, false}},
	}
	for _, tt := range tests {
		var got []bool
		for rec, err := range NewReader(strings.NewReader(tt.in)).All() {
			if err != nil {
				t.Fatalf("%q: %v", tt.in, err)
			}
			got = append(got, rec.Empty)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q: Empty (-want +got):\n%s", tt.in, diff)
		}
	}
	ctests := []struct {
		in   string
		want []ContactRecord
	}{
		{chdr + ",,,,,,,\n,,\n", []ContactRecord{{Row: 1, Line: 2, Empty: true}, {Row: 2, Line: 3, Empty: true}}},
		{chdr + ",,,False,,,,\n,,,0,,,,\n", []ContactRecord{{Row: 1, Line: 2}, {Row: 2, Line: 3}}},
	}
	for _, tt := range ctests {
		var got []ContactRecord
		for rec, err := range NewContactReader(strings.NewReader(tt.in)).All() {
			if err != nil {
				t.Fatalf("%q: %v", tt.in, err)
			}
			got = append(got, rec)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q: records (-want +got):\n%s", tt.in, diff)
		}
	}
}

// From the syncjob engineer and the nits: contact rows that mean the same
// are duplicates; one primary per guardian whatever the addressee's case
// and spacing; repeated and empty scenario names; phone digits.
func TestCheckContactsSameMeaning(t *testing.T) {
	tests := []struct {
		name string
		in   string
		rows int
		want []Problem
	}{
		{name: "Y and True, Email and email, any and ANY", in: chdr +
			"s1,email,patron,True,,a@b.c,,ANY\n" +
			"s1,Email,Patron,Y,,a@b.c,,any\n", rows: 2, want: []Problem{
			cp(2, columnPrimary, CodeBooleanSpelling, SeverityWarning),
			cp(2, columnPrimary, codeMultiplePrimary, SeverityWarning),
			cp(2, "", codeDuplicateRow, SeverityWarning),
		}},
		{name: "scenarios in another order, sms N and false", in: chdr +
			"s1,email,guardian,False,Mum,m@b.c,false,OVERDUE;OVERDUE_ESCALATION_ONE\n" +
			"s1,email,guardian,0,Mum,m@b.c,N,overdue_escalation_one;OVERDUE\n", rows: 2, want: []Problem{
			cp(2, columnPrimary, CodeBooleanSpelling, SeverityWarning),
			cp(2, columnSMS, CodeBooleanSpelling, SeverityWarning),
			cp(2, "", codeDuplicateRow, SeverityWarning),
		}},
		{name: "another contact, or another addressee, is not a duplicate", in: chdr +
			"s1,email,guardian,False,Mum,m@b.c,,OVERDUE\n" +
			"s1,email,guardian,False,Mum,n@b.c,,OVERDUE\n" +
			"s1,email,guardian,False,Dad,m@b.c,,OVERDUE\n" +
			"s1,email,guardian,False,Mum,m@b.c,False,OVERDUE\n", rows: 4},
		{name: "one primary per guardian, whatever the case or spacing", in: chdr +
			"s1,email,guardian,True,Mr Smith,a@b.c,,OVERDUE\n" +
			"s1,email,guardian,True,mr smith,c@d.e,,OVERDUE\n" +
			"s1,email,guardian,True, Mr  Smith,f@g.h,,OVERDUE\n" +
			"s1,email,guardian,True,Mrs Smith,i@j.k,,OVERDUE\n", rows: 4, want: []Problem{
			cp(2, columnPrimary, codeMultiplePrimary, SeverityWarning),
			cp(3, columnAddressee, codeSurroundingSpace, SeverityWarning),
			cp(3, columnPrimary, codeMultiplePrimary, SeverityWarning),
		}},
		{name: "an empty and a repeated scenario", in: chdr +
			"s1,phone,patron,False,,0400,,OVERDUE;;overdue\n" +
			"s1,phone,patron,False,,0401,,ANY;ANY\n", rows: 2, want: []Problem{
			cp(1, columnScenarios, CodeScenarioFormat, SeverityWarning),
			cp(2, columnScenarios, CodeScenarioFormat, SeverityWarning),
		}},
		{name: "phone digits are ASCII digits outside a leading label", in: chdr +
			"s1,phone,patron,False,,٠٤٠٠ ٠٠٠ ٠٠٠,,NONE\n" +
			"s1,phone,patron,False,,(1) x,,NONE\n" +
			"s1,phone,patron,False,,(M1) 0400 000 000,,NONE\n" +
			"s1,phone,patron,False,,(07) 5555 1234,,NONE\n" +
			"s1,phone,patron,False,,0400 000 000 (after 5pm),,NONE\n", rows: 5, want: []Problem{
			cp(1, columnContact, codePhoneWithoutDigits, SeverityError),
			cp(2, columnContact, codePhoneWithoutDigits, SeverityError),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := CheckContacts(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Rows != tt.rows {
				t.Errorf("Rows = %d, want %d", rep.Rows, tt.rows)
			}
			if diff := cmp.Diff(tt.want, rep.Problems, ignoreMessage, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckContactsSameMeaningFixture(t *testing.T) {
	f, err := os.Open("testdata/contacts_same_meaning.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := CheckContacts(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []Problem{
		cp(2, columnPrimary, CodeBooleanSpelling, SeverityWarning),
		cp(2, columnPrimary, codeMultiplePrimary, SeverityWarning),
		cp(2, "", codeDuplicateRow, SeverityWarning),
		cp(4, columnPrimary, codeMultiplePrimary, SeverityWarning),
		cp(5, columnPrimary, codeMultiplePrimary, SeverityWarning),
		cp(5, "", codeDuplicateRow, SeverityWarning),
		cp(6, ColumnUsername, CodeMissingUsername, SeverityError),
		cp(6, columnType, CodeUnknownContactType, SeverityError),
		cp(6, columnRole, CodeUnknownContactRole, SeverityError),
		cp(6, columnContact, CodeMissingContact, SeverityError),
		cp(7, "", CodeEmptyRow, SeverityWarning),
	}
	if diff := cmp.Diff(want, rep.Problems, ignoreMessage); diff != "" {
		t.Fatalf("problems (-want +got):\n%s", diff)
	}
	if got, want := rep.Problems[2].Message, "the row repeats row 1"; !strings.HasPrefix(got, want) {
		t.Errorf("message %q, want it to start with %q", got, want)
	}
}

// The ContactReader reads each scenario once, as the check's warning says
// a rewritten file has it.
func TestContactReaderScenariosOnce(t *testing.T) {
	in := chdr + "s1,phone,patron,False,,0400,,OVERDUE;;overdue;Overdue_Escalation_One;FOO;foo\n"
	rec, err := NewContactReader(strings.NewReader(in)).Read()
	if err != nil {
		t.Fatal(err)
	}
	want := []Scenario{ScenarioOverdue, ScenarioOverdueEscalationOne, "FOO"}
	if diff := cmp.Diff(want, rec.Scenarios); diff != "" {
		t.Errorf("scenarios (-want +got):\n%s", diff)
	}
}

// Nit: WithComma takes the separators of real files.
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

// Nit: a ParseError says what it has, and no empty position.
func TestParseErrorText(t *testing.T) {
	tests := []struct {
		err  *ParseError
		want string
	}{
		{&ParseError{}, "csvspec: invalid CSV"},
		{&ParseError{Code: codeQuote}, "csvspec: malformed-quoting"},
		{&ParseError{Row: 3, Code: CodeFieldCount}, "csvspec: row 3: wrong-field-count"},
		{&ParseError{Line: 1, Code: CodeMissingColumn}, "csvspec: line 1 (header): missing-column"},
		{&ParseError{Row: 2, Line: 3, Code: codeQuote, msg: "fix it"}, "csvspec: line 3 (row 2): fix it"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%#v.Error() = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// Nit: a second byte order mark is named as such.
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
				p(0, 1, ColumnUsername, codeHeaderName, SeverityError),
				p(1, 2, ColumnUsername, CodeMissingUsername, SeverityError), // the rows are still checked
			},
			message: `header column 1 starts with a second byte order mark (U+FEFF) before "username", which Infiniti reads as part of the name; save the file again as "CSV UTF-8", or remove the extra mark`},
		{name: "misspelt too", in: "\ufeff\ufeffUsername,library-group,system-group\n",
			want:    []Problem{p(0, 1, ColumnUsername, codeHeaderName, SeverityError)},
			message: `or remove the extra mark, and rename it to "username"`},
		{name: "a header map's name", in: "\ufeff\ufeffStudent Code,House,Year Level\n", opts: []ReaderOption{schoolMap},
			want:    []Problem{p(0, 1, ColumnUsername, codeHeaderName, SeverityError)},
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
			if _, err := NewReader(strings.NewReader(tt.in), tt.opts...).Read(); errCode(err) != codeHeaderName {
				t.Errorf("Read error = %v, want one wrapping codeHeaderName", err)
			}
		})
	}
}

// The scenario-format messages: a repeat is named; the message of spaces
// or an empty name is the one the example programs translate.
func TestScenarioFormatMessages(t *testing.T) {
	tests := []struct{ scenarios, want string }{
		{"OVERDUE ;OVERDUE_ESCALATION_ONE", `the scenarios "OVERDUE ;OVERDUE_ESCALATION_ONE" have an empty name or spaces around a ';'; a file a ContactWriter rewrites from this one writes them without`},
		{"ANY;any", `the scenarios "ANY;any" name "ANY" more than once; post the file a ContactWriter rewrites from this one, which writes each scenario once`},
		{"OVERDUE;;overdue", `the scenarios "OVERDUE;;overdue" name "OVERDUE" more than once, and have an empty name or spaces around a ';'; post the file a ContactWriter rewrites from this one, which writes each scenario once, without them`},
	}
	for _, tt := range tests {
		rep, err := CheckContacts(strings.NewReader(chdr + "s1,phone,patron,False,,0400,," + tt.scenarios + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range rep.Problems {
			got = append(got, p.Message)
		}
		if diff := cmp.Diff([]string{tt.want}, got); diff != "" {
			t.Errorf("%q: messages (-want +got):\n%s", tt.scenarios, diff)
		}
	}
}
