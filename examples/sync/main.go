// Command sync is the scheduled job that posts a school's user groups from
// its Student Management System (SMS) to Infiniti: the replacement for the
// vendor's "curl -k" script.
//
// It checks the file first (csvspec.Check) and refuses to post a file with
// errors, printing each with its line number. Then it posts the file over
// verified TLS and prints every row Infiniti did not take, joined back to
// its username and line.
//
//	INFINITI_PASSWORD=... sync -url https://myschool.concordinfiniti.com -user autoimport -file groups.csv
//
// The password comes from the environment variable INFINITI_PASSWORD or
// from a file named by -password-file that only the job's account can read;
// never from a flag value, which every user of the machine sees in the
// process list.
//
// Flags:
//
//	-url URL              the school's Infiniti base URL
//	-tenant ID            the tenantId, if the site has tenants
//	-user NAME            the Infiniti import account (system administration privileges)
//	-file PATH            the CSV to post, or - for standard input
//	-encoding NAME        the file's character encoding: utf-8 (default), windows-1252
//	                      (Excel's "CSV" on Windows), iso-8859-1, or utf-16 (Excel's "Unicode text")
//	-password-file FILE   read the password from FILE instead of INFINITI_PASSWORD (on Unix
//	                      it must not be readable by group or others: chmod 600 FILE)
//	-auth-charset CS      send the user and password as utf-8 (default) or latin1 (ISO-8859-1,
//	                      which Tomcat expects by default); matters only for non-ASCII passwords
//	-map SPEC             the SMS's header names, e.g. 'username=Student Code,library-group=House'
//	-comma SEP            the export's field separator: ';' (Excel's "CSV" in many regions),
//	                      tab, or another character; the file is always posted comma-separated
//	-library-groups FILE  the library groups defined in Infiniti, one per line: check the file against them
//	-system-groups FILE   the same for system groups
//	-ca-file FILE         PEM certificates to trust besides the system's, for a private certificate authority
//	-dry-run              check the file only; send nothing
//	-json                 print a machine-readable report on standard output
//	-timeout D            give up after D (default 30m)
//
// Exit codes: 0 every row imported (or, with -dry-run, the file passed the
// check; also after -h), 1 some rows failed, 2 usage or pre-flight error
// (nothing was sent), 3 transport or authentication error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/examples/internal/cli"
	"github.com/autosync-go/autosync/result"
)

// Exit codes.
const (
	exitOK        = cli.ExitOK
	exitRowsFail  = cli.ExitRowsFail
	exitUsage     = cli.ExitUsage
	exitTransport = cli.ExitTransport
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

// report is what -json prints.
type report struct {
	File       string         `json:"file"`
	Rows       int            `json:"rows"`
	Problems   []problem      `json:"problems"`
	Posted     bool           `json:"posted"`
	Result     *result.Result `json:"result,omitempty"`
	FailedRows []failedRow    `json:"failed_rows"`
	Error      string         `json:"error,omitempty"`
	ExitCode   int            `json:"exit_code"`
}

type problem struct {
	Row      int              `json:"row"`
	Line     int              `json:"line"`
	Column   string           `json:"column,omitempty"`
	Code     string           `json:"code"`
	Severity csvspec.Severity `json:"severity"`
	Message  string           `json:"message"`
}

type failedRow struct {
	Row      int    `json:"row"`
	Line     int    `json:"line"`
	Username string `json:"username"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message"`
}

// job is one run of the command.
type job struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	jsonOut        bool
	rep            report
	warnings       int // the check's warnings, kept in rep.Problems or not
}

// fail records an error, prints it and returns its exit code.
func (j *job) fail(code int, format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	j.rep.Error = msg
	fmt.Fprintln(j.stderr, "sync:", msg)
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
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(j.rep); err != nil {
			fmt.Fprintln(stderr, "sync: writing the JSON report:", err)
		}
	}
	return code
}

func (j *job) run(args []string, getenv func(string) string) int {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	fs.SetOutput(j.stderr)
	cli.SetUsage(fs, `Usage: sync -file PATH [-url URL -user NAME] [flags]

Checks an SMS export of user groups and posts it to a school's Infiniti.
The password comes from the environment variable INFINITI_PASSWORD or from
-password-file; never from a flag value.`, `Exit codes: 0 every row imported (with -dry-run: the file passed the check),
1 some rows failed, 2 usage error or a file that failed the check (nothing
sent), 3 transport or authentication error.`)
	url := fs.String("url", "", "the school's Infiniti base URL, e.g. https://myschool.concordinfiniti.com")
	tenant := fs.String("tenant", "", "the tenantId, if the site has tenants")
	user := fs.String("user", "", "the Infiniti import account; its password comes from INFINITI_PASSWORD or -password-file")
	pwFile := fs.String("password-file", "", "read the password from this file (readable by this account only: chmod 600) instead of INFINITI_PASSWORD")
	authCharset := fs.String("auth-charset", "utf-8", "the charset of the user and password, for a password with non-ASCII characters: utf-8 or latin1 (ISO-8859-1)")
	file := fs.String("file", "", "the CSV to post, or - for standard input")
	encoding := fs.String("encoding", "utf-8", "the file's character encoding: "+strings.Join(cli.Encodings, ", ")+` (windows-1252 is Excel's "CSV" on Windows, utf-16 its "Unicode text")`)
	mapSpec := fs.String("map", "", "the SMS's header names, e.g. 'username=Student Code,library-group=House'")
	comma := fs.String("comma", ",", "the field separator of the export: one character, such as ';', or tab (the file is posted with commas)")
	libFile := fs.String("library-groups", "", "a file of the library groups defined in Infiniti, one per line")
	sysFile := fs.String("system-groups", "", "a file of the system groups defined in Infiniti, one per line")
	caFile := fs.String("ca-file", "", "PEM certificates to trust besides the system's")
	dryRun := fs.Bool("dry-run", false, "check the file only; send nothing")
	fs.BoolVar(&j.jsonOut, "json", false, "print a machine-readable report on standard output")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up after this long")
	if code, err := cli.ParseFlags(fs, args); code >= 0 {
		if err != nil {
			return j.fail(code, "%v", err)
		}
		return code
	}
	switch {
	case *file == "":
		return j.fail(exitUsage, "-file is required: the CSV to post, or - for standard input")
	case *timeout <= 0:
		return j.fail(exitUsage, "-timeout must be positive")
	}
	if err := cli.CheckEncoding(*encoding); err != nil {
		return j.fail(exitUsage, "-encoding: %v", err)
	}
	charset, err := cli.ParseAuthCharset(*authCharset)
	if err != nil {
		return j.fail(exitUsage, "-auth-charset: %v", err)
	}
	var password string
	if !*dryRun {
		switch {
		case *url == "":
			return j.fail(exitUsage, "-url is required (or -dry-run to check the file only)")
		case *user == "":
			return j.fail(exitUsage, "-user is required: the Infiniti import account")
		}
		var err error
		if password, err = cli.Password(getenv, cli.PasswordEnv, *pwFile, "-password-file"); err != nil {
			return j.fail(exitUsage, "%v", err)
		}
	}
	j.rep.File = *file

	var opts []csvspec.ReaderOption
	if sep, err := cli.ParseComma(*comma); err != nil {
		return j.fail(exitUsage, "-comma: %v", err)
	} else if sep != ',' {
		opts = append(opts, csvspec.WithComma(sep))
	}
	if *mapSpec != "" {
		m, err := parseMap(*mapSpec)
		if err != nil {
			return j.fail(exitUsage, "-map: %v", err)
		}
		opts = append(opts, csvspec.WithHeaderMap(m))
	}
	var rules csvspec.Rules
	if rules.LibraryGroups, err = cli.ReadNames(*libFile); err != nil {
		return j.fail(exitUsage, "-library-groups: %v", err)
	}
	if rules.SystemGroups, err = cli.ReadNames(*sysFile); err != nil {
		return j.fail(exitUsage, "-system-groups: %v", err)
	}

	// Decode the export before anything else reads it.
	path, cleanup, err := j.decode(*file, *encoding)
	if err != nil {
		return j.fail(exitUsage, "%v", err)
	}
	defer cleanup()

	// Pre-flight.
	if code := j.check(path, rules, opts, *encoding); code != exitOK {
		return code
	}
	if *dryRun {
		j.say("Pre-flight passed: %s, %s. Nothing was sent (-dry-run).", plural(j.rep.Rows, "row"), plural(j.warnings, "warning"))
		return exitOK
	}

	// The upload: the checked file rewritten in the canonical form that
	// Infiniti reads (its own header names, commas, UTF-8), without
	// Excel's empty rows.
	upload, sourceRows, err := cli.Canonical(path, opts)
	if err != nil {
		return j.fail(exitUsage, "preparing the upload: %v", err)
	}
	defer os.Remove(upload)

	copts := []client.Option{client.WithBasicAuth(*user, password), client.WithAuthCharset(charset), client.WithUserAgent("autosync-example-sync")}
	pwSource := cli.PasswordEnv
	if *pwFile != "" {
		pwSource = "the password in " + *pwFile
	}
	if *tenant != "" {
		copts = append(copts, client.WithTenant(*tenant))
	}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			return j.fail(exitUsage, "-ca-file: %v", err)
		}
		copts = append(copts, client.WithRootCAs(pem))
	}
	f, err := os.Open(upload)
	if err != nil {
		return j.fail(exitUsage, "%v", err)
	}
	defer f.Close()
	if isTerminal(j.stderr) {
		if st, err := f.Stat(); err == nil {
			copts = append(copts, client.WithProgress(progress(j.stderr, st.Size())))
		}
	}
	c, err := client.New(*url, copts...)
	if err != nil {
		return j.fail(exitUsage, "%s", cli.Flags.Message(err))
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	res, err := c.ImportUserGroups(ctx, f)
	j.rep.Posted = true
	j.rep.Result = res
	var ie *result.ImportError
	if err != nil && !errors.As(err, &ie) {
		return j.fail(exitTransport, "%s%s", cli.Flags.Message(err), transportHint(err, pwSource))
	}
	j.say("%s", res.Summary)
	if err == nil {
		j.say("All %s imported.", plural(j.rep.Rows, "row"))
		return exitOK
	}
	return j.failedRows(path, opts, res, sourceRows)
}

// decode returns the path of the export in UTF-8, for the check and the
// upload to read: file itself when it is UTF-8 already, else a temporary
// file with the decoded text (standard input is always copied to one).
// cleanup removes the temporary file. The error says what is wrong with
// the file's encoding and which -encoding reads it.
func (j *job) decode(file, encoding string) (path string, cleanup func(), err error) {
	in := j.stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return "", nil, err
		}
		defer f.Close()
		in = f
	}
	r, err := cli.Decode(in, encoding, "-encoding")
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", file, err)
	}
	if file != "-" && strings.EqualFold(encoding, "utf-8") {
		return file, func() {}, nil
	}
	tmp, err := cli.Spool(r)
	if err != nil {
		return "", nil, fmt.Errorf("reading %s: %w", file, err)
	}
	return tmp, func() { os.Remove(tmp) }, nil
}

// check runs the pre-flight, prints its problems and returns exitUsage if
// the file has errors.
func (j *job) check(path string, rules csvspec.Rules, opts []csvspec.ReaderOption, encoding string) int {
	f, err := os.Open(path)
	if err != nil {
		return j.fail(exitUsage, "%v", err)
	}
	defer f.Close()
	rep, err := csvspec.Check(f, rules, opts...)
	if err != nil {
		return j.fail(exitUsage, "checking %s: %s", j.rep.File, cli.Flags.Message(err))
	}
	j.rep.Rows = rep.Rows
	j.warnings = rep.NumWarnings()
	var firstInvalid csvspec.Problem
	for _, p := range rep.Problems {
		p.Message = cli.Flags.Text(p.Message)
		j.rep.Problems = append(j.rep.Problems, problem(p))
		if p.Code == csvspec.CodeInvalidUTF8 && firstInvalid.Line == 0 {
			firstInvalid = p
		}
	}
	// A file in Windows-1252 has an invalid-UTF-8 error on every row with
	// an accented letter: one line with the fix says more than all of them.
	w1252 := false
	if firstInvalid.Line > 0 && strings.EqualFold(encoding, "utf-8") {
		if _, err := f.Seek(0, io.SeekStart); err == nil {
			w1252, _ = cli.LooksLikeWindows1252(f)
		}
	}
	// A few of each kind of problem, for a person; -json has them all.
	shown := make(map[string]int)
	for _, p := range j.rep.Problems {
		if w1252 && p.Code == csvspec.CodeInvalidUTF8 {
			continue
		}
		if shown[p.Code]++; shown[p.Code] <= maxShown {
			fmt.Fprintf(j.stderr, "%s: %v\n", j.rep.File, csvspec.Problem(p))
		}
	}
	for _, code := range slices.Sorted(maps.Keys(shown)) {
		if n := rep.Count(code); n > maxShown {
			fmt.Fprintf(j.stderr, "%s: %d more problems [%s] not shown (-json lists the first %d)\n", j.rep.File, n-maxShown, code, csvspec.MaxProblemsPerCode)
		}
	}
	if w1252 {
		return j.fail(exitUsage, "%s is not UTF-8 (%s, the first on line %d) but reads as Windows-1252, Excel's \"CSV\" on Windows: run again with -encoding windows-1252. Nothing was sent.",
			j.rep.File, plural(rep.Count(csvspec.CodeInvalidUTF8), "invalid value"), firstInvalid.Line)
	}
	if rep.Err() != nil {
		return j.fail(exitUsage, "the file has %s (listed above); fix them and run again. Nothing was sent.", plural(rep.NumErrors(), "error"))
	}
	return exitOK
}

// maxShown is how many problems of each code the program prints.
const maxShown = 10

// failedRows joins the failed rows back to their usernames and lines,
// prints them and returns exitRowsFail.
// Infiniti numbers the rows of the posted file: sourceRows[i] is the
// export's row number of posted row i+1.
func (j *job) failedRows(path string, opts []csvspec.ReaderOption, res *result.Result, sourceRows []int) int {
	source := func(posted int) int {
		if posted >= 1 && posted <= len(sourceRows) {
			return sourceRows[posted-1]
		}
		return 0
	}
	failed := make(map[int]bool) // by source row
	for _, d := range res.Failures() {
		failed[source(d.Row)] = true
	}
	found := make(map[int]csvspec.Record) // by source row
	if f, err := os.Open(path); err == nil {
		for rec, err := range csvspec.NewReader(f, opts...).All() {
			if failed[rec.Row] && err == nil {
				found[rec.Row] = rec
			}
		}
		f.Close()
	}
	for _, d := range res.Failures() {
		rec := found[source(d.Row)]
		fr := failedRow{Row: d.Row, Line: rec.Line, Username: rec.Username, Field: d.Field(), Message: strings.TrimSpace(d.Message)}
		j.rep.FailedRows = append(j.rep.FailedRows, fr)
		j.say("row %d (line %d, %s): %s%s", fr.Row, fr.Line, fr.Username, fr.Message, rowHint(fr.Field, rec))
	}
	if len(failed) == 0 {
		j.say("Infiniti reports a failure but names no failed row; see the summary above.")
	}
	return exitRowsFail
}

// plural returns "1 row" or "2 rows".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func rowHint(field string, rec csvspec.Record) string {
	switch field {
	case csvspec.ColumnLibraryGroup:
		return fmt.Sprintf(" (create library group %q in Infiniti first, or correct it in the SMS)", rec.LibraryGroup)
	case csvspec.ColumnSystemGroup:
		return fmt.Sprintf(" (create system group %q in Infiniti first, or correct it in the SMS)", rec.SystemGroup)
	case csvspec.ColumnUsername:
		return " (the user must exist in Infiniti before it can be put in groups)"
	}
	return ""
}

// transportHint returns advice for a transport or authentication error.
// pwSource says where the password came from.
func transportHint(err error, pwSource string) string {
	switch {
	case errors.Is(err, client.ErrUnauthorized):
		return "; check -user and " + pwSource
	case errors.Is(err, client.ErrForbidden):
		return "; give -user system administration privileges in Infiniti"
	case errors.Is(err, client.ErrNotFound):
		return "; check -url"
	case errors.Is(err, context.DeadlineExceeded):
		return "; raise -timeout if the file is large"
	}
	return ""
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

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress prints the upload's progress at most once per MiB.
func progress(w io.Writer, total int64) func(int64) {
	var last atomic.Int64
	return func(sent int64) {
		if mib := sent >> 20; mib > last.Load() || sent == total {
			last.Store(mib)
			fmt.Fprintf(w, "\rsent %d of %d MiB", mib, total>>20)
			if sent == total {
				fmt.Fprintln(w)
			}
		}
	}
}
