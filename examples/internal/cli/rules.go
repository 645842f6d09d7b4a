package cli

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/csvspec/mapping"
)

// Rules is where a school's group rules are (package csvspec/mapping): a
// JSON file (sync's -rules FILE, or a path in multitenant's "rules"), or
// the rules themselves, inline in multitenant's config.
type Rules struct {
	Path   string          // a rules file; "" when inline or none
	Inline json.RawMessage // the rules as JSON, from a config; nil when in a file or none
}

// IsZero reports whether no rules are given.
func (r Rules) IsZero() bool { return r.Path == "" && r.Inline == nil }

// UnmarshalJSON reads multitenant's "rules": a path, or an object.
func (r *Rules) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		*r = Rules{Inline: slices.Clone(b)}
		return nil
	}
	if err := json.Unmarshal(b, &r.Path); err != nil || r.Path == "" {
		return errors.New(`"rules" is the path of a rules file, or the rules as an object {"import": ..., "username": ..., "rows": [...]}`)
	}
	return nil
}

// MarshalJSON writes the rules as UnmarshalJSON reads them.
func (r Rules) MarshalJSON() ([]byte, error) {
	if r.Inline != nil {
		return r.Inline, nil
	}
	return json.Marshal(r.Path)
}

// LoadRules parses the school's group rules, once: a later call returns
// the same rules, so that a run never mixes two versions of an edited
// file. It returns nil and no error when the school has none. The rules
// decide the import: an empty Import becomes theirs, and a different one
// is an error, as are rules together with Map.
func (s *School) LoadRules(n Names) (*mapping.Mapping, error) {
	switch {
	case s.Rules.IsZero():
		return nil, nil
	case s.rules != nil:
		return s.rules, nil
	}
	where, b := n.Name("rules"), []byte(s.Rules.Inline)
	if s.Rules.Path != "" {
		where += " " + s.Rules.Path
		var err error
		if b, err = os.ReadFile(s.Rules.Path); err != nil {
			return nil, fmt.Errorf("%s: %w", n.Name("rules"), err)
		}
	}
	m, err := mapping.ParseMapping(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", where, strings.TrimPrefix(err.Error(), "mapping: "))
	}
	switch {
	case s.Map != nil:
		return nil, fmt.Errorf("%s and %s both say how to read the export; give one of them", n.Name("map"), n.Name("rules"))
	case s.Import == "":
		s.Import = m.Import()
	case s.Import != m.Import():
		return nil, fmt.Errorf("the rules in %s are for the %s import; leave out %s, or give %s", where, m.Import(), n.Name("import"), n.Set("import", m.Import()))
	}
	s.rules = m
	return m, nil
}

// MappedRows returns the rows that the rules m make of the export read
// from r, with the school's separator and carried columns.
func (s School) MappedRows(m *mapping.Mapping, r io.Reader) iter.Seq2[csvspec.SourceRow, error] {
	comma, _ := ParseComma(s.Comma)
	return m.ReadRows(r, comma, s.Carry)
}

// GroupCounts counts the users the rules put in each group, by column
// (library-group, system-group; type for contacts), so that a school sees
// "Year 7: 212" before anything is sent. A user is counted once per
// group, and not at all when a row problem holds it.
type GroupCounts struct {
	users map[[2]string]map[string]bool // column and group: usernames
	held  map[string]bool
}

// Count returns rows, counting each; header is the import's columns
// (csvspec.Header or csvspec.ContactHeader).
func (g *GroupCounts) Count(header []string, rows iter.Seq2[csvspec.SourceRow, error]) iter.Seq2[csvspec.SourceRow, error] {
	g.users, g.held = map[[2]string]map[string]bool{}, map[string]bool{}
	cols := header[1:]
	if len(header) != 3 {
		cols = header[1:2] // a contact's type
	}
	return func(yield func(csvspec.SourceRow, error) bool) {
		for row, err := range rows {
			switch {
			case err != nil || len(row.Fields) != len(header):
			case slices.ContainsFunc(row.Problems, func(p csvspec.Problem) bool { return p.Severity == csvspec.SeverityError }):
				g.held[row.Fields[0]] = true
			default:
				for i, c := range cols {
					if v := row.Fields[i+1]; v != "" {
						k := [2]string{c, v}
						if g.users[k] == nil {
							g.users[k] = map[string]bool{}
						}
						g.users[k][row.Fields[0]] = true
					}
				}
			}
			if !yield(row, err) {
				return
			}
		}
	}
}

// Lines returns a line per column: "library-group: Year 7: 212, Red
// House: 201", the most users first.
func (g *GroupCounts) Lines() []string {
	n := map[[2]string]int{}
	for k, users := range g.users {
		for u := range users {
			if !g.held[u] {
				n[k]++
			}
		}
	}
	keys := slices.SortedFunc(maps.Keys(n), func(a, b [2]string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(n[b], n[a]), cmp.Compare(a[1], b[1]))
	})
	var lines []string
	for i, k := range keys {
		if i == 0 || k[0] != keys[i-1][0] {
			lines = append(lines, k[0]+": ")
		} else {
			lines[len(lines)-1] += ", "
		}
		lines[len(lines)-1] += fmt.Sprintf("%s: %d", k[1], n[k])
	}
	return lines
}
