package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/examples/internal/exampletest"
)

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
			code: 2,
			stderr: []string{
				"testdata/bad.csv: line 3 (row 2), username: error: the username is empty",
				`testdata/bad.csv: line 4 (row 3), library-group: error: library group "blue" is not defined in Infiniti; did you mean "Blue"?`,
				"sync: the file has 2 errors (listed above); fix them and run again. Nothing was sent.",
			},
		},
		{
			name:     "pre-flight errors stop the upload",
			args:     append([]string{"-file", "testdata/bad.csv"}, post...),
			env:      pw,
			code:     2,
			stderr:   []string{"Nothing was sent."},
			requests: 0,
		},
		{
			name:     "all imported",
			args:     append([]string{"-file", "testdata/canonical.csv", "-tenant", "t1"}, post...),
			env:      pw,
			code:     0,
			stdout:   []string{"2 users processed. 2 users created. 0 users updated. 0 users failed.", "All 2 rows imported."},
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
				"sync: testdata/export_windows1252.csv is not UTF-8 (1 invalid value, the first on line 2) but reads as Windows-1252, Excel's \"CSV\" on Windows: run again with -encoding windows-1252. Nothing was sent.\n",
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
			stderr: []string{"run again with -encoding windows-1252. Nothing was sent."},
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
			stderr: []string{"sync: -tenant: the base URL has a query (from ?)"},
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
			"message": `header column 2 "Surname" is not a user-groups column; Infiniti ignores it (remove it, or map it onto a user-groups column if it holds one)`,
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
		"rows_sent":   float64(3),
		"plan": map[string]any{
			"mode": "full", "first_run": true, "last_users": float64(0), "users": float64(3), "rows": float64(3),
			"users_new": float64(3), "users_changed": float64(0), "users_unchanged": float64(0), "users_gone": float64(0),
			"users_losing": float64(0), "added": float64(6), "removed": float64(0), "rows_to_send": float64(3),
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON report (-want +got):\n%s", diff)
	}

	// A pre-flight failure lists the problems.
	stdout.Reset()
	code = run([]string{"-json", "-dry-run", "-file", "testdata/bad.csv"}, env(nil), nil, &stdout, &stderr)
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	wantRep := report{Import: "user-groups", File: "testdata/bad.csv", Rows: 3, ExitCode: 2, FailedRows: []failedRow{}, Outcome: "invalid-file",
		Problems: []problem{{Row: 2, Line: 3, Column: "username", Code: csvspec.CodeMissingUsername, Severity: csvspec.SeverityError}}}
	if diff := cmp.Diff(wantRep, rep, cmpopts.IgnoreFields(problem{}, "Message"), cmpopts.IgnoreFields(report{}, "Error")); diff != "" || code != 2 || rep.Error == "" {
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
		return "testdata/" + file + `: line 1 (header): warning: header columns 2 "Surname", 3 "Given Name" are not user-groups columns; Infiniti ignores them (remove them, or map one onto a user-groups column if it holds one) [extra-column]`
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
				"sync: the file has 1 error (listed above); fix it and run again. Nothing was sent.",
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
				"sync: the file has 1 error (listed above); fix it and run again. Nothing was sent.",
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
				"testdata/excel_trailing_commas.csv: line 3 (row 2): warning: the row has only empty fields, as Excel leaves below the data; how Infiniti treats such a row in a file posted as it is is unknown, and a file rewritten from this one leaves it out; remove it [empty-row]",
				"testdata/excel_trailing_commas.csv: line 5 (row 4): warning: the row has only empty fields, as Excel leaves below the data; how Infiniti treats such a row in a file posted as it is is unknown, and a file rewritten from this one leaves it out; remove it [empty-row]",
				"testdata/excel_trailing_commas.csv: line 6 (row 5): warning: the row has only empty fields, as Excel leaves below the data; how Infiniti treats such a row in a file posted as it is is unknown, and a file rewritten from this one leaves it out; remove it [empty-row]",
			},
			posted: "username,library-group,system-group\nS1001,Blue House,Year 7\nS1002,Gold House,Year 8\n",
		},
		{
			name: "a mistyped -map",
			args: []string{"-file", "testdata/semicolon.csv", "-comma", ";", "-map", "username=Student code,library-group=House,system-group=Year Level", "-dry-run"},
			code: 2,
			stderr: []string{
				`testdata/semicolon.csv: line 1 (header), username: error: the header map names "Student code" as the "username" column, but the file's header has no such column (did you mean "Student Code"? header names must match exactly); correct the header map. The file's header is: "Student Code", "Surname", "Given Name", "House", "Year Level" [header-map-mismatch]`,
				extra("semicolon.csv"),
				"sync: the file has 1 error (listed above); fix it and run again. Nothing was sent.",
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
		{nil, []string{"-file", "testdata/bad.csv", "-dry-run"}, 2},
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
	if code != 2 || len(lines) < 2 {
		t.Fatalf("exit code %d, want 2, and a few lines:\n%s%s", code, stdout, stderr)
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
