package csvspec

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// readRows collects what ReadRows yields: the rows, and the error that
// ends the sequence.
func readRows(t *testing.T, r io.Reader, columns, carry []string, opts ...ReaderOption) ([]SourceRow, error) {
	t.Helper()
	var rows []SourceRow
	for row, err := range ReadRows(r, columns, carry, opts...) {
		if err != nil {
			return rows, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func TestReadRows(t *testing.T) {
	long := strings.Repeat("x", maxRecordBytes+10)
	tests := []struct {
		name    string
		in      string
		columns []string
		carry   []string
		opts    []ReaderOption
		want    []SourceRow
		code    string // the code of the *ParseError that ends the rows; "" for none
		line    int    // its line
	}{{
		name:  "rows, empty row, blank line, carry",
		in:    "Given,username,library-group,system-group,Surname\r\nAnn,ann,Gold,Year 7,Lee\r\n\r\n,,,,\r\nBo,bo,,Staff,Ng",
		carry: []string{"Surname", "Given"},
		want: []SourceRow{
			{Fields: []string{"ann", "Gold", "Year 7"}, Line: 2, Carry: []string{"Lee", "Ann"}},
			{Fields: []string{"", "", ""}, Line: 4, Carry: []string{"", ""}, Problems: []Problem{warn(4, CodeEmptyRow)}},
			{Fields: []string{"bo", "", "Staff"}, Line: 5, Carry: []string{"Ng", "Bo"}},
		},
	}, {
		name: "header warnings come first, on a row without fields",
		in:   "username,library-group,system-group,Surname\nann,Gold,,Lee\n",
		want: []SourceRow{
			{Line: 1, Problems: []Problem{warn(1, CodeExtraColumn)}},
			{Fields: []string{"ann", "Gold", ""}, Line: 2},
		},
	}, {
		name: "wrong field count with a readable username is the row's problem",
		in:   "username,library-group,system-group\nann,Gold\nbo,Gold,,x\n",
		want: []SourceRow{
			{Fields: []string{"ann", "Gold", ""}, Line: 2, Problems: []Problem{fail(2, CodeFieldCount)}},
			{Fields: []string{"bo", "Gold", ""}, Line: 3, Problems: []Problem{fail(3, CodeFieldCount)}},
		},
	}, {
		name: "an empty username is yielded for the checks",
		in:   "username,library-group,system-group\n,Gold,\n",
		want: []SourceRow{{Fields: []string{"", "Gold", ""}, Line: 2}},
	}, {
		name: "wrong field count with the username shifted away",
		in:   "library-group,system-group,username\nann,Gold,\nGold,Year 7\n",
		want: []SourceRow{{Fields: []string{"", "ann", "Gold"}, Line: 2}},
		code: CodeFieldCount, line: 3,
	}, {
		name: "wrong field count with a username that fails its checks",
		in:   "username,library-group,system-group\n\"a\u200bb\",Gold\n",
		code: CodeFieldCount, line: 2,
	}, {
		name: "cut off: a last record without a line break and too few fields",
		in:   "username,library-group,system-group\nann,Gold,\nbo,Go",
		want: []SourceRow{{Fields: []string{"ann", "Gold", ""}, Line: 2}},
		code: CodeCutOff, line: 3,
	}, {
		name: "no final line break is fine with every field",
		in:   "username,library-group,system-group\nann,Gold,",
		want: []SourceRow{{Fields: []string{"ann", "Gold", ""}, Line: 2}},
	}, {
		name: "too few fields with a final line break is a row problem",
		in:   "username,library-group,system-group\nann,Gold\n",
		want: []SourceRow{{Fields: []string{"ann", "Gold", ""}, Line: 2, Problems: []Problem{fail(2, CodeFieldCount)}}},
	}, {
		name: "the file ends inside a quoted field",
		in:   "username,library-group,system-group\nann,\"Gold,\nbo,Gold,\ncy,Gold,\n",
		code: CodeUnclosedQuote, line: 2,
	}, {
		name: "the file ends inside a quoted field past the record limit",
		in:   "username,library-group,system-group\nann,Gold,\nbo,\"" + long + "\n",
		want: []SourceRow{{Fields: []string{"ann", "Gold", ""}, Line: 2}},
		code: CodeUnclosedQuote, line: 3,
	}, {
		name: "a record over the limit",
		in:   "username,library-group,system-group\nbo,\"" + long + "\",\nann,Gold,\n",
		code: "record-too-large", line: 2,
	}, {
		name: "malformed quoting",
		in:   "username,library-group,system-group\nann,Go\"ld,\n",
		code: "malformed-quoting", line: 2,
	}, {
		name: "a repeated header",
		in:   "username,library-group,system-group\nann,Gold,\nUsername,Library-Group,System-Group\n",
		want: []SourceRow{{Fields: []string{"ann", "Gold", ""}, Line: 2}},
		code: "repeated-header", line: 3,
	}, {
		name:  "a carried column the header lacks",
		in:    "username,library-group,system-group\nann,Gold,\n",
		carry: []string{"Surname"},
		code:  CodeMissingCarry, line: 1,
	}, {
		name: "a header problem",
		in:   "username,library-group\nann,Gold\n",
		code: CodeMissingColumn, line: 1,
	}, {
		name: "a separator problem",
		in:   "username;library-group;system-group\nann;Gold;\n",
		code: CodeSeparator, line: 1,
	}, {
		name:    "the other import",
		in:      "username,library-group,system-group\nann,Gold,\n",
		columns: ContactHeader(),
		code:    CodeWrongImport, line: 1,
	}, {
		name:    "contacts, with a header map and a separator",
		in:      "ID;type;role;primary;addressee;contact;sms;scenarios\nann;Email;patron;yes;;a@example.com;;overdue\n",
		columns: ContactHeader(),
		opts:    []ReaderOption{WithComma(';'), WithHeaderMap(map[string]string{"username": "ID"})},
		want:    []SourceRow{{Fields: []string{"ann", "Email", "patron", "yes", "", "a@example.com", "", "overdue"}, Line: 2}},
	}, {
		name: "an empty file",
		in:   "",
	}, {
		name: "a header alone",
		in:   "username,library-group,system-group\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			columns := tt.columns
			if columns == nil {
				columns = Header()
			}
			rows, err := readRows(t, strings.NewReader(tt.in), columns, tt.carry, tt.opts...)
			if diff := cmp.Diff(tt.want, rows, ignoreMessage, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			var pe *ParseError
			switch {
			case tt.code == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.code == "":
			case !errors.As(err, &pe):
				t.Errorf("error %v, want a *ParseError of %s", err, tt.code)
			case pe.Code != tt.code || pe.Line != tt.line:
				t.Errorf("error %s at line %d (%v), want %s at line %d", pe.Code, pe.Line, err, tt.code, tt.line)
			}
		})
	}
}

func TestReadRowsMessages(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"username,library-group,system-group\nann,Gold,\nbo,Go", "looks cut off at line 3"},
		{"username,library-group,system-group\nann,\"Gold,\nbo,Gold,\n", "either the export was cut off, or line 2 has an unclosed quote"},
	}
	for _, tt := range tests {
		_, err := readRows(t, strings.NewReader(tt.in), Header(), nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want one with %q", tt.in, err, tt.want)
		}
	}
}

func TestReadRowsErrors(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name    string
		r       io.Reader
		columns []string
		opts    []ReaderOption
		want    error // errors.Is target; nil: any error
	}{
		{"an I/O error", io.MultiReader(strings.NewReader("username,library-group,system-group\nann,Gold,\n"), iotest.ErrReader(errBoom)), Header(), nil, errBoom},
		{"columns of no import", strings.NewReader("username\n"), []string{"username"}, nil, nil},
		{"a bad option", strings.NewReader("username,library-group,system-group\n"), Header(), []ReaderOption{WithComma('"')}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			var err error
			for _, e := range ReadRows(tt.r, tt.columns, nil, tt.opts...) {
				n++
				if e != nil {
					err = e
					break
				}
			}
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			var pe *ParseError
			if errors.As(err, &pe) {
				t.Errorf("error %v is a *ParseError; want another", err)
			}
		})
	}
}

// ReadRows stops when the caller does.
func TestReadRowsBreak(t *testing.T) {
	n := 0
	for range ReadRows(strings.NewReader("username,library-group,system-group\na,G,\nb,G,\nc,G,\n"), Header(), nil) {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Errorf("%d rows, want 2", n)
	}
}

func TestCheckRow(t *testing.T) {
	rules := Rules{LibraryGroups: []string{"Gold", "Silver"}, SystemGroups: []string{"Year 7", "Staff"}}
	tests := []struct {
		name string
		row  SourceRow
		want []Problem
	}{
		{"a good row", SourceRow{Fields: []string{"ann", "Gold", "Year 7"}, Line: 2}, nil},
		{"an empty username", SourceRow{Fields: []string{" ", "Gold", ""}, Line: 3},
			[]Problem{warn(3, "surrounding-space", ColumnUsername), fail(3, CodeMissingUsername, ColumnUsername)}},
		{"unknown groups", SourceRow{Fields: []string{"ann", "gold", "Year 9"}, Line: 4},
			[]Problem{fail(4, CodeUnknownLibraryGroup, ColumnLibraryGroup), fail(4, CodeUnknownSystemGroup, ColumnSystemGroup)}},
		{"control and invisible characters", SourceRow{Fields: []string{"a\u200bb", "Gold\n", ""}, Line: 5},
			[]Problem{fail(5, "format-character", ColumnUsername), fail(5, CodeControlCharacter, ColumnLibraryGroup), warn(5, "surrounding-space", ColumnLibraryGroup), fail(5, CodeUnknownLibraryGroup, ColumnLibraryGroup)}},
		{"invalid UTF-8", SourceRow{Fields: []string{"an\xffn", "Gold", ""}, Line: 6}, []Problem{fail(6, CodeInvalidUTF8, ColumnUsername)}},
		{"no group", SourceRow{Fields: []string{"ann", "", ""}, Line: 7}, []Problem{warn(7, "no-group")}},
		{"problems already there are kept", SourceRow{Fields: []string{"ann", "", ""}, Line: 7, Problems: []Problem{fail(7, "x")}},
			[]Problem{fail(7, "x"), warn(7, "no-group")}},
		{"the wrong number of fields", SourceRow{Fields: []string{"ann"}, Line: 8}, []Problem{fail(8, CodeFieldCount)}},
		{"an empty row is left alone", SourceRow{Fields: []string{"", "", ""}, Line: 9, Problems: []Problem{warn(9, CodeEmptyRow)}},
			[]Problem{warn(9, CodeEmptyRow)}},
		{"a row with a field count problem is left alone", SourceRow{Fields: []string{"ann", "x", ""}, Problems: []Problem{fail(0, CodeFieldCount)}},
			[]Problem{fail(0, CodeFieldCount)}},
		{"the header's warnings are left alone", SourceRow{Line: 1, Problems: []Problem{warn(1, CodeExtraColumn)}},
			[]Problem{warn(1, CodeExtraColumn)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := tt.row
			rules.CheckRow(&row)
			if diff := cmp.Diff(tt.want, row.Problems, ignoreMessage, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// The "did you mean" of a group names the near one.
func TestCheckRowSuggests(t *testing.T) {
	row := SourceRow{Fields: []string{"ann", "", "year7"}, Line: 2}
	Rules{SystemGroups: []string{"Staff", "Year 7"}}.CheckRow(&row)
	if len(row.Problems) != 1 || !strings.Contains(row.Problems[0].Message, `did you mean "Year 7"`) {
		t.Errorf("problems %v, want one suggesting \"Year 7\"", row.Problems)
	}
}

func TestCheckContactRow(t *testing.T) {
	tests := []struct {
		name   string
		fields []string
		want   []string // the fields after the check
		codes  []Problem
	}{
		{"canonical spelling",
			[]string{"ann", " Email", "PATRON", "yes", "Mum", "a@example.com", "", "overdue_escalation_one;ANY;Overdue"},
			[]string{"ann", "email", "patron", "True", "Mum", "a@example.com", "", "ANY;OVERDUE;OVERDUE_ESCALATION_ONE"},
			[]Problem{warn(2, "surrounding-space", "type"), warn(2, CodeBooleanSpelling, "primary"), warn(2, "scenario-combination", "scenarios")}},
		{"sms given",
			[]string{"ann", "phone", "patron", "false", "", "0400 000 000", "Y", ""},
			[]string{"ann", "phone", "patron", "False", "", "0400 000 000", "True", ""},
			[]Problem{warn(2, CodeBooleanSpelling, "sms")}},
		{"an error leaves the fields as they are",
			[]string{"ann", "email", "patron", "yes", "", "not an address", "", ""},
			[]string{"ann", "email", "patron", "yes", "", "not an address", "", ""},
			[]Problem{warn(2, CodeBooleanSpelling, "primary"), fail(2, CodeInvalidEmail, "contact")}},
		{"a bad phone",
			[]string{"ann", "phone", "guardian", "True", "Mum", "none", "", ""},
			[]string{"ann", "phone", "guardian", "True", "Mum", "none", "", ""},
			[]Problem{fail(2, "phone-without-digits", "contact")}},
		{"the wrong number of fields",
			[]string{"ann", "email"},
			[]string{"ann", "email"},
			[]Problem{fail(2, CodeFieldCount)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := SourceRow{Fields: tt.fields, Line: 2}
			CheckContactRow(&row)
			if diff := cmp.Diff(tt.want, row.Fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.codes, row.Problems, ignoreMessage, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// RowChecker finds what CheckRow finds, row for row.
func TestRowCheckerIsCheckRow(t *testing.T) {
	rules := Rules{LibraryGroups: []string{"Year 7", "Year 8"}, SystemGroups: []string{"Students"}}
	rows := [][]string{
		{"ann", "Year 7", "Students"},
		{"bob", "Year 07", "Students"},
		{"cat", "Year 9", "Staff"},
		{"", "", ""},
		{" dan", "Year 8", ""},
		{"eve", "Year 7"},
	}
	check := rules.RowChecker()
	for i, f := range rows {
		want := SourceRow{Fields: slices.Clone(f), Line: i + 2}
		got := SourceRow{Fields: slices.Clone(f), Line: i + 2}
		rules.CheckRow(&want)
		check(&got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("row %q (-CheckRow +RowChecker):\n%s", f, diff)
		}
	}
	unknown := SourceRow{Fields: []string{"cat", "Year 9", ""}}
	check(&unknown)
	if len(unknown.Problems) != 1 || unknown.Problems[0].Code != CodeUnknownLibraryGroup {
		t.Errorf("an unknown group: problems %+v, want one %s", unknown.Problems, CodeUnknownLibraryGroup)
	}
}
