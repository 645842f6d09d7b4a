package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/examples/internal/cli"
	"github.com/autosync-go/autosync/examples/internal/exampletest"
)

// TestMain runs the tests, or the program when a test starts it as a
// process (exampletest.Build).
func TestMain(m *testing.M) { exampletest.Main(m, main) }

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

const smsMap = "username=Student Code,library-group=House,system-group=Year Level"

func TestSync(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithLibraryGroups("Blue", "Red"), clienttest.WithSystemGroups("Students", "Staff"))
	defer srv.Close()
	ca := exampletest.CAFile(t, srv)
	pw := map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword}
	post := []string{"-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", ca}
	pwFile := passwordFile(t, clienttest.DefaultPassword+"\r\n", 0o600)
	openPWFile := passwordFile(t, clienttest.DefaultPassword, 0o644)

	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		stdin    string
		code     int
		stdout   []string
		stderr   []string
		requests int
		posted   string // the CSV the server received, if a request is made
		// stderrLines, if not 0, is how many lines stderr must have.
		stderrLines int
	}{
		{
			name:   "dry run passes",
			args:   []string{"-file", "testdata/canonical.csv", "-library-groups", "testdata/library_groups.txt", "-system-groups", "testdata/system_groups.txt", "-dry-run"},
			code:   0,
			stdout: []string{"Pre-flight passed: 2 rows, 0 warnings. Nothing was sent (-dry-run)."},
		},
		{
			name:   "dry run of an SMS export with a warning",
			args:   []string{"-file", "testdata/sms_export.csv", "-map", smsMap, "-dry-run"},
			code:   0,
			stdout: []string{"Pre-flight passed: 3 rows, 1 warning. Nothing was sent (-dry-run)."},
			stderr: []string{`testdata/sms_export.csv: line 1 (header): warning: header column 2 "Surname" is not a user-groups column`},
		},
		{
			name: "dry run finds errors",
			args: []string{"-file", "testdata/bad.csv", "-library-groups", "testdata/library_groups.txt", "-dry-run"},
			// A row problem holds its user, not the file (issue 14:
			// was exit 2, nothing sent).
			code: 1,
			stderr: []string{
				"testdata/bad.csv: line 3, username: error: the username is empty",
				`testdata/bad.csv: line 4, library-group: error: library group "blue" is not defined in Infiniti; did you mean "Blue"?`,
				"sync: 2 rows have problems (listed above): 1 user would be held for them, and the others would be sent",
			},
		},
		{
			name:     "a row problem holds its row, the others are sent",
			args:     append([]string{"-file", "testdata/bad.csv"}, post...),
			env:      pw,
			code:     1,
			stderr:   []string{"sync: 1 row with a problem (listed above) not sent: 0 users held, and the others were sent; 1 row failed"},
			requests: 1,
			posted:   "username,library-group,system-group\njsmith,Blue,Students\nmjones,blue,Students\n",
		},
		{
			name:     "-strict sends nothing on a row problem",
			args:     append([]string{"-file", "testdata/bad.csv", "-strict"}, post...),
			env:      pw,
			code:     2,
			stderr:   []string{"sync: not sent: the file has 1 error (listed above); fix it and run again"},
			requests: 0,
		},
		{
			name:     "all imported",
			args:     append([]string{"-file", "testdata/canonical.csv", "-tenant", "t1"}, post...),
			env:      pw,
			code:     0,
			stdout:   []string{"2 users processed. ", "All 2 rows imported."},
			requests: 1,
		},
		{
			name:     "mapped SMS export from standard input, some rows fail",
			args:     append([]string{"-file", "-", "-map", smsMap}, post...),
			env:      pw,
			stdin:    mustRead(t, "testdata/sms_export.csv"),
			code:     1,
			stdout:   []string{"3 users processed. 2 users created. 0 users updated. 1 user failed.", `row 2 (line 3, S1002): Field (library-group) Library group (Gold) does not exist. User failed to import: Field (library-group) Library group (Gold) does not exist. (create library group "Gold" in Infiniti first, or correct it in the SMS)`},
			requests: 1,
		},
		{
			name:     "wrong password",
			args:     append([]string{"-file", "testdata/canonical.csv"}, post...),
			env:      map[string]string{"INFINITI_PASSWORD": "wrong"},
			code:     3,
			stderr:   []string{"Infiniti refused the credentials", "check -user and INFINITI_PASSWORD"},
			requests: 1,
		},
		{
			name:     "untrusted certificate",
			args:     []string{"-file", "testdata/canonical.csv", "-url", srv.URL, "-user", "autoimport"},
			env:      pw,
			code:     3,
			stderr:   []string{"certificate", "-ca-file"},
			requests: 0,
		},
		{
			name:     "Windows-1252 export read with -encoding",
			args:     append([]string{"-file", "testdata/export_windows1252.csv", "-encoding", "windows-1252"}, post...),
			env:      pw,
			code:     0,
			stdout:   []string{"All 2 rows imported."},
			requests: 1,
			posted:   "username,library-group,system-group\nzoë.nguyen,Blue,Students\nmjones,Red,Staff\n",
		},
		{
			name: "Windows-1252 export without -encoding",
			args: []string{"-file", "testdata/export_windows1252.csv", "-dry-run"},
			code: 2,
			stderr: []string{
				"sync: not sent: the file is not UTF-8 (1 invalid value, the first on line 2) but reads as Windows-1252, Excel's \"CSV\" on Windows: run again with -encoding windows-1252\n",
			},
			stderrLines: 1,
		},
		{
			name:     "UTF-16 LE export (Excel's Unicode text)",
			args:     append([]string{"-file", "testdata/export_utf16le.csv", "-encoding", "utf-16"}, post...),
			env:      pw,
			code:     0,
			requests: 1,
			posted:   "username,library-group,system-group\nzoë.nguyen,Blue,Students\nmjones,Red,Staff\n",
		},
		{
			name:     "UTF-16 BE export from standard input",
			args:     append([]string{"-file", "-", "-encoding", "UTF-16"}, post...),
			stdin:    mustRead(t, "testdata/export_utf16be.csv"),
			env:      pw,
			code:     0,
			requests: 1,
			posted:   "username,library-group,system-group\nzoë.nguyen,Blue,Students\nmjones,Red,Staff\n",
		},
		{
			name:   "UTF-16 export without -encoding",
			args:   []string{"-file", "testdata/export_utf16le.csv", "-dry-run"},
			code:   2,
			stderr: []string{"sync: testdata/export_utf16le.csv: the file starts with a UTF-16 LE byte order mark: it is Unicode text (UTF-16), as Excel saves \"Unicode text\"; run again with -encoding utf-16\n"},
		},
		{
			name:   "UTF-8 export read as Windows-1252",
			args:   []string{"-file", "testdata/sms_export.csv", "-encoding", "windows-1252", "-dry-run"},
			code:   2,
			stderr: []string{"it is UTF-8 already, not windows-1252; leave out -encoding"},
		},
		{name: "unknown encoding", args: []string{"-file", "testdata/canonical.csv", "-encoding", "latin9", "-dry-run"}, code: 2, stderr: []string{`-encoding: unknown encoding "latin9"; use one of utf-8, windows-1252, iso-8859-1, utf-16`}},
		{
			name:     "Windows-1252 export read with -encoding cp1252",
			args:     append([]string{"-file", "testdata/export_windows1252.csv", "-encoding", "cp1252"}, post...),
			env:      pw,
			code:     0,
			requests: 1,
			posted:   "username,library-group,system-group\nzoë.nguyen,Blue,Students\nmjones,Red,Staff\n",
		},
		{
			name:     "UTF-16 export read with -encoding utf16",
			args:     append([]string{"-file", "testdata/export_utf16le.csv", "-encoding", "utf16"}, post...),
			env:      pw,
			code:     0,
			requests: 1,
			posted:   "username,library-group,system-group\nzoë.nguyen,Blue,Students\nmjones,Red,Staff\n",
		},
		{
			name:   "Windows-1252 export read as utf8",
			args:   []string{"-file", "testdata/export_windows1252.csv", "-encoding", "UTF8", "-dry-run"},
			code:   2,
			stderr: []string{"run again with -encoding windows-1252"},
		},
		{
			name:     "password file",
			args:     append([]string{"-file", "testdata/canonical.csv", "-password-file", pwFile}, post...),
			code:     0,
			requests: 1,
		},
		{
			name:     "wrong password in a password file",
			args:     append([]string{"-file", "testdata/canonical.csv", "-password-file", passwordFile(t, "wrong\n", 0o600)}, post...),
			code:     3,
			stderr:   []string{"Infiniti refused the credentials; check -user and INFINITI_PASSWORD or -password-file"},
			requests: 1,
		},
		{
			name:   "password file and environment",
			args:   append([]string{"-file", "testdata/canonical.csv", "-password-file", pwFile}, post...),
			env:    pw,
			code:   2,
			stderr: []string{"the password is given twice, in -password-file and in the environment variable INFINITI_PASSWORD"},
		},
		{
			name:     "password file readable by others",
			args:     append([]string{"-file", "testdata/canonical.csv", "-password-file", openPWFile}, post...),
			code:     onUnix(2, 0),
			stderr:   onUnix([]string{"has permissions 0644, open to other accounts; make it readable by this account only: chmod 600 " + openPWFile}, nil),
			requests: onUnix(0, 1),
		},
		{
			name:   "a Go option's advice becomes a flag",
			args:   []string{"-file", "testdata/canonical.csv", "-url", srv.URL + "?tenantId=t1", "-user", "a"},
			env:    pw,
			code:   2,
			stderr: []string{"sync: -tenant: the base URL has a query; give only the site in -url and the tenant with -tenant"},
		},
		{name: "help", args: []string{"-h"}, code: 0, stderr: []string{"-password-file", "-encoding"}},
		{name: "stray argument", args: []string{"-file", "x.csv", "now"}, code: 2, stderr: []string{"unexpected argument now: every input is a flag"}},
		{name: "no password", args: append([]string{"-file", "testdata/canonical.csv"}, post...), code: 2, stderr: []string{"no password: the environment variable INFINITI_PASSWORD is empty; set it, or give -password-file"}},
		{name: "no file", args: post, env: pw, code: 2, stderr: []string{"-file is required"}},
		{name: "no url", args: []string{"-file", "testdata/canonical.csv", "-user", "a"}, env: pw, code: 2, stderr: []string{"-url is required"}},
		{name: "bad map", args: []string{"-file", "testdata/canonical.csv", "-map", "username", "-dry-run"}, code: 2, stderr: []string{"-map: \"username\" is not column=SMS header"}},
		{name: "map key not a column", args: []string{"-file", "testdata/canonical.csv", "-map", "user=Student Code", "-dry-run"}, code: 2, stderr: []string{`"user" is not a column`}},
		{name: "missing file", args: []string{"-file", "testdata/nope.csv", "-dry-run"}, code: 2, stderr: []string{"no such file"}},
		{name: "password flag does not exist", args: []string{"-password", "x"}, code: 2, stderr: []string{"flag provided but not defined: -password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.Requests())
			var stdout, stderr bytes.Buffer
			code := run(tt.args, env(tt.env), strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, &stdout, &stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, &stdout)
				}
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, &stderr)
				}
			}
			if n := strings.Count(stderr.String(), "\n"); tt.stderrLines != 0 && n != tt.stderrLines {
				t.Errorf("stderr has %d lines, want %d:\n%s", n, tt.stderrLines, &stderr)
			}
			reqs := srv.Requests()[before:]
			if len(reqs) != tt.requests {
				t.Fatalf("server received %d requests, want %d", len(reqs), tt.requests)
			}
			if tt.posted != "" {
				if diff := cmp.Diff(tt.posted, string(reqs[0].CSV)); diff != "" {
					t.Errorf("posted CSV (-want +got):\n%s", diff)
				}
			}
			if strings.Contains(stdout.String()+stderr.String(), clienttest.DefaultPassword) {
				t.Errorf("the password was printed")
			}
			if goOption.MatchString(stdout.String() + stderr.String()) {
				t.Errorf("the output names a Go option:\n%s%s", &stdout, &stderr)
			}
		})
	}
	// The mapped export was posted in canonical form.
	for _, r := range srv.Requests() {
		if r.Authorized && !bytes.HasPrefix(r.CSV, []byte("username,library-group,system-group\n")) {
			t.Errorf("posted CSV is not canonical:\n%s", r.CSV)
		}
	}
}

// goOption matches the name of an SDK option, which a person running the
// program never sees.
var goOption = regexp.MustCompile(`\bWith[A-Z]`)

// passwordFile writes content to a password file with exactly mode and
// returns its path.
func passwordFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "password.txt")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// onUnix returns unix on Unix, where permission bits are checked, and
// windows on Windows, where they are not.
func onUnix[T any](unix, windows T) T {
	if runtime.GOOS == "windows" {
		return windows
	}
	return unix
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSyncJSON(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithLibraryGroups("Blue", "Red"))
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	args := []string{"-json", "-file", "testdata/sms_export.csv", "-map", smsMap, "-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", exampletest.CAFile(t, srv)}
	code := run(args, env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword}), nil, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit code %d, stderr:\n%s", code, &stderr)
	}
	var got map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, &stdout)
	}
	failure := "Field (library-group) Library group (Gold) does not exist. User failed to import: Field (library-group) Library group (Gold) does not exist."
	want := map[string]any{
		"import": "user-groups",
		"file":   "testdata/sms_export.csv",
		"rows":   float64(3),
		"problems": []any{map[string]any{
			"row": float64(0), "line": float64(1), "code": "extra-column", "severity": "warning",
			"message": `header column 2 "Surname" is not a user-groups column; Infiniti ignores it`,
		}},
		"posted": true,
		"result": map[string]any{
			"success": false,
			"summary": "3 users processed. 2 users created. 0 users updated. 1 user failed.",
			"details": map[string]any{"1": "User Created", "2": failure + " ", "3": "User Created"},
		},
		"failed_rows": []any{map[string]any{"row": float64(2), "line": float64(3), "username": "S1002", "field": "library-group", "message": failure}},
		"exit_code":   float64(1),
		"outcome":     "rows-failed",
		"error":       "1 row failed; 1 row (line 3): Field (library-group) Library group (Gold) does not exist.",
		"rows_sent":   float64(3),
		"plan": map[string]any{
			"mode": "full", "first_run": true, "last_users": float64(0), "users": float64(3), "rows": float64(3),
			"users_new": float64(3), "users_changed": float64(0), "users_unchanged": float64(0), "users_gone": float64(0),
			"users_losing": float64(0), "added": float64(6), "removed": float64(0), "rows_to_send": float64(3),
		},
		// Users by name (issue 14 §8).
		"users": map[string]any{
			"new": []any{
				map[string]any{"username": "S1001", "kind": "new", "added": []any{map[string]any{"Column": "library-group", "Value": "Blue"}, map[string]any{"Column": "system-group", "Value": "Students"}}},
				map[string]any{"username": "S1002", "kind": "new", "added": []any{map[string]any{"Column": "library-group", "Value": "Gold"}, map[string]any{"Column": "system-group", "Value": "Students"}}},
				map[string]any{"username": "S1003", "kind": "new", "added": []any{map[string]any{"Column": "library-group", "Value": "Blue"}, map[string]any{"Column": "system-group", "Value": "Staff"}}},
			},
			"changed": []any{}, "gone": []any{}, "held": []any{}, "for_staff": []any{},
			"unconfirmed": []any{"S1002"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON report (-want +got):\n%s", diff)
	}

	// A pre-flight failure lists the problems.
	stdout.Reset()
	code = run([]string{"-json", "-dry-run", "-file", "testdata/bad.csv"}, env(nil), nil, &stdout, &stderr)
	var decoded struct {
		report
		Users json.RawMessage `json:"users"` // Kind reads back as text only
	}
	if err := json.Unmarshal(stdout.Bytes(), &decoded); err != nil {
		t.Fatal(err)
	}
	rep := decoded.report
	// A row problem holds its user (issue 14: was invalid-file, exit 2).
	wantRep := report{Import: "user-groups", File: "testdata/bad.csv", Rows: 3, ExitCode: 1, FailedRows: []failedRow{}, Outcome: "rows-failed",
		Plan:     &syncjob.PlanStats{Mode: "full", FirstRun: true, Users: 2, Rows: 2, New: 2, Added: 4, RowsToSend: 2},
		Problems: []problem{{Row: 2, Line: 3, Column: "username", Code: csvspec.CodeMissingUsername, Severity: csvspec.SeverityError}}}
	if diff := cmp.Diff(wantRep, rep, cmpopts.IgnoreFields(problem{}, "Message"), cmpopts.IgnoreFields(report{}, "Error")); diff != "" || code != 1 || rep.Error == "" {
		t.Errorf("exit %d, report (-want +got):\n%s", code, diff)
	}
}

// TestSyncDialects: exports as real tools save them (semicolons, tabs,
// Excel's Unicode text, Excel's empty rows, a mistyped -map) each give one
// or two lines that say what to do, and are read with the flag they name.
func TestSyncDialects(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithLibraryGroups("Blue House", "Red House"), clienttest.WithSystemGroups("Year 7", "Year 8"))
	defer srv.Close()
	pw := map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword}
	post := []string{"-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", exampletest.CAFile(t, srv)}
	const sms = "username=Student Code,library-group=House,system-group=Year Level"
	extra := func(file string) string {
		return "testdata/" + file + `: line 1 (header): warning: header columns 2 "Surname", 3 "Given Name" are not user-groups columns; Infiniti ignores them [extra-column]`
	}
	const posted = "username,library-group,system-group\nS1001,Blue House,Year 7\nS1002,Red House,Year 8\nS1003,,Year 7\n"
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string // the whole of stderr, line by line
		posted string   // the CSV the server received; "" for no request
	}{
		{
			name: "semicolons without -comma",
			args: []string{"-file", "testdata/semicolon.csv", "-map", sms, "-dry-run"},
			code: 2,
			stderr: []string{
				`testdata/semicolon.csv: line 1 (header): error: the header is separated by semicolons (";"), not commas (","); give the file's separator with -comma ';' or -comma tab; the file is posted with commas [wrong-separator]`,
				"sync: not sent: the file has 1 error (listed above); fix it and run again",
			},
		},
		{
			name:   "semicolons with -comma",
			args:   append([]string{"-file", "testdata/semicolon.csv", "-map", sms, "-comma", ";"}, post...),
			code:   0,
			stdout: []string{"All 3 rows imported."},
			stderr: []string{extra("semicolon.csv")},
			posted: posted,
		},
		{
			name: "tabs without -comma",
			args: []string{"-file", "testdata/tab.txt", "-map", sms, "-dry-run"},
			code: 2,
			stderr: []string{
				`testdata/tab.txt: line 1 (header): error: the header is separated by tabs, not commas (","); give the file's separator with -comma ';' or -comma tab; the file is posted with commas [wrong-separator]`,
				"sync: not sent: the file has 1 error (listed above); fix it and run again",
			},
		},
		{
			name:   "tabs with -comma tab",
			args:   append([]string{"-file", "testdata/tab.txt", "-map", sms, "-comma", "tab"}, post...),
			code:   0,
			stderr: []string{extra("tab.txt")},
			posted: posted,
		},
		{
			name:   "Excel's Unicode text without -encoding",
			args:   []string{"-file", "testdata/unicode_text_utf16le.txt", "-map", sms, "-comma", "tab", "-dry-run"},
			code:   2,
			stderr: []string{`sync: testdata/unicode_text_utf16le.txt: the file starts with a UTF-16 LE byte order mark: it is Unicode text (UTF-16), as Excel saves "Unicode text"; run again with -encoding utf-16`},
		},
		{
			name:   "Excel's Unicode text without -comma and -encoding gets one fix naming both",
			args:   []string{"-file", "testdata/unicode_text_utf16le.txt", "-map", sms, "-dry-run"},
			code:   2,
			stderr: []string{`sync: testdata/unicode_text_utf16le.txt: the file starts with a UTF-16 LE byte order mark: it is Unicode text (UTF-16), as Excel saves "Unicode text"; run again with -encoding utf-16 -comma tab`},
		},
		{
			name:   "Excel's Unicode text",
			args:   append([]string{"-file", "testdata/unicode_text_utf16le.txt", "-map", sms, "-comma", "tab", "-encoding", "utf-16"}, post...),
			code:   0,
			stderr: []string{extra("unicode_text_utf16le.txt")},
			posted: posted,
		},
		{
			name: "Excel's empty rows are warned about, left out, and the rows after them joined right",
			args: append([]string{"-file", "testdata/excel_trailing_commas.csv"}, post...),
			code: 1,
			stdout: []string{
				"1 user failed.",
				`row 2 (line 4, S1002): Field (library-group) Library group (Gold House) does not exist.`,
			},
			stderr: []string{
				"testdata/excel_trailing_commas.csv: 3 rows with only empty fields (as Excel leaves below the data) left out of the posted file [empty-row]",
			},
			posted: "username,library-group,system-group\nS1001,Blue House,Year 7\nS1002,Gold House,Year 8\n",
		},
		{
			name: "a mistyped -map",
			args: []string{"-file", "testdata/semicolon.csv", "-comma", ";", "-map", "username=Student code,library-group=House,system-group=Year Level", "-dry-run"},
			code: 2,
			stderr: []string{
				`testdata/semicolon.csv: line 1 (header), username: error: the header map names "Student code" as the "username" column, but the file's header has no such column (did you mean "Student Code"?): it is "Student Code", "Surname", "Given Name", "House", "Year Level" [header-map-mismatch]`,
				// A file problem ends the read: the header's warnings
				// are not reached.
				"sync: not sent: the file has 1 error (listed above); fix it and run again",
			},
		},
		{
			name: "Windows-1252 with semicolons gets one fix naming both flags",
			args: []string{"-file", "testdata/semicolon_1252.csv", "-dry-run"},
			code: 2,
			stderr: []string{
				`testdata/semicolon_1252.csv: line 1 (header): error: the header is separated by semicolons (";"), not commas (","), and the file is not UTF-8 text (Windows-1252, perhaps); run again with -comma ';' -encoding windows-1252; the file is posted as UTF-8 with commas [wrong-separator]`,
				"sync: not sent: the file has 1 error (listed above); fix it and run again",
			},
		},
		{name: "a bad -comma", args: []string{"-file", "testdata/tab.txt", "-comma", "semicolon", "-dry-run"}, code: 2, stderr: []string{`sync: -comma: "semicolon" is not a separator; give one character, such as ';', or the word tab`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.Requests())
			var stdout, stderr bytes.Buffer
			code := run(tt.args, env(pw), nil, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, &stdout, &stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, &stdout)
				}
			}
			got := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			if stderr.Len() == 0 {
				got = nil
			}
			if diff := cmp.Diff(tt.stderr, got); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
			reqs := srv.Requests()[before:]
			switch {
			case tt.posted == "" && len(reqs) > 0:
				t.Errorf("%d requests, want none", len(reqs))
			case tt.posted != "" && len(reqs) != 1:
				t.Errorf("%d requests, want 1", len(reqs))
			case tt.posted != "":
				if diff := cmp.Diff(tt.posted, string(reqs[0].CSV)); diff != "" {
					t.Errorf("posted CSV (-want +got):\n%s", diff)
				}
			}
			if goOption.MatchString(stdout.String() + stderr.String()) {
				t.Errorf("the output names a Go option:\n%s%s", &stdout, &stderr)
			}
		})
	}
}

// TestSyncAuthCharset: a server that reads credentials as ISO-8859-1
// refuses the default UTF-8 with advice to use -auth-charset latin1, and
// takes them with it.
func TestSyncAuthCharset(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithLatin1Credentials(), clienttest.WithLibraryGroups("Blue", "Red"))
	defer srv.Close()
	post := []string{"-file", "testdata/canonical.csv", "-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", exampletest.CAFile(t, srv)}
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{post, 3, "may need the other -auth-charset"},
		{append([]string{"-auth-charset", "latin1"}, post...), 0, ""},
		{append([]string{"-auth-charset", "UTF-8"}, post...), 3, "may need the other -auth-charset"},
		{append([]string{"-auth-charset", "ascii"}, post...), 2, `-auth-charset: unknown charset "ascii"; use utf-8 (the default) or latin1`},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(tt.args, env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword}), nil, &stdout, &stderr)
		if code != tt.code || !strings.Contains(stderr.String(), tt.stderr) {
			t.Errorf("%q: exit code %d, want %d; stderr lacks %q?\n%s", tt.args[:2], code, tt.code, tt.stderr, &stderr)
		}
		if goOption.MatchString(stderr.String()) {
			t.Errorf("the output names a Go option:\n%s", &stderr)
		}
	}
}

// TestSyncBinary runs the built program, exit codes included.
func TestSyncBinary(t *testing.T) {
	bin := exampletest.Build(t)
	pwFile := passwordFile(t, "x\n", 0o600)
	tests := []struct {
		env  []string
		args []string
		code int
	}{
		{nil, []string{"-h"}, 0},
		{nil, []string{"-file", "testdata/canonical.csv", "-dry-run"}, 0},
		{nil, []string{"-file", "testdata/export_windows1252.csv", "-encoding", "windows-1252", "-dry-run"}, 0},
		{nil, []string{"-file", "testdata/bad.csv", "-dry-run"}, 1},
		{nil, []string{"-import", "contacts", "-file", "testdata/sms_contacts.csv", "-map", contactsMap, "-dry-run"}, 0},
		{nil, []string{"-import", "contacts", "-file", "testdata/sms_contacts.csv", "-library-groups", "testdata/library_groups.txt", "-dry-run"}, 2},
		{[]string{"INFINITI_PASSWORD=x"}, []string{"-file", "testdata/canonical.csv", "-url", "https://127.0.0.1:1", "-user", "a"}, 3},
		{nil, []string{"-file", "testdata/canonical.csv", "-url", "https://127.0.0.1:1", "-user", "a", "-password-file", pwFile}, 3},
		{[]string{"INFINITI_PASSWORD=x"}, []string{"-file", "testdata/canonical.csv", "-url", "https://127.0.0.1:1", "-user", "a", "-password-file", pwFile}, 2},
	}
	// With a journal: a first run, then an empty export refused (exit 4).
	srv := clienttest.NewServer(clienttest.WithLibraryGroups("Blue", "Red"), clienttest.WithSystemGroups("Students", "Staff"))
	defer srv.Close()
	empty := filepath.Join(t.TempDir(), "empty.csv")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	school := []string{"-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", exampletest.CAFile(t, srv), "-state", t.TempDir()}
	pw := []string{"INFINITI_PASSWORD=" + clienttest.DefaultPassword}
	tests = append(tests, []struct {
		env  []string
		args []string
		code int
	}{
		{pw, append([]string{"-file", "testdata/canonical.csv"}, school...), 0},
		{pw, append([]string{"-file", empty}, school...), 4},
		{nil, append([]string{"-file", empty, "-plan"}, school...), 4},
		{nil, append([]string{"-history"}, school...), 0},
	}...)
	for _, tt := range tests {
		// The job's environment may hold a real INFINITI_PASSWORD: clear it.
		env := append([]string{"INFINITI_PASSWORD="}, tt.env...)
		if _, code := exampletest.RunBinary(t, bin, env, tt.args...); code != tt.code {
			t.Errorf("%q %q: exit code %d, want %d", tt.env, tt.args, code, tt.code)
		}
	}
}

// TestSyncFailuresFileHasEveryRow: the -failures file gets every failed
// row, also past the first 1,000 of a kind that the report keeps, both
// for check errors and for rows Infiniti failed.
func TestSyncFailuresFileHasEveryRow(t *testing.T) {
	const n = csvspec.MaxProblemsPerCode + 200
	var known []string
	var bad, failing strings.Builder
	bad.WriteString("username,library-group,system-group\n")
	failing.WriteString("username,library-group,system-group\n")
	for i := range n {
		bad.WriteString(",Red,Students\n") // no username: a check error
		fmt.Fprintf(&failing, "user%05d,Red,Students\n", i)
		if i%2 == 0 {
			known = append(known, fmt.Sprintf("user%05d", i)) // the others fail in Infiniti
		}
	}
	srv := clienttest.NewServer(clienttest.WithUsers(known...))
	defer srv.Close()
	ca := exampletest.CAFile(t, srv)
	pw := env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword})
	dir := t.TempDir()
	tests := []struct {
		name     string
		export   string
		args     []string
		code     int
		wantRows int
	}{
		{name: "check errors", export: bad.String(), args: []string{"-dry-run"}, code: 2, wantRows: n},
		{name: "rows Infiniti failed", export: failing.String(), args: []string{"-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", ca}, code: 1, wantRows: n - len(known)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			export := filepath.Join(dir, "export.csv")
			failures := filepath.Join(dir, "failures.csv")
			if err := os.WriteFile(export, []byte(tt.export), 0o600); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			args := append([]string{"-file", export, "-failures", failures}, tt.args...)
			if code := run(args, pw, strings.NewReader(""), &stdout, &stderr); code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, stdout.String(), stderr.String())
			}
			b, err := os.ReadFile(failures)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			if got := len(lines) - 1; got != tt.wantRows { // less the header
				t.Errorf("the failures file has %d rows, want %d", got, tt.wantRows)
			}
		})
	}
}

// TestSyncJSONFull: -json to a stdout that cannot be written exits
// non-zero.
func TestSyncJSONFull(t *testing.T) {
	args := []string{"-json", "-dry-run", "-file", "testdata/canonical.csv"}
	if code := run(args, env(nil), nil, io.Discard, io.Discard); code != 0 {
		t.Fatalf("the check exits %d, want 0", code)
	}
	var stderr bytes.Buffer
	if code := run(args, env(nil), nil, failWriter{}, &stderr); code == 0 || !strings.Contains(stderr.String(), "writing the JSON report") {
		t.Errorf("exit code %d; want non-zero and the write error on stderr:\n%s", code, &stderr)
	}
}

// failWriter fails every write, as a full disk does.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestSyncBinaryOutput: when its output is not a terminal, each line of
// stdout and stderr starts with the local date and time; -json's document
// carries none; the usage names the program by its binary's name.
func TestSyncBinaryOutput(t *testing.T) {
	bin := exampletest.Build(t) // named "prog"
	dated := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) `)
	stdout, stderr, code := exampletest.Run(t, bin, nil, "-dry-run", "-file", "testdata/bad.csv")
	lines := strings.Split(strings.TrimSuffix(stdout+stderr, "\n"), "\n")
	if code != 1 || len(lines) < 2 {
		t.Fatalf("exit code %d, want 1, and a few lines:\n%s%s", code, stdout, stderr)
	}
	for _, l := range lines {
		if !dated.MatchString(l) {
			t.Errorf("an undated line: %q", l)
		}
	}
	stdout, _, _ = exampletest.Run(t, bin, nil, "-json", "-dry-run", "-file", "testdata/canonical.csv")
	if !json.Valid([]byte(stdout)) {
		t.Errorf("-json printed no bare JSON document:\n%s", stdout)
	}
	if _, stderr, _ = exampletest.Run(t, bin, nil, "-h"); !strings.Contains(stderr, "Usage: prog -file PATH") {
		t.Errorf("the usage does not name the binary:\n%s", stderr)
	}
}

// TestSyncSignal: SIGTERM (a systemd stop) during the post cancels the
// run, which the journal records as cancelled.
func TestSyncSignal(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no SIGTERM to send")
	}
	arrived := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		once.Do(func() { close(arrived) })
		<-r.Context().Done() // no answer until the client gives up
	}))
	defer srv.Close()
	pw := env(map[string]string{"INFINITI_PASSWORD": "p"})
	school := []string{"-url", srv.URL, "-state", t.TempDir()}
	var stdout, stderr bytes.Buffer
	done := make(chan int)
	go func() {
		done <- run(append([]string{"-file", "testdata/canonical.csv", "-user", "u"}, school...), pw, nil, &stdout, &stderr)
	}()
	<-arrived // the run has set up its signal handling before it posts
	p, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != 3 || !strings.Contains(stderr.String(), "stopped by a signal") {
		t.Errorf("exit code %d, want 3, and the signal said:\n%s%s", code, &stdout, &stderr)
	}
	stdout.Reset()
	if code := run(append([]string{"-history"}, school...), pw, nil, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "cancelled") {
		t.Errorf("-history: exit code %d; want 0 and a cancelled run:\n%s", code, &stdout)
	}
}

// contactsMap maps the sample SMS contacts export's own column names.
const contactsMap = "username=Student Code,type=Contact Type,role=Relationship,primary=Is Primary,addressee=Salutation,contact=Contact Detail,sms=SMS Allowed,scenarios=Notify For"

const contactsHeader = "username,type,role,primary,addressee,contact,sms,scenarios\n"

// The rows of testdata/sms_contacts.csv as they are posted: type and role
// in lower case, Y/N as True/False, scenarios in their fixed order.
const (
	s1001 = "S1001,email,patron,True,Ava,ava.smith@students.hillview.example.edu.au,False,ANY\n" +
		"S1001,email,guardian,True,Mrs Jane Smith,jane.smith@example.com,False,OVERDUE;OVERDUE_ESCALATION_ONE;OVERDUE_ESCALATION_TWO;OVERDUE_ESCALATION_THREE\n" +
		"S1001,email,guardian,True,Mr Tom Smith,tom.smith@example.net,False,OVERDUE;OVERDUE_ESCALATION_ONE\n" +
		"S1001,phone,guardian,True,Mrs Jane Smith,(M1) 0400 000 000,True,NONE\n" +
		"S1001,phone,guardian,False,Mrs Jane Smith,(H) 07 5555 1234,False,NONE\n"
	s1002 = "S1002,email,patron,True,Ben,ben.nguyen@students.hillview.example.edu.au,False,ANY\n" +
		"S1002,email,guardian,True,Mr and Mrs Nguyen,nguyen.family@example.com,False,OVERDUE;OVERDUE_ESCALATION_ONE;OVERDUE_ESCALATION_TWO\n" +
		"S1002,phone,guardian,True,Mr and Mrs Nguyen,(M1) 0411 222 333,True,NONE\n"
	s1003 = "S1003,email,patron,True,Zoë,zoe.okafor@students.hillview.example.edu.au,,ANY\n" +
		"S1003,phone,patron,True,Zoë,(M) 0422 444 555,True,NONE\n" +
		"S1003,email,guardian,True,Dr Okafor,c.okafor@example.org,False,OVERDUE;OVERDUE_ESCALATION_ONE\n"
)

// TestSyncContactsDryRun: the sample SMS export, mapped with -map, passes
// the check with its Y/N booleans warned about once, the rest counted; a
// file with errors prints them with the contacts codes.
func TestSyncContactsDryRun(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string   // the whole of stdout
		stderr []string // the whole of stderr, line by line; nil: only contains has to be there
		// contains are pieces of stderr, with stderr nil.
		contains []string
	}{
		{
			name:   "the sample export",
			args:   []string{"-import", "contacts", "-file", "testdata/sms_contacts.csv", "-map", contactsMap, "-dry-run"},
			code:   0,
			stdout: "Pre-flight passed: 11 rows, 21 warnings. Nothing was sent (-dry-run).\n",
			stderr: []string{
				`testdata/sms_contacts.csv: line 2, primary: warning: the primary value "Y" is read as true, but whether Infiniti reads this spelling is not known; this program posts the file rewritten in the form Infiniti reads [boolean-spelling]`,
				"testdata/sms_contacts.csv: 20 more problems [boolean-spelling] not shown (-json lists the first 1000)",
			},
		},
		{
			name:     "the sample export without -map",
			args:     []string{"-import", "contacts", "-file", "testdata/sms_contacts.csv", "-dry-run"},
			code:     2,
			contains: []string{"[missing-column]", "not sent: "},
		},
		{
			name:     "a contacts file read as user groups",
			args:     []string{"-file", "testdata/sms_contacts.csv", "-map", contactsMap, "-dry-run"},
			code:     2,
			contains: []string{`sync: the export cannot be posted; nothing was sent: -map: "`, `" is not a column of a user-groups file; use one of "username", "library-group", "system-group" as the key.`},
		},
		{
			name:  "check errors name the contacts codes",
			args:  []string{"-import", "contacts", "-file", "-", "-dry-run"},
			stdin: contactsHeader + "S1,email,patron,True,Ann,not an address,,ANY\nS1,fax,patron,True,Ann,07 5555 1234,,NONE\n",
			code:  1, // a row problem holds its user (issue 14: was exit 2)
			contains: []string{
				"-: line 2, contact: error: ",
				"[invalid-email]",
				"-: line 3, type: error: ",
				"[unknown-contact-type]",
				"sync: 2 rows have problems (listed above): 1 user would be held for them, and the others would be sent",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, env(nil), strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, &stdout, &stderr)
			}
			if tt.stdout != "" && stdout.String() != tt.stdout {
				t.Errorf("stdout %q, want %q", &stdout, tt.stdout)
			}
			if tt.stderr != nil {
				got := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
				if diff := cmp.Diff(tt.stderr, got); diff != "" {
					t.Errorf("stderr (-want +got):\n%s", diff)
				}
			}
			for _, want := range tt.contains {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, &stderr)
				}
			}
			if goOption.MatchString(stdout.String()+stderr.String()) || strings.Contains(stderr.String(), "ContactWriter") {
				t.Errorf("the output names a Go name:\n%s%s", &stdout, &stderr)
			}
		})
	}
}

// TestSyncContactsState runs a school's contacts nights in order with
// -state, against the fake's contacts import: a first run sends every row,
// rewritten; a guardian's changed email sends only that student's rows;
// -plan shows the change; a user Infiniti does not know fails and is
// written to -failures with the contacts columns; -history and -json.
func TestSyncContactsState(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithUsers("S1001", "S1002", "S1003"))
	defer srv.Close()
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	failures := filepath.Join(dir, "failures.csv")
	sample := mustRead(t, "testdata/sms_contacts.csv")
	export := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := export("first.csv", sample)
	changed := export("changed.csv", strings.Replace(sample, "nguyen.family@example.com", "nguyen.home@example.com", 1))
	if mustRead(t, changed) == sample {
		t.Fatal("the changed export is the sample")
	}
	newcomer := export("newcomer.csv", mustRead(t, changed)+
		"S1004,Email,Patron,Y,Cal,cal.ho@students.hillview.example.edu.au,N,ANY\n"+
		"S1004,Email,Guardian,Y,Ms Ho,=ho@example.com,N,OVERDUE\n")
	school := []string{"-import", "contacts", "-map", contactsMap, "-url", srv.URL, "-ca-file", exampletest.CAFile(t, srv), "-state", state}
	post := append([]string{"-user", clienttest.DefaultUsername}, school...)
	s1002Changed := strings.Replace(s1002, "nguyen.family@", "nguyen.home@", 1)

	steps := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		posted *string // the CSV the server received; nil for no request
	}{
		{
			name:   "first run sends every row, rewritten",
			args:   append([]string{"-file", first}, post...),
			code:   0,
			stdout: []string{"First run for this school: no earlier state to compare with, so every row is sent (3 users, 11 rows) and no limit applies.", "11 users processed. 0 users created. 11 users updated. 0 users failed.", "All 11 rows imported."},
			posted: ptr(contactsHeader + s1001 + s1002 + s1003),
		},
		{
			name:   "an unchanged rerun posts an empty file",
			args:   append([]string{"-file", first}, post...),
			code:   0,
			stdout: []string{"Plan (incremental): 3 users in the export, 0 new, 0 changed, 3 unchanged, 0 gone from the export; 0 contact rows added, 0 removed; 0 users would lose something; 0 rows to send."},
			posted: ptr(contactsHeader),
		},
		{
			name: "-plan shows a guardian's changed email and sends nothing",
			args: append([]string{"-file", changed, "-plan"}, school...),
			code: 0,
			stdout: []string{
				"Plan (incremental): 3 users in the export, 0 new, 1 changed, 2 unchanged, 0 gone from the export; 1 contact row added, 1 removed; 1 user would lose something; 3 rows to send.",
				"  changed S1002\n" +
					"            - email,guardian,True,Mr and Mrs Nguyen,nguyen.family@example.com,False,OVERDUE;OVERDUE_ESCALATION_ONE;OVERDUE_ESCALATION_TWO\n" +
					"            + email,guardian,True,Mr and Mrs Nguyen,nguyen.home@example.com,False,OVERDUE;OVERDUE_ESCALATION_ONE;OVERDUE_ESCALATION_TWO\n" +
					"Nothing was sent (-plan).",
			},
		},
		{
			name:   "a guardian's changed email sends only that student's rows",
			args:   append([]string{"-file", changed}, post...),
			code:   0,
			stdout: []string{"All 3 rows imported."},
			posted: ptr(contactsHeader + s1002Changed),
		},
		{
			name: "a user Infiniti does not know fails, and is written for staff",
			args: append([]string{"-file", newcomer, "-failures", failures}, post...),
			code: 1,
			stdout: []string{
				"2 users processed. 0 users created. 0 users updated. 2 users failed.",
				"row 1 (line 13, S1004 patron email cal.ho@students.hillview.example.edu.au): Field (username) User (S1004) does not exist. User failed to import: Field (username) User (S1004) does not exist. (the user must exist in Infiniti before its contacts can be imported)",
				"The users of the failed rows are sent again on the next run.",
			},
			posted: ptr(contactsHeader +
				"S1004,email,patron,True,Cal,cal.ho@students.hillview.example.edu.au,False,ANY\n" +
				"S1004,email,guardian,True,Ms Ho,=ho@example.com,False,OVERDUE\n"),
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := len(srv.Requests())
			var stdout, stderr bytes.Buffer
			code := run(st.args, env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword}), nil, &stdout, &stderr)
			if code != st.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, st.code, &stdout, &stderr)
			}
			checkOutput(t, stdout.String(), stderr.String(), st.stdout, nil)
			checkPosted(t, srv.Requests()[before:], st.posted, clienttest.ImportContactsPath)
			if goOption.MatchString(stdout.String() + stderr.String()) {
				t.Errorf("the output names a Go option:\n%s%s", &stdout, &stderr)
			}
		})
	}

	// What the fake holds: S1002's new set, the others' first, the
	// unknown user nothing.
	held := srv.Contacts()
	var addresses []string
	for _, u := range []string{"S1001", "S1002", "S1003", "S1004"} {
		for _, c := range held[u] {
			if c.Type == "email" && c.Role == "guardian" {
				addresses = append(addresses, u+" "+c.Contact+" "+c.Primary)
			}
		}
	}
	wantAddresses := []string{"S1001 jane.smith@example.com True", "S1001 tom.smith@example.net True", "S1002 nguyen.home@example.com True", "S1003 c.okafor@example.org True"}
	if diff := cmp.Diff(wantAddresses, addresses); diff != "" {
		t.Errorf("the guardians' emails Infiniti holds (-want +got):\n%s", diff)
	}

	// The failures file: the contacts columns, the formula defused.
	b, err := os.ReadFile(failures)
	if err != nil {
		t.Fatal(err)
	}
	const msg = "Field (username) User (S1004) does not exist. User failed to import: Field (username) User (S1004) does not exist."
	// Issue 14 §8's columns, a byte order mark, Infiniti's message once
	// (was: line, row, ..., code, field, message, the message twice).
	const once = "Field (username) User (S1004) does not exist."
	wantFailures := "\ufeffline,username,type,role,contact,problem\n" +
		"13,S1004,email,patron,cal.ho@students.hillview.example.edu.au," + once + "\n" +
		"14,S1004,email,guardian,'=ho@example.com," + once + "\n"
	if diff := cmp.Diff(wantFailures, string(b)); diff != "" {
		t.Errorf("failures file (-want +got):\n%s", diff)
	}

	// -json of the same night: the failed rows carry their contact, and
	// the newcomer is sent again.
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"-json", "-file", newcomer}, post...), env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword}), nil, &stdout, &stderr)
	var decoded struct {
		report
		Users json.RawMessage `json:"users"` // Kind reads back as text only
	}
	err = json.Unmarshal(stdout.Bytes(), &decoded)
	rep := decoded.report
	if err != nil || code != 1 {
		t.Fatalf("-json: exit code %d, %v\n%s\n%s", code, err, &stdout, &stderr)
	}
	wantRows := []failedRow{
		{Row: 1, Line: 13, Username: "S1004", Type: "email", Role: "patron", Contact: "cal.ho@students.hillview.example.edu.au", Field: "username", Message: msg},
		{Row: 2, Line: 14, Username: "S1004", Type: "email", Role: "guardian", Contact: "=ho@example.com", Field: "username", Message: msg},
	}
	if diff := cmp.Diff(wantRows, rep.FailedRows); diff != "" || rep.Import != "contacts" || rep.RowsSent != 2 || rep.Outcome != "rows-failed" {
		t.Errorf("-json: import %q, %d rows sent, outcome %q; failed rows (-want +got):\n%s", rep.Import, rep.RowsSent, rep.Outcome, diff)
	}

	// -history: the contacts import keeps its own runs, apart from the
	// school's user groups.
	histOut, _, outcomes := history(t, school)
	if diff := cmp.Diff([]string{"ok", "ok", "ok", "rows-failed", "rows-failed"}, outcomes); diff != "" {
		t.Errorf("-history -import contacts outcomes (-want +got):\n%s\n%s", diff, histOut)
	}
	stdout.Reset()
	if code := run([]string{"-history", "-url", srv.URL, "-state", state}, env(nil), nil, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "No runs recorded for ") {
		t.Errorf("-history of user groups: exit code %d\n%s", code, &stdout)
	}
}

// TestSyncContactsUsage: flags of one import given with the other, and a
// bad -import or -contacts-mode, are usage errors that send nothing.
func TestSyncContactsUsage(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	post := []string{"-file", "testdata/sms_contacts.csv", "-map", contactsMap, "-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", exampletest.CAFile(t, srv)}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-import", "contacts", "-library-groups", "testdata/library_groups.txt"}, "sync: -library-groups checks user groups, which a contacts file does not have: leave it out with -import contacts\n"},
		{[]string{"-import", "contacts", "-system-groups", "testdata/system_groups.txt"}, "sync: -system-groups checks user groups, which a contacts file does not have: leave it out with -import contacts\n"},
		{[]string{"-import", "contacts", "-library-groups", "x", "-system-groups", "y"}, "sync: -library-groups checks user groups, which a contacts file does not have: leave it out with -import contacts\n"},
		{[]string{"-contacts-mode", "replaceDeclaredPatronsKeepCustomContacts"}, "sync: -contacts-mode is the mode of the contacts import: give it with -import contacts, or leave it out\n"},
		{[]string{"-import", "user-groups", "-contacts-mode", "replaceAll"}, "sync: -contacts-mode is the mode of the contacts import"},
		{[]string{"-import", "contacts", "-contacts-mode", "replace/all"}, "sync: -contacts-mode: "},
		{[]string{"-import", "contacts", "-contacts-mode", ""}, "sync: -contacts-mode: "},
		{[]string{"-import", "userContacts"}, `sync: -import: unknown import "userContacts"; use user-groups (the default) or contacts` + "\n"},
		{[]string{"-import", "contacts", "-contacts-mode", "replace/all", "-dry-run"}, "sync: -contacts-mode: "},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(append(tt.args, post...), env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword}), nil, &stdout, &stderr)
		if code != 2 || !strings.HasPrefix(stderr.String(), tt.want) {
			t.Errorf("%q: exit code %d, want 2; stderr does not start with %q:\n%s", tt.args, code, tt.want, &stderr)
		}
		if goOption.MatchString(stderr.String()) {
			t.Errorf("%q: the output names a Go option:\n%s", tt.args, &stderr)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests, want none", n)
	}

	// A mode this Infiniti does not know is answered 404 (the fake's
	// choice): the message names -contacts-mode.
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"-import", "contacts", "-contacts-mode", "replaceAll"}, post...), env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword}), nil, &stdout, &stderr)
	if want := `or this Infiniti does not know -contacts-mode "replaceAll": only replaceDeclaredPatronsKeepCustomContacts has been seen in the field`; code != 3 || !strings.Contains(stderr.String(), want) {
		t.Errorf("an unknown mode: exit code %d, want 3; stderr lacks %q:\n%s", code, want, &stderr)
	}
	if reqs := srv.Requests(); len(reqs) != 1 || reqs[0].Path != "/api/import/userContacts/replaceAll" {
		t.Errorf("requests %+v, want one to the unknown mode", reqs)
	}

	// -h says which mode is known and that others are unverified.
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"-h"}, env(nil), nil, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "-contacts-mode") || !strings.Contains(stderr.String(), "unverified") {
		t.Errorf("-h: exit code %d\n%s", code, &stderr)
	}
}

// TestSyncContactsUnknownOutcome: Infiniti's answer to a contacts import is
// not documented, so an outcome text that is not a known success counts as
// failed (exit 1), says so, and its user is sent again the next night.
func TestSyncContactsUnknownOutcome(t *testing.T) {
	var mu sync.Mutex
	var posted []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, _, err := r.FormFile("file")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b, _ := io.ReadAll(f)
		mu.Lock()
		posted = append(posted, r.URL.Path+"\n"+string(b))
		mu.Unlock()
		// An answer in a wording the SDK does not know: row 1's outcome
		// may well be a success.
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"success": true, "summary": "2 users processed. 0 users created. 1 user updated. 0 users failed.", "details": {"1": "Contacts Replaced", "2": "User Updated"}}`)
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	export := filepath.Join(t.TempDir(), "contacts.csv")
	if err := os.WriteFile(export, []byte(contactsHeader+
		"S1,email,patron,True,Ann,ann@example.com,,ANY\n"+
		"S2,email,patron,True,Bo,bo@example.com,,ANY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-import", "contacts", "-file", export, "-url", srv.URL, "-user", "u", "-ca-file", ca, "-state", t.TempDir()}
	want := []string{
		"row 1 (line 2, S1 patron email ann@example.com): Contacts Replaced (not an outcome known as a success, so the row counts as failed)",
		"The users of the failed rows are sent again on the next run.",
	}
	for night := 1; night <= 2; night++ {
		var stdout, stderr bytes.Buffer
		code := run(args, env(map[string]string{"INFINITI_PASSWORD": "pw"}), nil, &stdout, &stderr)
		if code != 1 {
			t.Errorf("night %d: exit code %d, want 1\nstdout:\n%s\nstderr:\n%s", night, code, &stdout, &stderr)
		}
		for _, w := range want {
			if !strings.Contains(stdout.String(), w) {
				t.Errorf("night %d: stdout lacks %q:\n%s", night, w, &stdout)
			}
		}
	}
	// The first night sends both users; the second only the one whose
	// outcome was not known.
	path := "/api/import/userContacts/replaceDeclaredPatronsKeepCustomContacts\n"
	wantPosted := []string{
		path + contactsHeader + "S1,email,patron,True,Ann,ann@example.com,,ANY\nS2,email,patron,True,Bo,bo@example.com,,ANY\n",
		path + contactsHeader + "S1,email,patron,True,Ann,ann@example.com,,ANY\n",
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(wantPosted, posted); diff != "" {
		t.Errorf("posted (-want +got):\n%s", diff)
	}
}

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

const header = "username,library-group,system-group\n"

// TestSyncState runs a school's nights in order with -state: a first run,
// an unchanged rerun, a change, a broken export refused, -plan, -force,
// failed rows with -failures, and -history. Each step depends on the ones
// before it, as nights do.
func TestSyncState(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithApplyMode(clienttest.ApplyReplace),
		clienttest.WithLibraryGroups("Blue", "Red"), clienttest.WithSystemGroups("Students", "Staff"))
	defer srv.Close()
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	failures := filepath.Join(dir, "failures.csv")
	export := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	school := []string{"-url", srv.URL, "-tenant", "t1", "-ca-file", exampletest.CAFile(t, srv), "-state", state}
	post := append([]string{"-user", clienttest.DefaultUsername}, school...)
	full := export("full.csv", header+"ann,Blue,Students\nbob,Red,Students\ncat,Blue,Staff\ndan,Red,Students\nemma,Blue,Students\nfin,Red,Students\n")
	changed := export("changed.csv", header+"ann,Blue,Students\nbob,Blue,Students\ncat,Blue,Staff\ndan,Red,Students\nemma,Blue,Students\nfin,Red,Students\ngus,Red,Students\n")
	half := export("half.csv", header+"ann,Blue,Students\nbob,Blue,Students\ncat,Blue,Staff\ngus,Red,Students\n")
	empty := export("empty.csv", header)
	failing := export("failing.csv", header+"ann,Blue,Students\nbob,Blue,Students\ncat,Blue,Staff\ngus,\"=HYPERLINK(\"\"x\"\")\",Students\nhal,Gold,Students\n")

	steps := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
		posted *string // the CSV the server received; nil for no request
	}{
		{
			name:   "first run sends every row",
			args:   append([]string{"-file", full}, post...),
			code:   0,
			stdout: []string{"First run for this school: no earlier state to compare with, so every row is sent (6 users, 6 rows) and no limit applies.", "All 6 rows imported."},
			posted: ptr(header + "ann,Blue,Students\nbob,Red,Students\ncat,Blue,Staff\ndan,Red,Students\nemma,Blue,Students\nfin,Red,Students\n"),
		},
		{
			name:   "an unchanged rerun posts an empty file",
			args:   append([]string{"-file", full}, post...),
			code:   0,
			stdout: []string{"Plan (incremental): 6 users in the export, 0 new, 0 changed, 6 unchanged, 0 gone from the export; 0 memberships added, 0 lost, left to staff (-report); 0 users would lose something; 0 rows to send.", "Nothing to send (no user is new or changed): an empty file was posted, which checked the credentials."},
			posted: ptr(header),
		},
		{
			name:   "-plan shows a change and sends nothing",
			args:   append([]string{"-file", changed, "-plan"}, school...),
			code:   0,
			stdout: []string{"3 memberships added, 1 lost, left to staff (-report); 1 user would lose something; 2 rows to send.", "  changed bob +library-group=Blue -library-group=Red", "  new     gus +library-group=Red +system-group=Students", "Nothing was sent (-plan)."},
		},
		{
			name:   "only the new and changed users are sent",
			args:   append([]string{"-file", changed}, post...),
			code:   0,
			posted: ptr(header + "bob,Blue,Students\ngus,Red,Students\n"),
		},
		{
			// Past the limit the guard holds the losses and sends
			// what takes nothing away (issue 14: was refused whole).
			name:   "an export shrunk by half is held",
			args:   append([]string{"-file", half, "-max-removals", "2"}, post...),
			code:   4,
			stdout: []string{"3 gone from the export"},
			stderr: []string{"sync: held 3 users who would lose something, of the 7 Infiniti last accepted (3 gone from the export, 0 losing part of what they had): more than the limit of 2 (at most 2 users); 0 rows were sent for the users who lose nothing. Release the held users with -force, or a higher -max-removals"},
			posted: ptr(header),
		},
		{
			name:   "-plan says it would be held",
			args:   append([]string{"-file", half, "-max-removals", "2", "-plan"}, school...),
			code:   4,
			stderr: []string{"sync: would hold 3 users who would lose something, of the 7", "the users who lose nothing would be sent"},
		},
		{
			name:   "an empty export is refused whatever the limit",
			args:   append([]string{"-file", empty, "-max-removals", "100%"}, post...),
			code:   4,
			stderr: []string{"the export has no rows, but Infiniti last accepted 7 users; this is usually a broken export. Nothing was sent."},
		},
		{
			name:   "-force goes past the limit",
			args:   append([]string{"-file", half, "-max-removals", "0", "-force"}, post...),
			code:   0,
			stdout: []string{"3 users are no longer in the export and still hold their groups in Infiniti (see -report; -leavers moves them).", "-force: going past the safety limit, which would have held or refused this run: 3 of the 7 users Infiniti last accepted (42.9%) would lose something (3 gone from the export, 0 losing part of what they had), more than the limit of 0 (at most 0 users). The journal records that it was forced.\n", "Nothing to send (no user is new or changed): an empty file was posted, which checked the credentials."},
			posted: ptr(header),
		},
		{
			name: "failed rows are joined back and written for staff",
			args: append([]string{"-file", failing, "-failures", failures}, post...),
			code: 1,
			stdout: []string{
				"row 2 (line 6, hal): Field (library-group) Library group (Gold) does not exist.",
				"The users of the failed rows are sent again on the next run.",
			},
			posted: ptr(header + "gus,\"=HYPERLINK(\"\"x\"\")\",Students\nhal,Gold,Students\n"),
		},
		{
			name:   "an export in another encoding is refused, and recorded",
			args:   append([]string{"-file", "testdata/export_utf16le.csv"}, post...),
			code:   2,
			stderr: []string{"sync: testdata/export_utf16le.csv: the file starts with a UTF-16 LE byte order mark: it is Unicode text (UTF-16), as Excel saves \"Unicode text\"; run again with -encoding utf-16\n"},
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := len(srv.Requests())
			var stdout, stderr bytes.Buffer
			code := run(st.args, env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword}), nil, &stdout, &stderr)
			if code != st.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, st.code, &stdout, &stderr)
			}
			checkOutput(t, stdout.String(), stderr.String(), st.stdout, st.stderr)
			if st.code == 4 && strings.Contains(stdout.String(), "First run") {
				t.Errorf("a refused run is called a first run:\n%s", &stdout)
			}
			checkPosted(t, srv.Requests()[before:], st.posted, "")
			if goOption.MatchString(stdout.String() + stderr.String()) {
				t.Errorf("the output names a Go option:\n%s%s", &stdout, &stderr)
			}
		})
	}

	// The failures file, with the formula defused.
	b, err := os.ReadFile(failures)
	if err != nil {
		t.Fatal(err)
	}
	// Issue 14 §8's columns and a byte order mark.
	wantFailures := "\ufeffline,username,library-group,system-group,problem\n" +
		`5,gus,"'=HYPERLINK(""x"")",Students,`
	if !strings.HasPrefix(string(b), wantFailures) || !strings.Contains(string(b), "\n6,hal,Gold,Students,Field (library-group) Library group (Gold) does not exist.\n") {
		t.Errorf("failures file:\n%s\nwant it to start with\n%s", b, wantFailures)
	}

	// -history: every run, newest last, and the health.
	stdout, lines, outcomes := history(t, school)
	want := []string{"ok", "ok", "ok", "held", "refused", "ok", "rows-failed", "invalid-file"}
	if diff := cmp.Diff(want, outcomes); diff != "" {
		t.Errorf("-history outcomes (-want +got):\n%s\n%s", diff, stdout)
	}
	if !strings.Contains(stdout, "forced") || !strings.HasPrefix(lines[len(lines)-1], "Last success: ") || !strings.HasSuffix(lines[len(lines)-1], "; 2 runs failed or refused since.") {
		t.Errorf("-history:\n%s", stdout)
	}

	// -json: the plan, the journal's health and the outcome.
	var jsonOut, stderr bytes.Buffer
	code := run(append([]string{"-json", "-file", changed}, post...), env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword}), nil, &jsonOut, &stderr)
	var rep struct {
		Plan    map[string]any `json:"plan"`
		Journal map[string]any `json:"journal"`
		Outcome string         `json:"outcome"`
	}
	if err := json.Unmarshal(jsonOut.Bytes(), &rep); err != nil || code != 0 {
		t.Fatalf("-json: exit code %d, %v\n%s", code, err, &jsonOut)
	}
	if rep.Outcome != "ok" || rep.Plan["mode"] != "incremental" || rep.Plan["users_new"] != float64(3) || rep.Journal["failures_since"] != float64(0) || rep.Journal["last_success"] == nil {
		t.Errorf("-json: %+v", rep)
	}
}

func ptr[T any](v T) *T { return &v }

// TestSyncLocked: a second run while another holds the school's lock
// stops at once with exit 3, naming the first.
func TestSyncLocked(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	state := t.TempDir()
	j, err := syncjob.OpenDir(state)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(srv.URL, client.WithTenant("t1"))
	if err != nil {
		t.Fatal(err)
	}
	sess, err := j.Lock(context.Background(), (&syncjob.Job{Client: c}).Key())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	var stdout, stderr bytes.Buffer
	args := []string{"-file", "testdata/canonical.csv", "-url", srv.URL, "-tenant", "t1", "-user", "u", "-state", state, "-ca-file", exampletest.CAFile(t, srv)}
	code := run(args, env(map[string]string{"INFINITI_PASSWORD": "x"}), nil, &stdout, &stderr)
	if code != 3 || !strings.Contains(stderr.String(), "holds the lock of") || !strings.Contains(stderr.String(), "wait for it to finish") {
		t.Errorf("exit code %d, want 3; stderr:\n%s", code, &stderr)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}

// TestSyncJournalUsage: the flags that need a journal are usage errors
// without -state, and so are flags that do not go together.
func TestSyncJournalUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-file", "x.csv", "-full", "-url", "https://s.example", "-user", "u"}, "sync: -full needs the journal: give -state DIR"},
		{[]string{"-file", "x.csv", "-plan", "-url", "https://s.example"}, "sync: -plan needs the journal"},
		{[]string{"-history", "-url", "https://s.example"}, "sync: -history needs the journal"},
		{[]string{"-file", "x.csv", "-force", "-max-removals", "5", "-url", "https://s.example", "-user", "u"}, "sync: -force, -max-removals need the journal"},
		{[]string{"-file", "x.csv", "-state", "d", "-max-removals", "ten", "-url", "https://s.example", "-user", "u"}, `sync: -max-removals: the removal limit "ten" is neither a count nor a percentage`},
		{[]string{"-file", "x.csv", "-state", "d", "-max-removals", "150%", "-url", "https://s.example", "-user", "u"}, "sync: -max-removals: "},
		{[]string{"-file", "x.csv", "-state", "d", "-plan", "-dry-run"}, "sync: -dry-run checks the file only; leave it out with -plan, -history or -report"},
		{[]string{"-state", "d", "-history"}, "sync: -history and -clear-for-staff need -url"},
		{[]string{"-state", "d", "-history", "-plan", "-url", "https://s.example"}, "sync: give -plan or -history, not both"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(tt.args, env(map[string]string{"INFINITI_PASSWORD": "x"}), nil, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%q: exit code %d, want 2; stderr lacks %q:\n%s", tt.args, code, tt.want, &stderr)
		}
	}
}

// TestSyncLostState: a run whose journal lost its state is refused, and
// is not announced as a first run.
func TestSyncLostState(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithLibraryGroups("Blue", "Red"), clienttest.WithSystemGroups("Students", "Staff"))
	defer srv.Close()
	state := t.TempDir()
	args := []string{"-file", "testdata/canonical.csv", "-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", exampletest.CAFile(t, srv), "-state", state}
	pw := env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword})
	tests := []struct {
		name      string
		loseState bool
		code      int
		stdout    string
		notStdout string
	}{
		{name: "first run", code: 0, stdout: "First run for this school: no earlier state to compare with, so every row is sent (2 users, 2 rows) and no limit applies.\n"},
		// A missing state after one run is that run killed before its
		// state was in place (issue 14 §1): it is a first run again.
		{name: "a second run", code: 0, stdout: "Nothing to send"},
		{
			name: "the state is lost", loseState: true, code: 4,
			stdout:    "No earlier state to compare with, although the journal's run log shows one was kept: every row would be sent (2 users, 2 rows), unguarded by the limit.\n",
			notStdout: "First run",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.loseState {
				states, err := filepath.Glob(filepath.Join(state, "*", "state.csv"))
				if err != nil || len(states) != 1 {
					t.Fatalf("the journal's state files: %q %v", states, err)
				}
				if err := os.Remove(states[0]); err != nil {
					t.Fatal(err)
				}
			}
			var stdout, stderr bytes.Buffer
			code := run(args, pw, nil, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\n%s%s", code, tt.code, &stdout, &stderr)
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, &stdout)
			}
			if tt.notStdout != "" && strings.Contains(stdout.String(), tt.notStdout) {
				t.Errorf("stdout holds %q:\n%s", tt.notStdout, &stdout)
			}
		})
	}
}

// TestSyncExtraColumnsQuiet: extra export columns are said by -plan and a
// first run, not every night.
func TestSyncExtraColumnsQuiet(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithLibraryGroups("Blue", "Red"))
	defer srv.Close()
	export := filepath.Join(t.TempDir(), "export.csv")
	if err := os.WriteFile(export, []byte("username,library-group,system-group,Surname\njsmith,Blue,Students,Smith\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	school := []string{"-file", export, "-url", srv.URL, "-ca-file", exampletest.CAFile(t, srv), "-state", t.TempDir()}
	pw := env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword})
	for _, night := range []struct {
		name  string
		args  []string
		extra bool
	}{
		{"first run", []string{"-user", clienttest.DefaultUsername}, true},
		{"second night", []string{"-user", clienttest.DefaultUsername}, false},
		{"-plan", []string{"-plan"}, true},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(append(night.args, school...), pw, nil, &stdout, &stderr); code != 0 {
			t.Fatalf("%s: exit code %d\n%s%s", night.name, code, &stdout, &stderr)
		}
		if got := strings.Contains(stderr.String(), "[extra-column]"); got != night.extra {
			t.Errorf("%s: the extra column said: %v, want %v\n%s", night.name, got, night.extra, &stderr)
		}
	}
}

// TestSyncConverge: issue 14's flags over a few nights of one school:
// -report and -carry for staff, kept leavers said every night, -leavers
// with a template, -json naming users, -clear-for-staff, and a cut-off
// export that -force does not pass.
func TestSyncConverge(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithLibraryGroups("Blue", "Red"), clienttest.WithSystemGroups("Students", "Former"))
	defer srv.Close()
	dir := t.TempDir()
	export := filepath.Join(dir, "export.csv")
	report := filepath.Join(dir, "report.csv")
	done := filepath.Join(dir, "done.csv")
	state := filepath.Join(dir, "state")
	const header = "username,library-group,system-group,Given Name\n"
	school := []string{"-file", export, "-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", exampletest.CAFile(t, srv), "-state", state, "-report", report, "-carry", "Given Name"}
	pw := env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword})
	nights := []struct {
		name     string
		export   string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		posted   *string  // nil: no post
		report   []string // lines the report holds
		notInOut string
		prepare  func(t *testing.T)
	}{
		{
			name:   "a first run writes the report",
			export: header + "ann,Blue,Students,Ann\nbob,Red,Students,Bob\ncat,Blue,Students,Cat\n",
			code:   0,
			posted: ptr("username,library-group,system-group\nann,Blue,Students\nbob,Red,Students\ncat,Blue,Students\n"),
			report: []string{"\ufeffusername,Given Name,library-group,system-group,change,status,reason,line", "ann,Ann,Blue,,add,sent,"},
		},
		{
			name:   "a kept leaver is said, and listed for staff with its name",
			export: header + "ann,Blue,Students,Ann\nbob,Red,Students,Bob\n",
			code:   0,
			stdout: []string{"1 user is no longer in the export and still holds its groups in Infiniti (see -report; -leavers moves them)."},
			posted: ptr("username,library-group,system-group\n"),
			report: []string{"cat,Cat,Blue,,remove,for-staff,"},
		},
		{
			name:   "said again the next night, -plan included",
			export: header + "ann,Blue,Students,Ann\nbob,Red,Students,Bob\n",
			args:   []string{"-plan"},
			code:   0,
			stdout: []string{"1 user is no longer in the export and still holds its groups in Infiniti", "Nothing was sent (-plan)."},
			report: []string{"cat,Cat,Blue,,remove,for-staff,"},
		},
		{
			name:   "a refused night still writes the report, with what is left for staff",
			export: header,
			code:   4,
			stderr: []string{"sync: refused: the export has no rows, but Infiniti last accepted 2 users"},
			report: []string{"cat,Cat,Blue,,remove,for-staff,"},
		},
		{
			name: "-clear-for-staff FILE clears the rows left in the report",
			args: []string{"-clear-for-staff", done},
			prepare: func(t *testing.T) {
				// Staff did cat's library group, not its system group.
				b, err := os.ReadFile(report)
				if err != nil {
					t.Fatal(err)
				}
				var keep []string
				for i, l := range strings.Split(string(b), "\n") {
					if i == 0 || strings.HasPrefix(l, "cat,Cat,Blue,") {
						keep = append(keep, l)
					}
				}
				write(t, done, strings.Join(keep, "\n")+"\n")
			},
			code:   0,
			stdout: []string{"Cleared 1 for-staff item done by hand; the journal records the run."},
		},
		{
			name:     "-clear-for-staff all: a run of its own",
			args:     []string{"-clear-for-staff", "all"},
			code:     0,
			stdout:   []string{"Cleared 1 for-staff item done by hand; the journal records the run."},
			notInOut: "no longer in the export",
		},
		{
			name:     "cleared items are not said again",
			export:   header + "ann,Blue,Students,Ann\nbob,Red,Students,Bob\n",
			code:     0,
			posted:   ptr("username,library-group,system-group\n"),
			notInOut: "no longer in the export",
		},
		{
			name:   "a leaver template sends the leaver once",
			export: header + "ann,Blue,Students,Ann\n",
			args:   []string{"-leavers", "library-group=,system-group=Former", "-applies", "replace"},
			code:   0,
			// cat, kept as a leaver two nights ago, is moved with the
			// template once it is set (the converge review's F8).
			posted: ptr("username,library-group,system-group\nbob,,Former\ncat,,Former\n"),
			report: []string{"bob,Bob,,Former,add,sent,", "cat,Cat,,Former,add,sent,"},
		},
		{
			name:   "a cut-off export is refused, -force or not",
			export: header + "ann,Blue,Students,Ann\ndan,Red",
			args:   []string{"-force"},
			code:   4,
			stderr: []string{"sync: refused: the export looks cut off at line 3; nothing was sent. Check the export from the SMS and run again (-force does not go past this)"},
		},
		{
			name:   "-dry-run says so too",
			export: header + "ann,Blue,\"Students,Ann\n",
			args:   []string{"-dry-run"},
			code:   4,
			stderr: []string{"sync: refused: either the export was cut off, or line 2 has an unclosed quote"},
		},
	}
	for _, n := range nights {
		t.Run(n.name, func(t *testing.T) {
			if n.export != "" {
				write(t, export, n.export)
			}
			if n.prepare != nil {
				n.prepare(t)
			}
			os.Remove(report)
			args := slices.Clone(school)
			if slices.Contains(n.args, "-dry-run") {
				args = []string{"-file", export}
			}
			before := len(srv.Requests())
			var stdout, stderr bytes.Buffer
			code := run(append(args, n.args...), pw, nil, &stdout, &stderr)
			if code != n.code {
				t.Errorf("exit code %d, want %d\n%s%s", code, n.code, &stdout, &stderr)
			}
			checkOutput(t, stdout.String(), stderr.String(), n.stdout, n.stderr)
			if n.notInOut != "" && strings.Contains(stdout.String(), n.notInOut) {
				t.Errorf("stdout holds %q:\n%s", n.notInOut, &stdout)
			}
			checkPosted(t, srv.Requests()[before:], n.posted, "")
			if len(n.report) > 0 {
				checkReport(t, report, n.report)
			}
		})
	}
}

// TestSyncConvergeUsage: the new flags' usage errors exit 2 and send
// nothing.
func TestSyncConvergeUsage(t *testing.T) {
	dir := t.TempDir()
	export := filepath.Join(dir, "export.csv")
	write(t, export, "username,library-group,system-group\nann,Blue,Students\n")
	post := []string{"-url", "https://127.0.0.1:1", "-user", "u"}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-file", export, "-report", filepath.Join(dir, "r.csv"), "-dry-run"}, "sync: -report needs the journal: give -state DIR"},
		{append([]string{"-file", export, "-state", t.TempDir(), "-report", export}, post...), "sync: -report " + export + " is the file -file names; give it a file of its own"},
		{append([]string{"-file", export, "-state", dir, "-report", filepath.Join(dir, "r.csv")}, post...), "is inside the journal's folder"},
		{append([]string{"-file", export, "-state", t.TempDir(), "-report", filepath.Join(dir, "r.csv"), "-failures", filepath.Join(dir, "r.csv")}, post...), "sync: -failures and -report name the same file; give each its own"},
		{append([]string{"-file", export, "-import", "contacts", "-leavers", "system-group=Former"}, post...), "sync: -leavers: a contacts file has no groups to move leavers to"},
		{append([]string{"-file", export, "-import", "contacts", "-applies", "add"}, post...), "sync: -applies: the one known contacts mode replaces"},
		{append([]string{"-file", export, "-applies", "sometimes"}, post...), `sync: -applies: "sometimes" is not a mode; give unknown (the default), add or replace`},
		{append([]string{"-file", export, "-leavers", "move"}, post...), `sync: -leavers: "move" is not library-group=GROUP or system-group=GROUP`},
		{[]string{"-clear-for-staff", "all", "-state", dir}, "sync: -history and -clear-for-staff need -url"},
		{[]string{"-file", export, "-state", dir, "-report", filepath.Join(t.TempDir(), "r.csv"), "-dry-run"}, "sync: -dry-run checks the file only; leave it out with -plan, -history or -report"},
		{[]string{"-clear-for-staff", "all", "-url", "https://x.example"}, "sync: -clear-for-staff needs the journal"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		if code := run(tt.args, env(map[string]string{"INFINITI_PASSWORD": "pw-123"}), nil, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%q: exit %d, want 2 and %q on stderr:\n%s", tt.args, code, tt.want, &stderr)
		}
	}
}

// TestSyncReportNotWritten: a -report that cannot be written is said on
// stderr and kept in the run record, which -history shows, and does not
// change the exit code.
func TestSyncReportNotWritten(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithLibraryGroups("Blue"), clienttest.WithSystemGroups("Students"))
	defer srv.Close()
	dir := t.TempDir()
	export := filepath.Join(dir, "export.csv")
	write(t, export, "username,library-group,system-group\nann,Blue,Students\n")
	report := filepath.Join(dir, "no-such-folder", "report.csv")
	school := []string{"-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", exampletest.CAFile(t, srv), "-state", filepath.Join(dir, "state")}
	pw := env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword})
	tests := []struct {
		name   string
		args   []string
		stdout string
		stderr string
	}{
		{name: "the run", args: []string{"-file", export, "-report", report}, stderr: "sync: -report: " + report + " was not written: "},
		{name: "its record", args: []string{"-history"}, stdout: "the staff report was not written: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(append(slices.Clone(school), tt.args...), pw, nil, &stdout, &stderr); code != 0 {
				t.Errorf("exit code %d, want 0\n%s%s", code, &stdout, &stderr)
			}
			if !strings.Contains(stdout.String(), tt.stdout) || !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stdout lacks %q or stderr lacks %q:\n%s%s", tt.stdout, tt.stderr, &stdout, &stderr)
			}
		})
	}
}

// checkOutput checks that a run's stdout and stderr hold each of wantOut
// and wantErr.
func checkOutput(t *testing.T, stdout, stderr string, wantOut, wantErr []string) {
	t.Helper()
	for _, want := range wantOut {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	for _, want := range wantErr {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// checkPosted checks reqs, the requests of a run: none when want is nil,
// else one post of the CSV want, to path unless path is "".
func checkPosted(t *testing.T, reqs []clienttest.Request, want *string, path string) {
	t.Helper()
	switch {
	case want == nil && len(reqs) > 0:
		t.Errorf("%d requests, want none", len(reqs))
	case want != nil && len(reqs) != 1:
		t.Errorf("%d requests, want 1", len(reqs))
	case want != nil:
		if path != "" && reqs[0].Path != path {
			t.Errorf("posted to %s, want %s", reqs[0].Path, path)
		}
		if diff := cmp.Diff(*want, string(reqs[0].CSV)); diff != "" {
			t.Errorf("posted CSV (-want +got):\n%s", diff)
		}
	}
}

// checkReport checks that the staff report holds each of want, and that
// others may not read it.
func checkReport(t *testing.T, report string, want []string) {
	t.Helper()
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("the report: %v", err)
	}
	for _, w := range want {
		if !strings.Contains(string(b), w) {
			t.Errorf("the report lacks %q:\n%s", w, b)
		}
	}
	if fi, err := os.Stat(report); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o007 != 0 {
		t.Errorf("the report has mode %v: others may read it", fi.Mode())
	}
}

// history runs -history with school's flags, and returns its output, its
// lines and the outcome of each run it lists.
func history(t *testing.T, school []string) (stdout string, lines, outcomes []string) {
	t.Helper()
	var out, stderr bytes.Buffer
	if code := run(append([]string{"-history"}, school...), env(nil), nil, &out, &stderr); code != 0 {
		t.Fatalf("-history: exit code %d\n%s", code, &stderr)
	}
	lines = strings.Split(strings.TrimSpace(out.String()), "\n")
	for _, l := range lines[1 : len(lines)-1] {
		outcomes = append(outcomes, strings.Fields(l)[3]) // after the date, time and mode
	}
	return out.String(), lines, outcomes
}
