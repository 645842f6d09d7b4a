package csvspec

import (
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// A file in another dialect gets one error that names every fact a program
// needs to name its fixes: the separator and the encoding (issue 14 §7).
func TestDialectFacts(t *testing.T) {
	tests := []struct {
		name     string
		file     string // in testdata
		opts     []ReaderOption
		want     ParseError // Code, Comma and Encoding
		fragment string     // a part of the message
	}{
		{
			name: "Windows-1252 separated by semicolons", file: "semicolon_windows1252.csv",
			want:     ParseError{Code: CodeSeparator, Comma: ';', Encoding: "windows-1252"},
			fragment: `separated by semicolons (";"), not commas (","), and the file is not UTF-8 text`,
		},
		{
			name: "UTF-8 separated by semicolons", file: "semicolon.csv", opts: []ReaderOption{schoolMap},
			want: ParseError{Code: CodeSeparator, Comma: ';'},
		},
		{
			name: "UTF-16 separated by tabs", file: "unicode_text_utf16le.txt", opts: []ReaderOption{schoolMap},
			want:     ParseError{Code: CodeEncoding, Comma: '\t', Encoding: "utf-16le"},
			fragment: "UTF-16 (little-endian) text (it starts with that byte order mark), and its fields are separated by tabs",
		},
		{
			name: "UTF-16 read with its own separator", file: "unicode_text_utf16le.txt", opts: []ReaderOption{schoolMap, WithComma('\t')},
			want: ParseError{Code: CodeEncoding, Encoding: "utf-16le"},
		},
		{
			name: "UTF-16 BE separated by commas", file: "utf16be.csv",
			want: ParseError{Code: CodeEncoding, Encoding: "utf-16be"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			for name, err := range map[string]error{
				"Reader":   firstError(NewReader(strings.NewReader(string(data)), tt.opts...).All()),
				"ReadRows": firstError(ReadRows(strings.NewReader(string(data)), Header(), nil, tt.opts...)),
			} {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("%s: error %v, want a *ParseError", name, err)
				}
				got := ParseError{Code: pe.Code, Comma: pe.Comma, Encoding: pe.Encoding}
				if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(ParseError{})); diff != "" {
					t.Errorf("%s: (-want +got):\n%s", name, diff)
				}
				if !strings.Contains(err.Error(), tt.fragment) {
					t.Errorf("%s: error %q does not say %q", name, err, tt.fragment)
				}
			}
		})
	}
}

// firstError returns the first error a sequence yields.
func firstError[T any](seq func(yield func(T, error) bool)) error {
	for _, err := range seq {
		if err != nil {
			return err
		}
	}
	return nil
}

func TestNotUTF8(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"plain ASCII", false},
		{"Zoë", false},
		{"Zo\xeb;Year 7", true},
		{"Zo\xeb", false},      // at the end, it may be a rune cut off
		{"Zo\xc3", false},      // a rune cut off at the end of what was read
		{"Zo\xc3 x", true},     // but not in the middle
		{"学生"[:4], false},      // a cut three-byte rune
		{"\xff\xfe\x00", true}, // not text at all
	}
	for _, tt := range tests {
		if got := notUTF8([]byte(tt.in)); got != tt.want {
			t.Errorf("notUTF8(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// A file of the other import is one error that says which import it
// belongs to, not one missing column for each of this one's.
func TestWrongImport(t *testing.T) {
	const (
		toContacts   = `the header is a contacts file's (username,type,role,…), not a user-groups file's`
		toUserGroups = `the header is a user-groups file's (username,library-group,system-group), not a contacts file's`
	)
	wrong := func(msg string) []Problem {
		return []Problem{{Line: 1, Code: CodeWrongImport, Severity: SeverityError, Message: msg}}
	}
	tests := []struct {
		name     string
		in       string
		contacts bool // read and checked as a contacts file
		opts     []ReaderOption
		rows     int
		want     []Problem
		err      string // the code of the first Read's error
	}{
		{name: "contacts file as user groups", in: chdr + "s1,email,patron,True,An,s1@example.com,,ANY\n",
			rows: 1, want: wrong(toContacts), err: CodeWrongImport},
		{name: "user-groups file as contacts", in: hdr + "s1,Year 7,Students\ns2,Year 8,\n", contacts: true,
			rows: 2, want: wrong(toUserGroups), err: CodeWrongImport},
		{name: "other case, spacing and order, a byte order mark, an extra column", in: "\ufeffSystem Group, Library_Group ,USERNAME,Notes\n", contacts: true,
			want: wrong(toUserGroups), err: CodeWrongImport},
		{name: "contacts file with its username under the header map's name", in: strings.Replace(chdr, "username", "Student Code", 1),
			opts: []ReaderOption{WithHeaderMap(map[string]string{"username": "Student Code"})}, want: wrong(toContacts), err: CodeWrongImport},
		{name: "contacts file with a header map of user-groups columns", in: chdr,
			opts: []ReaderOption{WithHeaderMap(map[string]string{"library-group": "House"})}, want: wrong(toContacts), err: CodeWrongImport},
		{name: "a contacts header without its sms column is not called one", in: strings.Replace(chdr, ",sms", "", 1),
			want: []Problem{
				p(0, 1, ColumnLibraryGroup, CodeMissingColumn, SeverityError),
				p(0, 1, ColumnSystemGroup, CodeMissingColumn, SeverityError),
				p(0, 1, "", CodeExtraColumn, SeverityWarning),
			}, err: CodeMissingColumn},
		{name: "a user-groups header without system-group is not called one", in: "username,library-group\n", contacts: true,
			want: []Problem{
				p(0, 1, "type", CodeMissingColumn, SeverityError),
				p(0, 1, "role", CodeMissingColumn, SeverityError),
				p(0, 1, "primary", CodeMissingColumn, SeverityError),
				p(0, 1, "addressee", CodeMissingColumn, SeverityError),
				p(0, 1, "contact", CodeMissingColumn, SeverityError),
				p(0, 1, "sms", CodeMissingColumn, SeverityError),
				p(0, 1, "scenarios", CodeMissingColumn, SeverityError),
				p(0, 1, "", CodeExtraColumn, SeverityWarning),
			}, err: CodeMissingColumn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rep *Report
			var err, readErr error
			if tt.contacts {
				rep, err = CheckContacts(strings.NewReader(tt.in), tt.opts...)
				_, readErr = newContactReader(strings.NewReader(tt.in), tt.opts...).Read()
			} else {
				rep, err = Check(strings.NewReader(tt.in), Rules{}, tt.opts...)
				_, readErr = NewReader(strings.NewReader(tt.in), tt.opts...).Read()
			}
			if err != nil {
				t.Fatal(err)
			}
			opt := ignoreMessage
			if tt.err == CodeWrongImport {
				opt = nil
			}
			if diff := cmp.Diff(tt.want, rep.Problems, opt); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if rep.Rows != tt.rows {
				t.Errorf("%d rows, want %d", rep.Rows, tt.rows)
			}
			var pe *ParseError
			if !errors.As(readErr, &pe) || pe.Code != tt.err {
				t.Fatalf("Read error %v, want a *ParseError of %v", readErr, tt.err)
			}
			if want := "csvspec: line 1 (header): " + tt.want[0].Message; tt.err == CodeWrongImport && pe.Error() != want {
				t.Errorf("Read error %q, want %q", pe.Error(), want)
			}
		})
	}
}

// dialects of real files get one clear problem, not a flood.
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
			message: `separated by semicolons (";"), not commas`, readErr: CodeSeparator,
		},
		{
			name: "semicolons, a comma in a header name, read WithComma", file: "semicolon_comma_in_header.csv", opts: []ReaderOption{schoolMap, WithComma(';')},
			rows: 2, want: []Problem{p(0, 1, "", CodeExtraColumn, SeverityWarning)},
		},
		{
			name: "tabs, a comma in a header name", file: "tab_comma_in_header.txt", opts: []ReaderOption{schoolMap},
			rows: 2, want: []Problem{p(0, 1, "", CodeSeparator, SeverityError)},
			message: "separated by tabs, not commas", readErr: CodeSeparator,
		},
		{
			name: "tabs, a comma in a header name, read WithComma", file: "tab_comma_in_header.txt", opts: []ReaderOption{schoolMap, WithComma('\t')},
			rows: 2, want: []Problem{p(0, 1, "", CodeExtraColumn, SeverityWarning)},
		},
		{
			name: "commas read WithComma(';'), a ';' in a header name", in: "username,library-group,system-group,Notes;Remarks\na,G,S,x\n", opts: []ReaderOption{WithComma(';')},
			rows: 1, want: []Problem{p(0, 1, "", CodeSeparator, SeverityError)},
			message: `separated by commas (","), not semicolons`, readErr: CodeSeparator,
		},
		{
			name: "vertical bars", in: "username|library-group|system-group\na|G|S\n",
			rows: 1, want: []Problem{p(0, 1, "", CodeSeparator, SeverityError)},
			message: `separated by vertical bars ("|"), not commas`, readErr: CodeSeparator,
		},
		{
			name: "CR-only line endings (CSV (Macintosh))", file: "mac_cr_only.csv", opts: []ReaderOption{schoolMap},
			want:    []Problem{p(0, 1, "", "cr-line-endings", SeverityError)},
			message: `the lines of the file end in CR only (Excel for Mac's "CSV (Macintosh)"), so it reads as one line`, readErr: "cr-line-endings",
		},
		{
			name: "CR-only line endings, canonical header", in: "username,library-group,system-group\ra,G,S\rb,H,T\r",
			want: []Problem{p(0, 1, "", "cr-line-endings", SeverityError)}, readErr: "cr-line-endings",
		},
		{
			name: "CR-only line endings after a byte order mark", in: "\ufeffusername,library-group,system-group\ra,G,S",
			want: []Problem{p(0, 1, "", "cr-line-endings", SeverityError)}, readErr: "cr-line-endings",
		},
		{
			name: "a CR inside a quoted header name is not a line ending", in: "username,\"library\rgroup\",system-group\na,G,S\n",
			rows: 1, want: []Problem{p(0, 1, ColumnLibraryGroup, CodeMissingColumn, SeverityError), p(0, 1, "", CodeExtraColumn, SeverityWarning)},
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
			rows: 2, want: []Problem{p(0, 1, "", "quoted-lines", SeverityError)},
			message: "every line of the file is enclosed in double quotes", readErr: "quoted-lines",
		},
		{
			name: "every line in quotes, canonical header", in: "\"username,library-group,system-group\"\n\"a,G,S\"\n",
			rows: 1, want: []Problem{p(0, 1, "", "quoted-lines", SeverityError)}, readErr: "quoted-lines",
		},
		{
			name: "every line in quotes, semicolons", in: "\"username;library-group;system-group\"\n\"a;G;S\"\n",
			rows: 1, want: []Problem{p(0, 1, "", "quoted-lines", SeverityError)},
			message: `and its fields are separated by semicolons (";")`, readErr: "quoted-lines",
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
	want := []Problem{p(0, 1, "", "cr-line-endings", SeverityError)}
	if diff := cmp.Diff(want, rep.Problems, ignoreMessage); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// a repeated header spelt otherwise is still a repeated header, for
// Check and for the Reader (which would give a user named "Username").
func TestRepeatedHeaderSpeltOtherwise(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts []ReaderOption
		want []Problem
	}{
		{name: "capitalised", in: hdr + "a,G,S\nUsername,Library-Group,System-Group\n",
			want: []Problem{p(2, 3, "", "repeated-header", SeverityError)}},
		{name: "a space after a name", in: hdr + "a,G,S\nusername ,library-group,system-group\n",
			want: []Problem{p(2, 3, "", "repeated-header", SeverityError)}},
		{name: "underscores and spaces", in: hdr + "a,G,S\nUSERNAME,library_group,System Group\n",
			want: []Problem{p(2, 3, "", "repeated-header", SeverityError)}},
		{name: "quoted, with a byte order mark", in: hdr + "a,G,S\n\ufeffUsername,\"library-group\",\"system-group\"\r\n",
			want: []Problem{p(2, 3, "", "repeated-header", SeverityError)}},
		{name: "a first name that starts with a bracket", in: "[ID],library-group,system-group\nS1,G,S\n[ID],library-group,system-group\n",
			opts: []ReaderOption{WithHeaderMap(map[string]string{"username": "[ID]"})},
			want: []Problem{p(2, 3, "", "repeated-header", SeverityError)}},
		{name: "a header map's names, spelt otherwise", in: "Student Code,House,Year Level\nS1,G,S\nstudent code,HOUSE,Year level\n", opts: []ReaderOption{schoolMap},
			want: []Problem{p(2, 3, "", "repeated-header", SeverityError)}},
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
				if errCode(err) == "repeated-header" {
					readErrs = append(readErrs, p(rec.Row, rec.Line, "", "repeated-header", SeverityError))
				}
			}
			if diff := cmp.Diff(tt.want, readErrs, ignoreMessage, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Reader's repeated headers (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLooseEqual compares looseEqual, which folds ASCII in place, with
// looseName, on names in ASCII and not, with marks, spaces and underscores.
func TestLooseEqual(t *testing.T) {
	names := []string{"", " ", "username", "Username", "USER_NAME", " user name ", "user-name", "usernames", "user",
		"u0000001", "\ufeffusername", "\ufeff\ufeffUsername", "_id", "-id", " id", "@id", "`id", "[ID]", "{id}",
		"Ïd", "ïd", "\u212aey", "key", "KEY", "İd", "i̇d", "\u00a0username\u00a0", "user\u00a0name", "\tusername\r", "Student Code", "student_code"}
	for _, s := range names {
		for _, h := range names {
			loose := looseName(strings.TrimLeft(h, "\ufeff"))
			want := looseName(strings.TrimLeft(s, "\ufeff")) == loose
			if got := looseEqual(s, loose); got != want {
				t.Errorf("looseEqual(%q, %q) = %v, want %v", s, loose, got, want)
			}
		}
	}
}

// TestRepeatedHeaderFirstBytes repeats headers whose first name starts
// with every kind of byte, after a row that starts as the header does but
// is a row.
func TestRepeatedHeaderFirstBytes(t *testing.T) {
	const groups = ",library-group,system-group"
	tests := []struct {
		header, row string
		first       string // the header map's name of username, if any
	}{
		{header: "username" + groups, row: "u0000001,G,S"},
		{header: "Username" + groups, row: "USERNAMEX,G,S", first: "Username"},
		{header: "_id" + groups, row: "_idx,G,S", first: "_id"},
		{header: "-id" + groups, row: "-idx,G,S", first: "-id"},
		{header: " id" + groups, row: " idx,G,S", first: " id"},
		{header: "@id" + groups, row: "@idx,G,S", first: "@id"},
		{header: "`id" + groups, row: "`idx,G,S", first: "`id"},
		{header: "[ID]" + groups, row: "[ID]x,G,S", first: "[ID]"},
		{header: "Ïd" + groups, row: "ïdx,G,S", first: "Ïd"},
		{header: "\u212aey" + groups, row: "keyx,G,S", first: "\u212aey"},
		{header: "Student Code" + groups, row: "S000001,G,S", first: "Student Code"},
		{header: ",username" + groups, row: ",u1,G,S"},
		{header: "\"\ufeffusername\"" + groups, row: "u1,G,S"},
		{header: "\ufeff\ufeffusername" + groups, row: "u1,G,S"},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			var opts []ReaderOption
			if tt.first != "" {
				opts = append(opts, WithHeaderMap(map[string]string{"username": tt.first}))
			}
			rep, err := Check(strings.NewReader(tt.header+"\n"+tt.row+"\n"+tt.header+"\n"), Rules{}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, p := range rep.Problems {
				if p.Code == "repeated-header" {
					got = append(got, p.Row)
				}
			}
			if diff := cmp.Diff([]int{2}, got); diff != "" {
				t.Errorf("rows of repeated-header (-want +got):\n%s\n%v", diff, rep.Problems)
			}
		})
	}
}

// a ParseError says what it has, and no empty position.
func TestParseErrorText(t *testing.T) {
	tests := []struct {
		err  *ParseError
		want string
	}{
		{&ParseError{}, "csvspec: invalid CSV"},
		{&ParseError{Code: "malformed-quoting"}, "csvspec: malformed-quoting"},
		{&ParseError{Row: 3, Code: CodeFieldCount}, "csvspec: row 3: wrong-field-count"},
		{&ParseError{Line: 1, Code: CodeMissingColumn}, "csvspec: line 1 (header): missing-column"},
		{&ParseError{Row: 2, Line: 3, Code: "malformed-quoting", msg: "fix it"}, "csvspec: line 3 (row 2): fix it"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%#v.Error() = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// repeatReader yields unit over and over, n bytes in all.
type repeatReader struct {
	unit string
	n    int
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	p = p[:min(len(p), r.n)]
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.unit[r.off:])
		n += c
		r.off = (r.off + c) % len(r.unit)
	}
	r.n -= n
	return n, nil
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHostileRecordsBoundedMemory: a record that never ends (an unbalanced
// quote, a line without a break) is one error, and neither the Reader nor
// Check holds it.
func TestHostileRecordsBoundedMemory(t *testing.T) {
	const size = 32 << 20
	const budget = 8 << 20
	tests := []struct {
		name string
		head string
		unit string
	}{
		{"unbalanced quote", hdr + "jsmith,\"Year 7,Students\n", "mjones,Year 8,Staff\n"},
		{"one endless line", hdr + "jsmith,", "Year 7 "},
		{"one endless quoted line", hdr + "jsmith,\"", "Year 7 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := func() io.Reader {
				return io.MultiReader(strings.NewReader(tt.head), &repeatReader{unit: tt.unit, n: size})
			}
			var got []readOutcome
			n := allocated(func() {
				for rec, err := range NewReader(in()).All() {
					got = append(got, readOutcome{Rec: rec, Err: errCode(err)})
				}
			})
			want := []readOutcome{{Rec: Record{Row: 1, Line: 2}, Err: "record-too-large"}}
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
				t.Errorf("Reader (-want +got):\n%s", diff)
			}
			if n > budget {
				t.Errorf("the Reader allocated %d bytes for a %d-byte file, want at most %d", n, size, budget)
			}

			var rep *Report
			n = allocated(func() {
				var err error
				rep, err = Check(in(), Rules{})
				if err != nil {
					t.Fatal(err)
				}
			})
			wantProblems := []Problem{p(1, 2, "", "record-too-large", SeverityError)}
			if diff := cmp.Diff(wantProblems, rep.Problems, ignoreMessage); diff != "" {
				t.Errorf("Check (-want +got):\n%s", diff)
			}
			if n > budget {
				t.Errorf("Check allocated %d bytes for a %d-byte file, want at most %d", n, size, budget)
			}
		})
	}
}
