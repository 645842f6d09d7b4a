package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/examples/internal/exampletest"
)

// TestMain runs the tests, or the program when a test starts it as a
// process (exampletest.Build).
func TestMain(m *testing.M) { exampletest.Main(m, main) }

// env returns a getenv over m.
func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestQuickstart(t *testing.T) {
	// A plain-http server on the loopback stands in for a school: the
	// client allows http to loopback hosts.
	var auth []string
	school := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		auth = append(auth, user)
		if pass == "imports-off" {
			io.WriteString(w, `{"success":false,"summary":"0 users processed. 0 users created. 0 users updated. 0 users failed. Imports are disabled."}`)
			return
		}
		if pass == "broken" {
			// A status other than 2xx with a result body (B5).
			w.WriteHeader(500)
			io.WriteString(w, `{"success":false,"summary":"0 users processed. Internal error.\n\u001b[31mFORGED"}`)
			return
		}
		if pass != "right" {
			w.WriteHeader(401)
			io.WriteString(w, `{"success": false, "summary":"Unauthorised. Check credentials."}`)
			return
		}
		io.WriteString(w, `{"success":true,"summary":"0 users processed. 0 users created. 0 users updated. 0 users failed."}`)
	}))
	defer school.Close()
	// A school over TLS with a certificate the system does not trust.
	tlsSchool := clienttest.NewServer()
	defer tlsSchool.Close()
	ca := exampletest.CAFile(t, tlsSchool)
	latinSchool := clienttest.NewServer(clienttest.WithLatin1Credentials())
	defer latinSchool.Close()
	latinCA := exampletest.CAFile(t, latinSchool)
	pwFile := filepath.Join(t.TempDir(), "pw.txt")
	if err := os.WriteFile(pwFile, []byte("right\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(pwFile, 0o600); err != nil {
		t.Fatal(err)
	}
	tlsEnv := map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword}

	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		code     int
		stdout   []string // lines that must appear, in order
		stderr   string
		requests int
	}{
		{
			name: "demo on the fake server",
			code: 0,
			stdout: []string{
				"4 users processed. 3 users created. 0 users updated. 1 user failed.",
				"ROW  USERNAME  STATUS   REASON",
				"1    jsmith    created",
				"3    akhan     failed   Field (library-group) Library group (Year 9) does not exist.",
				"4    lee.t     created",
			},
		},
		{
			name:     "a school's connection",
			args:     []string{"-url", school.URL, "-user", "autoimport", "-tenant", "t1"},
			env:      map[string]string{"INFINITI_PASSWORD": "right"},
			code:     0,
			stdout:   []string{"0 users processed.", "The URL, tenant and credentials work."},
			requests: 1,
		},
		{
			name:     "wrong password",
			args:     []string{"-url", school.URL, "-user", "autoimport"},
			env:      map[string]string{"INFINITI_PASSWORD": "wrong"},
			code:     3,
			stderr:   "check -user and INFINITI_PASSWORD",
			requests: 1,
		},
		{
			name:     "a status other than 2xx with a result body is no answer, exit 3",
			args:     []string{"-url", school.URL, "-user", "autoimport"},
			env:      map[string]string{"INFINITI_PASSWORD": "broken"},
			code:     3,
			stderr:   `Infiniti answered 500 Internal Server Error: "0 users processed. Internal error.\n\x1b[31mFORGED"`,
			requests: 1,
		},
		{
			name:     "the school answers with a failure",
			args:     []string{"-url", school.URL, "-user", "autoimport"},
			env:      map[string]string{"INFINITI_PASSWORD": "imports-off"},
			code:     1,
			stdout:   []string{"Imports are disabled."},
			requests: 1,
		},
		{name: "no password", args: []string{"-url", school.URL, "-user", "autoimport"}, code: 2, stderr: "no password: the environment variable INFINITI_PASSWORD is empty; set it, or give -password-file"},
		{
			name:     "password file",
			args:     []string{"-url", school.URL, "-user", "autoimport", "-password-file", pwFile},
			code:     0,
			stdout:   []string{"The URL, tenant and credentials work."},
			requests: 1,
		},
		{
			name:   "password file and environment",
			args:   []string{"-url", school.URL, "-user", "autoimport", "-password-file", pwFile},
			env:    map[string]string{"INFINITI_PASSWORD": "right"},
			code:   2,
			stderr: "the password is given twice",
		},
		{
			name:   "untrusted certificate",
			args:   []string{"-url", tlsSchool.URL, "-user", clienttest.DefaultUsername},
			env:    tlsEnv,
			code:   3,
			stderr: "if the school uses a private certificate authority, trust it with -ca-file",
		},
		{
			name:   "-ca-file trusts the school's authority",
			args:   []string{"-url", tlsSchool.URL, "-user", clienttest.DefaultUsername, "-ca-file", ca},
			env:    tlsEnv,
			code:   0,
			stdout: []string{"The URL, tenant and credentials work."},
		},
		{name: "-ca-file not a certificate", args: []string{"-url", tlsSchool.URL, "-user", "a", "-ca-file", "main.go"}, env: tlsEnv, code: 2, stderr: "quickstart: -ca-file: no PEM certificate found"},
		{name: "-ca-file missing", args: []string{"-url", tlsSchool.URL, "-user", "a", "-ca-file", "nope.pem"}, env: tlsEnv, code: 2, stderr: "quickstart: -ca-file: open nope.pem"},
		{name: "tenant in the URL", args: []string{"-url", school.URL + "?tenantId=3", "-user", "a"}, env: tlsEnv, code: 2, stderr: "-tenant: the base URL has a query"},
		{name: "school flags without -url", args: []string{"-tenant", "t1"}, code: 2, stderr: "give its -url too"},
		{name: "no user", args: []string{"-url", school.URL}, env: tlsEnv, code: 2, stderr: "-url needs -user"},
		{name: "help", args: []string{"-h"}, code: 0, stderr: "-ca-file"},
		{
			name:   "a non-ASCII password the school reads as Latin-1",
			args:   []string{"-url", latinSchool.URL, "-user", clienttest.DefaultUsername, "-ca-file", latinCA},
			env:    tlsEnv,
			code:   3,
			stderr: "may need the other -auth-charset",
		},
		{
			name:   "-auth-charset latin1",
			args:   []string{"-url", latinSchool.URL, "-user", clienttest.DefaultUsername, "-ca-file", latinCA, "-auth-charset", "latin1"},
			env:    tlsEnv,
			code:   0,
			stdout: []string{"The URL, tenant and credentials work."},
		},
		{name: "unknown charset", args: []string{"-url", school.URL, "-user", "a", "-auth-charset", "ascii"}, env: tlsEnv, code: 2, stderr: `-auth-charset: unknown charset "ascii"`},
		{name: "plain http to a school", args: []string{"-url", "http://school.example", "-user", "a"}, env: map[string]string{"INFINITI_PASSWORD": "x"}, code: 2, stderr: "use https"},
		{name: "unknown flag", args: []string{"-password", "x"}, code: 2, stderr: "flag provided but not defined"},
		{name: "stray argument", args: []string{"now"}, code: 2, stderr: "unexpected argument now: every input is a flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth = nil
			var stdout, stderr bytes.Buffer
			code := run(tt.args, env(tt.env), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, &stdout, &stderr)
			}
			out := stdout.String()
			for _, want := range tt.stdout {
				i := strings.Index(out, want)
				if i < 0 {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
					continue
				}
				out = out[i+len(want):]
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, &stderr)
			}
			if len(auth) != tt.requests {
				t.Errorf("school received %d requests, want %d", len(auth), tt.requests)
			}
			if regexp.MustCompile(`\bWith[A-Z]`).MatchString(stdout.String() + stderr.String()) {
				t.Errorf("the output names a Go option:\n%s%s", &stdout, &stderr)
			}
		})
	}
}

// TestQuickstartBinary runs the README's command as a built program.
func TestQuickstartBinary(t *testing.T) {
	bin := exampletest.Build(t)
	out, code := exampletest.RunBinary(t, bin, nil)
	if code != 0 || !strings.Contains(out, "1 user failed.") {
		t.Errorf("exit code %d, output:\n%s", code, out)
	}
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"-h"}, 0},
		{[]string{"-url", "https://127.0.0.1:1"}, 2},
		{[]string{"-url", "https://127.0.0.1:1", "-user", "a"}, 3},
	} {
		if _, code := exampletest.RunBinary(t, bin, []string{"INFINITI_PASSWORD=x"}, tt.args...); code != tt.code {
			t.Errorf("%q: exit code %d, want %d", tt.args, code, tt.code)
		}
	}
}

// TestDemoVerdict: the demo's last words come from the rows that failed.
func TestDemoVerdict(t *testing.T) {
	tests := []struct {
		failed []int
		want   string
		code   int
	}{
		{[]int{3}, `Row 3 failed on purpose: the fake server has no library group "Year 9".`, 0},
		{nil, `Row 3 was meant to fail alone (the fake server has no library group "Year 9"), but no row failed: the demo did not go as planned.`, 1},
		{[]int{1, 3}, `Row 3 was meant to fail alone (the fake server has no library group "Year 9"), but the rows that failed are 1, 3: the demo did not go as planned.`, 1},
	}
	for _, tt := range tests {
		msg, code := demoVerdict(tt.failed)
		if diff := cmp.Diff([]any{tt.want, tt.code}, []any{msg, code}); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tt.failed, diff)
		}
	}
}
