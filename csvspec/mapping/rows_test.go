package mapping

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/internal/benchtest"
	"github.com/google/go-cmp/cmp"
)

// oneRow returns a source of one row, at line 2.
func oneRow(fields []string) iter.Seq2[csvspec.SourceRow, error] {
	return func(yield func(csvspec.SourceRow, error) bool) {
		yield(csvspec.SourceRow{Fields: fields, Line: 2}, nil)
	}
}

// got is a mapped row, or an error, as the tests compare them.
type got struct {
	Line     int
	Origin   string
	Fields   []string
	Carry    []string
	Problems []string // "code column: message"
	Err      string
}

func collect(rows iter.Seq2[csvspec.SourceRow, error]) []got {
	var out []got
	for row, err := range rows {
		if err != nil {
			out = append(out, got{Err: err.Error()})
			continue
		}
		g := got{Line: row.Line, Origin: row.Origin, Fields: row.Fields, Carry: row.Carry}
		for _, p := range row.Problems {
			switch {
			case p.Line != row.Line:
				g.Problems = append(g.Problems, fmt.Sprintf("bad problem %+v", p))
			case p.Severity != csvspec.SeverityError && p.Code != csvspec.CodeEmptyRow:
				g.Problems = append(g.Problems, "warning "+p.Code+" "+p.Column+": "+p.Message)
			default:
				g.Problems = append(g.Problems, p.Code+" "+p.Column+": "+p.Message)
			}
		}
		out = append(out, g)
	}
	return out
}

func mustParse(t testing.TB, rules string) *Mapping {
	t.Helper()
	m, err := ParseMapping([]byte(rules))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRows(t *testing.T) {
	header := []string{"Student Code", "Year Level", "House", "Role", "Emails"}
	tests := []struct {
		name  string
		rows  string // the entries of "rows"
		extra string // more top-level keys, with a leading comma
		row   []string
		want  []got
	}{
		{"year without zeros", `{"when": {"Role": "student"}, "library-group": "Year {Year Level|nozeros}"}`, "",
			[]string{"S1", "07", "", " Student ", ""},
			[]got{{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "Year 7", ""}}}},
		{"key with pipe", `{"when": {"Year Level|nozeros": "7"}, "library-group": "Seven"}, {"when": {"Year Level": "7"}, "library-group": "Plain"}`, "",
			[]string{"S1", "07", "", "", ""},
			[]got{{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "Seven", ""}}}},
		{"list and map with default", `{"when": {"Role": ["Teacher", "Staff"]}, "library-group": "{House|map:houses}", "system-group": "Staff"}`, "",
			[]string{"T1", "", "grn", "staff", ""},
			[]got{{Line: 2, Origin: "rows[0]", Fields: []string{"T1", "No House", "Staff"}}}},
		{"map ignores case and space", `{"library-group": "{House|map:houses}"}`, "",
			[]string{"T1", "", " red ", "", ""},
			[]got{{Line: 2, Origin: "rows[0]", Fields: []string{"T1", "Red House", ""}}}},
		{"identical rows collapse", `{"library-group": "A"}, {"library-group": "A"}, {"library-group": "B"}`, "",
			[]string{"S1", "", "", "", ""},
			[]got{{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "A", ""}}, {Line: 2, Origin: "rows[2]", Fields: []string{"S1", "B", ""}}}},
		{"skip makes the row nobody's", `{"library-group": "A"}, {"when": {"Role": "Parent"}, "skip": true}, {"library-group": "B"}`, "",
			[]string{"S1", "", "", "Parent", ""}, nil},
		{"skip drops earlier problems", `{"library-group": "{House|map:strict}"}, {"when": {"Role": "Parent"}, "skip": true}`, "",
			[]string{"P1", "", "ZZZ", "Parent", ""}, nil},
		{"skip needs no username", `{"when": {"Role": "Parent"}, "skip": true}, {"library-group": "B"}`, "",
			[]string{"", "", "", "Parent", ""}, nil},
		{"unmatched skip needs no username", `{"when": {"Role": "Student"}, "library-group": "A"}`, `, "unmatched": "skip"`,
			[]string{"", "", "", "Parent", ""}, nil},
		{"unmatched skip keeps a problem of a when", `{"when": {"House|map:strict": "x"}, "library-group": "A"}`, `, "unmatched": "skip"`,
			[]string{"S1", "", "ZZZ", "", ""},
			[]got{{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "", ""}, Problems: []string{`unmapped-value : rows[0].when.House|map:strict: House "ZZZ" is not in table "strict", which has no "*"`}}}},
		{"white space is empty", `{"library-group": "Year {Year Level}"}`, "",
			[]string{"S1", " ", "", "", ""},
			[]got{{Line: 2, Fields: []string{"S1", "", ""}, Origin: "rows[0]", Problems: []string{"empty-value library-group: rows[0].library-group: {Year Level} is empty"}}}},
		{"white space username", `{"library-group": "A"}`, "",
			[]string{"  ", "", "", "", ""},
			[]got{{Line: 2, Fields: []string{"  ", "", ""}, Problems: []string{"empty-value username: username: {Student Code} is empty"}}}},
		{"an empty value gets no did you mean", `{"library-group": "{House|map:strict}"}`, "",
			[]string{"S1", "", "", "", ""},
			[]got{{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "", ""}, Problems: []string{`unmapped-value library-group: rows[0].library-group: House "" is not in table "strict", which has no "*"`}}}},
		{"tables fold case as when does", `{"when": {"House": "\u017f"}, "library-group": "{House|map:strict}"}`, "",
			[]string{"S1", "", "S", "", ""},
			[]got{{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "Long s", ""}}}},
		{"skip alone yields nothing", `{"when": {"Role": "Parent"}, "skip": true}, {"library-group": "B"}`, "",
			[]string{"P1", "", "", "Parent", ""}, nil},
		{"not, matches, empty", `{"when": {"Role": {"not": ["Parent", "Guest"]}, "House": {"matches": "[A-Z]{3}"}, "Emails": {"empty": true}}, "library-group": "{House|trim|lower}"}`, "",
			[]string{"S1", "", " RED ", "Student", " "},
			[]got{{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "red", ""}}}},
		{"matches is case-sensitive", `{"when": {"House": {"matches": "[A-Z]+"}}, "library-group": "A"}, {"when": {"House": {"matches": "(?i)[A-Z]+"}}, "library-group": "B"}`, "",
			[]string{"S1", "", "red", "", ""},
			[]got{{Line: 2, Origin: "rows[1]", Fields: []string{"S1", "B", ""}}}},
		{"braces and upper", `{"library-group": "{{{House|trim|upper}}}"}`, "",
			[]string{"S1", "", " red ", "", ""},
			[]got{{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "{RED}", ""}}}},
		{"split into parts", `{"library-group": "{Emails|split:;}", "system-group": "{#|map:first}"}`, "",
			[]string{"S1", "", "", "", "a@x; ;b@y;a@x"},
			[]got{
				{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "a@x", "first"}},
				{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "b@y", "other"}}, // a repeated part yields the first's row
			}},
		{"many rows collapse", `{"library-group": "{Emails|split:;|upper}"}`, "",
			[]string{"S1", "", "", "", "a;b;c;d;e;f;g;h;i;j;A;B;C;D;E;F;G;H;I;J;a"},
			[]got{
				{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "A", ""}}, {Line: 2, Origin: "rows[0]", Fields: []string{"S1", "B", ""}},
				{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "C", ""}}, {Line: 2, Origin: "rows[0]", Fields: []string{"S1", "D", ""}},
				{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "E", ""}}, {Line: 2, Origin: "rows[0]", Fields: []string{"S1", "F", ""}},
				{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "G", ""}}, {Line: 2, Origin: "rows[0]", Fields: []string{"S1", "H", ""}},
				{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "I", ""}}, {Line: 2, Origin: "rows[0]", Fields: []string{"S1", "J", ""}},
			}},
		{"split with a column of its own", `{"library-group": "{Emails|split:;}", "system-group": "{House|lower} of {Student Code}"}`, "",
			[]string{"S1", "", "RED", "", "a;b"},
			[]got{{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "a", "red of S1"}}, {Line: 2, Origin: "rows[0]", Fields: []string{"S1", "b", "red of S1"}}}},
		{"split of nothing yields nothing", `{"library-group": "{Emails|split:;}"}`, "",
			[]string{"S1", "", "", "", " ; "}, nil},
		{"empty value", `{"library-group": "Year {Year Level}"}`, "",
			[]string{"S1", "", "", "", ""},
			[]got{{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "", ""}, Problems: []string{"empty-value library-group: rows[0].library-group: {Year Level} is empty"}}}},
		{"unmapped value", `{"library-group": "A"}, {"library-group": "{House|map:strict}"}`, "",
			[]string{"S1", "", "PUR", "", ""},
			[]got{{Line: 2, Origin: "rows[1]", Fields: []string{"S1", "", ""}, Problems: []string{`unmapped-value library-group: rows[1].library-group: House "PUR" is not in table "strict", which has no "*"; did you mean "PURP"?`}}}},
		{"unmapped in a condition", `{"when": {"House|map:strict": "x"}, "library-group": "A"}`, "",
			[]string{"S1", "", "ZZZ", "", ""},
			[]got{{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "", ""}, Problems: []string{`unmapped-value : rows[0].when.House|map:strict: House "ZZZ" is not in table "strict", which has no "*"`}}}},
		{"empty username", `{"library-group": "A"}`, "",
			[]string{"", "", "", "", ""},
			[]got{{Line: 2, Fields: []string{"", "", ""}, Problems: []string{"empty-value username: username: {Student Code} is empty"}}}},
		{"unmatched holds", `{"when": {"Role": "Student"}, "library-group": "A"}`, "",
			[]string{"S1", "", "", "Boarder", ""},
			[]got{{Line: 2, Fields: []string{"S1", "", ""}, Problems: []string{`unmatched-row : no entry of the rules matches the row (Role "Boarder")`}}}},
		{"unmatched skips", `{"when": {"Role": "Student"}, "library-group": "A"}`, `, "unmatched": "skip"`,
			[]string{"S1", "", "", "Boarder", ""}, nil},
		{"unmatched is an error", `{"when": {"Role": "Student"}, "library-group": "A"}`, `, "unmatched": "error"`,
			[]string{"S1", "", "", "Boarder", ""},
			[]got{{Err: `mapping: line 2: no entry of the rules matches the row (Role "Boarder"), and unmatched is "error"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, `{"import": "user-groups", "username": "{Student Code}", "rows": [`+tt.rows+`],
				"tables": {"houses": {"RED": "Red House", "*": "No House"}, "strict": {"PURP": "Purple", "RED": "Red", "\u017f": "Long s"}, "first": {"1": "first", "*": "other"}}`+tt.extra+`}`)
			if diff := cmp.Diff(tt.want, collect(m.Rows(header, oneRow(tt.row)))); diff != "" {
				t.Errorf("Rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRowsOwnProblems(t *testing.T) {
	m := mustParse(t, rules(`{"library-group": "Year {Year}", "system-group": "Students"}, {"library-group": "{House|map:houses}"}`, ""))
	warn := csvspec.Problem{Code: "surrounding-space", Severity: csvspec.SeverityWarning, Message: "a note"}
	bad := csvspec.Problem{Line: 2, Code: "invalid-utf8", Severity: csvspec.SeverityError, Message: "not UTF-8"}
	tests := []struct {
		name string
		row  csvspec.SourceRow
		want []got
	}{
		{"a warning keeps the groups", csvspec.SourceRow{Fields: []string{"S1", "7", "RED"}, Line: 2, Problems: []csvspec.Problem{warn}}, []got{
			{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "Year 7", "Students"}, Problems: []string{"warning surrounding-space : a note"}},
			{Line: 2, Origin: "rows[1]", Fields: []string{"S1", "Red House", ""}, Problems: []string{"warning surrounding-space : a note"}},
		}},
		{"a warning and a problem of the rules", csvspec.SourceRow{Fields: []string{"S1", "", "RED"}, Line: 2, Problems: []csvspec.Problem{warn}}, []got{
			{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "", "Students"}, Problems: []string{"warning surrounding-space : a note", "empty-value library-group: rows[0].library-group: {Year} is empty"}},
		}},
		{"an error holds", csvspec.SourceRow{Fields: []string{"S1", "7", "RED"}, Line: 2, Problems: []csvspec.Problem{warn, bad}}, []got{
			{Line: 2, Fields: []string{"S1", "", ""}, Problems: []string{"warning surrounding-space : a note", "invalid-utf8 : not UTF-8"}},
		}},
		{"too few fields", csvspec.SourceRow{Fields: []string{"S1", "7"}, Line: 2}, []got{
			{Line: 2, Fields: []string{"S1", "", ""}, Problems: []string{"wrong-field-count : the row has 2 fields, not 3 as the header"}},
		}},
		{"too many fields", csvspec.SourceRow{Fields: []string{"S1", "7", "RED", "x"}, Line: 2}, []got{
			{Line: 2, Fields: []string{"S1", "", ""}, Problems: []string{"wrong-field-count : the row has 4 fields, not 3 as the header"}},
		}},
		{"no username to read", csvspec.SourceRow{Fields: []string{}, Line: 2}, []got{
			{Err: "mapping: line 2: the row has 0 fields, not 3 as the header; the username cannot be read"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := func(yield func(csvspec.SourceRow, error) bool) { yield(tt.row, nil) }
			if diff := cmp.Diff(tt.want, collect(m.Rows([]string{"Student Code", "Year", "House"}, src))); diff != "" {
				t.Errorf("Rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRowsMissingColumn(t *testing.T) {
	m := mustParse(t, rules(`{"library-group": "{Houses}"}`, ""))
	want := []got{{Err: `mapping: line 1: the file has no column "Houses" named at rows[0].library-group; its columns are "Student Code", "House"; did you mean "House"?`}}
	if diff := cmp.Diff(want, collect(m.Rows([]string{"Student Code", "House"}, oneRow(nil)))); diff != "" {
		t.Errorf("Rows (-want +got):\n%s", diff)
	}
	want = []got{{Err: `mapping: line 1: the header has the column "Houses" twice, named at rows[0].library-group`}}
	if diff := cmp.Diff(want, collect(m.Rows([]string{"Student Code", "HOUSES", "Houses "}, oneRow(nil)))); diff != "" {
		t.Errorf("Rows (-want +got):\n%s", diff)
	}
}

func TestReadRows(t *testing.T) {
	m := mustParse(t, rules(`{"library-group": "{House|map:houses}"}`, ""))
	tests := []struct {
		name, file string
		comma      rune
		carry      []string
		want       []got
	}{
		{"bom, crlf, blank line, quotes", "\ufeffStudent Code,Name,House\r\nS1,\"Ng, Ana\",RED\r\n\r\n\"S2\",\"Bo\nBo\",x\r\n", 0, []string{"name"}, []got{
			{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "Red House", ""}, Carry: []string{"Ng, Ana"}},
			{Line: 4, Origin: "rows[0]", Fields: []string{"S2", "No House", ""}, Carry: []string{"Bo\nBo"}},
		}},
		{"semicolons", "Student Code;House\nS1;RED\n", ';', nil, []got{
			{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "Red House", ""}},
		}},
		{"empty row and field count", "Student Code,House\n,\nS1\n", 0, nil, []got{
			{Line: 2, Fields: []string{"", "", ""}, Problems: []string{"empty-row : the row's fields are all empty; it is dropped"}},
			{Line: 3, Fields: []string{"S1", "", ""}, Problems: []string{"wrong-field-count : the row has 1 fields, not 2 as the header"}},
		}},
		{"username last", "House,Role,Student Code\n,\nRED\nRED,,S1\n", 0, nil, []got{
			{Line: 2, Fields: []string{"", "", ""}, Problems: []string{"empty-row : the row's fields are all empty; it is dropped"}},
			{Err: "mapping: line 3: the row has 1 fields, not 3 as the header; the username cannot be read"},
		}},
		{"missing carry", "Student Code,House\nS1,RED\n", 0, []string{"Surname"}, []got{
			{Err: `mapping: line 1: the file has no column "Surname" to carry; its columns are "Student Code", "House"`},
		}},
		{"malformed quote", "Student Code,House\nS1,RED\nS2,\"x\"y\n", 0, nil, []got{
			{Line: 2, Origin: "rows[0]", Fields: []string{"S1", "Red House", ""}},
			{Err: `mapping: line 3: extraneous or missing " in quoted-field`},
		}},
		{"empty file", "", 0, nil, nil},
		{"header alone", "Student Code,House\n", 0, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, collect(m.ReadRows(strings.NewReader(tt.file), tt.comma, tt.carry))); diff != "" {
				t.Errorf("ReadRows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadRowsReadError(t *testing.T) {
	m := mustParse(t, rules(`{"library-group": "A"}`, ""))
	r := io.MultiReader(strings.NewReader("Student Code\nS1\n"), iotestErr{})
	var err error
	for _, e := range m.ReadRows(r, 0, nil) {
		if e != nil {
			err = e
		}
	}
	if !errors.Is(err, errBroken) {
		t.Errorf("ReadRows error = %v, want %v", err, errBroken)
	}
}

var errBroken = errors.New("broken disk")

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errBroken }

func TestExplainProblemInWhen(t *testing.T) {
	m := mustParse(t, `{"import": "user-groups", "username": "{A}", "rows": [{"when": {"B|map:t": "x"}, "library-group": "G"}], "tables": {"t": {"k": "x"}}}`)
	var steps []Step
	for ex, err := range m.Explain([]string{"A", "B"}, oneRow([]string{"u", "z"}), "u") {
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, ex.Steps...)
	}
	want := []Step{{Origin: "rows[0]", Why: `B|map:t: B "z" is not in table "t", which has no "*"; did you mean "k"?`}}
	if diff := cmp.Diff(want, steps); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
}

func TestExplain(t *testing.T) {
	rules, err := os.ReadFile("testdata/school.json")
	if err != nil {
		t.Fatal(err)
	}
	m := mustParse(t, string(rules))
	file := "Student Code,Year Level,House,Role\nS1,07,RED,Student\nS2,08,,Student\ns1,07,PUR,Student\n"
	header, src, err := ReadSource(strings.NewReader(file), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []Explanation
	for ex, err := range m.Explain(header, src, " S1") {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ex)
	}
	steps := []Step{
		{Origin: "rows[0]", Skip: true, Why: `Role is "Student", wanted "Parent": no`},
		{Origin: "rows[1]", Fired: true, Why: `Role is "Student", wanted "Student": yes`},
		{Origin: "rows[2]", Fired: true, Why: `House is "RED", wanted not "": yes; Role is "Student", wanted "Student": yes`},
		{Origin: "rows[3]", Why: `Role is "Student", wanted one of "Teacher", "Staff": no`},
	}
	want := []Explanation{
		{Line: 2, Source: []string{"S1", "07", "RED", "Student"}, Steps: steps, Rows: []csvspec.SourceRow{
			{Fields: []string{"S1", "Year 7", "Students"}, Line: 2, Origin: "rows[1]"},
			{Fields: []string{"S1", "Red House", "Students"}, Line: 2, Origin: "rows[2]"},
		}},
		{Line: 4, Source: []string{"s1", "07", "PUR", "Student"}, Steps: steps, Rows: []csvspec.SourceRow{
			{Fields: []string{"s1", "", "Students"}, Line: 4, Origin: "rows[2]", Problems: []csvspec.Problem{{Line: 4, Column: "library-group", Code: CodeUnmappedValue,
				Severity: csvspec.SeverityError, Message: `rows[2].library-group: House "PUR" is not in table "houses", which has no "*"; did you mean "PURP"?`}}},
		}},
	}
	want[1].Steps = append([]Step(nil), steps...)
	want[1].Steps[2].Why = `House is "PUR", wanted not "": yes; Role is "Student", wanted "Student": yes`
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("Explain (-want +got):\n%s", diff)
	}
}

func TestExplainAgreesWithRows(t *testing.T) {
	header := []string{"A", "B", "C"}
	tests := []struct {
		name, rows string
		fields     []string
	}{
		{"a failed condition stops before a table", `{"when": {"A": "nobody", "B|map:t": "y"}, "library-group": "x"}, {"library-group": "always"}`, []string{"u1", "zzz", ""}},
		{"a table before a condition", `{"when": {"B|map:t": "y", "A": "nobody"}, "library-group": "x"}, {"library-group": "always"}`, []string{"u1", "zzz", ""}},
		{"skip after a fired entry", `{"library-group": "{B}"}, {"when": {"C": "p"}, "skip": true}`, []string{"u1", "g", "P"}},
		{"unmatched", `{"when": {"C": "s"}, "library-group": "{B}"}`, []string{"u1", "g", "x"}},
		{"split", `{"library-group": "{B|split:;}", "system-group": "{#}"}`, []string{"u1", "a;b;a", "x"}},
		{"empty value", `{"when": {"C": {"matches": "x+"}}, "library-group": "{B}"}`, []string{"u1", " ", "xx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, `{"import": "user-groups", "username": "{A}", "rows": [`+tt.rows+`], "tables": {"t": {"k": "y"}}}`)
			rows := collect(m.Rows(header, oneRow(tt.fields)))
			var explained []csvspec.SourceRow
			for ex, err := range m.Explain(header, oneRow(tt.fields), tt.fields[0]) {
				if err != nil {
					t.Fatal(err)
				}
				explained = append(explained, ex.Rows...)
			}
			seq := func(yield func(csvspec.SourceRow, error) bool) {
				for _, r := range explained {
					yield(r, nil)
				}
			}
			if diff := cmp.Diff(rows, collect(seq)); diff != "" {
				t.Errorf("Explain's rows (-Rows +Explain):\n%s", diff)
			}
		})
	}
}

// benchExport returns an SMS export of n rows, as BenchmarkReadRows reads it.
func benchExport(n int) []byte {
	var b bytes.Buffer
	b.WriteString("Student Code,Given Name,Surname,Year Level,House,Roll Class,Role,Parent Emails\n")
	houses := []string{"RED", "BLU", "GRN", "PURP", ""}
	for i := range n {
		role := "Student"
		if i%20 == 0 {
			role = "Teacher"
		}
		fmt.Fprintf(&b, "S%07d,Given%d,Surname%d,%02d,%s,%dB,%s,a%d@example.com;b%d@example.com\n",
			i, i, i, 7+i%6, houses[i%len(houses)], 7+i%6, role, i, i)
	}
	return b.Bytes()
}

// BenchmarkReadRows maps 200,000 rows of an SMS export with the example
// rules, as a ratio to a bare encoding/csv read of the same file
// (x-baseline: 1 is as fast, the target is 0.5 or more).
func BenchmarkReadRows(b *testing.B) {
	rules, err := os.ReadFile("testdata/school.json")
	if err != nil {
		b.Fatal(err)
	}
	m := mustParse(b, string(rules))
	file := benchExport(200_000)
	var sink int
	base := func(b *testing.B) {
		r := csv.NewReader(bytes.NewReader(file))
		r.ReuseRecord = true
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			sink += len(rec)
		}
	}
	mapped := func(b *testing.B) {
		for row, err := range m.ReadRows(bytes.NewReader(file), 0, nil) {
			if err != nil {
				b.Fatal(err)
			}
			sink += len(row.Fields)
		}
	}
	benchtest.VsBaseline(b, len(file), base, mapped)
}

// exportReader makes an SMS export of n rows as it is read, so that the
// file is never in memory.
type exportReader struct {
	n, i int
	buf  []byte
}

func (r *exportReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.i > r.n {
			return 0, io.EOF
		}
		if r.i == 0 {
			r.buf = []byte("Student Code,Year Level,House,Role,Parent Emails\n")
		} else {
			r.buf = fmt.Appendf(r.buf, "S%07d,%02d,%s,Student,p%d@example.com;q%d@example.com\n", r.i, 7+r.i%6, []string{"RED", "BLU", "PURP"}[r.i%3], r.i, r.i)
		}
		r.i++
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// TestReadRowsStreams: memory does not grow with the export.
func TestReadRowsStreams(t *testing.T) {
	rules, err := os.ReadFile("testdata/school.json")
	if err != nil {
		t.Fatal(err)
	}
	m := mustParse(t, string(rules))
	const rows = 300_000
	var peak uint64
	var ms runtime.MemStats
	n := 0
	for row, err := range m.ReadRows(&exportReader{n: rows}, 0, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n%50_000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		_ = row
	}
	if n != 2*rows {
		t.Fatalf("%d rows, want %d", n, 2*rows)
	}
	t.Logf("peak live heap %d KiB", peak>>10)
	// The export is about 20 MB; what stays live is the mapper's buffers.
	if peak > 8<<20 {
		t.Errorf("live heap %d bytes while mapping, want under 8 MiB", peak)
	}
}

// FuzzReadRows checks that no export makes ReadRows panic, and that every
// row it yields has the import's columns.
func FuzzReadRows(f *testing.F) {
	rules, err := os.ReadFile("testdata/school.json")
	if err != nil {
		f.Fatal(err)
	}
	m := mustParse(f, string(rules))
	f.Add([]byte("Student Code,Year Level,House,Role\nS1,07,RED,Student\nT1,,,Teacher\n"))
	f.Add([]byte("\ufeffStudent Code;Year Level;House;Role\r\n\"S;1\";7;PUR;Student\r\n;;;\r\n"))
	f.Add([]byte("Role,Student Code\nBoarder\n"))
	f.Fuzz(func(t *testing.T, file []byte) {
		for _, comma := range []rune{0, ';'} {
			for row, err := range m.ReadRows(bytes.NewReader(file), comma, []string{"Role"}) {
				if err == nil && len(row.Fields) != 3 {
					t.Fatalf("row %+v: want 3 fields", row)
				}
			}
		}
	})
}
