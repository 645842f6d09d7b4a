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
// Infiniti processed. The same school (url and tenant) listed twice for
// the same import is an error of both entries.
//
// Exit code: the worst of all schools: 0 every row of every school
// imported (or, with -plan, every plan passed; also after -h), 1 some rows
// failed, 2 a config or pre-flight error (a config that is not a JSON
// array of schools stops the whole run), 3 a transport or authentication
// error or a school locked by another run, 4 a school refused by its
// safety limit.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/examples/internal/cli"
)

// Exit codes, in order of how bad they are.
const (
	exitOK        = cli.ExitOK
	exitRowsFail  = cli.ExitRowsFail
	exitUsage     = cli.ExitUsage
	exitTransport = cli.ExitTransport
	exitRefused   = cli.ExitRefused
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// school is one entry of the config.
type school struct {
	Name         string `json:"name"`
	URL          string `json:"url"`
	Tenant       string `json:"tenant,omitempty"`
	User         string `json:"user"`
	PasswordEnv  string `json:"password_env,omitempty"`
	PasswordFile string `json:"password_file,omitempty"`
	File         string `json:"file"`
	Encoding     string `json:"encoding,omitempty"`
	Comma        string `json:"comma,omitempty"`
	AuthCharset  string `json:"auth_charset,omitempty"`
	CAFile       string `json:"ca_file,omitempty"`
	// Map maps canonical column names to the SMS's header names, as
	// sync's -map: {"username": "Student Code"}.
	Map           map[string]string `json:"map,omitempty"`
	LibraryGroups string            `json:"library_groups,omitempty"` // a file of the library groups defined in Infiniti
	SystemGroups  string            `json:"system_groups,omitempty"`  // a file of the system groups defined in Infiniti
	MaxRemovals   string            `json:"max_removals,omitempty"`   // the safety limit, as sync's -max-removals
	Import        string            `json:"import,omitempty"`         // "user-groups" (the default) or "contacts", as sync's -import
	ContactsMode  string            `json:"contacts_mode,omitempty"`  // the contacts import's mode, as sync's -contacts-mode
}

// The imports the "import" field names.
const (
	importUserGroups = "user-groups"
	importContacts   = "contacts"
)

// imp returns the syncjob import of the school's "import" and
// "contacts_mode" fields (checked with the config).
func (s school) imp() *syncjob.Import {
	if s.Import != importContacts {
		return syncjob.UserGroups()
	}
	mode := client.ContactsReplaceDeclaredPatronsKeepCustomContacts
	if s.ContactsMode != "" {
		mode = client.ContactsMode(s.ContactsMode)
	}
	return syncjob.Contacts(mode)
}

// entry is a school as read from the config: err, if not nil, says what
// is wrong with its entry, and the school is not run.
type entry struct {
	school
	err error
}

// names are what the person writing the config sets instead of the SDK's
// Go options: its fields, and -ca-file.
var names = func() cli.Names {
	n := maps.Clone(cli.ConfigFields)
	n["WithRootCAs"] = `the "ca_file" field (or -ca-file)`
	n["WithHTTPClient"] = n["WithRootCAs"]
	return n
}()

// outcome is one school's line of the summary, and its part of the JSON
// report.
type outcome struct {
	Name     string             `json:"name"`
	Import   string             `json:"import"`
	Outcome  syncjob.Outcome    `json:"outcome"` // a syncjob outcome, or outcomeInvalidConfig
	Posted   bool               `json:"posted"`  // whether the rows were posted, answered or not
	ExitCode int                `json:"exit_code"`
	Rows     int                `json:"rows"`
	RowsSent int                `json:"rows_sent"` // rows that reached Infiniti and were answered for
	Plan     *syncjob.PlanStats `json:"plan,omitempty"`
	Journal  *syncjob.Health    `json:"journal,omitempty"`
	Result   *syncjob.RunResult `json:"result,omitempty"`
	Note     string             `json:"note"`
}

// outcomeInvalidConfig is the outcome of a school whose entry in the
// config, or what it names (the export, the password, a group list, a
// certificate file), is wrong: the school's job did not run.
const outcomeInvalidConfig syncjob.Outcome = "invalid-config"

// counts returns "created/updated/failed", or "-" without a result.
func (o outcome) counts() string {
	if o.Result == nil {
		return "-"
	}
	return fmt.Sprintf("%d/%d/%d", o.Result.Created, o.Result.Updated, o.Result.Failed)
}

// settings are the command line's flags that every school shares.
type settings struct {
	caPEM   []byte
	journal syncjob.Journal // nil without -state
	plan    bool
	timeout time.Duration
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("multitenant", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cli.SetUsage(fs, `Usage: multitenant -config schools.json [-state DIR] [-plan] [flags]

Checks and posts each school's export to its Infiniti, a few at a time. The
config is a JSON array of schools with the fields name, url, tenant, user,
password_env or password_file, auth_charset, file, encoding, comma, map,
library_groups, system_groups, ca_file, max_removals, import (user-groups,
the default, or contacts) and contacts_mode (the contacts import's mode:
replaceDeclaredPatronsKeepCustomContacts, the default and the one seen in the
field; any other name is sent unverified). With -state DIR only what changed
is sent, a broken export is refused, and every run is recorded.`, `Exit code: the worst of all schools: 0 every row imported (with -plan: every
plan passed), 1 some rows failed, 2 a config or pre-flight error, 3 a
transport or authentication error or a locked school, 4 refused by a safety
limit.`)
	config := fs.String("config", "", "the JSON file of schools")
	concurrency := fs.Int("concurrency", 4, "how many schools to post to at once")
	caFile := fs.String("ca-file", "", "PEM certificates to trust besides the system's, for every school")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up on a school after this long")
	state := fs.String("state", "", "the journals' directory, one folder per school: send only what changed, guard against a broken export, keep a history")
	plan := fs.Bool("plan", false, "check and plan every school against its journal, send nothing (needs -state)")
	asJSON := fs.Bool("json", false, "print a machine-readable report on standard output (the table goes to standard error)")
	if code, err := cli.ParseFlags(fs, args); code >= 0 {
		if err != nil {
			fmt.Fprintln(stderr, "multitenant:", err)
		}
		return code
	}
	switch {
	case *config == "" || *concurrency < 1 || *timeout <= 0:
		fmt.Fprintln(stderr, "multitenant: usage: multitenant -config schools.json [-state DIR] [-plan] [-json] [-concurrency N] [-timeout D] [-ca-file FILE]")
		return exitUsage
	case *plan && *state == "":
		fmt.Fprintln(stderr, "multitenant: -plan needs the journal: give -state DIR, the directory that keeps what each school's Infiniti last accepted")
		return exitUsage
	}
	entries, err := readConfig(*config, *state != "")
	if err != nil {
		fmt.Fprintln(stderr, "multitenant:", err)
		return exitUsage
	}
	set := settings{plan: *plan, timeout: *timeout}
	if *caFile != "" {
		if set.caPEM, err = os.ReadFile(*caFile); err != nil {
			fmt.Fprintln(stderr, "multitenant: -ca-file:", err)
			return exitUsage
		}
	}
	if *state != "" {
		j, err := syncjob.OpenDir(*state)
		if err != nil {
			fmt.Fprintln(stderr, "multitenant: -state:", cli.Flags.Message(err))
			return exitUsage
		}
		set.journal = j
	}

	outcomes := make([]outcome, len(entries))
	sem := make(chan struct{}, *concurrency)
	var wg sync.WaitGroup
	for i, e := range entries {
		if e.err != nil {
			outcomes[i] = outcome{Name: e.Name, Import: e.Import, Outcome: outcomeInvalidConfig, ExitCode: exitUsage, Note: "config: " + e.err.Error()}
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			outcomes[i] = push(e.school, getenv, set)
		}()
	}
	wg.Wait()

	worst := exitOK
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
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Schools  []outcome `json:"schools"`
			ExitCode int       `json:"exit_code"`
		}{outcomes, worst}); err != nil {
			fmt.Fprintln(stderr, "multitenant: writing the JSON report:", err)
		}
	}
	return worst
}

// readConfig reads the config: a JSON array of schools. It returns an
// error only when the file cannot be read or is not a JSON array; a
// mistake in one school's entry (an unknown or missing field, a name listed
// twice) is that entry's err. Relative paths are made relative to the
// config's folder. journal says whether -state was given.
func readConfig(path string, journal bool) ([]entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// Notepad and PowerShell 5 save UTF-8 with a byte order mark.
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: %s", path, configError(b, err))
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s lists no school", path)
	}
	entries := make([]entry, len(raw))
	seen := make(map[string]int)
	keys := make(map[syncjob.Key]int) // the first entry of each journal key
	for i, r := range raw {
		e := &entries[i]
		e.err = decodeSchool(r, &e.school, journal)
		if e.Name == "" {
			e.Name = fmt.Sprintf("school %d", i+1)
		}
		if first, dup := seen[e.Name]; dup && e.err == nil {
			e.err = fmt.Errorf("the name %q is listed twice (schools %d and %d); give each school its own name", e.Name, first, i+1)
		} else if !dup {
			seen[e.Name] = i + 1
		}
		if e.err == nil {
			// The same school and import twice would lock each other
			// out, or post two exports in turn: neither runs.
			if k, ok := e.key(); ok {
				if first, dup := keys[k]; dup {
					e.err = fmt.Errorf("the same school and import as entry %d (%q): %s; list each school once per import", first, entries[first-1].Name, k)
					if entries[first-1].err == nil {
						entries[first-1].err = fmt.Errorf("the same school and import as entry %d (%q): %s; list each school once per import", i+1, e.Name, k)
					}
				} else {
					keys[k] = i + 1
				}
			}
		}
		dir := filepath.Dir(path)
		for _, p := range []*string{&e.File, &e.PasswordFile, &e.CAFile, &e.LibraryGroups, &e.SystemGroups} {
			if *p != "" && !filepath.IsAbs(*p) {
				*p = filepath.Join(dir, *p)
			}
		}
	}
	return entries, nil
}

// wantArray is what the config must look like.
const wantArray = `the config must be a JSON array of schools: [ {"name": ..., "url": ..., "user": ..., "password_env": ..., "file": ...}, ... ]`

// configError says, for a person, why b, a config that json could not
// read into an array, is wrong: err is json's error.
func configError(b []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n"))
		return fmt.Sprintf("line %d: this is not valid JSON (%s); %s", line, strings.TrimPrefix(se.Error(), "json: "), wantArray)
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		return "the file holds one JSON object; " + wantArray
	}
	return wantArray
}

// key returns the journal key of the entry's school and import, and
// whether its URL could be read (a URL that cannot is the school's error
// when it runs).
func (s school) key() (syncjob.Key, bool) {
	var opts []client.Option
	if s.Tenant != "" {
		opts = append(opts, client.WithTenant(s.Tenant))
	}
	c, err := client.New(s.URL, opts...)
	if err != nil {
		return syncjob.Key{}, false
	}
	return (&syncjob.Job{Client: c, Import: s.imp()}).Key(), true
}

// fields are the config's field names, for messages.
var fields = []string{"name", "url", "tenant", "user", "password_env", "password_file", "auth_charset", "file", "encoding", "comma", "map", "library_groups", "system_groups", "ca_file", "max_removals", "import", "contacts_mode"}

// decodeSchool decodes one entry of the config into s and checks it. On
// an error s holds what could be read, its name at least if it has one.
func decodeSchool(raw json.RawMessage, s *school, journal bool) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(s); err != nil {
		// Read the name alone, leniently, for the summary table.
		var named struct{ Name string }
		_ = json.Unmarshal(raw, &named)
		s.Name = named.Name
		var ute *json.UnmarshalTypeError
		switch {
		case errors.As(err, &ute) && ute.Field == "":
			return fmt.Errorf("the entry is a JSON %s; each school is an object with the fields %s", ute.Value, strings.Join(fields, ", "))
		case errors.As(err, &ute) && (ute.Field == "map" || strings.HasPrefix(ute.Field, "map.")):
			return fmt.Errorf(`"map" must be an object of column names and the SMS's header names, e.g. {"username": "Student Code"}`)
		case errors.As(err, &ute):
			return fmt.Errorf("%q must be a JSON string, in quotes, not a JSON %s", ute.Field, ute.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return fmt.Errorf("%v; the fields are %s", strings.TrimPrefix(err.Error(), "json: "), strings.Join(fields, ", "))
		}
		return err
	}
	var missing []string
	for field, v := range map[string]string{"name": s.Name, "url": s.URL, "user": s.User, "file": s.File} {
		if v == "" {
			missing = append(missing, field)
		}
	}
	slices.Sort(missing)
	switch {
	case len(missing) > 0:
		return fmt.Errorf("lacks %s", strings.Join(missing, ", "))
	case s.PasswordEnv == "" && s.PasswordFile == "":
		return errors.New("lacks password_env or password_file: name the environment variable or the file that holds the password")
	case s.PasswordEnv != "" && s.PasswordFile != "":
		return errors.New("has both password_env and password_file; give one of them")
	case s.MaxRemovals != "" && !journal:
		return errors.New("max_removals needs the journal: give -state DIR")
	}
	if err := s.checkImport(); err != nil {
		return err
	}
	if err := cli.CheckEncoding(s.Encoding); err != nil {
		return fmt.Errorf("encoding: %v", err)
	}
	if _, err := cli.ParseComma(s.Comma); err != nil {
		return fmt.Errorf("comma: %v", err)
	}
	if _, err := cli.ParseAuthCharset(s.AuthCharset); err != nil {
		return fmt.Errorf("auth_charset: %v", err)
	}
	if s.MaxRemovals != "" {
		if _, err := syncjob.ParseLimit(s.MaxRemovals); err != nil {
			return fmt.Errorf("max_removals: %s", strings.TrimPrefix(err.Error(), "syncjob: "))
		}
	}
	return nil
}

// checkImport checks the "import" field and the fields that go with one
// import only. It leaves s.Import "user-groups" when it was not given.
func (s *school) checkImport() error {
	switch s.Import {
	case "", importUserGroups:
		s.Import = importUserGroups
		if s.ContactsMode != "" {
			return errors.New(`contacts_mode is the mode of the contacts import: give it with "import": "contacts", or leave it out`)
		}
	case importContacts:
		var groups []string
		if s.LibraryGroups != "" {
			groups = append(groups, "library_groups")
		}
		if s.SystemGroups != "" {
			groups = append(groups, "system_groups")
		}
		if len(groups) > 0 {
			verb, it := "checks", "it"
			if len(groups) > 1 {
				verb, it = "check", "them"
			}
			return fmt.Errorf(`%s %s user groups, which a contacts file does not have: leave %s out with "import": "contacts"`, strings.Join(groups, " and "), verb, it)
		}
		if s.ContactsMode != "" {
			if err := client.ContactsMode(s.ContactsMode).Validate(); err != nil {
				return fmt.Errorf("contacts_mode: %s", names.Message(err))
			}
		}
	default:
		return fmt.Errorf("import: unknown import %q; use %q (the default) or %q", s.Import, importUserGroups, importContacts)
	}
	return nil
}

// push runs one school's sync job.
func push(s school, getenv func(string) string, set settings) outcome {
	o := outcome{Name: s.Name, Import: s.Import}
	fail := func(code int, err error) outcome {
		o.Outcome, o.ExitCode, o.Note = outcomeInvalidConfig, code, names.Message(err)
		return o
	}
	job, err := s.job(getenv, set)
	if err != nil {
		return fail(exitUsage, err)
	}
	f, err := os.Open(s.File)
	if err != nil {
		return fail(exitUsage, err)
	}
	defer f.Close()
	export, decodeErr := cli.Decode(f, s.Encoding, "-encoding")
	if decodeErr != nil {
		// Through the job all the same, so that the journal records it.
		export = errReader{decodeErr}
	}
	sniff := cli.NewSniffer(export)

	ctx, cancel := context.WithTimeout(context.Background(), set.timeout)
	defer cancel()
	var rep *syncjob.Report
	if set.plan {
		rep, err = job.Plan(ctx, sniff)
	} else {
		rep, err = job.Run(ctx, sniff)
	}
	if rep == nil {
		return fail(exitUsage, err)
	}
	o.Outcome, o.ExitCode = rep.Outcome, rep.Outcome.ExitCode()
	o.Rows, o.Posted = rep.RowsRead, rep.Sent
	if rep.Sent && (rep.Outcome == syncjob.OutcomeOK || rep.Outcome == syncjob.OutcomeRowsFailed) {
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
	case decodeErr != nil && rep.Outcome == syncjob.OutcomeInvalidFile:
		o.Note = names.Message(decodeErr)
	case rep.Outcome == syncjob.OutcomeCancelled:
		o.Note = fmt.Sprintf("gave up after -timeout %s; raise -timeout if the file is large or Infiniti is slow to answer", set.timeout)
	case rep.Outcome == syncjob.OutcomeRowsFailed:
		o.Note = plural(rep.FailureCount, "row") + " failed"
		if c := rep.Causes(); len(c) > 0 {
			o.Note += "; " + c[0].String()
		}
	case rep.Outcome == syncjob.OutcomeOK && set.plan:
		o.Note = "plan: " + planNote(o.Plan) + "; nothing sent"
	case rep.Outcome == syncjob.OutcomeOK:
		o.Note = "ok"
		if set.journal != nil && o.Plan != nil {
			o.Note += ": " + planNote(o.Plan)
		}
		if rep.Refusal != nil {
			o.Note += " (forced past the limit)"
		}
	case rep.Outcome == syncjob.OutcomeInvalidFile && rep.Check != nil && rep.Check.Count(csvspec.CodeInvalidUTF8) > 0 &&
		cli.NormalEncoding(s.Encoding) == "utf-8" && sniff.LooksLikeWindows1252():
		o.Note = fmt.Sprintf(`not sent: the file is not UTF-8 (%s) but reads as Windows-1252, Excel's "CSV" on Windows: set "encoding": "windows-1252" in the school's entry`,
			plural(rep.Check.Count(csvspec.CodeInvalidUTF8), "invalid value"))
	case rep.Outcome == syncjob.OutcomeInvalidFile && rep.Check != nil && rep.Check.NumErrors() > 0:
		o.Note = "not sent: " + names.Message(rep.Check.Err())
	default:
		o.Note = names.Message(err)
		if errors.Is(err, client.ErrNotFound) && s.Import == importContacts && s.ContactsMode != "" &&
			client.ContactsMode(s.ContactsMode) != client.ContactsReplaceDeclaredPatronsKeepCustomContacts {
			o.Note += fmt.Sprintf("; or this Infiniti does not know the contacts_mode %q: only %s has been seen in the field", s.ContactsMode, client.ContactsReplaceDeclaredPatronsKeepCustomContacts)
		}
	}
	return o
}

// job returns the school's sync job.
func (s school) job(getenv func(string) string, set settings) (*syncjob.Job, error) {
	var password string
	if s.PasswordFile != "" {
		var err error
		if password, err = cli.ReadPasswordFile(s.PasswordFile); err != nil {
			return nil, fmt.Errorf("password_file: %w", err)
		}
	} else if password = getenv(s.PasswordEnv); password == "" && !set.plan {
		return nil, fmt.Errorf("the environment variable %s (password_env) is empty", s.PasswordEnv)
	}
	job := &syncjob.Job{Import: s.imp(), Journal: set.journal, Source: s.File}
	var err error
	if job.Rules.LibraryGroups, err = cli.ReadNames(s.LibraryGroups); err != nil {
		return nil, fmt.Errorf("library_groups: %w", err)
	}
	if job.Rules.SystemGroups, err = cli.ReadNames(s.SystemGroups); err != nil {
		return nil, fmt.Errorf("system_groups: %w", err)
	}
	if sep, _ := cli.ParseComma(s.Comma); sep != ',' { // checked with the config
		job.ReaderOptions = append(job.ReaderOptions, csvspec.WithComma(sep))
	}
	if s.Map != nil {
		job.ReaderOptions = append(job.ReaderOptions, csvspec.WithHeaderMap(s.Map))
	}
	if s.MaxRemovals != "" {
		job.Limits.MaxRemovals, _ = syncjob.ParseLimit(s.MaxRemovals) // checked with the config
	}

	charset, _ := cli.ParseAuthCharset(s.AuthCharset) // checked with the config
	opts := []client.Option{client.WithUserAgent("autosync-example-multitenant")}
	if password != "" {
		opts = append(opts, client.WithBasicAuth(s.User, password), client.WithAuthCharset(charset))
	}
	if s.Tenant != "" {
		opts = append(opts, client.WithTenant(s.Tenant))
	}
	pem := set.caPEM
	if s.CAFile != "" {
		b, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pem = append(slices.Clip(pem), b...)
	}
	if pem != nil {
		opts = append(opts, client.WithRootCAs(pem))
	}
	if job.Client, err = client.New(s.URL, opts...); err != nil {
		return nil, err
	}
	return job, nil
}

// planNote sums a plan up in a few words.
func planNote(st *syncjob.PlanStats) string {
	if st.FirstRun {
		return fmt.Sprintf("first run, %d rows", st.RowsToSend)
	}
	return fmt.Sprintf("%d new, %d changed, %d gone, %d rows to send", st.New, st.Changed, st.Gone, st.RowsToSend)
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// plural returns "1 row" or "2 rows".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
