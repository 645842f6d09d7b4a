package cli

import (
	"encoding/json"
	"iter"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/csvspec"
)

func TestRulesJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    Rules
		wantErr bool
	}{
		{`"rules.json"`, Rules{Path: "rules.json"}, false},
		{` {"import": "contacts"}`, Rules{Inline: json.RawMessage(`{"import": "contacts"}`)}, false},
		{`""`, Rules{}, true},
		{`7`, Rules{}, true},
	}
	for _, tt := range tests {
		var got Rules
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr || err == nil && !cmp.Equal(tt.want, got) {
			t.Errorf("Unmarshal(%s) = %+v, %v; want %+v (error: %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil {
			b, _ := json.Marshal(got)
			var again Rules
			if err := json.Unmarshal(b, &again); err != nil || again.Path != got.Path || (again.Inline == nil) != (got.Inline == nil) {
				t.Errorf("%s does not round-trip: %s", tt.in, b)
			}
		}
	}
}

func TestLoadRules(t *testing.T) {
	const contacts = `{"import": "contacts", "username": "{A}", "rows": [{"type": "email", "contact": "{B}"}]}`
	file := filepath.Join(t.TempDir(), "rules.json")
	if err := os.WriteFile(file, []byte("\ufeff"+contacts), 0o600); err != nil {
		t.Fatal(err)
	}
	_, notExist := os.ReadFile(file + ".gone") // its wording is the system's
	tests := []struct {
		name       string
		school     School
		wantImport string
		wantErr    string
	}{
		{"none", School{Import: ImportUserGroups}, ImportUserGroups, ""},
		{"a file decides the import", School{Rules: Rules{Path: file}}, ImportContacts, ""},
		{"inline", School{Rules: Rules{Inline: json.RawMessage(contacts)}, Import: ImportContacts}, ImportContacts, ""},
		{"another import", School{Rules: Rules{Inline: json.RawMessage(contacts)}, Import: ImportUserGroups}, ImportUserGroups,
			`the rules in rules are for the contacts import; leave out import, or give "import": "contacts"`},
		{"with map", School{Rules: Rules{Path: file}, Map: map[string]string{"username": "A"}}, "", "-map and -rules both say how to read the export; give one of them"},
		{"no file", School{Rules: Rules{Path: file + ".gone"}}, "", "-rules: " + notExist.Error()},
		{"bad rules", School{Rules: Rules{Inline: json.RawMessage(`{"import": "x"}`)}}, "", `rules: import: "x" is not an import; write "user-groups" or "contacts"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names := ConfigFields
			if tt.school.Rules.Path != "" {
				names = Flags
			}
			m, err := tt.school.LoadRules(names)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr || err == nil && tt.school.Import != tt.wantImport || (m == nil) != (err != nil || tt.school.Rules.IsZero()) {
				t.Errorf("LoadRules: import %q, error %q; want %q, %q", tt.school.Import, got, tt.wantImport, tt.wantErr)
			}
		})
	}
}

func TestGroupCounts(t *testing.T) {
	rows := func(yield func(csvspec.SourceRow, error) bool) {
		for _, r := range []csvspec.SourceRow{
			{Fields: []string{"a", "Year 7", "Students"}},
			{Fields: []string{"b", "Year 7", "Students"}},
			{Fields: []string{"b", "Red House", "Students"}},
			{Fields: []string{"c", "", "Staff"}},
			{Fields: []string{"d", "Year 7", "Students"}}, // held by its next row: not counted
			{Fields: []string{"d", "", ""}, Problems: []csvspec.Problem{{Severity: csvspec.SeverityError}}},
		} {
			if !yield(r, nil) {
				return
			}
		}
	}
	var g GroupCounts
	n := 0
	for range g.Count(csvspec.Header(), iter.Seq2[csvspec.SourceRow, error](rows)) {
		n++
	}
	want := []string{"library-group: Year 7: 2, Red House: 1", "system-group: Students: 2, Staff: 1"}
	if diff := cmp.Diff(want, g.Lines()); diff != "" || n != 6 {
		t.Errorf("%d rows passed on, want 6; Lines (-want +got):\n%s", n, diff)
	}
}
