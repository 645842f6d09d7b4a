package main

import (
	"path/filepath"

	"github.com/autosync-go/autosync/examples/internal/cli"
)

// loadRules checks a school's "rules", a path relative to dir or inline,
// and lets them decide its import.
func loadRules(s *cli.School, dir string) error {
	if p := s.Rules.Path; p != "" && !filepath.IsAbs(p) {
		s.Rules.Path = filepath.Join(dir, p)
	}
	_, err := s.LoadRules(cli.ConfigFields)
	return err
}
