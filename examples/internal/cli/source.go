package cli

import (
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"

	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/csvspec/mapping"
	"github.com/autosync-go/autosync/csvspec/oneroster"
)

// A Source is a OneRoster or School Data Sync package that schools' rows
// come from, through their group rules: multitenant's "source", sync's
// -source.
type Source struct {
	Type          string `json:"type"`                     // "oneroster" or "sds"
	Package       string `json:"package"`                  // a folder or a zip
	DisabledUsers string `json:"disabled_users,omitempty"` // "keep" (the default) or "leaver"
	Roles         string `json:"roles,omitempty"`          // "primary" (the default) or "all"
}

// Check returns an error, naming the setting in n's words, for a value
// that cannot be used.
func (s Source) Check(n Names) error {
	for _, c := range []struct {
		field, v string
		ok       []string
	}{
		{"type", s.Type, []string{"oneroster", "sds"}},
		{"disabled_users", s.DisabledUsers, []string{"", "keep", "leaver"}},
		{"roles", s.Roles, []string{"", "primary", "all"}},
	} {
		if !slices.Contains(c.ok, c.v) {
			return fmt.Errorf("%s: %q is not one of %s", n.Name(c.field), c.v, strings.Join(c.ok[len(c.ok)-2:], ", "))
		}
	}
	if s.Package == "" {
		return fmt.Errorf("lacks %s: the package's folder or zip", n.Name("package"))
	}
	return nil
}

// Open opens the package, for rules that name columns.
func (s Source) Open(columns []string) (*oneroster.Package, error) {
	return oneroster.Open(s.Package, oneroster.Options{SDS: s.Type == "sds", Roles: s.Roles, DisabledUsers: s.DisabledUsers, Columns: columns})
}

// SourceRows returns the rows that the rules m make of a package's rows
// src (a Package's Rows, with its Header), each carrying the values of
// the columns that carry names.
func SourceRows(m *mapping.Mapping, header []string, src iter.Seq2[csvspec.SourceRow, error], carry []string) iter.Seq2[csvspec.SourceRow, error] {
	idx := make([]int, len(carry))
	for i, c := range carry {
		if idx[i] = slices.Index(header, c); idx[i] < 0 {
			return func(yield func(csvspec.SourceRow, error) bool) {
				yield(csvspec.SourceRow{}, fmt.Errorf("carry: the package has no column %q; its columns are %v", c, header))
			}
		}
	}
	rows := func(yield func(csvspec.SourceRow, error) bool) {
		for row, err := range src {
			if err == nil && len(carry) > 0 {
				row.Carry = make([]string, len(idx))
				for i, j := range idx {
					if j < len(row.Fields) {
						row.Carry[i] = row.Fields[j]
					}
				}
			}
			if !yield(row, err) {
				return
			}
		}
	}
	return m.Rows(header, rows)
}

// Warnings prints the warnings of pkgs (a package and those Select made
// of it) on w, each file's code once, after what.
func Warnings(w io.Writer, what string, pkgs ...*oneroster.Package) {
	seen := make(map[string]bool)
	for _, p := range pkgs {
		for _, e := range p.Warnings() {
			if k := e.File + "\x00" + e.Code; !seen[k] {
				seen[k] = true
				fmt.Fprintf(w, "%s: warning: %s\n", what, strings.TrimPrefix(e.Error(), "oneroster: "))
			}
		}
	}
}
