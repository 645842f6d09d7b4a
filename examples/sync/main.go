// Command sync is the scheduled job that posts a school's user groups, or
// with -import contacts its contacts (the email addresses and phone
// numbers of patrons and their guardians), from its Student Management
// System (SMS) to Infiniti: the replacement for the vendor's "curl -k"
// script. It runs the export through a sync job (package client/syncjob,
// whose documentation says what a run does, step by step):
//
//	INFINITI_PASSWORD=... sync -url https://myschool.concordinfiniti.com -user autoimport -file groups.csv -state /var/lib/infiniti-sync
//
// With -source oneroster or -source sds it reads a OneRoster 1.1 or 1.2
// package, or a School Data Sync v2.1 one, instead of an export, and sends
// the users of one org (-org) through the group rules (-rules):
//
//	sync -source oneroster -file district.zip -org HS-001 -rules au_rules.json -url ... -user autoimport -state /var/lib/infiniti-sync
//
// The password comes from the environment variable INFINITI_PASSWORD or
// from a file named by -password-file that only the job's account can
// read; never from a flag value, which every user of the machine sees in
// the process list.
//
// sync -h lists the flags and the exit codes, which say what reached
// Infiniti; the README's "examples/sync" tells each in full.
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
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/csvspec/mapping"
	"github.com/autosync-go/autosync/examples/internal/cli"
)

// maxShown is how many problems of each code, and how many failed rows,
// the program prints for a person; -json and -failures have more.
const maxShown = 10

// historyRuns is how many runs -history prints.
const historyRuns = 20

// prog is the program's name in its usage and messages: its binary's.
var prog = "sync"

func main() {
	prog = cli.ProgName(os.Args[0], prog)
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdin, cli.Output(os.Stdout), cli.Output(os.Stderr)))
}

// flags are the command line: the school's settings, and the run's.
type flags struct {
	cli.School
	mapSpec, state, leavers, carry, clearForStaff string
	rules                                         // -rules and -explain: rules.go
	source                                        // -source and its settings: source.go
	full, plan, force, history, dryRun, asJSON    bool
	timeout                                       time.Duration
}

// job is one run of the command.
type job struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	jsonOut        bool
	rep            report
	progressShown  atomic.Bool // the upload's progress was printed on a terminal
	signalled      func() bool // whether a signal stopped the run
}

// fail records an error, prints it and returns its exit code.
func (j *job) fail(code int, format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	j.rep.Error = msg
	fmt.Fprintln(j.stderr, prog+":", msg)
	return code
}

// say prints a line for a person: on stdout, or on stderr with -json.
func (j *job) say(format string, args ...any) {
	w := j.stdout
	if j.jsonOut {
		w = j.stderr
	}
	fmt.Fprintf(w, format+"\n", args...)
}

func run(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	j := &job{stdin: stdin, stdout: stdout, stderr: stderr, rep: report{Problems: []problem{}, FailedRows: []failedRow{}}}
	code := j.run(args, getenv)
	if j.jsonOut {
		j.rep.ExitCode = code
		enc := json.NewEncoder(cli.Raw(stdout)) // the document carries no dates
		enc.SetIndent("", "  ")
		if err := enc.Encode(j.rep); err != nil {
			// A scheduler must see that the report was lost.
			fmt.Fprintln(stderr, prog+": writing the JSON report:", err)
			code = max(code, cli.ExitRowsFail)
		}
	}
	return code
}

func (j *job) parse(args []string) (*flags, int) {
	f := flags{School: cli.School{PasswordEnv: cli.PasswordEnv}}
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(j.stderr)
	cli.SetUsage(fs, strings.ReplaceAll(`Usage: PROG -file PATH -url URL -user NAME [-state DIR] [flags]
       PROG -file PATH -dry-run [flags]
       PROG -file PATH -url URL -state DIR -plan [flags]
       PROG -url URL -state DIR -history
       PROG -url URL -state DIR -clear-for-staff all|REPORT
       PROG -import contacts -file PATH ... [-contacts-mode MODE] [flags]
       PROG -file PATH -rules RULES.json ... (group rules: the README's "Group rules")
       PROG -file PATH -rules RULES.json -explain USERNAME
       PROG -source oneroster|sds -file PACKAGE -org ID -rules RULES.json ... (a OneRoster or SDS package)

Checks an SMS export of user groups (or, with -import contacts, of contacts:
the email addresses and phone numbers of patrons and their guardians) and
posts it to a school's Infiniti. A row problem holds that row's user and the
others are sent (-strict sends nothing). With -state DIR it sends only what
changed since the last run, holds the losses of an export that would take
too much away, refuses a cut-off or wrong export, writes -report for library
staff and keeps a history. The password comes from the environment variable
INFINITI_PASSWORD or from -password-file; never from a flag value.`, "PROG", prog), cli.ExitCodes)
	fs.StringVar(&f.URL, "url", "", "the school's Infiniti base URL, e.g. https://myschool.concordinfiniti.com")
	fs.StringVar(&f.Tenant, "tenant", "", "the tenantId, if the site has tenants")
	fs.StringVar(&f.User, "user", "", "the Infiniti import account; its password comes from INFINITI_PASSWORD or -password-file")
	fs.StringVar(&f.PasswordFile, "password-file", "", "read the password from this file (readable by this account only: chmod 600) instead of INFINITI_PASSWORD")
	fs.StringVar(&f.AuthCharset, "auth-charset", "utf-8", "the charset of the user and password, for a password with non-ASCII characters: utf-8 or latin1 (ISO-8859-1)")
	fs.StringVar(&f.File, "file", "", "the export to post, or - for standard input")
	fs.StringVar(&f.Import, "import", cli.ImportUserGroups, "the import: user-groups, or contacts (the email addresses and phone numbers of patrons and their guardians)")
	fs.StringVar(&f.ContactsMode, "contacts-mode", "", "the contacts import's mode (with -import contacts; default "+string(client.ContactsReplaceDeclaredPatronsKeepCustomContacts)+", the only one seen in the field; any other name is sent unverified)")
	fs.StringVar(&f.Encoding, "encoding", "utf-8", "the file's character encoding: "+strings.Join(cli.Encodings, ", ")+` (windows-1252 is Excel's "CSV" on Windows, utf-16 its "Unicode text")`)
	fs.StringVar(&f.Comma, "comma", ",", "the field separator of the export: one character, such as ';', or tab (the file is posted with commas)")
	f.rules.define(fs)
	f.source.define(fs)
	fs.StringVar(&f.mapSpec, "map", "", "the SMS's header names, e.g. 'username=Student Code,library-group=House' (for contacts the columns are username, type, role, primary, addressee, contact, sms, scenarios)")
	fs.StringVar(&f.LibraryGroups, "library-groups", "", "a file of the library groups defined in Infiniti, one per line (user groups only)")
	fs.StringVar(&f.SystemGroups, "system-groups", "", "a file of the system groups defined in Infiniti, one per line (user groups only)")
	fs.StringVar(&f.CAFile, "ca-file", "", "PEM certificates to trust besides the system's")
	fs.StringVar(&f.state, "state", "", "the journal's directory: send only what changed since the last run, guard against a broken export, keep a history")
	fs.BoolVar(&f.full, "full", false, "send every row, not only those of new and changed users; still checked, guarded and recorded (needs -state)")
	fs.BoolVar(&f.plan, "plan", false, "check and plan against the journal, print what would change, send nothing (needs -state)")
	fs.StringVar(&f.MaxRemovals, "max-removals", "", "the safety limit: refuse when more users than this would lose something; a count N (0: any loss) or a percentage P% of the users (default 10%; needs -state)")
	fs.BoolVar(&f.force, "force", false, "go on past a refused safety limit; the journal records it (needs -state)")
	fs.StringVar(&f.Failures, "failures", "", "write every failed or held row to this CSV file for library staff (line, username, the -carry columns, the groups or the contact, problem)")
	fs.StringVar(&f.Report, "report", "", "write what each membership became to this CSV file for library staff, on every run that plans, -plan included: sent, failed, unconfirmed, held, and what staff must do by hand (for-staff); needs -state")
	fs.StringVar(&f.leavers, "leavers", "keep", "what becomes of users gone from the export: keep (nothing is sent; their groups are listed for staff in -report) or a template sent once, such as 'library-group=,system-group=Former Students' (user groups only)")
	fs.StringVar(&f.Applies, "applies", "unknown", "how this Infiniti applies a file to the users in it: unknown, add (groups are added, never removed) or replace (each user's groups are replaced); the README tells how to find out (contacts: replace)")
	fs.StringVar(&f.carry, "carry", "", "export columns copied into -report and -failures, such as 'Given Name,Surname', so that staff see names")
	fs.BoolVar(&f.Strict, "strict", false, "send nothing when any row has a problem (by default a row problem holds that user, and the others are sent)")
	fs.StringVar(&f.clearForStaff, "clear-for-staff", "", "record that staff did the for-staff items by hand: all, or a -report FILE whose for-staff rows were done; a run of its own that sends nothing (needs -state)")
	fs.BoolVar(&f.history, "history", false, fmt.Sprintf("print the last %d runs from the journal and exit (needs -state)", historyRuns))
	fs.BoolVar(&f.dryRun, "dry-run", false, "check the file only; send nothing (no journal needed)")
	fs.BoolVar(&f.asJSON, "json", false, "print a machine-readable report on standard output")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Minute, "give up after this long")
	code, err := cli.ParseFlags(fs, args)
	j.jsonOut = f.asJSON
	if code >= 0 {
		if err != nil {
			return nil, j.fail(code, "%v", err)
		}
		return nil, code
	}
	j.rep.Import = f.Import
	modeGiven := false
	fs.Visit(func(fl *flag.Flag) { modeGiven = modeGiven || fl.Name == "contacts-mode" })
	if modeGiven && f.ContactsMode == "" {
		return nil, j.fail(cli.ExitUsage, "-contacts-mode: the mode is empty; leave the flag out for the default")
	}
	if f.Import == cli.ImportContacts && f.ContactsMode == "" {
		f.ContactsMode = string(client.ContactsReplaceDeclaredPatronsKeepCustomContacts)
	}
	if f.Leavers, err = cli.ParseLeavers(f.leavers); err != nil {
		return nil, j.fail(cli.ExitUsage, "-leavers: %v", err)
	}
	if f.Applies == "unknown" {
		f.Applies = ""
	}
	if f.carry != "" {
		f.Carry = strings.Split(f.carry, ",")
	}
	if err := f.loadRules(fs); err != nil {
		return nil, j.fail(cli.ExitUsage, "%v", err)
	}
	if err := f.checkSource(fs); err != nil {
		return nil, j.fail(cli.ExitUsage, "%v", err)
	}
	j.rep.Import = f.Import
	if err := f.Check(cli.Flags); err != nil {
		return nil, j.fail(cli.ExitUsage, "%v", err)
	}
	if f.mapSpec != "" {
		if f.Map, err = parseMap(f.mapSpec); err != nil {
			return nil, j.fail(cli.ExitUsage, "-map: %v", err)
		}
	}
	if msg := f.misuse(); msg != "" {
		return nil, j.fail(cli.ExitUsage, "%s", msg)
	}
	return &f, -1
}

// misuse says what is wrong with how f's flags go together, or "".
func (f *flags) misuse() string {
	// Flags that need the journal.
	var needState []string
	for name, set := range map[string]bool{"-full": f.full, "-plan": f.plan, "-force": f.force, "-history": f.history, "-max-removals": f.MaxRemovals != "", "-report": f.Report != "", "-clear-for-staff": f.clearForStaff != ""} {
		if set {
			needState = append(needState, name)
		}
	}
	slices.Sort(needState)
	switch {
	case f.state == "" && len(needState) > 0:
		return fmt.Sprintf("%s %s the journal: give -state DIR, the directory that keeps what Infiniti last accepted", strings.Join(needState, ", "), plural2(len(needState), "needs", "need"))
	case f.dryRun && (f.plan || f.history || f.Report != ""):
		return "-dry-run checks the file only; leave it out with -plan, -history or -report"
	case f.plan && f.history:
		return "give -plan or -history, not both"
	case f.history && f.URL == "", f.clearForStaff != "" && f.URL == "":
		return "-history and -clear-for-staff need -url (and -tenant, if the site has tenants): the journal keeps each school apart"
	case f.clearForStaff != "" && (f.dryRun || f.plan || f.history):
		return "-clear-for-staff is a run of its own; leave out -dry-run, -plan and -history"
	}
	return f.missing()
}

// missing names a flag this run needs but was not given, or "".
func (f *flags) missing() string {
	switch {
	case f.File == "" && !f.history && f.clearForStaff == "":
		return "-file is required: the export to post, or - for standard input"
	case f.timeout <= 0:
		return "-timeout must be positive"
	case !f.dryRun && f.explain == "" && f.URL == "":
		return "-url is required (or -dry-run to check the file only)"
	case !f.dryRun && !f.plan && !f.history && f.clearForStaff == "" && f.explain == "" && f.User == "":
		return "-user is required: the Infiniti import account"
	}
	return ""
}

// build checks the paths of the staff files and makes the sync job of f;
// on a mistake it says so and returns nil and the exit code.
func (j *job) build(f *flags, getenv func(string) string) (*syncjob.Job, int) {
	for _, staff := range []struct{ setting, path string }{{"failures", f.Failures}, {"report", f.Report}} {
		if staff.path == "" {
			continue
		}
		if err := f.CheckStaffPath(cli.Flags, staff.setting, staff.path, f.state); err != nil {
			return nil, j.fail(cli.ExitUsage, "%v", err)
		}
	}
	if f.Failures != "" && f.Failures == f.Report {
		return nil, j.fail(cli.ExitUsage, "-failures and -report name the same file; give each its own")
	}
	school := f.School
	if f.dryRun || f.explain != "" {
		school.URL = "" // a check of the file only: no client, no journal
	}
	school.NoPassword = f.plan || f.history || f.clearForStaff != ""
	var copts []client.Option
	if cli.IsTerminal(j.stderr) && !f.plan && !f.history {
		copts = append(copts, client.WithProgress(j.progress()))
	}
	sj, err := cli.NewJob(school, cli.Flags, getenv, append(copts, client.WithUserAgent("autosync-example-sync"))...)
	if err != nil {
		return nil, j.fail(cli.ExitUsage, "%s", cli.Flags.Message(err))
	}
	sj.Full, sj.Force = f.full, f.force
	if f.File == "-" {
		sj.Source = "standard input"
	}
	if f.state != "" && !f.dryRun {
		if sj.Journal, err = syncjob.OpenDir(f.state); err != nil {
			return nil, j.fail(cli.ExitUsage, "-state: %s", cli.Flags.Message(err))
		}
	}
	return sj, -1
}

func (j *job) run(args []string, getenv func(string) string) int {
	f, code := j.parse(args)
	if f == nil {
		return code
	}
	j.rep.File = f.File
	sj, code := j.build(f, getenv)
	if sj == nil {
		return code
	}

	// A signal (systemd's stop, Ctrl-C) cancels the run like -timeout,
	// so that the journal records it as cancelled.
	sigCtx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	j.signalled = func() bool { return sigCtx.Err() != nil }
	ctx, cancel := context.WithTimeout(sigCtx, f.timeout)
	defer cancel()
	if f.history {
		return j.history(ctx, sj)
	}
	if f.clearForStaff != "" {
		return j.clear(ctx, sj, f)
	}

	var rows iter.Seq2[csvspec.SourceRow, error] // the rules' rows
	unchanged := false                           // the package says no updates
	var sniff *cli.Sniffer
	var decodeErr error
	if f.src.Type != "" {
		all, org, err := f.openSource()
		if err != nil {
			return j.fail(cli.ExitUsage, "%v", err)
		}
		defer all.Close()
		defer cli.Warnings(j.stderr, prog+": "+f.File, all, org)
		if f.explain != "" {
			return j.explain(f, org.Header(), org.Rows(), nil)
		}
		if unchanged = org.NoUpdates(); unchanged {
			j.rep.NoUpdates = true
			j.say("No updates: %s's manifest marks every file absent, so every user keeps its last state; users Infiniti has not confirmed wait for the next package.", f.File)
		} else {
			rows = cli.SourceRows(f.mapping, org.Header(), org.Rows(), f.Carry)
		}
	} else {
		// Decode the export before anything else reads it. A file whose
		// encoding is wrong goes through the job all the same, failing
		// at once, so that the journal records the night's invalid file.
		in := j.stdin
		if f.File != "-" {
			fh, err := os.Open(f.File)
			if err != nil {
				return j.fail(cli.ExitUsage, "%v", err)
			}
			defer fh.Close()
			in = fh
		}
		sniff, decodeErr = cli.ReadExport(in, f.File, f.School, cli.Flags)
		if f.explain != "" {
			if decodeErr != nil {
				return j.fail(cli.ExitUsage, "%s", cli.Flags.Message(decodeErr))
			}
			comma, _ := cli.ParseComma(f.Comma)
			header, src, err := mapping.ReadSource(sniff, comma, nil)
			return j.explain(f, header, src, err)
		}
		if f.mapping != nil {
			rows = f.MappedRows(f.mapping, sniff)
		}
	}

	// The failures file gets every failed row as the job finds it; the
	// report keeps only the first of each kind. It is written beside the
	// file and renamed over it at the end.
	var failures *cli.StaffFile
	var err error
	if f.Failures != "" {
		if failures, err = cli.CreateStaff(f.Failures); err != nil {
			return j.fail(cli.ExitUsage, "-failures: %v", err)
		}
		defer failures.Abort()
		sj.Failures = failures
	}

	j.staffReport(f, sj)
	var rep *syncjob.Report
	switch {
	case unchanged:
		rep, err = j.runUnchanged(ctx, sj, f)
	case rows != nil:
		rep, err = j.runRules(ctx, sj, f, rows)
	case f.dryRun:
		rep, err = sj.Plan(ctx, sniff)
	case f.plan:
		rep, err = sj.Plan(ctx, sniff)
	default:
		rep, err = sj.Run(ctx, sniff)
	}
	if j.progressShown.Load() {
		fmt.Fprintln(j.stderr)
	}
	if rep == nil {
		return j.fail(cli.ExitUsage, "%s", cli.Flags.Message(err))
	}
	outcome, code := j.outcome(f, rep, err, decodeErr, sniff)
	// The staff files never change the exit code, which says what
	// reached Infiniti.
	if failures != nil {
		failures.Finish(j.stderr, prog+": -failures", outcome, time.Now())
	}
	return code
}

// runUnchanged runs a night of no updates, or plans it (-plan, -dry-run),
// first saying if the last run's package was not all applied.
func (j *job) runUnchanged(ctx context.Context, sj *syncjob.Job, f *flags) (*syncjob.Report, error) {
	if sj.Journal != nil {
		if runs, _, err := sj.History(ctx, 1); err == nil {
			if line := cli.Flags.NotReapplied(runs); line != "" {
				j.say("%s", line)
			}
		}
	}
	if f.dryRun || f.plan {
		return sj.PlanUnchanged(ctx)
	}
	return sj.RunUnchanged(ctx)
}

// staffReport has the job write the -report file before it records the
// run, so that the run record says if it could not be written.
func (j *job) staffReport(f *flags, sj *syncjob.Job) {
	if f.Report != "" {
		sj.StaffReport = cli.StaffReport(j.stderr, prog+": -report", f.Report, &j.rep.Report)
	}
}

// parseMap parses "username=Student Code,library-group=House".
func parseMap(spec string) (map[string]string, error) {
	m := make(map[string]string)
	for pair := range strings.SplitSeq(spec, ",") {
		canonical, source, ok := strings.Cut(pair, "=")
		canonical = strings.TrimSpace(canonical)
		if !ok || canonical == "" || source == "" {
			return nil, fmt.Errorf("%q is not column=SMS header, e.g. 'username=Student Code'", pair)
		}
		if _, dup := m[canonical]; dup {
			return nil, fmt.Errorf("%q is mapped twice", canonical)
		}
		m[canonical] = source
	}
	return m, nil
}

// progress returns a function that prints the upload's progress on
// standard error (a terminal), at most once per MiB.
func (j *job) progress() func(int64) {
	var last atomic.Int64
	return func(sent int64) {
		if mib := sent >> 20; mib > last.Load() {
			last.Store(mib)
			j.progressShown.Store(true)
			fmt.Fprintf(j.stderr, "\rsent %d MiB ", mib)
		}
	}
}
