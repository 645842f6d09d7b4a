package csvspec

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// readOutcome is one Read result, flattened for comparison.
type readOutcome struct {
	Rec Record
	Err string // the code of the error, "" for none (errCode)
}

// readAll reads until io.EOF (or a sticky error), at most 100 reads.
func readAll(t *testing.T, r *Reader) []readOutcome {
	t.Helper()
	var out []readOutcome
	for i := 0; i < 100; i++ {
		rec, err := r.Read()
		if err == io.EOF {
			return out
		}
		out = append(out, readOutcome{Rec: rec, Err: errCode(err)})
		if err != nil && r.t.err != nil {
			// Sticky, or the end of the file: the next Read must return
			// the same error, or io.EOF.
			if _, again := r.Read(); errCode(again) != errCode(err) && again != io.EOF {
				t.Errorf("sticky error changed: first %v, then %v", err, again)
			}
			return out
		}
	}
	t.Fatal("reader did not reach io.EOF in 100 reads")
	return nil
}

func rec(row, line int, user, lib, sys string) readOutcome {
	return readOutcome{Rec: Record{UserGroup: UserGroup{user, lib, sys}, Row: row, Line: line}}
}

func TestReader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts []ReaderOption
		want []readOutcome
	}{
		{name: "zero bytes", in: ""},
		{name: "only blank lines", in: "\n\r\n\n"},
		{name: "header only", in: "username,library-group,system-group\n"},
		{name: "header only no newline", in: "username,library-group,system-group"},
		{
			name: "LF",
			in:   "username,library-group,system-group\njsmith,Year 7,Students\nmjones,,Staff\n",
			want: []readOutcome{rec(1, 2, "jsmith", "Year 7", "Students"), rec(2, 3, "mjones", "", "Staff")},
		},
		{
			name: "CRLF and BOM",
			in:   "\xef\xbb\xbfusername,library-group,system-group\r\njsmith,Year 7,Students\r\n",
			want: []readOutcome{rec(1, 2, "jsmith", "Year 7", "Students")},
		},
		{
			name: "no final newline",
			in:   "username,library-group,system-group\njsmith,Year 7,Students",
			want: []readOutcome{rec(1, 2, "jsmith", "Year 7", "Students")},
		},
		{
			name: "blank lines skipped and not counted",
			in:   "\nusername,library-group,system-group\n\njsmith,Year 7,Students\n\n\nmjones,,Staff\n\n",
			want: []readOutcome{rec(1, 4, "jsmith", "Year 7", "Students"), rec(2, 7, "mjones", "", "Staff")},
		},
		{
			name: "reordered and extra columns",
			in:   "surname,system-group,username,notes,library-group\nSmith,Students,jsmith,x,Year 7\n",
			want: []readOutcome{rec(1, 2, "jsmith", "Year 7", "Students")},
		},
		{
			name: "quoted values spanning lines keep their line",
			in:   "username,library-group,system-group\n\"a,b\",\"Year\n7\",\"say \"\"hi\"\"\"\nc,d,e\n",
			want: []readOutcome{rec(1, 2, "a,b", "Year\n7", `say "hi"`), rec(2, 4, "c", "d", "e")},
		},
		{
			name: "values are not trimmed",
			in:   "username,library-group,system-group\n jsmith , Year 7,\n",
			want: []readOutcome{rec(1, 2, " jsmith ", " Year 7", "")},
		},
		{
			name: "wrong field count then next row",
			in:   "username,library-group,system-group\njsmith,Year 7\nmjones,,Staff\na,b,c,d\n",
			want: []readOutcome{
				{Rec: Record{Row: 1, Line: 2}, Err: CodeFieldCount},
				rec(2, 3, "mjones", "", "Staff"),
				{Rec: Record{Row: 3, Line: 4}, Err: CodeFieldCount},
			},
		},
		{
			name: "bare quote then next row",
			in:   "username,library-group,system-group\njs\"mith,Year 7,Students\nmjones,,Staff\n",
			want: []readOutcome{
				{Rec: Record{Row: 1, Line: 2}, Err: "malformed-quoting"},
				rec(2, 3, "mjones", "", "Staff"),
			},
		},
		{
			name: "unclosed quote runs to the end",
			in:   "username,library-group,system-group\njsmith,\"Year 7,Students\nmjones,,Staff\n",
			want: []readOutcome{{Rec: Record{Row: 1, Line: 2}, Err: CodeUnclosedQuote}},
		},
		{
			name: "missing column",
			in:   "username,library-group\njsmith,Year 7\n",
			want: []readOutcome{{Err: CodeMissingColumn}},
		},
		{
			name: "non-canonical header name",
			in:   "Username,library-group,system-group\njsmith,Year 7,Students\n",
			want: []readOutcome{{Err: "non-canonical-header"}},
		},
		{
			name: "underscore header name",
			in:   "username,library_group,system-group\njsmith,Year 7,Students\n",
			want: []readOutcome{{Err: "non-canonical-header"}},
		},
		{
			name: "duplicate column",
			in:   "username,library-group,system-group,username\njsmith,Year 7,Students,x\n",
			want: []readOutcome{{Err: "duplicate-column"}},
		},
		{
			name: "malformed header",
			in:   "user\"name,library-group,system-group\n",
			want: []readOutcome{{Err: "malformed-quoting"}},
		},
		{
			name: "header map",
			in:   "Student Code,House,system-group\nS1,Blue,Students\n",
			opts: []ReaderOption{WithHeaderMap(map[string]string{"username": "Student Code", "library-group": "House"})},
			want: []readOutcome{rec(1, 2, "S1", "Blue", "Students")},
		},
		{
			name: "header map makes the canonical name an extra column",
			in:   "username,Student Code,library-group,system-group\nold,S1,Blue,Students\n",
			opts: []ReaderOption{WithHeaderMap(map[string]string{"username": "Student Code"})},
			want: []readOutcome{rec(1, 2, "S1", "Blue", "Students")},
		},
		{
			name: "header map to a missing column",
			in:   "username,library-group,system-group\nS1,Blue,Students\n",
			opts: []ReaderOption{WithHeaderMap(map[string]string{"username": "Student Code"})},
			want: []readOutcome{{Err: CodeHeaderMap}},
		},
		{
			name: "header map swapping two columns",
			in:   "username,library-group,system-group\nBlue,S1,Students\n",
			opts: []ReaderOption{WithHeaderMap(map[string]string{"username": "library-group", "library-group": "username"})},
			want: []readOutcome{rec(1, 2, "S1", "Blue", "Students")},
		},
		{
			name: "header map with a near miss is the map's mistake",
			in:   "Student Code,library-group,system-group\nS1,Blue,Students\n",
			opts: []ReaderOption{WithHeaderMap(map[string]string{"username": "Student code"})},
			want: []readOutcome{{Err: CodeHeaderMap}},
		},
		{
			name: "empty rows are empty records, whatever their field count",
			in:   hdr + "a,b,c\n,,\n,,,,\n\"\"\n,\nd,e,f\n",
			want: []readOutcome{
				rec(1, 2, "a", "b", "c"),
				{Rec: Record{Row: 2, Line: 3, Empty: true}},
				{Rec: Record{Row: 3, Line: 4, Empty: true}},
				{Rec: Record{Row: 4, Line: 5, Empty: true}},
				{Rec: Record{Row: 5, Line: 6, Empty: true}},
				rec(6, 7, "d", "e", "f"),
			},
		},
		{
			name: "a row repeating the header",
			in:   hdr + "a,b,c\n" + hdr + "d,e,f\n",
			want: []readOutcome{
				rec(1, 2, "a", "b", "c"),
				{Rec: Record{Row: 2, Line: 3}, Err: "repeated-header"},
				rec(3, 4, "d", "e", "f"),
			},
		},
		{
			name: "a header repeated with its byte order mark",
			in:   "\ufeff" + hdr + "a,b,c\r\n\ufeff" + hdr + "d,e,f\r\n",
			want: []readOutcome{
				rec(1, 2, "a", "b", "c"),
				{Rec: Record{Row: 2, Line: 3}, Err: "repeated-header"},
				rec(3, 4, "d", "e", "f"),
			},
		},
		{
			name: "a mapped header repeated",
			in:   "Student Code,House,system-group\nS1,Blue,Students\nStudent Code,House,system-group\n",
			opts: []ReaderOption{WithHeaderMap(map[string]string{"username": "Student Code", "library-group": "House"})},
			want: []readOutcome{
				rec(1, 2, "S1", "Blue", "Students"),
				{Rec: Record{Row: 2, Line: 3}, Err: "repeated-header"},
			},
		},
		{
			name: "semicolons",
			in:   "username;library-group;system-group\na;b;c\n",
			want: []readOutcome{{Err: CodeSeparator}},
		},
		{
			name: "semicolons, quoted",
			in:   "\"username\";\"library-group\";\"system-group\"\na;b;c\n",
			want: []readOutcome{{Err: CodeSeparator}},
		},
		{
			name: "tabs after a header map",
			in:   "Student Code\tHouse\tYear\nS1\tBlue\tStudents\n",
			opts: []ReaderOption{WithHeaderMap(map[string]string{"username": "Student Code", "library-group": "House", "system-group": "Year"})},
			want: []readOutcome{{Err: CodeSeparator}},
		},
		{
			name: "WithComma reads semicolons",
			in:   "username;library-group;system-group\r\na;\"b;c\";d\r\n",
			opts: []ReaderOption{WithComma(';')},
			want: []readOutcome{rec(1, 2, "a", "b;c", "d")},
		},
		{
			name: "WithComma reads tabs",
			in:   "username\tlibrary-group\tsystem-group\na\tb\tc\n",
			opts: []ReaderOption{WithComma('\t')},
			want: []readOutcome{rec(1, 2, "a", "b", "c")},
		},
		{
			name: "WithComma on a comma file",
			in:   hdr + "a,b,c\n",
			opts: []ReaderOption{WithComma(';')},
			want: []readOutcome{{Err: CodeSeparator}},
		},
		{
			name: "one column that is not a separator mistake",
			in:   "username\na\n",
			want: []readOutcome{{Err: CodeMissingColumn}},
		},
		{name: "UTF-16 LE", in: "\xff\xfeu\x00s\x00", want: []readOutcome{{Err: CodeEncoding}}},
		{name: "UTF-16 BE", in: "\xfe\xff\x00u\x00s", want: []readOutcome{{Err: CodeEncoding}}},
		{name: "UTF-32 LE", in: "\xff\xfe\x00\x00u\x00\x00\x00", want: []readOutcome{{Err: CodeEncoding}}},
		{name: "UTF-32 BE", in: "\x00\x00\xfe\xff\x00\x00\x00u", want: []readOutcome{{Err: CodeEncoding}}},
		{name: "UTF-16 without a byte order mark", in: "u\x00s\x00e\x00r\x00\n\x00", want: []readOutcome{{Err: CodeEncoding}}},
		{
			name: "a row of too many fields",
			in:   hdr + "a,b,c" + strings.Repeat(",", 5000) + "\nd,e,f\n",
			want: []readOutcome{{Rec: Record{Row: 1, Line: 2}, Err: CodeFieldCount}, rec(2, 3, "d", "e", "f")},
		},
		{
			name: "a record too large ends the file",
			in:   hdr + "a,b,c\nx," + strings.Repeat("y", maxRecordBytes) + ",z\nd,e,f\n",
			want: []readOutcome{
				rec(1, 2, "a", "b", "c"),
				{Rec: Record{Row: 2, Line: 3}, Err: "record-too-large"},
			},
		},
		{
			name: "a quoted value too large over many lines",
			in:   hdr + "a,\"" + strings.Repeat("y\r\n", maxRecordBytes/3) + "\",c\r\nd,e,f\r\n",
			want: []readOutcome{
				{Rec: Record{Row: 1, Line: 2}, Err: "record-too-large"},
			},
		},
		{
			name: "a record just within the limit",
			in:   hdr + "x," + strings.Repeat("y", maxRecordBytes-5) + ",z\n",
			want: []readOutcome{rec(1, 2, "x", strings.Repeat("y", maxRecordBytes-5), "z")},
		},
		{
			name: "a header too large",
			in:   "username,library-group,system-group" + strings.Repeat("x", maxRecordBytes) + "\na,b,c\n",
			want: []readOutcome{{Err: "record-too-large"}},
		},
		{
			name: "nil option is ignored",
			in:   "username,library-group,system-group\na,b,c\n",
			opts: []ReaderOption{nil},
			want: []readOutcome{rec(1, 2, "a", "b", "c")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAll(t, NewReader(strings.NewReader(tt.in), tt.opts...))
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReaderBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  ReaderOption
		want string
	}{
		{"unknown key", WithHeaderMap(map[string]string{"user": "Student Code"}), `"user" is not a column of a user-groups file; use one of "username", "library-group", "system-group"`},
		{"empty source", WithHeaderMap(map[string]string{"username": ""}), "header name for \"username\" is empty"},
		{"two keys one source", WithHeaderMap(map[string]string{"username": "X", "system-group": "X"}), `both mapped to the header "X"`},
		{"a source that is another column's name", WithHeaderMap(map[string]string{"username": "library-group"}),
			`"username" is mapped to the header "library-group", which is the name of the "library-group" column; map "library-group" to its own header too`},
		{"comma quote", WithComma('"'), `WithComma: U+0022 cannot separate fields: it is the double quote`},
		{"comma CR", WithComma('\r'), `WithComma: U+000D cannot separate fields: it is a line break or control character`},
		{"comma LF", WithComma('\n'), `WithComma: U+000A cannot separate fields`},
		{"comma NUL", WithComma(0), `WithComma: U+0000 cannot separate fields`},
		{"comma replacement character", WithComma(utf8.RuneError), `WithComma: U+FFFD cannot separate fields: it is not a valid character`},
		{"comma invalid rune", WithComma(0xD800), `WithComma: U+D800 cannot separate fields: it is not a valid character`},
		{"comma negative", WithComma(-1), `WithComma: U+FFFFFFFFFFFFFFFF cannot separate fields: it is not a valid character`},
		// The review's: letters, digits, space and invisible characters
		// were accepted, and split names apart.
		{"comma letter", WithComma('a'), `WithComma: U+0061 cannot separate fields: it is a letter or digit`},
		{"comma letter of another script", WithComma('ж'), `WithComma: U+0436 cannot separate fields: it is a letter or digit`},
		{"comma digit", WithComma('7'), `WithComma: U+0037 cannot separate fields: it is a letter or digit`},
		{"comma space", WithComma(' '), `WithComma: U+0020 cannot separate fields: it is white space`},
		{"comma no-break space", WithComma('\u00a0'), `WithComma: U+00A0 cannot separate fields: it is white space`},
		{"comma NEL", WithComma('\u0085'), `WithComma: U+0085 cannot separate fields: it is a line break or control character`},
		{"comma line separator", WithComma('\u2028'), `WithComma: U+2028 cannot separate fields: it is a line break or control character`},
		{"comma unit separator", WithComma('\x1f'), `WithComma: U+001F cannot separate fields: it is a line break or control character`},
		{"comma byte order mark", WithComma('\ufeff'), `WithComma: U+FEFF cannot separate fields: it is invisible`},
		{"comma combining mark", WithComma('\u0301'), `WithComma: U+0301 cannot separate fields: it is invisible, or not a character of its own`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(strings.NewReader("username,library-group,system-group\n"), tt.opt)
			_, err := r.Read()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Read error = %v, want one containing %q", err, tt.want)
			}
			if _, again := r.Read(); again != err {
				t.Errorf("second Read = %v, want the same error", again)
			}
			if _, err2 := Check(strings.NewReader(""), Rules{}, tt.opt); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("Check error = %v, want %v", err2, err)
			}
		})
	}
}

func TestReaderHeaderMapMerge(t *testing.T) {
	m := map[string]string{"username": "Code"}
	opt := WithHeaderMap(m)
	m["username"] = "Changed after the call"
	r := NewReader(strings.NewReader("Code,House,system-group\nS1,Blue,Students\n"),
		opt, WithHeaderMap(map[string]string{"library-group": "House"}))
	got := readAll(t, r)
	want := []readOutcome{rec(1, 2, "S1", "Blue", "Students")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// A Reader's error says where the problem is, its code, and the fact
// that names the fix.
func TestReaderErrorMessages(t *testing.T) {
	tests := []struct {
		name, in string
		code     string
		where    string // the start of the error: its position
		fragment string // a key part of the rest
	}{
		{"field count", hdr + "jsmith,Year 7\n", CodeFieldCount, "line 2 (row 1)", "2 fields but the header has 3"},
		{"header name", "username,Library-Group,system-group\n", "non-canonical-header", "line 1 (header)", `requires exactly "library-group"`},
		{"missing", "username,system-group\n", CodeMissingColumn, "line 1 (header)", `no "library-group" column`},
		{"quote", hdr + "a\"b,c,d\n", "malformed-quoting", "line 2 (row 1)", "line 2, column 2"},
		{"semicolons", "Username;library-group;system-group\n", CodeSeparator, "line 1 (header)", `separated by semicolons (";"), not commas`},
		{"tabs", "username\tlibrary-group\tsystem-group\n", CodeSeparator, "line 1 (header)", "separated by tabs, not commas"},
		{"comma file read WithComma", hdr, CodeSeparator, "line 1 (header)", `separated by commas (","), not semicolons`},
		{"UTF-16", "\xff\xfeu\x00", CodeEncoding, "line 1 (header)", "UTF-16 (little-endian)"},
		{"UTF-16 BE", "\xfe\xff\x00u", CodeEncoding, "line 1 (header)", "UTF-16 (big-endian)"},
		{"UTF-32", "\xff\xfe\x00\x00", CodeEncoding, "line 1 (header)", "UTF-32 (little-endian)"},
		{"NUL", "u\x00s\x00\n\x00", CodeEncoding, "line 1 (header)", "NUL bytes"},
		{"repeated header", hdr + "a,b,c\n\n" + hdr, "repeated-header", "line 4 (row 2)", "header of line 1"},
		{"unclosed quote over the record limit", hdr + "a,b,c\n\"" + strings.Repeat("x\n", maxRecordBytes/2+1), CodeUnclosedQuote, "line 3 (row 2)", "line 3 has an unclosed quote"},
		{"record too large", hdr + "a,b,c\n\"" + strings.Repeat("x\n", maxRecordBytes/2+1) + "\"\nd,e,f\n", "record-too-large", "line 3 (row 2)", "over 1048576 bytes"},
		{"header map", "Student Code,Surname,House,Year Level\n", CodeHeaderMap, "line 1 (header)", `did you mean "Student Code"?`},
		{"header map absent", "Code,Surname,House,Year Level\n", CodeHeaderMap, "line 1 (header)", `"Code", "Surname", "House", "Year Level"`},
		{"header map typo", "Studnet Code,Surname,House,Year Level\n", CodeHeaderMap, "line 1 (header)", `did you mean "Studnet Code"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []ReaderOption
			switch {
			case strings.HasPrefix(tt.name, "header map"):
				opts = append(opts, WithHeaderMap(map[string]string{"username": "Student code", "library-group": "House", "system-group": "Year Level"}))
			case strings.HasSuffix(tt.name, "WithComma"):
				opts = append(opts, WithComma(';'))
			}
			r := NewReader(strings.NewReader(tt.in), opts...)
			_, err := r.Read()
			for err == nil {
				_, err = r.Read()
			}
			var pe *ParseError
			switch {
			case !errors.As(err, &pe):
				t.Fatalf("error %v is not a *ParseError", err)
			case pe.Code != tt.code:
				t.Errorf("error %v: code %s, want %s", err, pe.Code, tt.code)
			case !strings.HasPrefix(err.Error(), "csvspec: "+tt.where+": ") || !strings.Contains(err.Error(), tt.fragment):
				t.Errorf("error %q\nwant it at %s, saying %q", err, tt.where, tt.fragment)
			}
		})
	}
}

func TestReaderIOError(t *testing.T) {
	boom := errors.New("disk on fire")
	in := io.MultiReader(strings.NewReader("username,library-group,system-group\na,b,c\n"), iotest.ErrReader(boom))
	r := NewReader(in)
	var got []error
	for i := 0; i < 5; i++ {
		_, err := r.Read()
		got = append(got, err)
		if err != nil {
			break
		}
	}
	if len(got) != 2 || got[0] != nil || !errors.Is(got[1], boom) {
		t.Fatalf("reads = %v, want one record then the I/O error", got)
	}
	if _, err := r.Read(); !errors.Is(err, boom) {
		t.Errorf("I/O error is not sticky: %v", err)
	}
}

func TestReaderAll(t *testing.T) {
	in := "username,library-group,system-group\na,b,c\nbad\nd,e,f\n"
	var got []readOutcome
	for rec, err := range NewReader(strings.NewReader(in)).All() {
		got = append(got, readOutcome{Rec: rec, Err: errCode(err)})
	}
	want := []readOutcome{
		rec(1, 2, "a", "b", "c"),
		{Rec: Record{Row: 2, Line: 3}, Err: CodeFieldCount},
		rec(3, 4, "d", "e", "f"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("All (-want +got):\n%s", diff)
	}

	// A header error is yielded once and ends the iteration.
	n := 0
	for _, err := range NewReader(strings.NewReader("user,library-group\na,b\n")).All() {
		n++
		if errCode(err) != CodeMissingColumn {
			t.Errorf("yielded %v, want CodeMissingColumn", err)
		}
	}
	if n != 1 {
		t.Errorf("header error yielded %d times, want 1", n)
	}

	// Breaking out early stops the iteration.
	n = 0
	for range NewReader(strings.NewReader(in)).All() {
		n++
		break
	}
	if n != 1 {
		t.Errorf("break: %d iterations, want 1", n)
	}
}

func TestReaderFixtures(t *testing.T) {
	tests := []struct {
		file string
		opts []ReaderOption
		want []readOutcome
	}{
		{
			file: "sms_export.csv", // Excel: BOM, CRLF, own columns and order, trailing empty line
			opts: []ReaderOption{WithHeaderMap(map[string]string{"username": "Student Code", "library-group": "House", "system-group": "Year Level"})},
			want: []readOutcome{
				rec(1, 2, "S1001", "Blue House", "Year 7"),
				rec(2, 3, "S1002", "Red House", "Year 8"),
				rec(3, 4, "S1003", "", "Year 7"),
			},
		},
		{
			file: "reordered.csv",
			want: []readOutcome{rec(1, 2, "jsmith", "Year 7", "Students"), rec(2, 3, "mjones", "", "Staff")},
		},
		{
			file: "semicolon.csv", // Excel's "CSV" in a European regional setting
			opts: []ReaderOption{WithComma(';'), schoolMap},
			want: []readOutcome{
				rec(1, 2, "S1001", "Blue House", "Year 7"),
				rec(2, 3, "S1002", "Red House", "Year 8"),
				rec(3, 4, "S1003", "", "Year 7"),
			},
		},
		{file: "semicolon.csv", opts: []ReaderOption{schoolMap}, want: []readOutcome{{Err: CodeSeparator}}},
		{
			file: "tab.txt", // Excel's "Text (Tab delimited)"
			opts: []ReaderOption{WithComma('\t'), schoolMap},
			want: []readOutcome{
				rec(1, 2, "S1001", "Blue House", "Year 7"),
				rec(2, 3, "S1002", "Red House", "Year 8"),
				rec(3, 4, "S1003", "", "Year 7"),
			},
		},
		{file: "tab.txt", opts: []ReaderOption{schoolMap}, want: []readOutcome{{Err: CodeSeparator}}},
		{file: "unicode_text_utf16le.txt", opts: []ReaderOption{WithComma('\t'), schoolMap}, want: []readOutcome{{Err: CodeEncoding}}},
		{file: "utf16be.csv", opts: []ReaderOption{schoolMap}, want: []readOutcome{{Err: CodeEncoding}}},
		{
			file: "excel_trailing_commas.csv",
			want: []readOutcome{
				rec(1, 2, "S1001", "Blue House", "Year 7"),
				rec(2, 3, "S1002", "Red House", "Year 8"),
				{Rec: Record{Row: 3, Line: 4, Empty: true}},
				{Rec: Record{Row: 4, Line: 5, Empty: true}},
				{Rec: Record{Row: 5, Line: 6, Empty: true}},
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
			got := readAll(t, NewReader(f, tt.opts...))
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
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
		want []contactRecord
	}{
		{chdr + ",,,,,,,\n,,\n", []contactRecord{{Row: 1, Line: 2, Empty: true}, {Row: 2, Line: 3, Empty: true}}},
		{chdr + ",,,False,,,,\n,,,0,,,,\n", []contactRecord{{Row: 1, Line: 2}, {Row: 2, Line: 3}}},
	}
	for _, tt := range ctests {
		var got []contactRecord
		for rec, err := range newContactReader(strings.NewReader(tt.in)).All() {
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
