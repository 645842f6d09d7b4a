package mapping

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// mapOne maps one row with the template tmpl as the library group, and
// returns the library groups made, or the problems.
func mapOne(t testing.TB, tmpl string, fields []string) ([]string, error) {
	m, err := ParseMapping([]byte(`{"import": "user-groups", "username": "u", "rows": [{"library-group": ` + quoteJSON(tmpl) + `}],
		"tables": {"t": {"a": "Alpha", " B ": "Beta", "": "Blank", "*": ""}, "first": {"1": "yes", "*": "no"}}}`))
	if err != nil {
		return nil, err
	}
	var out []string
	for row, err := range m.Rows(m.Columns(), oneRow(fields[:min(len(fields), len(m.Columns()))])) {
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range row.Problems {
			out = append(out, p.Code+": "+p.Message)
		}
		if len(row.Problems) == 0 {
			out = append(out, row.Fields[1])
		}
	}
	return out, nil
}

func quoteJSON(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r < 0x20:
			b.WriteString(`\u00` + "0123456789abcdef"[r>>4:r>>4+1] + "0123456789abcdef"[r&15:r&15+1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String() + `"`
}

func TestTemplates(t *testing.T) {
	tests := []struct {
		tmpl   string
		fields []string // the values of the columns the template names, in order
		want   []string
	}{
		{"Year {Y|nozeros}", []string{"07"}, []string{"Year 7"}},
		{"{Y|nozeros}", []string{"Year 007 and 00"}, []string{"Year 7 and 0"}},
		{"{Y|trim|upper}-{Z|lower}", []string{" ab ", "CD"}, []string{"AB-cd"}},
		{"{Y|map:t}", []string{"A"}, []string{"Alpha"}},
		{"{Y|map:t}", []string{"b"}, []string{"Beta"}},
		{"{Y|map:t}", []string{"zz"}, []string{"empty-value: rows[0].library-group: {Y|map:t} is empty"}}, // the default is empty
		{"{Y|split:,|trim|upper}", []string{"a, b,,c "}, []string{"A", "B", "C"}},
		{"{Y|upper|split:;}#{#|map:first}", []string{"x;y"}, []string{"X#yes", "Y#no"}},
		{"{{literal}} {Y}", []string{"v"}, []string{"{literal} v"}},
		{"no references", []string{}, []string{"no references"}},
		{"{Y}", []string{""}, []string{"empty-value: rows[0].library-group: {Y} is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl, func(t *testing.T) {
			got, err := mapOne(t, tt.tmpl, tt.fields)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%q (-want +got):\n%s", tt.tmpl, diff)
			}
		})
	}
}

// FuzzTemplate checks that no template and value make the mapping panic,
// that a template that parses yields rows of valid width, and that a
// template without braces is its own text.
func FuzzTemplate(f *testing.F) {
	f.Add("Year {Y|nozeros}", "07")
	f.Add("{Y|split:;|map:t}{#}", "a; b")
	f.Add("{{}}{Y|upper|lower|trim}", " x ")
	f.Add("{", "")
	f.Fuzz(func(t *testing.T, tmpl, value string) {
		if !utf8.ValidString(tmpl) {
			return
		}
		got, err := mapOne(t, tmpl, []string{value, value, value})
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T, want *Error: %v", err, err)
			}
			return
		}
		if !strings.ContainsAny(tmpl, "{}") && tmpl != "" && (len(got) != 1 || got[0] != tmpl) {
			t.Fatalf("%q made %q", tmpl, got)
		}
	})
}
