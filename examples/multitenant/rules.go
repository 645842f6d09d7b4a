package main

import (
	"path/filepath"

	"github.com/autosync-go/autosync/examples/internal/cli"
)

// checkSchool checks a school's settings: first its "rules", a path
// relative to dir or inline, which decide its import.
func checkSchool(s *cli.School, dir string) error {
	if p := s.Rules.Path; p != "" && !filepath.IsAbs(p) {
		s.Rules.Path = filepath.Join(dir, p)
	}
	if _, err := s.LoadRules(cli.ConfigFields); err != nil {
		return err
	}
	return s.Check(cli.ConfigFields)
}
