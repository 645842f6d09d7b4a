// Command multitenant pushes user groups to many schools at once, as an SMS
// vendor does: each school's file is checked, then posted to that school's
// Infiniti, with a bounded number of uploads in flight. One school's
// failure never stops the others; a summary table ends the run.
//
//	multitenant -config schools.json -concurrency 8
//
// The config is a JSON array of schools:
//
//	[
//	  {"name": "St Mary's", "url": "https://stmarys.concordinfiniti.com", "tenant": "",
//	   "user": "autoimport", "password_env": "STMARYS_PASSWORD", "file": "exports/stmarys.csv"}
//	]
//
// Each password comes from the environment variable that password_env
// names, never from the config file. A relative file is read relative to
// the config file's folder. -ca-file adds PEM certificates to trust besides
// the system's.
//
// Exit code: the worst of all schools: 0 every row of every school
// imported, 1 some rows failed, 2 a config or pre-flight error, 3 a
// transport or authentication error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/result"
)

// Exit codes, in order of how bad they are.
const (
	exitOK        = 0
	exitRowsFail  = 1
	exitUsage     = 2
	exitTransport = 3
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// school is one entry of the config.
type school struct {
	Name        string `json:"name"`
	URL         string `json:"url"`
	Tenant      string `json:"tenant"`
	User        string `json:"user"`
	PasswordEnv string `json:"password_env"`
	File        string `json:"file"`
}

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
	config := fs.String("config", "", "the JSON file of schools")
	concurrency := fs.Int("concurrency", 4, "how many schools to post to at once")
	caFile := fs.String("ca-file", "", "PEM certificates to trust besides the system's")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up on a school after this long")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *config == "" || fs.NArg() > 0 || *concurrency < 1 || *timeout <= 0 {
		fmt.Fprintln(stderr, "multitenant: usage: multitenant -config schools.json [-concurrency N] [-timeout D] [-ca-file FILE]")
		return exitUsage
	}
	schools, err := readConfig(*config)
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

	outcomes := make([]outcome, len(schools))
	sem := make(chan struct{}, *concurrency)
	var wg sync.WaitGroup
	for i, s := range schools {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), *timeout)
			defer cancel()
			outcomes[i] = push(ctx, s, getenv, caPEM)
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

// readConfig reads and checks the config; relative files are made relative
// to its folder.
func readConfig(path string) ([]school, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var schools []school
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&schools); err != nil {
		return nil, fmt.Errorf("%s: %v (want a JSON array of {name, url, tenant, user, password_env, file})", path, err)
	}
	if len(schools) == 0 {
		return nil, fmt.Errorf("%s lists no school", path)
	}
	seen := make(map[string]bool)
	for i, s := range schools {
		var missing []string
		for field, v := range map[string]string{"name": s.Name, "url": s.URL, "user": s.User, "password_env": s.PasswordEnv, "file": s.File} {
			if v == "" {
				missing = append(missing, field)
			}
		}
		if len(missing) > 0 {
			slices.Sort(missing)
			return nil, fmt.Errorf("%s: school %d (%q) lacks %s", path, i+1, s.Name, strings.Join(missing, ", "))
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("%s: school %q is listed twice", path, s.Name)
		}
		seen[s.Name] = true
		if !filepath.IsAbs(s.File) {
			schools[i].File = filepath.Join(filepath.Dir(path), s.File)
		}
	}
	return schools, nil
}

// push checks and posts one school's file.
func push(ctx context.Context, s school, getenv func(string) string, caPEM []byte) outcome {
	o := outcome{name: s.Name, counts: "-"}
	password := getenv(s.PasswordEnv)
	if password == "" {
		o.code, o.note = exitUsage, fmt.Sprintf("the environment variable %s is empty", s.PasswordEnv)
		return o
	}
	f, err := os.Open(s.File)
	if err != nil {
		o.code, o.note = exitUsage, err.Error()
		return o
	}
	defer f.Close()
	rep, err := csvspec.Check(f, csvspec.Rules{})
	if err != nil {
		o.code, o.note = exitUsage, err.Error()
		return o
	}
	o.rows = rep.Rows
	if err := rep.Err(); err != nil {
		o.code, o.note = exitUsage, "not sent: "+strings.TrimPrefix(err.Error(), "csvspec: ")
		return o
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		o.code, o.note = exitUsage, err.Error()
		return o
	}
	opts := []client.Option{client.WithBasicAuth(s.User, password), client.WithUserAgent("autosync-example-multitenant")}
	if s.Tenant != "" {
		opts = append(opts, client.WithTenant(s.Tenant))
	}
	if caPEM != nil {
		opts = append(opts, client.WithRootCAs(caPEM))
	}
	c, err := client.New(s.URL, opts...)
	if err != nil {
		o.code, o.note = exitUsage, err.Error()
		return o
	}
	res, err := c.ImportUserGroups(ctx, f)
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
			o.note += fmt.Sprintf("; first: row %d: %s", fails[0].Row, strings.TrimSpace(fails[0].Message))
		}
	case err != nil:
		o.code, o.note = exitTransport, strings.TrimPrefix(err.Error(), "client: ")
	default:
		o.note = "ok"
	}
	return o
}
