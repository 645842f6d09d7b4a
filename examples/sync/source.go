package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/autosync-go/autosync/csvspec/oneroster"
	"github.com/autosync-go/autosync/examples/internal/cli"
)

// source are the flags of a OneRoster or School Data Sync package read
// instead of an export: -source, -org, -disabled-users and -roles.
type source struct {
	src cli.Source
	org string
}

func (s *source) define(fs *flag.FlagSet) {
	fs.StringVar(&s.src.Type, "source", "", "read -file as a package instead of an export: oneroster (OneRoster 1.1 or 1.2, a folder or a zip) or sds (School Data Sync v2.1, as TASS exports); needs -org and -rules")
	fs.StringVar(&s.org, "org", "", "with -source: the org whose users are sent, by identifier (or sourcedId); a comma-separated list for a school of many campuses")
	fs.StringVar(&s.src.DisabledUsers, "disabled-users", "keep", "with -source: what becomes of users whose enabledUser is false: keep, or leaver (left out, so treated as gone from the export)")
	fs.StringVar(&s.src.Roles, "roles", "primary", "with -source: a user's primary role in the org (one row), or all (a row per role)")
}

// checkSource checks the -source flags against the others.
func (f *flags) checkSource(fs *flag.FlagSet) error {
	if f.src.Type == "" {
		for _, name := range []string{"org", "disabled-users", "roles"} {
			if given(fs, name) {
				return fmt.Errorf("-%s is a setting of -source: give -source oneroster or -source sds", name)
			}
		}
		return nil
	}
	for _, name := range []string{"map", "comma", "encoding"} {
		if given(fs, name) {
			return fmt.Errorf("-%s is a setting of an export; -source reads a package: leave it out", name)
		}
	}
	f.src.Package = f.File
	switch {
	case f.mapping == nil:
		return errors.New("-source needs -rules: the group rules make the package's users into the import's rows")
	case f.org == "":
		return errors.New("-source needs -org: the identifier (or sourcedId) of the org whose users are sent")
	case f.File == "-":
		return errors.New("-source reads a folder or a zip: give its path with -file, not -")
	}
	return f.src.Check(cli.Flags)
}

// openSource opens -file's package for the rules and -carry, and selects
// -org's users. Close closes it.
func (f *flags) openSource() (all, org *oneroster.Package, err error) {
	all, err = f.src.Open(append(f.mapping.Columns(), f.Carry...))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %s", f.File, strings.TrimPrefix(err.Error(), "oneroster: "))
	}
	if org, err = all.Select(orgs(f.org)...); err != nil {
		all.Close()
		return nil, nil, fmt.Errorf("-org %s: %s", f.org, strings.TrimPrefix(err.Error(), "oneroster: "))
	}
	return all, org, nil
}

// orgs splits -org's comma-separated list, each trimmed: "HS-001, PS-002".
func orgs(list string) []string {
	var out []string
	for v := range strings.SplitSeq(list, ",") {
		out = append(out, strings.TrimSpace(v))
	}
	return out
}
