package csvspec

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// readOutcome is one Read result, flattened for comparison.
type readOutcome struct {
	Rec Record
	Err error // sentinel the error wraps, or nil
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
		out = append(out, readOutcome{Rec: rec, Err: sentinel(err)})
		if err != nil && r.err != nil {
			// Sticky: the next Read must return the same error.
			if _, again := r.Read(); sentinel(again) != sentinel(err) {
				t.Errorf("sticky error changed: first %v, then %v", err, again)
			}
			return out
		}
	}
	t.Fatal("reader did not reach io.EOF in 100 reads")
	return nil
}

func sentinel(err error) error {
	for _, s := range []error{ErrMissingColumn, ErrHeaderName, ErrDuplicateColumn, ErrFieldCount, ErrQuote} {
		if errors.Is(err, s) {
			return s
		}
	}
	return err
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
				{Rec: Record{Row: 1, Line: 2}, Err: ErrFieldCount},
				rec(2, 3, "mjones", "", "Staff"),
				{Rec: Record{Row: 3, Line: 4}, Err: ErrFieldCount},
			},
		},
		{
			name: "bare quote then next row",
			in:   "username,library-group,system-group\njs\"mith,Year 7,Students\nmjones,,Staff\n",
			want: []readOutcome{
				{Rec: Record{Row: 1, Line: 2}, Err: ErrQuote},
				rec(2, 3, "mjones", "", "Staff"),
			},
		},
		{
			name: "unclosed quote runs to the end",
			in:   "username,library-group,system-group\njsmith,\"Year 7,Students\nmjones,,Staff\n",
			want: []readOutcome{{Rec: Record{Row: 1, Line: 2}, Err: ErrQuote}},
		},
		{
			name: "missing column",
			in:   "username,library-group\njsmith,Year 7\n",
			want: []readOutcome{{Err: ErrMissingColumn}},
		},
		{
			name: "non-canonical header name",
			in:   "Username,library-group,system-group\njsmith,Year 7,Students\n",
			want: []readOutcome{{Err: ErrHeaderName}},
		},
		{
			name: "underscore header name",
			in:   "username,library_group,system-group\njsmith,Year 7,Students\n",
			want: []readOutcome{{Err: ErrHeaderName}},
		},
		{
			name: "duplicate column",
			in:   "username,library-group,system-group,username\njsmith,Year 7,Students,x\n",
			want: []readOutcome{{Err: ErrDuplicateColumn}},
		},
		{
			name: "malformed header",
			in:   "user\"name,library-group,system-group\n",
			want: []readOutcome{{Err: ErrQuote}},
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
			want: []readOutcome{{Err: ErrMissingColumn}},
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
		m    map[string]string
		want string
	}{
		{"unknown key", map[string]string{"user": "Student Code"}, `"user" is not a column`},
		{"empty source", map[string]string{"username": ""}, "header name for \"username\" is empty"},
		{"two keys one source", map[string]string{"username": "X", "system-group": "X"}, `both mapped to the header "X"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(strings.NewReader("username,library-group,system-group\n"), WithHeaderMap(tt.m))
			_, err := r.Read()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Read error = %v, want one containing %q", err, tt.want)
			}
			if _, err2 := Check(strings.NewReader(""), Rules{}, WithHeaderMap(tt.m)); err2 == nil {
				t.Errorf("Check accepted the bad option")
			}
		})
	}
}

func TestReaderErrorMessages(t *testing.T) {
	tests := []struct {
		name, in string
		want     string
	}{
		{"field count", "username,library-group,system-group\njsmith,Year 7\n", "csvspec: line 2 (row 1): the row has 2 fields but the header has 3; quote values"},
		{"header name", "username,Library-Group,system-group\n", `csvspec: line 1 (header): header column 2 is "Library-Group" but Infiniti requires exactly "library-group"; rename it to "library-group"`},
		{"missing", "username,system-group\n", `csvspec: line 1 (header): the header has no "library-group" column; add it`},
		{"quote", "username,library-group,system-group\na\"b,c,d\n", `csvspec: line 2 (row 1): malformed quoting at line 2, column 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tt.in)).Read()
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %q\nwant prefix %q", err, tt.want)
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
		got = append(got, readOutcome{Rec: rec, Err: sentinel(err)})
	}
	want := []readOutcome{
		rec(1, 2, "a", "b", "c"),
		{Rec: Record{Row: 2, Line: 3}, Err: ErrFieldCount},
		rec(3, 4, "d", "e", "f"),
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("All (-want +got):\n%s", diff)
	}

	// A header error is yielded once and ends the iteration.
	n := 0
	for _, err := range NewReader(strings.NewReader("user,library-group\na,b\n")).All() {
		n++
		if !errors.Is(err, ErrMissingColumn) {
			t.Errorf("yielded %v, want ErrMissingColumn", err)
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
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
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
