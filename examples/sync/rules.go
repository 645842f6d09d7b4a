package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"strings"

	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/csvspec/mapping"
	"github.com/autosync-go/autosync/examples/internal/cli"
)

// rules are the flags of the group rules, and the rules they read.
type rules struct {
	rulesFile, explain string
	mapping            *mapping.Mapping
}

func (r *rules) define(fs *flag.FlagSet) {
	fs.StringVar(&r.rulesFile, "rules", "", "a JSON file of group rules that turn each row of the SMS export into the import's rows, such as a year, a house and a system group (the README's \"Group rules\"); not with -map")
	fs.StringVar(&r.explain, "explain", "", "with -rules: print the export's rows of this username with their line numbers, the rule entries that fired and why, and the rows that result; sends nothing")
}

// loadRules reads -rules. The rules decide the import; a different
// -import is a mistake.
func (f *flags) loadRules(fs *flag.FlagSet) error {
	switch {
	case f.rulesFile == "" && f.explain != "":
		return errors.New("-explain needs -rules: it shows what the rules make of a user's rows")
	case strings.TrimSpace(f.explain) == "" && given(fs, "explain"):
		return errors.New("-explain needs a username; nothing was sent")
	case f.rulesFile == "":
		return nil
	case f.mapSpec != "":
		return errors.New("-map and -rules both say how to read the export; give one of them")
	}
	if !given(fs, "import") {
		f.Import = "" // the rules' own
	}
	f.Rules = cli.Rules{Path: f.rulesFile}
	var err error
	f.mapping, err = f.LoadRules(cli.Flags)
	return err
}

// given reports whether the command line gave the flag name.
func given(fs *flag.FlagSet, name string) bool {
	seen := false
	fs.Visit(func(fl *flag.Flag) { seen = seen || fl.Name == name })
	return seen
}

// runRules runs, or with -dry-run or -plan plans, the rows that the rules
// made, and says how many users each group gets.
func (j *job) runRules(ctx context.Context, sj *syncjob.Job, f *flags, rows iter.Seq2[csvspec.SourceRow, error]) (*syncjob.Report, error) {
	if !f.dryRun && !f.plan {
		return sj.RunRows(ctx, rows)
	}
	var groups cli.GroupCounts
	header := csvspec.Header()
	if f.mapping.Import() == cli.ImportContacts {
		header = csvspec.ContactHeader()
	}
	rep, err := sj.PlanRows(ctx, groups.Count(header, rows))
	for _, line := range groups.Lines() {
		j.say("Users per %s.", line)
	}
	return rep, err
}

// explain prints what the rules make of the rows of one user, src (with
// header; err the error of reading header), and sends nothing. It exits 1
// when the rules hold the user, and 2 when no row has the username.
func (j *job) explain(f *flags, header []string, src iter.Seq2[csvspec.SourceRow, error], err error) int {
	found, code := 0, cli.ExitOK
	if err == nil {
		for ex, xerr := range f.mapping.Explain(header, src, f.explain) {
			if err = xerr; err != nil {
				break
			}
			found++
			if j.printExplanation(header, ex) {
				code = cli.ExitRowsFail
			}
		}
	}
	switch {
	case err != nil && err != io.EOF:
		return j.fail(cli.ExitUsage, "%s: %v", f.File, strings.TrimPrefix(strings.TrimPrefix(err.Error(), "mapping: "), "oneroster: "))
	case found == 0:
		return j.fail(cli.ExitUsage, "no row of %s has the username %q (as the rules make it)", f.File, f.explain)
	}
	j.say("Nothing was sent (-explain).")
	return code
}

// printExplanation prints one source row's explanation, and reports
// whether it holds the user.
func (j *job) printExplanation(header []string, ex mapping.Explanation) (held bool) {
	vals := make([]string, len(ex.Source))
	for i, v := range ex.Source {
		if i < len(header) {
			vals[i] = fmt.Sprintf("%s=%q", header[i], v)
		}
	}
	j.say("line %d: %s", ex.Line, strings.Join(vals, ", "))
	for _, s := range ex.Steps {
		what := "not fired"
		switch {
		case s.Fired && s.Skip:
			what = "fired, skip: the row is nobody's"
		case s.Fired:
			what = "fired"
		}
		j.say("  %s %s: %s", s.Origin, what, s.Why)
	}
	for _, r := range ex.Rows {
		for _, p := range r.Problems {
			held = held || p.Severity == "error"
			j.say("  held: %s", cli.Flags.Problem(p, cli.School{}, nil))
		}
		if len(r.Problems) == 0 {
			j.say("  row: %s (%s)", strings.Join(r.Fields, ","), r.Origin)
		}
	}
	if len(ex.Rows) == 0 {
		j.say("  no row")
	}
	return held
}
