package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/examples/internal/cli"
	"github.com/autosync-go/autosync/examples/internal/exampletest"
)

// TestSyncMessages: what a technician sees for a slow server, a -state
// that is a file, a bad flag value and stray arguments is in the program's
// words, not Go's.
func TestSyncMessages(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	ca := exampletest.CAFile(t, srv)
	pw := env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword})
	post := []string{"-file", "testdata/canonical.csv", "-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", ca}
	to := []string{"-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", ca}
	// A UTF-8 export whose first accented letter comes past Decode's
	// look-ahead.
	var big strings.Builder
	big.WriteString("username,library-group,system-group\n")
	for i := range cli.LookAhead / 16 {
		fmt.Fprintf(&big, "user%05d,Red,Staff\n", i)
	}
	big.WriteString("zo\u00eb,Bl\u00e9u,Students\n")
	bigFile := filepath.Join(t.TempDir(), "big.csv")
	if err := os.WriteFile(bigFile, []byte(big.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		slow  bool // the server waits until the client gives up
		code  int
		first string // the first line of stderr
		not   string // what stderr must not hold
	}{
		{
			name:  "a UTF-8 export read as windows-1252",
			args:  append([]string{"-file", "testdata/export_utf8.csv", "-encoding", "windows-1252"}, to...),
			code:  2,
			first: `sync: testdata/export_utf8.csv: this file is UTF-8 already, not windows-1252: line 2 has "ë", which windows-1252 would garble into "Ã«"; leave out -encoding`,
			not:   "Ã©",
		},
		{
			name:  "a UTF-8 export read as iso-8859-1, accented past the look-ahead",
			args:  append([]string{"-file", bigFile, "-encoding", "iso-8859-1"}, to...),
			code:  2,
			first: fmt.Sprintf(`sync: the export cannot be posted: reading the export: this file is UTF-8 already, not iso-8859-1: line %d has "ë", which iso-8859-1 would garble into "Ã«"; leave out -encoding. Nothing was sent.`, cli.LookAhead/16+2),
			not:   "Ã©",
		},
		{
			name:  "-state names a file",
			args:  append([]string{"-state", "testdata/canonical.csv"}, post...),
			code:  2,
			first: "sync: -state: creating the journal directory: mkdir testdata/canonical.csv: not a directory",
			not:   "syncjob:",
		},
		{
			name:  "a duration without a unit",
			args:  append([]string{"-timeout", "5"}, post...),
			code:  2,
			first: `invalid value "5" for -timeout: give a duration such as 45m or 2h (a number and a unit: s, m or h)`,
			not:   "parse error",
		},
		{
			name:  "a value after a boolean flag",
			args:  []string{"-dry-run=maybe", "-file", "x.csv"},
			code:  2,
			first: `invalid value "maybe" for -dry-run: give the flag alone, such as -dry-run, or -dry-run=false`,
			not:   "parse error",
		},
		{
			name:  "one stray argument",
			args:  []string{"-file", "x.csv", "now"},
			code:  2,
			first: "sync: unexpected argument now: every input is a flag, given as -name value (put a value with spaces in quotes)",
			not:   "[",
		},
		{
			name:  "flags after a stray argument",
			args:  []string{"-file", "x.csv", "extra-arg", "-dry-run", "Year 7"},
			code:  2,
			first: "sync: unexpected argument extra-arg: every input is a flag, given as -name value (put a value with spaces in quotes); what follows it was not read: -dry-run 'Year 7'",
			not:   "[",
		},
		// Last: the server records the request it gave up on after the run.
		{
			name:  "a slow server",
			args:  append([]string{"-timeout", "300ms"}, post...),
			slow:  true,
			code:  3,
			first: "sync: gave up after -timeout 300ms; raise -timeout if the file is large or Infiniti is slow to answer. Infiniti may have imported the file without its answer arriving; the next run sends it again, which is safe",
			not:   "context deadline exceeded",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.slow {
				srv.Fail(1, clienttest.Fault{Delay: time.Hour})
			}
			before := len(srv.Requests())
			var stdout, stderr bytes.Buffer
			code := run(tt.args, pw, nil, &stdout, &stderr)
			if n := len(srv.Requests()) - before; n != 0 && !tt.slow {
				t.Errorf("%d requests were made; want none", n)
			}
			if code != tt.code {
				t.Errorf("exit code %d, want %d\n%s%s", code, tt.code, &stdout, &stderr)
			}
			first, _, _ := strings.Cut(stderr.String(), "\n")
			if diff := cmp.Diff(tt.first, first); diff != "" {
				t.Errorf("stderr's first line (-want +got):\n%s\n%s", diff, &stderr)
			}
			if strings.Contains(stderr.String(), tt.not) {
				t.Errorf("stderr holds %q:\n%s", tt.not, &stderr)
			}
		})
	}
}
