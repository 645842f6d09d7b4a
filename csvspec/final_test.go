package csvspec

// Regression tests for the final review fixes of csvspec.

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// manyScenarios returns a scenarios value of n distinct unknown names,
// followed by the first of them again in lower case.
func manyScenarios(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "S%05x;", i)
	}
	b.WriteString("s00000")
	return b.String()
}

// A scenarios value of about 1 MiB of distinct names, within
// maxRecordBytes, is read and checked in time linear in the names: each
// name once, the repeat in another case dropped (the ContactReader) or
// named (CheckContacts).
func TestManyScenarios(t *testing.T) {
	const n = 145_000
	in := chdr + "s1,phone,patron,False,,0400,," + manyScenarios(n) + "\n"
	if len(in) < 1<<20-1<<16 || len(in) > maxRecordBytes {
		t.Fatalf("the file is %d bytes; want about 1 MiB, within maxRecordBytes", len(in))
	}

	rec, err := NewContactReader(strings.NewReader(in)).Read()
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		N           int
		First, Last Scenario
	}
	got := outcome{N: len(rec.Scenarios)}
	if got.N > 0 {
		got.First, got.Last = rec.Scenarios[0], rec.Scenarios[got.N-1]
	}
	if diff := cmp.Diff(outcome{n, "S00000", Scenario(fmt.Sprintf("S%05x", n-1))}, got); diff != "" {
		t.Errorf("ContactReader scenarios (-want +got):\n%s", diff)
	}

	rep, err := CheckContacts(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{CodeUnknownScenario: 1, CodeScenarioFormat: 1}
	if diff := cmp.Diff(want, rep.Counts()); diff != "" {
		t.Errorf("CheckContacts counts (-want +got):\n%s", diff)
	}
	for _, p := range rep.Problems {
		if p.Code == CodeUnknownScenario && !strings.Contains(p.Message, fmt.Sprintf(`"S00000", "S00001", "S00002" and %d more are not`, n-3)) {
			t.Errorf("unknown-scenario message %q does not count the names", p.Message)
		}
		if p.Code == CodeScenarioFormat && !strings.Contains(p.Message, `name "s00000" more than once`) {
			t.Errorf("scenario-format message %q does not name the repeat", p.Message)
		}
	}
}

// foldKey tells names apart exactly as strings.EqualFold does, which
// parseScenarios and checkScenarios used to compare them with.
func TestFoldKeyIsEqualFold(t *testing.T) {
	names := []string{
		"", "OVERDUE", "overdue", "Overdue", "K", "k", "\u212a", "S", "s", "\u017f",
		"ß", "ẞ", "SS", "Σ", "σ", "ς", "İ", "i", "ı", "I", "Ǆ", "ǅ", "ǆ",
		"\xff", "\xfe", "\ufffd", "a\xffb", "A\ufffdB", "école", "ÉCOLE", "e\u0301cole",
	}
	for _, a := range names {
		for _, b := range names {
			if got, want := foldKey(a) == foldKey(b), strings.EqualFold(a, b); got != want {
				t.Errorf("foldKey(%q) == foldKey(%q) is %v; strings.EqualFold says %v", a, b, got, want)
			}
		}
	}
}

// A file of the other import is one error that says which import it
// belongs to, not one missing column for each of this one's.
func TestWrongImport(t *testing.T) {
	const (
		toContacts   = `the header is a contacts file's (username,type,role,…), not a user-groups file's; post it to the contacts import`
		toUserGroups = `the header is a user-groups file's (username,library-group,system-group), not a contacts file's; post it to the user-groups import`
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
				p(0, 1, "", codeExtraColumn, SeverityWarning),
			}, err: CodeMissingColumn},
		{name: "a user-groups header without system-group is not called one", in: "username,library-group\n", contacts: true,
			want: []Problem{
				p(0, 1, columnType, CodeMissingColumn, SeverityError),
				p(0, 1, columnRole, CodeMissingColumn, SeverityError),
				p(0, 1, columnPrimary, CodeMissingColumn, SeverityError),
				p(0, 1, columnAddressee, CodeMissingColumn, SeverityError),
				p(0, 1, columnContact, CodeMissingColumn, SeverityError),
				p(0, 1, columnSMS, CodeMissingColumn, SeverityError),
				p(0, 1, columnScenarios, CodeMissingColumn, SeverityError),
				p(0, 1, "", codeExtraColumn, SeverityWarning),
			}, err: CodeMissingColumn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rep *Report
			var err, readErr error
			if tt.contacts {
				rep, err = CheckContacts(strings.NewReader(tt.in), tt.opts...)
				_, readErr = NewContactReader(strings.NewReader(tt.in), tt.opts...).Read()
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
