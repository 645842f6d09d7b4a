// Command quickstart shows the autosync SDK end to end.
//
// With no flags it needs no network and no school: it starts the SDK's fake
// Infiniti server (clienttest) in this process, posts a handful of sample
// user-group rows, one of which names a group that does not exist, and
// prints what Infiniti answered, row by row:
//
//	go run ./examples/quickstart
//
// With -url it checks a real school's connection instead: it posts an empty
// file, which Infiniti accepts and which changes nothing, so that the URL,
// tenant and credentials can be tried safely. The password comes from the
// environment variable INFINITI_PASSWORD, or from a file named by
// -password-file that only this account can read; never from a flag value:
//
//	INFINITI_PASSWORD=... go run ./examples/quickstart -url https://myschool.concordinfiniti.com -user autoimport
//
// Flags (all optional):
//
//	-url URL              a school's Infiniti base URL (default: the built-in fake server)
//	-tenant ID            the tenantId, if the site has tenants
//	-user NAME            the Infiniti import account (needed with -url)
//	-password-file FILE   read the password from FILE instead of INFINITI_PASSWORD
//	-auth-charset CS      send the user and password as utf-8 (default) or latin1 (ISO-8859-1)
//	-ca-file FILE         PEM certificates to trust besides the system's, for a private certificate authority
//
// Use examples/sync to post real data. Exit codes: 0 success (the demo's
// failed row is part of the demonstration; also after -h), 1 some rows
// failed, 2 usage error, 3 transport or authentication error.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/examples/internal/cli"
	"github.com/autosync-go/autosync/result"
)

// prog is the program's name in its usage and messages: its binary's.
var prog = "quickstart"

func main() {
	prog = cli.ProgName(os.Args[0], prog)
	os.Exit(run(os.Args[1:], os.Getenv, cli.Output(os.Stdout), cli.Output(os.Stderr)))
}

// sample is what the demo posts. "Year 9" is not defined on the fake
// server, so row 3 fails.
var sample = []csvspec.UserGroup{
	{Username: "jsmith", LibraryGroup: "Year 7", SystemGroup: "Students"},
	{Username: "mjones", LibraryGroup: "Year 8", SystemGroup: "Students"},
	{Username: "akhan", LibraryGroup: "Year 9", SystemGroup: "Students"},
	{Username: "lee.t", LibraryGroup: "", SystemGroup: "Staff"},
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cli.SetUsage(fs, `Usage: `+prog+` [-url URL -user NAME [-tenant ID] [-ca-file FILE]]

Without flags, posts sample rows to a fake Infiniti started in this process.
With -url, checks a school's connection by posting an empty file, which
changes nothing; the password comes from INFINITI_PASSWORD or -password-file.`, `Exit codes: 0 success, 1 some rows failed, 2 usage error, 3 transport or
authentication error.`)
	url := fs.String("url", "", "a school's Infiniti base URL, e.g. https://myschool.concordinfiniti.com (default: the built-in fake server)")
	tenant := fs.String("tenant", "", "the tenantId, if the site has tenants")
	user := fs.String("user", "", "the Infiniti import account; its password comes from INFINITI_PASSWORD or -password-file")
	pwFile := fs.String("password-file", "", "read the password from this file (readable by this account only: chmod 600) instead of INFINITI_PASSWORD")
	authCharset := fs.String("auth-charset", "utf-8", "the charset of the user and password, for a password with non-ASCII characters: utf-8 or latin1 (ISO-8859-1)")
	caFile := fs.String("ca-file", "", "PEM certificates to trust besides the system's, for a school with a private certificate authority")
	if code, err := cli.ParseFlags(fs, args); code >= 0 {
		if err != nil {
			fmt.Fprintln(stderr, prog+":", err)
		}
		return code
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	if *url == "" {
		if *tenant != "" || *user != "" || *pwFile != "" || *caFile != "" || *authCharset != "utf-8" {
			fmt.Fprintln(stderr, prog+": -tenant, -user, -password-file, -auth-charset and -ca-file are for a school: give its -url too")
			return cli.ExitUsage
		}
		return demo(ctx, stdout, stderr)
	}
	if *user == "" {
		fmt.Fprintln(stderr, prog+": -url needs -user, the Infiniti import account")
		return cli.ExitUsage
	}
	school := cli.School{URL: *url, Tenant: *tenant, User: *user, PasswordEnv: cli.PasswordEnv, PasswordFile: *pwFile, AuthCharset: *authCharset, CAFile: *caFile}
	if err := school.Check(cli.Flags); err != nil {
		fmt.Fprintln(stderr, prog+":", err)
		return cli.ExitUsage
	}
	job, err := cli.NewJob(school, cli.Flags, getenv, client.WithUserAgent("autosync-example-quickstart"))
	if err != nil {
		fmt.Fprintln(stderr, prog+":", cli.Flags.Message(err))
		return cli.ExitUsage
	}
	c := job.Client
	fmt.Fprintf(stdout, "Posting an empty file to %s to check the connection (it changes nothing)...\n", *url)
	res, err := c.ImportUserGroups(ctx, strings.NewReader(""))
	if code := report(stdout, stderr, res, err, nil); code != 0 {
		return code
	}
	fmt.Fprintln(stdout, "The URL, tenant and credentials work. Use examples/sync to post real data.")
	return 0
}

// demo runs the whole flow against the fake server.
func demo(ctx context.Context, stdout, stderr io.Writer) int {
	srv := clienttest.NewServer(
		clienttest.WithLibraryGroups("Year 7", "Year 8"),
		clienttest.WithSystemGroups("Students", "Staff"),
	)
	defer srv.Close()
	fmt.Fprintf(stdout, "Started a fake Infiniti at %s\n", srv.URL)
	fmt.Fprintf(stdout, "Posting %d rows as %s...\n\n", len(sample), clienttest.DefaultUsername)

	c, err := client.New(srv.URL,
		client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword),
		client.WithHTTPClient(srv.Client()), // trusts the fake's certificate
	)
	if err != nil {
		fmt.Fprintln(stderr, prog+":", cli.Flags.Message(err))
		return cli.ExitTransport
	}
	res, err := c.ImportUserGroupRows(ctx, slices.Values(sample))
	if code := report(stdout, stderr, res, err, sample); code == cli.ExitTransport {
		return code
	}
	var failed []int
	if res != nil {
		for _, row := range res.Failures() {
			failed = append(failed, row.Row)
		}
	}
	verdict, code := demoVerdict(failed)
	fmt.Fprintln(stdout, "\n"+verdict)
	if code == cli.ExitOK {
		fmt.Fprintln(stdout, "Next: examples/sync posts a real SMS export after a pre-flight check.")
	}
	return code
}

// demoVerdict says whether the demo went as planned, from the rows that
// failed: row 3 alone, which names a group the fake server lacks. It
// returns the sentence to print and the exit code: 0 as planned, else 1.
func demoVerdict(failed []int) (string, int) {
	if slices.Equal(failed, []int{3}) {
		return "Row 3 failed on purpose: the fake server has no library group \"Year 9\".", cli.ExitOK
	}
	what := "no row failed"
	if len(failed) > 0 {
		rows := make([]string, len(failed))
		for i, n := range failed {
			rows[i] = strconv.Itoa(n)
		}
		what = "the rows that failed are " + strings.Join(rows, ", ")
	}
	return "Row 3 was meant to fail alone (the fake server has no library group \"Year 9\"), but " + what + ": the demo did not go as planned.", cli.ExitRowsFail
}

// report prints the outcome of an import and returns its exit code. rows,
// if known, joins the result's row numbers back to usernames.
func report(stdout, stderr io.Writer, res *result.Result, err error, rows []csvspec.UserGroup) int {
	outcome, code, msg := cli.Flags.Verdict(cli.Run{Err: err})
	if outcome != syncjob.OutcomeOK && outcome != syncjob.OutcomeRowsFailed {
		fmt.Fprintln(stderr, prog+":", msg)
		return code
	}
	fmt.Fprintln(stdout, cli.Quote(res.Summary))
	if len(res.Details) > 0 {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ROW\tUSERNAME\tSTATUS\tREASON")
		for _, d := range res.Details {
			name := "?"
			if d.Row >= 1 && d.Row <= len(rows) {
				name = rows[d.Row-1].Username
			}
			reason := ""
			if d.Status == result.StatusFailed {
				reason = cli.Quote(d.Message)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", d.Row, name, d.Status, reason)
		}
		tw.Flush()
	}
	return code
}
