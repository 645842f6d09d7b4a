package main

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/examples/internal/cli"
	"github.com/autosync-go/autosync/result"
)

// report is what -json prints.
type report struct {
	Import     string             `json:"import"`
	File       string             `json:"file"`
	NoUpdates  bool               `json:"no_updates,omitempty"` // the package's manifest marks every file absent
	Rows       int                `json:"rows"`
	Problems   []problem          `json:"problems"`
	Plan       *syncjob.PlanStats `json:"plan,omitempty"`
	Journal    *syncjob.Health    `json:"journal,omitempty"`
	Posted     bool               `json:"posted"`
	RowsSent   int                `json:"rows_sent"`
	Result     *result.Result     `json:"result,omitempty"`
	FailedRows []failedRow        `json:"failed_rows"`
	Users      *syncjob.UserLists `json:"users,omitempty"`
	Report     string             `json:"report,omitempty"` // the -report file written, if any
	Outcome    syncjob.Outcome    `json:"outcome,omitempty"`
	Error      string             `json:"error,omitempty"`
	ExitCode   int                `json:"exit_code"`
}

type problem struct {
	Row      int              `json:"row"`
	Line     int              `json:"line"`
	Column   string           `json:"column,omitempty"`
	Code     string           `json:"code"`
	Severity csvspec.Severity `json:"severity"`
	Message  string           `json:"message"`
	Origin   string           `json:"origin,omitempty"` // the rule entry that made the row (-rules), such as "rows[1]"
}

type failedRow struct {
	Row      int    `json:"row"`
	Line     int    `json:"line"`
	Username string `json:"username"`
	// Type, Role and Contact are a contacts row's, as in -failures.
	Type    string `json:"type,omitempty"`
	Role    string `json:"role,omitempty"`
	Contact string `json:"contact,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	Origin  string `json:"origin,omitempty"` // the rule entry that made the row (-rules), such as "rows[1]"
}

// outcome prints what the run did and returns its exit code.
func (j *job) outcome(f *flags, rep *syncjob.Report, err, decodeErr error, sniff *cli.Sniffer) (syncjob.Outcome, int) {
	outcome, code, msg := cli.Flags.Verdict(cli.Run{School: f.School, Report: rep, Err: err, Decode: decodeErr, Sniff: sniff, Timeout: f.timeout, Signal: j.signalled(), Listed: decodeErr == nil})
	j.rep.Outcome = outcome
	j.rep.Rows = rep.RowsRead
	j.rep.Posted = rep.Sent
	j.rep.RowsSent = rep.RowsSent
	j.rep.Result = rep.Result
	if rep.Plan != nil {
		st := rep.Plan.Stats()
		j.rep.Plan = &st
		users := rep.Users()
		j.rep.Users = &users
	}
	if f.state != "" && !f.dryRun {
		h := rep.Health
		j.rep.Journal = &h
	}
	if decodeErr == nil {
		j.problems(rep, f, sniff, err)
	}
	if rep.Recovered != "" {
		j.say("Recovered: %s.", strings.TrimSuffix(rep.Recovered, "."))
	}
	switch outcome {
	case syncjob.OutcomeInvalidFile, syncjob.OutcomeLocked, syncjob.OutcomeJournalError, syncjob.OutcomeCancelled:
		return outcome, j.fail(code, "%s", msg)
	}
	if rep.Plan != nil && !f.dryRun {
		j.printPlan(f, rep)
	}
	switch {
	case outcome == syncjob.OutcomeRefused:
		return outcome, j.fail(code, "%s", msg)
	case rep.Refusal != nil && rep.Forced:
		j.say("-force: going past the safety limit, which would have held or refused this run: %s. The journal records that it was forced.", cli.Flags.Limit(rep.Refusal))
	}
	if f.dryRun || f.plan {
		if f.dryRun {
			if n := rep.Check.NumErrors(); n > 0 {
				j.say("Pre-flight: %s, %s, %s. Nothing was sent (-dry-run).", plural(rep.RowsRead, "row"), plural(n, "error"), plural(rep.Check.NumWarnings()+len(rep.HeaderWarnings), "warning"))
			} else {
				j.say("Pre-flight passed: %s, %s. Nothing was sent (-dry-run).", plural(rep.RowsRead, "row"), plural(rep.Check.NumWarnings()+len(rep.HeaderWarnings), "warning"))
			}
		} else {
			j.say("Nothing was sent (-plan).")
		}
		if outcome == syncjob.OutcomeOK {
			return outcome, code
		}
		return outcome, j.fail(code, "%s", msg)
	}
	switch outcome {
	case syncjob.OutcomeOK, syncjob.OutcomeRowsFailed, syncjob.OutcomeHeld:
	default:
		return outcome, j.fail(code, "%s", msg)
	}
	if rep.Result != nil {
		j.say("%s", cli.Quote(rep.Result.Summary))
	}
	if outcome == syncjob.OutcomeOK {
		switch {
		case rep.RowsSent == 0 && f.state != "":
			j.say("Nothing to send (no user is new or changed): an empty file was posted, which checked the credentials.")
		case rep.RowsSent == 0:
			j.say("The export has no rows: an empty file was posted, which checked the credentials.")
		default:
			j.say("All %s imported.", plural(rep.RowsSent, "row"))
		}
		return outcome, code
	}
	j.failedRows(f, rep)
	if outcome == syncjob.OutcomeRowsFailed && rep.Check.NumErrors() == 0 {
		j.rep.Error = msg // the failed rows above say it
		return outcome, code
	}
	return outcome, j.fail(code, "%s", msg)
}

// problems prints the check's problems, a few of each kind, and reports
// whether the file reads as Windows-1252 (its invalid-UTF-8 errors are then
// left out: one line with the fix says more than all of them).
func (j *job) problems(rep *syncjob.Report, f *flags, sniff *cli.Sniffer, err error) bool {
	if rep.Check == nil {
		return false
	}
	w1252 := rep.Check.Count(csvspec.CodeInvalidUTF8) > 0 && cli.NormalEncoding(f.Encoding) == "utf-8" && sniff != nil && sniff.LooksLikeWindows1252()
	// Extra columns are a warning a school cannot act on every night:
	// said by -plan, -dry-run and a first run only.
	extra := f.plan || f.dryRun || rep.Plan == nil || rep.Plan.Stats().FirstRun
	shown := make(map[string]int)
	severity := make(map[string]csvspec.Severity)
	origin := make(map[[3]string]string) // line, code and column of a held row: the rule entry that made it
	for _, fl := range rep.Failures {
		if fl.Origin != "" {
			origin[[3]string{strconv.Itoa(fl.Line), fl.Code, fl.Field}] = fl.Origin
		}
	}
	for _, p := range slices.Concat(rep.HeaderWarnings, rep.Check.Problems) {
		j.rep.Problems = append(j.rep.Problems, problem{Row: p.Row, Line: p.Line, Column: p.Column, Code: p.Code, Severity: p.Severity, Message: p.Message,
			Origin: origin[[3]string{strconv.Itoa(p.Line), p.Code, p.Column}]})
		if w1252 && p.Code == csvspec.CodeInvalidUTF8 || p.Code == csvspec.CodeEmptyRow || p.Code == csvspec.CodeExtraColumn && !extra {
			continue
		}
		limit := maxShown
		if p.Code == csvspec.CodeBooleanSpelling {
			limit = 1 // each says the same: Y/N is posted as True/False
		}
		severity[p.Code] = p.Severity
		if shown[p.Code]++; shown[p.Code] <= limit {
			fmt.Fprintf(j.stderr, "%s: %s\n", j.rep.File, cli.Flags.Problem(p, f.School, err))
		}
	}
	for _, code := range slices.Sorted(maps.Keys(shown)) {
		limit := maxShown
		if code == csvspec.CodeBooleanSpelling {
			limit = 1
		}
		if n := rep.Check.Count(code); n > limit {
			where := fmt.Sprintf("-json lists the first %d", csvspec.MaxProblemsPerCode)
			if severity[code] == csvspec.SeverityError {
				where += ", -failures every error"
			}
			fmt.Fprintf(j.stderr, "%s: %d more problems [%s] not shown (%s)\n", j.rep.File, n-limit, code, where)
		}
	}
	if n := rep.Check.Count(csvspec.CodeEmptyRow); n > 0 {
		fmt.Fprintf(j.stderr, "%s: %s with only empty fields (as Excel leaves below the data) left out of the posted file [%s]\n", j.rep.File, plural(n, "row"), csvspec.CodeEmptyRow)
	}
	return w1252
}

// printPlan prints the plan's counts, the users gone from the export
// that still hold what they had and, with -plan, the users it changes.
func (j *job) printPlan(f *flags, rep *syncjob.Report) {
	p := rep.Plan
	st := p.Stats()
	switch {
	case f.state == "":
		// No journal: every row is sent, as a plain upload.
		return
	case st.FirstRun && rep.Refusal != nil && rep.Refusal.NoState:
		j.say("No earlier state to compare with, although the journal's run log shows one was kept: every row would be sent (%s, %s), unguarded by the limit.", plural(st.Users, "user"), plural(st.RowsToSend, "row"))
	case j.rep.NoUpdates:
		j.say("Plan (%s): no updates; %s kept as they were; %s to send.", st.Mode, plural(st.Users, "user"), plural(st.RowsToSend, "row"))
	case st.FirstRun:
		j.say("First run for this school: no earlier state to compare with, so every row is sent (%s, %s) and no limit applies.", plural(st.Users, "user"), plural(st.RowsToSend, "row"))
	default:
		noun := "membership"
		if f.Import == cli.ImportContacts {
			noun = "contact row"
		}
		// A loss is removed only where Infiniti replaces what a user
		// holds; elsewhere it is left to staff.
		lost := fmt.Sprintf("%d removed", st.Removed)
		if f.Import == cli.ImportUserGroups && f.Applies != "replace" {
			lost = fmt.Sprintf("%d lost, left to staff (-report)", st.Removed)
		}
		j.say("Plan (%s): %s in the export, %d new, %d changed, %d unchanged, %d gone from the export; %s added, %s; %s would lose something; %s to send.",
			st.Mode, plural(st.Users, "user"), st.New, st.Changed, st.Unchanged, st.Gone, plural(st.Added, noun), lost, plural(st.Losing, "user"), plural(st.RowsToSend, "row"))
	}
	if n := rep.KeptLeavers(); n > 0 {
		what := "hold their groups"
		if f.Import == cli.ImportContacts {
			what = "hold their contacts"
		}
		if n == 1 {
			what = strings.Replace(what, "hold their", "holds its", 1)
		}
		j.say("%s no longer in the export and still %s in Infiniti (see -report; -leavers moves them).", plural(n, "user is", "users are"), what)
	}
	if !f.plan {
		return
	}
	n := 0
	for u := range p.Users() {
		if n++; n > 2*maxShown {
			continue
		}
		if f.Import == cli.ImportContacts {
			// A contact is a whole row: one line each.
			j.say("  %-7s %s", u.Kind, u.Username)
			for _, it := range u.Removed {
				j.say("            - %s", it.Value)
			}
			for _, it := range u.Added {
				j.say("            + %s", it.Value)
			}
			continue
		}
		j.say("  %-7s %s%s%s", u.Kind, u.Username, items(" +", u.Added), items(" -", u.Removed))
	}
	if n > 2*maxShown {
		j.say("  ... and %d more users (-json lists them by name)", n-2*maxShown)
	}
}

func items(sign string, its []syncjob.Item) string {
	var b strings.Builder
	for _, it := range its {
		b.WriteString(sign + it.String())
	}
	return b.String()
}

// failedRows prints the rows Infiniti did not take, joined back to the
// export.
func (j *job) failedRows(f *flags, rep *syncjob.Report) {
	n := 0
	for _, fl := range rep.Failures {
		if fl.Row == 0 {
			continue
		}
		fr := failedRow{Row: fl.Row, Line: fl.Line, Username: fl.Username(), Field: fl.Field, Message: strings.TrimSpace(fl.Message), Origin: fl.Origin}
		who := fr.Username
		if f.Import == cli.ImportContacts {
			c := syncjob.Row{Fields: fl.Fields}.Contact()
			fr.Type, fr.Role, fr.Contact = string(c.Type), string(c.Role), c.Address
			who = strings.Join(slices.DeleteFunc([]string{fr.Username, fr.Role, fr.Type, fr.Contact}, func(s string) bool { return s == "" }), " ")
		}
		hint := rowHint(f.Import, fr.Field, fl.Fields)
		if fl.Code == syncjob.CodeUnknownOutcome {
			// Read fail-closed: the wording may be a success the SDK
			// does not know yet.
			hint = " (not an outcome known as a success, so the row counts as failed)"
		}
		j.rep.FailedRows = append(j.rep.FailedRows, fr)
		if n++; n <= 2*maxShown {
			j.say("row %d (line %d, %s): %s%s", fr.Row, fr.Line, who, cli.Quote(fr.Message), hint)
		}
	}
	switch {
	case n == 0 && rep.HeldForProblems == 0 && rep.Outcome == syncjob.OutcomeRowsFailed:
		j.say("Infiniti reports a failure but names no failed row; see the summary above.")
	case n > 2*maxShown:
		j.say("... and %d more failed rows. By cause:", n-2*maxShown)
		for _, c := range rep.Causes() {
			j.say("  %s", cli.Quote(c.String()))
		}
		if f.Failures == "" {
			j.say("Give -failures FILE to write every failed row for library staff.")
		}
	}
	if f.state != "" && n > 0 {
		j.say("The users of the failed rows are sent again on the next run.")
	}
}

// oneLine cuts s to at most n runes.
func oneLine(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// plural returns "1 row" or "2 rows"; with a third argument, the plural
// form is given whole ("1 row sent was", "2 rows sent were").
func plural(n int, noun string, many ...string) string {
	if n == 1 {
		return "1 " + noun
	}
	if len(many) > 0 {
		return fmt.Sprintf("%d %s", n, many[0])
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// plural2 returns one or many by n.
func plural2(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// rowHint returns advice for a row Infiniti failed, from the import, the
// field Infiniti names and the row's values (for user groups username,
// library-group, system-group).
func rowHint(imp, field string, values []string) string {
	if imp == cli.ImportContacts {
		if field == csvspec.ColumnUsername {
			return " (the user must exist in Infiniti before its contacts can be imported)"
		}
		return ""
	}
	value := func(i int) string {
		if i < len(values) {
			return values[i]
		}
		return ""
	}
	switch field {
	case csvspec.ColumnLibraryGroup:
		return fmt.Sprintf(" (create library group %q in Infiniti first, or correct it in the SMS)", value(1))
	case csvspec.ColumnSystemGroup:
		return fmt.Sprintf(" (create system group %q in Infiniti first, or correct it in the SMS)", value(2))
	case csvspec.ColumnUsername:
		return " (the user must exist in Infiniti before it can be put in groups)"
	}
	return ""
}
