// Command multitenant pushes user groups to many schools at once, as an SMS
// vendor does: each school's file is checked, then posted to that school's
// Infiniti, with a bounded number of uploads in flight. One school's
// failure never stops the others, and neither does a mistake in one
// school's entry of the config: that school gets its error in the summary
// table that ends the run, and the others run.
//
//	multitenant -config schools.json -concurrency 8
//
// The config is a JSON array of schools:
//
//	[
//	  {"name": "St Mary's", "url": "https://stmarys.concordinfiniti.com", "tenant": "",
//	   "user": "autoimport", "password_env": "STMARYS_PASSWORD", "file": "exports/stmarys.csv"},
//	  {"name": "Hillview", "url": "https://hillview.concordinfiniti.com",
//	   "user": "autoimport", "password_file": "secrets/hillview.txt",
//	   "file": "exports/hillview.csv", "encoding": "windows-1252", "ca_file": "hillview-ca.pem"}
//	]
//
// Fields: name, url, user and file are required; tenant is the tenantId if
// the site has tenants. The password comes from the environment variable
// that password_env names, or from the file password_file names (on Unix
// readable by this account only: chmod 600); give one of the two, never
// the password itself. auth_charset is "utf-8" (the default) or "latin1":
// how a password with non-ASCII characters is sent. encoding is the file's character encoding: utf-8
// (the default), windows-1252, iso-8859-1 or utf-16; comma is its field
// separator, such as ";" or "tab" (the file is posted comma-separated,
// without Excel's empty rows). ca_file holds PEM
// certificates to trust for that school; -ca-file adds them for every
// school. map maps the SMS's own header names, as sync's -map does
// ({"username": "Student Code", "library-group": "House"}); library_groups
// and system_groups are files of the groups defined in that school's
// Infiniti, one per line, that the check holds the export to. Relative paths are read relative to the config file's folder.
//
// Exit code: the worst of all schools: 0 every row of every school
// imported (also after -h), 1 some rows failed, 2 a config or pre-flight
// error (a config that is not a JSON array of schools stops the whole
// run), 3 a transport or authentication error.
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
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/examples/internal/cli"
	"github.com/autosync-go/autosync/result"
)

// Exit codes, in order of how bad they are.
const (
	exitOK        = cli.ExitOK
	exitRowsFail  = cli.ExitRowsFail
	exitUsage     = cli.ExitUsage
	exitTransport = cli.ExitTransport
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

// outcome is one school's line of the summary.
type outcome struct {
	name   string
	code   int
	rows   int
	counts string // "created/updated/failed", or "-"
	note   string
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("multitenant", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cli.SetUsage(fs, `Usage: multitenant -config schools.json [flags]

Checks and posts each school's export to its Infiniti, a few at a time. The
config is a JSON array of schools with the fields name, url, tenant, user,
password_env or password_file, auth_charset, file, encoding, comma, map,
library_groups, system_groups, ca_file.`, `Exit code: the worst of all schools: 0 every row imported, 1 some rows
failed, 2 a config or pre-flight error, 3 a transport or authentication error.`)
	config := fs.String("config", "", "the JSON file of schools")
	concurrency := fs.Int("concurrency", 4, "how many schools to post to at once")
	caFile := fs.String("ca-file", "", "PEM certificates to trust besides the system's, for every school")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up on a school after this long")
	if code, err := cli.ParseFlags(fs, args); code >= 0 {
		if err != nil {
			fmt.Fprintln(stderr, "multitenant:", err)
		}
		return code
	}
	if *config == "" || *concurrency < 1 || *timeout <= 0 {
		fmt.Fprintln(stderr, "multitenant: usage: multitenant -config schools.json [-concurrency N] [-timeout D] [-ca-file FILE]")
		return exitUsage
	}
	entries, err := readConfig(*config)
	if err != nil {
		fmt.Fprintln(stderr, "multitenant:", err)
		return exitUsage
	}
	var caPEM []byte
	if *caFile != "" {
		if caPEM, err = os.ReadFile(*caFile); err != nil {
			fmt.Fprintln(stderr, "multitenant: -ca-file:", err)
			return exitUsage
		}
	}

	outcomes := make([]outcome, len(entries))
	sem := make(chan struct{}, *concurrency)
	var wg sync.WaitGroup
	for i, e := range entries {
		if e.err != nil {
			outcomes[i] = outcome{name: e.Name, code: exitUsage, counts: "-", note: "config: " + e.err.Error()}
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), *timeout)
			defer cancel()
			outcomes[i] = push(ctx, e.school, getenv, caPEM)
		}()
	}
	wg.Wait()

	worst := exitOK
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCHOOL\tROWS\tCREATED/UPDATED/FAILED\tEXIT\tNOTE")
	for _, o := range outcomes {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\n", o.name, o.rows, o.counts, o.code, o.note)
		worst = max(worst, o.code)
	}
	tw.Flush()
	return worst
}

// readConfig reads the config: a JSON array of schools. It returns an
// error only when the file cannot be read or is not a JSON array of
// objects; a mistake in one school's entry (an unknown or missing field, a
// name listed twice) is that entry's err. Relative paths are made relative
// to the config's folder.
func readConfig(path string) ([]entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: %v (want a JSON array of schools: [{\"name\": ..., \"url\": ..., \"user\": ..., \"password_env\": ..., \"file\": ...}])", path, err)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s lists no school", path)
	}
	entries := make([]entry, len(raw))
	seen := make(map[string]int)
	for i, r := range raw {
		e := &entries[i]
		e.err = decodeSchool(r, &e.school)
		if e.Name == "" {
			e.Name = fmt.Sprintf("school %d", i+1)
		}
		if first, dup := seen[e.Name]; dup && e.err == nil {
			e.err = fmt.Errorf("the name %q is listed twice (schools %d and %d); give each school its own name", e.Name, first, i+1)
		} else if !dup {
			seen[e.Name] = i + 1
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

// decodeSchool decodes one entry of the config into s and checks it. On
// an error s holds what could be read, its name at least if it has one.
func decodeSchool(raw json.RawMessage, s *school) error {
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
		case errors.As(err, &ute):
			return fmt.Errorf("%q is a JSON %s; it should be a %s", ute.Field, ute.Value, ute.Type)
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
	return nil
}

// fields are the config's field names, for messages.
var fields = []string{"name", "url", "tenant", "user", "password_env", "password_file", "auth_charset", "file", "encoding", "comma", "map", "library_groups", "system_groups", "ca_file"}

// push checks and posts one school's file.
func push(ctx context.Context, s school, getenv func(string) string, caPEM []byte) outcome {
	o := outcome{name: s.Name, counts: "-"}
	fail := func(code int, err error) outcome {
		o.code, o.note = code, names.Message(err)
		return o
	}
	var password string
	if s.PasswordFile != "" {
		var err error
		if password, err = cli.ReadPasswordFile(s.PasswordFile); err != nil {
			return fail(exitUsage, fmt.Errorf("password_file: %w", err))
		}
	} else if password = getenv(s.PasswordEnv); password == "" {
		return fail(exitUsage, fmt.Errorf("the environment variable %s (password_env) is empty", s.PasswordEnv))
	}

	var rules csvspec.Rules
	var err error
	if rules.LibraryGroups, err = cli.ReadNames(s.LibraryGroups); err != nil {
		return fail(exitUsage, fmt.Errorf("library_groups: %w", err))
	}
	if rules.SystemGroups, err = cli.ReadNames(s.SystemGroups); err != nil {
		return fail(exitUsage, fmt.Errorf("system_groups: %w", err))
	}
	var ropts []csvspec.ReaderOption
	if sep, _ := cli.ParseComma(s.Comma); sep != ',' { // checked with the config
		ropts = append(ropts, csvspec.WithComma(sep))
	}
	if s.Map != nil {
		ropts = append(ropts, csvspec.WithHeaderMap(s.Map))
	}

	path, cleanup, err := decode(s.File, s.Encoding)
	if err != nil {
		return fail(exitUsage, err)
	}
	defer cleanup()
	f, err := os.Open(path)
	if err != nil {
		return fail(exitUsage, err)
	}
	rep, err := csvspec.Check(f, rules, ropts...)
	f.Close()
	if err != nil {
		return fail(exitUsage, err)
	}
	o.rows = rep.Rows
	if err := rep.Err(); err != nil {
		return fail(exitUsage, fmt.Errorf("not sent: %w", err))
	}
	upload, sourceRows, err := cli.Canonical(path, ropts)
	if err != nil {
		return fail(exitUsage, err)
	}
	defer os.Remove(upload)

	charset, _ := cli.ParseAuthCharset(s.AuthCharset) // checked with the config
	opts := []client.Option{client.WithBasicAuth(s.User, password), client.WithAuthCharset(charset), client.WithUserAgent("autosync-example-multitenant")}
	if s.Tenant != "" {
		opts = append(opts, client.WithTenant(s.Tenant))
	}
	pem := caPEM
	if s.CAFile != "" {
		b, err := os.ReadFile(s.CAFile)
		if err != nil {
			return fail(exitUsage, fmt.Errorf("ca_file: %w", err))
		}
		pem = append(slices.Clip(pem), b...)
	}
	if pem != nil {
		opts = append(opts, client.WithRootCAs(pem))
	}
	c, err := client.New(s.URL, opts...)
	if err != nil {
		return fail(exitUsage, err)
	}
	up, err := os.Open(upload)
	if err != nil {
		return fail(exitUsage, err)
	}
	defer up.Close()
	res, err := c.ImportUserGroups(ctx, up)
	if res != nil {
		if n, ok := res.Counts(); ok {
			o.counts = fmt.Sprintf("%d/%d/%d", n.Created, n.Updated, n.Failed)
		}
	}
	var ie *result.ImportError
	switch {
	case errors.As(err, &ie) && !errors.Is(err, client.ErrUnauthorized):
		o.code = exitRowsFail
		o.note = fmt.Sprintf("%d failed", len(res.Failures()))
		if fails := res.Failures(); len(fails) > 0 {
			// Infiniti numbers the posted rows; name the export's.
			row := fails[0].Row
			if row >= 1 && row <= len(sourceRows) {
				row = sourceRows[row-1]
			}
			o.note += fmt.Sprintf("; first: row %d: %s", row, strings.TrimSpace(fails[0].Message))
		}
	case err != nil:
		return fail(exitTransport, err)
	default:
		o.note = "ok"
	}
	return o
}

// decode returns the path of the school's file in UTF-8: file itself, or
// a temporary file with its decoded text, which cleanup removes.
func decode(file, encoding string) (path string, cleanup func(), err error) {
	f, err := os.Open(file)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	r, err := cli.Decode(f, encoding, "encoding")
	if err != nil {
		return "", nil, err
	}
	if encoding == "" || strings.EqualFold(encoding, "utf-8") {
		return file, func() {}, nil
	}
	tmp, err := cli.Spool(r)
	if err != nil {
		return "", nil, fmt.Errorf("reading %s: %w", file, err)
	}
	return tmp, func() { os.Remove(tmp) }, nil
}
