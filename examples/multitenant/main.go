// Command multitenant pushes user groups, or contacts, to many schools at
// once, as an SMS vendor does: each school's export goes through a sync
// job (package client/syncjob): checked, planned against the school's
// journal with -state, guarded by its safety limit, and posted to that
// school's Infiniti, with a bounded number of schools in flight. One
// school's failure never stops the others, and neither does a mistake in
// one school's entry of the config: that school gets its error in the
// summary table that ends the run, and the others run.
//
//	multitenant -config schools.json -state /var/lib/infiniti-sync -concurrency 8
//
// The config is a JSON array of schools:
//
//	[
//	  {"name": "St Mary's", "url": "https://stmarys.concordinfiniti.com", "tenant": "",
//	   "user": "autoimport", "password_env": "STMARYS_PASSWORD", "file": "exports/stmarys.csv"},
//	  {"name": "Hillview", "url": "https://hillview.concordinfiniti.com",
//	   "user": "autoimport", "password_file": "secrets/hillview.txt",
//	   "file": "exports/hillview.csv", "encoding": "windows-1252", "comma": ";",
//	   "map": {"username": "Student Code", "library-group": "House"},
//	   "library_groups": "hillview-groups.txt", "ca_file": "hillview-ca.pem", "max_removals": "5%"},
//	  {"name": "Hillview contacts", "url": "https://hillview.concordinfiniti.com",
//	   "user": "autoimport", "password_file": "secrets/hillview.txt",
//	   "file": "exports/hillview-contacts.csv", "import": "contacts"}
//	]
//
// Fields: name, url, user and file are required; tenant is the tenantId if
// the site has tenants. The password comes from the environment variable
// that password_env names, or from the file password_file names (on Unix
// readable by this account only: chmod 600); give one of the two, never
// the password itself. auth_charset is "utf-8" (the default) or "latin1":
// how a password with non-ASCII characters is sent. encoding is the file's
// character encoding: utf-8 (the default), windows-1252, iso-8859-1 or
// utf-16; comma is its field separator, such as ";" or "tab" (the file is
// posted comma-separated, without Excel's empty rows). map maps the SMS's
// own header names, as sync's -map does; library_groups and system_groups
// are files of the groups defined in that school's Infiniti, one per line,
// that the check holds the export to. ca_file holds PEM certificates to
// trust for that school; -ca-file adds them for every school. max_removals
// is the school's safety limit, as sync's -max-removals ("25" or "10%", the
// default; it needs -state). import is the import: "user-groups" (the
// default) or "contacts" (the email addresses and phone numbers of patrons
// and their guardians, as sync's -import contacts); contacts_mode is the
// contacts import's mode, as sync's -contacts-mode (default
// replaceDeclaredPatronsKeepCustomContacts, the one seen in the field;
// another name is sent unverified). library_groups and system_groups with
// contacts, or contacts_mode without it, are that school's config error.
// leavers ("keep", the default, or a template such as {"library-group": "",
// "system-group": "Former Students"}), applies ("unknown", "add" or
// "replace"), strict (true or false), carry (a list of export columns),
// report and failures (files for library staff) are sync's -leavers,
// -applies, -strict, -carry, -report and -failures; report needs -state,
// and two schools may not share a staff file.
//
// An element of the array may be a source instead of a school: a OneRoster
// 1.1 or 1.2 package, or a School Data Sync v2.1 one (as TASS exports),
// read once and routed org by org, each route a school of its own:
//
//	{"source": {"type": "oneroster", "package": "exports/district.zip", "disabled_users": "keep", "roles": "primary"},
//	 "routes": [{"org": "HS-001", "name": "Riverside High", "url": ..., "user": ..., "password_file": ..., "rules": "au_rules.json"},
//	            {"org": ["PS-002", "PS-004"], "name": "Riverside Primary", ...}]}
//
// type is "oneroster" or "sds"; disabled_users "keep" (the default) or
// "leaver" (users with enabledUser false are dropped, so leavers); roles
// "primary" (the default) or "all". A route has a school's fields but
// file, map, encoding and comma, and rules is required; org is the
// identifier (else sourcedId) of an org, or a list of them. An org that
// no route names is listed after the table (and in -json's "unrouted"),
// and nothing of it is sent. A package that cannot be read, or a delta
// package, sends nothing to any of its routes (invalid-file, exit 2).
//
// Each import of a school keeps its own journal state, so a school may be
// listed twice, once per import, under two names. Relative paths are read
// relative to the config file's folder.
//
// With -state DIR each school has its journal in its own folder of DIR,
// named from its URL, tenant and import: only what changed is sent, a
// broken export is refused, and every run is recorded (examples/sync
// -history -state DIR -url ... shows a school's runs). -plan plans every
// school and sends nothing. -json prints a machine-readable report, in
// which a school whose entry (or a file it names) is wrong has the outcome
// "invalid-config", and rows_sent, as the table's SENT, counts the rows
// Infiniti processed; users counts the users of each kind, and report is
// the report file written; unrouted lists the orgs of sources that no
// route names. The same school (url and tenant) listed twice for
// the same import is an error of both entries.
//
// The exit code is the worst (highest) of all schools, each school's as
// sync's (multitenant -h lists them); a config that is not a JSON array of
// schools stops the whole run (exit 2).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/csvspec/oneroster"
	"github.com/autosync-go/autosync/examples/internal/cli"
)

// prog is the program's name in its usage and messages: its binary's.
var prog = "multitenant"

func main() {
	prog = cli.ProgName(os.Args[0], prog)
	os.Exit(run(os.Args[1:], os.Getenv, cli.Output(os.Stdout), cli.Output(os.Stderr)))
}

// entry is a school as read from the config: err, if not nil, says what
// is wrong with its entry, and the school is not run.
type entry struct {
	cli.School
	err error
	src *source            // a route's source, nil for a school with a file
	org []string           // a route's orgs
	pkg *oneroster.Package // a route's orgs of src
	// A route's rows, read with its source's (source.read), and the
	// error that ended them.
	rows    []csvspec.SourceRow
	rowsErr error
}

// outcome is one school's line of the summary, and its part of the JSON
// report.
type outcome struct {
	Name      string             `json:"name"`
	Import    string             `json:"import"`
	Outcome   syncjob.Outcome    `json:"outcome"` // a syncjob outcome, or cli.OutcomeInvalidConfig
	Posted    bool               `json:"posted"`  // whether the rows were posted, answered or not
	ExitCode  int                `json:"exit_code"`
	Rows      int                `json:"rows"`
	RowsSent  int                `json:"rows_sent"` // rows that reached Infiniti and were answered for
	Plan      *syncjob.PlanStats `json:"plan,omitempty"`
	Journal   *syncjob.Health    `json:"journal,omitempty"`
	Result    *syncjob.RunResult `json:"result,omitempty"`
	Users     *userCounts        `json:"users,omitempty"`      // how many users of each kind; sync -json names them
	Report    string             `json:"report,omitempty"`     // the report file written for staff, if any
	NoUpdates bool               `json:"no_updates,omitempty"` // the package's manifest marks every file absent
	Note      string             `json:"note"`
}

// userCounts are the sizes of syncjob.UserLists.
type userCounts struct {
	New         int `json:"new"`
	Changed     int `json:"changed"`
	Gone        int `json:"gone"`
	Held        int `json:"held"`
	Unconfirmed int `json:"unconfirmed"`
	ForStaff    int `json:"for_staff"`
}

// counts returns "created/updated/failed", or "-" without a result.
func (o outcome) counts() string {
	if o.Result == nil {
		return "-"
	}
	return fmt.Sprintf("%d/%d/%d", o.Result.Created, o.Result.Updated, o.Result.Failed)
}

// settings are the command line's flags that every school shares.
type settings struct {
	ctx     context.Context // cancelled by a signal
	caPEM   []byte
	journal syncjob.Journal // nil without -state
	stderr  io.Writer       // for what becomes of the staff files
	plan    bool
	timeout time.Duration
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cli.SetUsage(fs, `Usage: `+prog+` -config schools.json [-state DIR] [-plan] [flags]

Checks and posts each school's export to its Infiniti, a few at a time. The
config is a JSON array of schools with the fields name, url, tenant, user,
password_env or password_file, auth_charset, file, encoding, comma, map,
library_groups, system_groups, ca_file, max_removals, import (user-groups,
the default, or contacts), contacts_mode (the contacts import's mode:
replaceDeclaredPatronsKeepCustomContacts, the default and the one seen in the
field; any other name is sent unverified), leavers, applies, strict, carry,
report and failures (as sync's flags). An element may instead be a OneRoster
or SDS package routed to schools: {"source": {"type": "oneroster" or "sds",
"package": ...}, "routes": [{"org": ..., school fields but file, with rules}]}.
With -state DIR only what changed is sent, a broken export is refused, and
every run is recorded.`, "The exit code is the worst (highest) of all schools; a config error is 2.\n"+cli.ExitCodes)
	config := fs.String("config", "", "the JSON file of schools")
	concurrency := fs.Int("concurrency", 4, "how many schools to post to at once")
	caFile := fs.String("ca-file", "", "PEM certificates to trust besides the system's, for every school")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up on a school after this long")
	state := fs.String("state", "", "the journals' directory, one folder per school: send only what changed, guard against a broken export, keep a history")
	plan := fs.Bool("plan", false, "check and plan every school against its journal, send nothing (needs -state)")
	asJSON := fs.Bool("json", false, "print a machine-readable report on standard output (the table goes to standard error)")
	// fail reports a mistake that stops the whole run, with -json as a
	// document too.
	fail := func(code int, msg string) int {
		fmt.Fprintln(stderr, prog+":", msg)
		if *asJSON {
			return writeJSON(stdout, stderr, report{Schools: []outcome{}, ExitCode: code, Error: msg})
		}
		return code
	}
	if code, err := cli.ParseFlags(fs, args); code > 0 {
		msg := "the command line is wrong (see above)"
		if err != nil {
			msg = err.Error()
		}
		return fail(code, msg)
	} else if code == 0 {
		return code
	}
	switch {
	case *config == "" || *concurrency < 1 || *timeout <= 0:
		return fail(cli.ExitUsage, "usage: "+prog+" -config schools.json [-state DIR] [-plan] [-json] [-concurrency N] [-timeout D] [-ca-file FILE]")
	case *plan && *state == "":
		return fail(cli.ExitUsage, "-plan needs the journal: give -state DIR, the directory that keeps what each school's Infiniti last accepted")
	}
	entries, err := readConfig(*config, *state)
	if err != nil {
		return fail(cli.ExitUsage, err.Error())
	}
	// A signal (systemd's stop, Ctrl-C) cancels every school's run like
	// -timeout, so that each journal records it as cancelled.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	set := settings{ctx: ctx, plan: *plan, timeout: *timeout, stderr: stderr}
	if *caFile != "" {
		if set.caPEM, err = os.ReadFile(*caFile); err != nil {
			return fail(cli.ExitUsage, "-ca-file: "+err.Error())
		}
	}
	if *state != "" {
		j, err := syncjob.OpenDir(*state)
		if err != nil {
			return fail(cli.ExitUsage, "-state: "+cli.Flags.Message(err))
		}
		set.journal = j
	}

	sources := open(ctx, entries)
	outcomes := make([]outcome, len(entries))
	sem := make(chan struct{}, *concurrency)
	var wg sync.WaitGroup
	for i, e := range entries {
		if e.err != nil {
			outcomes[i] = outcome{Name: e.Name, Import: e.Import, Outcome: cli.OutcomeInvalidConfig, ExitCode: cli.ExitUsage, Note: "config: " + e.err.Error()}
			continue
		}
		if e.src != nil && e.src.err != nil {
			// A package that cannot be read sends nothing to any of its
			// schools.
			outcomes[i] = outcome{Name: e.Name, Import: e.Import, Outcome: syncjob.OutcomeInvalidFile, ExitCode: cli.ExitUsage, Note: "not sent: " + e.src.Package + ": " + strings.TrimPrefix(cli.ConfigFields.Message(e.src.err), "oneroster: ")}
			continue
		}
		entries[i].rows = nil // e has them, until its school's job has read them
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			outcomes[i] = push(e, getenv, set)
		}()
	}
	wg.Wait()

	worst := cli.ExitOK
	table := stdout
	if *asJSON {
		table = stderr
	}
	tw := tabwriter.NewWriter(table, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCHOOL\tROWS\tSENT\tCREATED/UPDATED/FAILED\tOUTCOME\tEXIT\tNOTE")
	for _, o := range outcomes {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%d\t%s\n", o.Name, o.Rows, o.RowsSent, o.counts(), o.Outcome, o.ExitCode, o.Note)
		worst = max(worst, o.ExitCode)
	}
	tw.Flush()
	unrouted := finish(sources, entries, table, stderr)
	if *asJSON {
		return writeJSON(stdout, stderr, report{Schools: outcomes, Unrouted: unrouted, ExitCode: worst})
	}
	return worst
}

// report is what -json prints, on every path.
type report struct {
	Schools  []outcome  `json:"schools"`
	Unrouted []unrouted `json:"unrouted,omitempty"` // the orgs of sources that no route names: nothing of them was sent
	ExitCode int        `json:"exit_code"`
	Error    string     `json:"error,omitempty"` // a mistake that stopped the whole run
}

// writeJSON prints rep on w and returns its exit code; a report that
// cannot be written (a full disk) turns an exit code of 0 into 1.
func writeJSON(w, stderr io.Writer, rep report) int {
	enc := json.NewEncoder(cli.Raw(w)) // the document carries no dates
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		fmt.Fprintln(stderr, prog+": writing the JSON report:", err)
		return max(rep.ExitCode, cli.ExitRowsFail)
	}
	return rep.ExitCode
}

// wantArray is what the config must look like.
const wantArray = `the config must be a JSON array of schools: [ {"name": ..., "url": ..., "user": ..., "password_env": ..., "file": ...}, ... ]`

// fields are the config's field names, for messages.
var fields = []string{"name", "url", "tenant", "user", "password_env", "password_file", "auth_charset", "file", "encoding", "comma", "map", "library_groups", "system_groups", "ca_file", "max_removals", "import", "contacts_mode", "leavers", "applies", "strict", "carry", "report", "failures", "rules"}

// push runs one school's sync job.
func push(e entry, getenv func(string) string, set settings) outcome {
	s := e.School
	o := outcome{Name: s.Name, Import: s.Import}
	fail := func(code int, err error) outcome {
		o.Outcome, o.ExitCode, o.Note = cli.OutcomeInvalidConfig, code, cli.ConfigFields.Message(err)
		return o
	}
	s.CAPEM, s.NoPassword = set.caPEM, set.plan && s.PasswordFile == ""
	job, err := cli.NewJob(s, cli.ConfigFields, getenv, client.WithUserAgent("autosync-example-multitenant"))
	if err != nil {
		return fail(cli.ExitUsage, err)
	}
	job.Journal = set.journal
	rules, err := s.LoadRules(cli.ConfigFields)
	if err != nil {
		return fail(cli.ExitUsage, err)
	}
	var sniff *cli.Sniffer
	var decodeErr error
	var rows iter.Seq2[csvspec.SourceRow, error]
	switch {
	case e.pkg != nil && e.pkg.NoUpdates():
		o.NoUpdates = true
	case e.pkg != nil:
		rows = cli.SourceRows(rules, e.pkg.Header(), e.routed, s.Carry)
	case e.src != nil: // a route whose package did not open: never read it as an export
		return fail(cli.ExitUsage, fmt.Errorf("the package %s was not read", s.File))
	default:
		f, err := os.Open(s.File)
		if err != nil {
			return fail(cli.ExitUsage, err)
		}
		defer f.Close()
		sniff, decodeErr = cli.ReadExport(f, "", s, cli.ConfigFields)
		if rules != nil {
			rows = s.MappedRows(rules, sniff)
		}
	}
	var failures *cli.StaffFile
	if s.Failures != "" {
		if failures, err = cli.CreateStaff(s.Failures); err != nil {
			return fail(cli.ExitUsage, fmt.Errorf("failures: %w", err))
		}
		defer failures.Abort()
		job.Failures = failures
	}

	var reportErr error
	if s.Report != "" {
		// The job writes the report before it records the run, so that the
		// run record says if it could not be written.
		write := cli.StaffReport(set.stderr, prog+": "+s.Name+": report", s.Report, &o.Report)
		job.StaffReport = func(w func(io.Writer) error) error {
			reportErr = write(w)
			return reportErr
		}
	}

	ctx, cancel := context.WithTimeout(set.ctx, set.timeout)
	defer cancel()
	var rep *syncjob.Report
	var lastRun string // a night of no updates: the line on the last run's package, if any
	switch {
	case o.NoUpdates:
		rep, lastRun, err = runUnchanged(ctx, job, set)
	case rows != nil && set.plan:
		rep, err = job.PlanRows(ctx, rows)
	case rows != nil:
		rep, err = job.RunRows(ctx, rows)
	case set.plan:
		rep, err = job.Plan(ctx, sniff)
	default:
		rep, err = job.Run(ctx, sniff)
	}
	if rep == nil {
		return fail(cli.ExitUsage, err)
	}
	signalled := set.ctx.Err() != nil
	o.Outcome, o.ExitCode, o.Note = cli.ConfigFields.Verdict(cli.Run{School: s, Report: rep, Err: err, Decode: decodeErr, Sniff: sniff, Timeout: set.timeout, Signal: signalled})
	// The staff files never change the exit code, which says what
	// reached Infiniti.
	what := prog + ": " + s.Name
	if failures != nil {
		failures.Finish(set.stderr, what+": failures", o.Outcome, time.Now())
	}
	o.describe(rep, set)
	if lastRun != "" {
		o.Note += "; " + lastRun
	}
	if reportErr != nil {
		o.Note += "; the report was not written: " + reportErr.Error()
	}
	return o
}

// runUnchanged runs a night of no updates, or plans it (-plan), and
// returns the line saying if the last run's package was not all applied.
func runUnchanged(ctx context.Context, job *syncjob.Job, set settings) (*syncjob.Report, string, error) {
	var line string
	if set.journal != nil {
		runs, _, _ := job.History(ctx, 1) // an error here is the run's to report
		line = cli.ConfigFields.NotReapplied(runs)
	}
	if set.plan {
		rep, err := job.PlanUnchanged(ctx)
		return rep, line, err
	}
	rep, err := job.RunUnchanged(ctx)
	return rep, line, err
}

// describe fills o's counts, plan, health and result from rep, and the
// note of a run that ended ok.
func (o *outcome) describe(rep *syncjob.Report, set settings) {
	if rep.Plan != nil {
		u := rep.Users()
		o.Users = &userCounts{New: len(u.New), Changed: len(u.Changed), Gone: len(u.Gone), Held: len(u.Held), Unconfirmed: len(u.Unconfirmed), ForStaff: len(u.ForStaff)}
	}
	o.Rows, o.Posted = rep.RowsRead, rep.Sent
	if rep.Sent && (o.Outcome == syncjob.OutcomeOK || o.Outcome == syncjob.OutcomeRowsFailed) {
		// Infiniti processed the rows; a post it refused (401, 403) or
		// never answered counts none.
		o.RowsSent = rep.RowsSent
	}
	if rep.Plan != nil {
		st := rep.Plan.Stats()
		o.Plan = &st
	}
	if set.journal != nil {
		h := rep.Health
		o.Journal = &h
	}
	if rep.Run != nil {
		o.Result = rep.Run.Result
	} else if rep.Result != nil {
		if n, ok := rep.Result.Counts(); ok {
			o.Result = &syncjob.RunResult{Success: rep.Result.Success, Summary: rep.Result.Summary, Processed: n.Processed, Created: n.Created, Updated: n.Updated, Failed: n.Failed}
		}
	}
	switch {
	case o.Outcome == syncjob.OutcomeOK && set.plan:
		o.Note = "plan: " + o.planNote(rep) + "; nothing sent"
	case o.Outcome == syncjob.OutcomeOK:
		o.Note = "ok"
		if set.journal != nil && o.Plan != nil {
			o.Note += ": " + o.planNote(rep)
		}
		if rep.Refusal != nil {
			o.Note += " (forced past the limit)"
		}
	}
	if rep.Recovered != "" {
		o.Note += "; recovered: " + rep.Recovered
	}
}

// planNote sums o's plan up in a few words, with the users gone from the
// export who still hold what they had.
func (o *outcome) planNote(rep *syncjob.Report) string {
	st := o.Plan
	if o.NoUpdates {
		return fmt.Sprintf("no updates, %d users kept as they were, %d rows to send", st.Users, st.RowsToSend)
	}
	if st.FirstRun {
		return fmt.Sprintf("first run, %d rows", st.RowsToSend)
	}
	note := fmt.Sprintf("%d new, %d changed, %d gone, %d rows to send", st.New, st.Changed, st.Gone, st.RowsToSend)
	if n := rep.KeptLeavers(); n > 0 {
		note += fmt.Sprintf("; %d no longer in the export still hold what they had (see report; leavers moves them)", n)
	}
	return note
}
