package mapping

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rules returns a rules file with the given rows and tables.
func rules(rows, tables string) string {
	if tables == "" {
		tables = `{"houses": {"RED": "Red House", "*": "No House"}}`
	}
	return `{"import": "user-groups", "username": "{Student Code}", "rows": [` + rows + `], "tables": ` + tables + `}`
}

func TestParseMappingErrors(t *testing.T) {
	tests := []struct {
		name, rules, want string
	}{
		{"syntax", `{"import": "user-groups",`, "mapping: the rules end before their closing brace"},
		{"bad syntax", "{\n\"import\": x}", "mapping: line 2 of the rules: invalid character 'x' looking for beginning of value"},
		{"not an object", `[1]`, "mapping: the rules are not an object; write an object with import, username and rows"},
		{"null", `null`, "mapping: the rules are not an object; write an object with import, username and rows"},
		{"trailing", `{} {}`, "mapping: more after the rules' closing brace"},
		{"unknown key", `{"imports": "x"}`, "mapping: imports: unknown key; the keys are import, username, rows, tables and unmatched"},
		{"no import", `{"username": "{A}", "rows": []}`, `mapping: import: "" is not an import; write "user-groups" or "contacts"`},
		{"bad import", `{"import": "users"}`, `mapping: import: "users" is not an import; write "user-groups" or "contacts"`},
		{"import number", `{"import": 7}`, "mapping: import: 7 is not a string; write it in double quotes"},
		{"unmatched", `{"import": "contacts", "unmatched": "drop"}`, `mapping: unmatched: "drop" is not allowed; write "hold", "skip" or "error"`},
		{"no username", `{"import": "contacts", "rows": []}`, `mapping: username: missing; write a template such as "{Student Code}"`},
		{"no rows", `{"import": "contacts", "username": "{A}"}`, "mapping: rows: missing; write a list of row entries"},
		{"empty rows", `{"import": "contacts", "username": "{A}", "rows": []}`, "mapping: rows: empty; write at least one row entry"},
		{"rows object", `{"import": "contacts", "username": "{A}", "rows": {}}`, `mapping: rows: not a list of objects; write [{"when": {...}, "type": "..."}]`},
		{"unknown column", rules(`{"library_group": "A"}`, ""), "mapping: rows[0].library_group: unknown key; an entry has when, skip and the columns library-group, system-group"},
		{"username in entry", rules(`{"username": "{A}"}`, ""), "mapping: rows[0].username: the username is one template for every row, at the top of the rules"},
		{"no column", rules(`{"library-group": "A"}, {"when": {"A": "b"}}`, ""), `mapping: rows[1]: names no column; write one of library-group, system-group, or "skip": true`},
		{"skip with column", rules(`{"skip": true, "library-group": "A"}`, ""), "mapping: rows[0].library-group: a skip entry yields no row; remove the column or the skip"},
		{"skip not bool", rules(`{"skip": "yes"}`, ""), `mapping: rows[0].skip: "yes" is not allowed; write true or false`},
		{"column number", rules(`{"library-group": 7}`, ""), "mapping: rows[0].library-group: 7 is not a string; write it in double quotes"},
		{"unknown pipe", rules(`{"library-group": "Year {Year|nozero}"}`, ""), "mapping: rows[0].library-group: unknown pipe |nozero; the pipes are nozeros, upper, lower, trim, map:TABLE and split:SEP"},
		{"unknown table", rules(`{"library-group": "{House|map:house}"}`, ""), "mapping: rows[0].library-group: no table \"house\"; the tables are houses"},
		{"unclosed", rules(`{"library-group": "Year {Year"}`, ""), "mapping: rows[0].library-group: the { at byte 6 is not closed; write {Column} or {{ for a brace"},
		{"stray brace", rules(`{"library-group": "Year}"}`, ""), "mapping: rows[0].library-group: a } at byte 5 closes nothing; write }} for a brace"},
		{"empty ref", rules(`{"library-group": "{ |upper}"}`, ""), "mapping: rows[0].library-group: { |upper} names no column; write {Column}"},
		{"two splits", rules(`{"library-group": "{A|split:;}", "system-group": "{B|split:;}"}`, ""), "mapping: rows[0].system-group: a second split; an entry may split one value"},
		{"two splits in one", rules(`{"library-group": "{A|split:;}{B|split:,}"}`, ""), "mapping: rows[0].library-group: a second split; an entry may split one value"},
		{"split in username", `{"import": "contacts", "username": "{A|split:;}", "rows": [{"type": "x"}]}`, "mapping: username: |split makes rows, and only a row entry's columns can"},
		{"split no sep", rules(`{"library-group": "{A|split:}"}`, ""), "mapping: rows[0].library-group: |split: needs a separator, such as |split:;"},
		{"part without split", rules(`{"library-group": "{#}"}`, ""), "mapping: rows[0].library-group: {#} numbers the parts of a split, and the entry has none"},
		{"part in username", `{"import": "contacts", "username": "{#}", "rows": [{"type": "x"}]}`, "mapping: username: {#} numbers the parts of a split, and there is none here"},
		{"split part", rules(`{"library-group": "{#|split:;}"}`, ""), "mapping: rows[0].library-group: {#} cannot be split"},
		{"when number", rules(`{"when": {"Year": 7}, "library-group": "A"}`, ""), `mapping: rows[0].when.Year: 7 is not a condition; write a string ("7"), a list of strings or an object with not, matches or empty`},
		{"when bool", rules(`{"when": {"Year": true}, "library-group": "A"}`, ""), `mapping: rows[0].when.Year: true is not a condition; write a string ("true"), a list of strings or an object with not, matches or empty`},
		{"when list", rules(`{"when": {"Role": ["A", 1]}, "library-group": "A"}`, ""), `mapping: rows[0].when.Role: write a list of one or more strings, such as ["Teacher", "Staff"]`},
		{"when empty list", rules(`{"when": {"Role": []}, "library-group": "A"}`, ""), `mapping: rows[0].when.Role: write a list of one or more strings, such as ["Teacher", "Staff"]`},
		{"when not object", rules(`{"when": ["Role"], "library-group": "A"}`, ""), `mapping: rows[0].when: not an object; write {"Column": "value"}`},
		{"two operators", rules(`{"when": {"Role": {"not": "A", "empty": true}}, "library-group": "A"}`, ""), "mapping: rows[0].when.Role: write an object with exactly one of not, matches or empty"},
		{"unknown operator", rules(`{"when": {"Role": {"is": "A"}}, "library-group": "A"}`, ""), "mapping: rows[0].when.Role.is: unknown operator; the operators are not, matches and empty"},
		{"bad regexp", rules(`{"when": {"Role": {"matches": "("}}, "library-group": "A"}`, ""), "mapping: rows[0].when.Role.matches: error parsing regexp: missing closing ): `(`"},
		{"regexp number", rules(`{"when": {"Role": {"matches": 1}}, "library-group": "A"}`, ""), "mapping: rows[0].when.Role.matches: 1 is not a string; write a regular expression in double quotes"},
		{"empty not bool", rules(`{"when": {"Role": {"empty": "no"}}, "library-group": "A"}`, ""), `mapping: rows[0].when.Role.empty: "no" is not allowed; write true or false`},
		{"not of number", rules(`{"when": {"Role": {"not": 7}}, "library-group": "A"}`, ""), `mapping: rows[0].when.Role.not: 7 is not a condition; write a string ("7"), a list of strings or an object with not, matches or empty`},
		{"when key pipe", rules(`{"when": {"Year|nozero": "7"}, "library-group": "A"}`, ""), "mapping: rows[0].when.Year|nozero: unknown pipe |nozero; the pipes are nozeros, upper, lower, trim, map:TABLE and split:SEP"},
		{"when key split", rules(`{"when": {"Year|split:;": "7"}, "library-group": "A"}`, ""), "mapping: rows[0].when.Year|split:;: |split makes rows, and only a row entry's columns can"},
		{"tables array", rules(`{"library-group": "A"}`, `[]`), `mapping: tables: not an object of tables; write {"houses": {"RED": "Red House"}}`},
		{"table null", rules(`{"library-group": "A"}`, `{"t": null}`), `mapping: tables.t: not an object; write {"KEY": "value"}`},
		{"table value", rules(`{"library-group": "A"}`, `{"t": {"1": 1}}`), "mapping: tables.t.1: 1 is not a string; write it in double quotes"},
		{"table twice", rules(`{"library-group": "A"}`, `{"t": {"red": "A", " RED": "B"}}`), "mapping: tables.t. RED: the key is there twice (keys are compared trimmed, in any case)"},
		// A key given twice is an error wherever it is, with its path.
		{"twice at the top", `{"import": "contacts", "import": "user-groups"}`, "mapping: import: the key is there twice"},
		{"twice in an entry", rules(`{"library-group": "A", "library-group": "B"}`, ""), "mapping: rows[0].library-group: the key is there twice"},
		{"twice in a when", rules(`{"when": {"Role": "A", "Role": "B"}, "library-group": "A"}`, ""), "mapping: rows[0].when.Role: the key is there twice"},
		{"twice in an operator", rules(`{"when": {"Role": {"not": "A", "not": "B"}}, "library-group": "A"}`, ""), "mapping: rows[0].when.Role.not: the key is there twice"},
		{"table twice", rules(`{"library-group": "A"}`, `{"t": {"a": "A"}, "t": {"b": "B"}}`), "mapping: tables.t: the key is there twice"},
		{"table key twice", rules(`{"library-group": "A"}`, `{"t": {"a": "A", "a": "B"}}`), "mapping: tables.t.a: the key is there twice"},
		{"table key twice, folded", rules(`{"library-group": "A"}`, `{"t": {"s": "A", "\u017f": "B"}}`), "mapping: tables.t.\u017f: the key is there twice (keys are compared trimmed, in any case)"},
		{"default twice", rules(`{"library-group": "A"}`, `{"t": {"*": "A", " * ": "B"}}`), "mapping: tables.t. * : the key is there twice (keys are compared trimmed, in any case)"},
		{"skip twice", rules(`{"when": {"A": "b"}, "skip": true, "skip": false}`, ""), "mapping: rows[0].skip: the key is there twice"},
		// null is an error with its path, and no advice to write "null".
		{"null column", rules(`{"library-group": null}`, ""), "mapping: rows[0].library-group: null is not allowed; write a string in double quotes, or leave the key out"},
		{"null skip", rules(`{"when": {"A": "b"}, "skip": null}`, ""), "mapping: rows[0].skip: null is not allowed; write true or false"},
		{"null condition", rules(`{"when": {"Role": null}, "library-group": "A"}`, ""), "mapping: rows[0].when.Role: null is not a condition; write a string, a list of strings or an object with not, matches or empty"},
		{"null in a list", rules(`{"when": {"Role": ["A", null]}, "library-group": "A"}`, ""), `mapping: rows[0].when.Role: write a list of one or more strings, such as ["Teacher", "Staff"]`},
		{"null empty", rules(`{"when": {"Role": {"empty": null}}, "library-group": "A"}`, ""), "mapping: rows[0].when.Role.empty: null is not allowed; write true or false"},
		{"null table value", rules(`{"library-group": "A"}`, `{"t": {"a": null}}`), "mapping: tables.t.a: null is not allowed; write a string in double quotes, or leave the key out"},
		{"null username", `{"import": "contacts", "username": null}`, "mapping: username: null is not allowed; write a string in double quotes, or leave the key out"},
		// Paths name the place of the error.
		{"entry not an object", rules(`5`, ""), `mapping: rows[0]: not an object; write {"when": {...}, "library-group": "..."}`},
		{"table a list", rules(`{"library-group": "A"}`, `{"h": []}`), `mapping: tables.h: not an object; write {"KEY": "value"}`},
		{"text after", `{"import": "contacts"}]`, "mapping: more after the rules' closing brace"},
		{"bom", "\ufeff{\"import\": \"x\"}", `mapping: import: "x" is not an import; write "user-groups" or "contacts"`},
		{"split twice in one reference", rules(`{"library-group": "{E|split:;|split:,}"}`, ""), "mapping: rows[0].library-group: a second split; an entry may split one value"},
		{"regexp alone", rules(`{"when": {"Role": {"matches": "a)|(b"}}, "library-group": "A"}`, ""), "mapping: rows[0].when.Role.matches: error parsing regexp: unexpected ): `a)|(b`"},
		{"only an empty column", rules(`{"library-group": ""}`, ""), `mapping: rows[0]: names no column; write one of library-group, system-group, or "skip": true`},
		{"table name with a pipe", rules(`{"library-group": "A"}`, `{"a|b": {}}`), "mapping: tables.a|b: not a table name; a name is not empty and has no surrounding space, |, :, { or }"},
		{"table name with a colon", rules(`{"library-group": "A"}`, `{"a:b": {}}`), "mapping: tables.a:b: not a table name; a name is not empty and has no surrounding space, |, :, { or }"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMapping([]byte(tt.rules))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseMapping error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseMapping(t *testing.T) {
	m, err := ParseMapping([]byte(`{"import": "contacts", "username": "{Student Code}",
		"rows": [{"when": {"Role|lower": "parent", "Email": {"empty": false}}, "type": "email", "contact": "{Email|split:;}", "primary": "{#|map:first}"}],
		"tables": {"first": {"1": "true", "*": "false"}}, "unmatched": "skip"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Import(); got != "contacts" {
		t.Errorf("Import() = %q, want contacts", got)
	}
	if diff := cmp.Diff([]string{"Student Code", "Email", "Role"}, m.Columns()); diff != "" {
		t.Errorf("Columns() (-want +got):\n%s", diff)
	}
}

// FuzzParseMapping checks that no rules file makes ParseMapping panic,
// that its errors are *Error, and that rules it takes map a row without
// panicking.
func FuzzParseMapping(f *testing.F) {
	f.Add([]byte(rules(`{"when": {"Role": "Student"}, "library-group": "Year {Year Level|nozeros}", "system-group": "Students"}`, "")))
	f.Add([]byte(rules(`{"when": {"Role": {"not": {"matches": "(?i)s.*"}}}, "library-group": "{House|map:houses|upper}"}`, "")))
	f.Add([]byte(`{"import": "contacts", "username": "{A}", "rows": [{"contact": "{B|split:;}", "primary": "{#}"}]}`))
	f.Add([]byte(`{"import": "user-groups", "username": "{{x}}", "rows": [{"skip": true}], "unmatched": "error"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMapping(data)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T, want *Error: %v", err, err)
			}
			return
		}
		header := m.Columns()
		fields := make([]string, len(header))
		for i := range fields {
			fields[i] = strings.Repeat("0", i) + "7;a"
		}
		for row, err := range m.Rows(header, oneRow(fields)) {
			if err == nil && len(row.Fields) != len(m.columns) {
				t.Fatalf("row with %d fields, want %d", len(row.Fields), len(m.columns))
			}
		}
	})
}
