package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/examples/internal/exampletest"
)

// TestSyncFailuresFileReplaced: the -failures file is replaced by a run
// that checked the export or got Infiniti's answer, and left as it was by
// one that did neither; a link at its path is replaced, not followed; a
// -failures file that is another input is refused.
func TestSyncFailuresFileReplaced(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithLibraryGroups("Blue", "Red"))
	defer srv.Close()
	ca := exampletest.CAFile(t, srv)
	// Issue 14 §8's columns and a byte order mark (was: line, row, ...,
	// code, field, message).
	const header = "\ufeffline,username,library-group,system-group,problem\n"
	const previous = header + "3,jsmith,Gold,Students,Library group (Gold) does not exist.\n"
	const secret = "do not touch\n"
	pw := map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword}
	tests := []struct {
		name  string
		args  []string // after -failures FILE; "EXPORT" is a copy of canonical.csv, "TARGET" a file a link points at
		env   map[string]string
		link  bool              // FILE is a link to TARGET
		fault *clienttest.Fault // the server's answer to the post
		code  int
		// want is FILE's content afterwards ("" for "as it was before"),
		// wantStderr a line of stderr.
		want, wantStderr string
	}{
		{
			name: "an import replaces the file", args: []string{"-file", "EXPORT", "-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", ca},
			env: pw, code: 0, want: header,
		},
		{
			name: "a check replaces the file", args: []string{"-file", "testdata/bad.csv", "-dry-run", "-library-groups", "testdata/library_groups.txt"},
			code: 1, want: header + `3,,Blue,Students,the username is empty
4,mjones,blue,Students,"library group ""blue"" is not defined in Infiniti; did you mean ""Blue""?"
`,
		},
		{
			name: "a wrong password leaves it", args: []string{"-file", "EXPORT", "-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", ca},
			env: map[string]string{"INFINITI_PASSWORD": "wrong"}, code: 3, want: previous,
			wantStderr: "sync: -failures: FILE is left as the last run wrote it, since this run (auth-error) got no answer from Infiniti about its rows",
		},
		{
			name: "an untrusted certificate leaves it", args: []string{"-file", "EXPORT", "-url", srv.URL, "-user", clienttest.DefaultUsername},
			env: pw, code: 3, want: previous,
			wantStderr: "sync: -failures: FILE is left as the last run wrote it, since this run (transport-error) got no answer from Infiniti about its rows",
		},
		{
			name: "a link is replaced, not followed", args: []string{"-file", "EXPORT", "-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", ca},
			env: pw, link: true, code: 0, want: header,
		},
		{
			name: "the export", args: []string{"-file", "FILE", "-dry-run"},
			code: 2, want: previous,
			wantStderr: "sync: -failures FILE is the file -file names; give it a file of its own",
		},
		{
			name: "inside -state (B9)", args: []string{"-file", "EXPORT", "-state", "DIR", "-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", ca},
			env: pw, code: 2, want: previous,
			wantStderr: "sync: -failures FILE is inside the journal's folder DIR; give it a file outside it",
		},
		{
			name: "a status other than 2xx with a result leaves it (B5)", args: []string{"-file", "EXPORT", "-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", ca},
			env: pw, fault: &clienttest.Fault{Status: 500, ContentType: "application/json", Body: `{"success":false,"summary":"2 users processed. 1 user created. 0 users updated. 1 user failed.","details":{"1":"User Created","2":"Field (library-group) Library group (Red) does not exist. "}}`},
			code: 3, want: previous,
			wantStderr: "sync: -failures: FILE is left as the last run wrote it, since this run (no-answer) got no answer from Infiniti about its rows",
		},
		{
			name: "the password file", args: []string{"-file", "EXPORT", "-password-file", "FILE", "-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", ca},
			code: 2, want: previous,
			wantStderr: "sync: -failures FILE is the file -password-file names; give it a file of its own",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.link && runtime.GOOS == "windows" {
				t.Skip("symbolic links need privileges on Windows")
			}
			dir := t.TempDir()
			file := filepath.Join(dir, "failures.csv")
			export := filepath.Join(dir, "export.csv")
			target := filepath.Join(dir, "state.csv")
			write(t, export, mustRead(t, "testdata/canonical.csv"))
			write(t, target, secret)
			if tt.link {
				if err := os.Symlink(target, file); err != nil {
					t.Fatal(err)
				}
			} else {
				write(t, file, previous)
			}
			args := []string{"-failures", file}
			for _, a := range tt.args {
				args = append(args, strings.NewReplacer("FILE", file, "EXPORT", export, "TARGET", target, "DIR", dir).Replace(a))
			}
			if tt.fault != nil {
				srv.Fail(1, *tt.fault)
			}
			before := len(srv.Requests())
			var stdout, stderr bytes.Buffer
			code := run(args, env(tt.env), nil, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\n%s%s", code, tt.code, &stdout, &stderr)
			}
			if wantLine := strings.NewReplacer("FILE", file, "DIR", dir).Replace(tt.wantStderr); wantLine != "" && !strings.Contains(stderr.String(), wantLine+"\n") {
				t.Errorf("stderr lacks %q:\n%s", wantLine, &stderr)
			}
			if tt.wantStderr == "" && strings.Contains(stderr.String(), "-failures") {
				t.Errorf("stderr speaks of -failures:\n%s", &stderr)
			}
			if diff := cmp.Diff(tt.want, mustRead(t, file)); diff != "" {
				t.Errorf("the failures file (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(secret, mustRead(t, target)); diff != "" {
				t.Errorf("the file a link pointed at (-want +got):\n%s", diff)
			}
			if fi, err := os.Lstat(file); err != nil || !fi.Mode().IsRegular() {
				t.Errorf("the failures file is not a regular file: %v %v", fi.Mode(), err)
			}
			if tt.code == 2 && len(srv.Requests()) != before {
				t.Errorf("a request was made")
			}
			// No temporary file is left behind.
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if diff := cmp.Diff([]string{"export.csv", "failures.csv", "state.csv"}, names); diff != "" {
				t.Errorf("the folder (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSyncFailuresUnwritable: a -failures file that cannot be replaced
// after the post is written beside it, dated, and said on stderr; the exit
// code still says what reached Infiniti (B6).
func TestSyncFailuresUnwritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "failures.csv")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		// A folder in the way: the rename over the path fails, as a
		// full disk or a file held open would make it fail.
		if err := os.MkdirAll(filepath.Join(file, "in-the-way"), 0o700); err != nil {
			t.Error(err)
		}
		io.WriteString(w, `{"success":true,"summary":"2 users processed. 2 users created. 0 users updated. 0 users failed."}`)
	}))
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	// A password of one letter would be found in the summary, which the
	// client then withholds: no clear answer.
	code := run([]string{"-failures", file, "-file", "testdata/canonical.csv", "-url", srv.URL, "-user", "u"}, env(map[string]string{"INFINITI_PASSWORD": "s3cret-pw"}), nil, &stdout, &stderr)
	if code != 0 {
		t.Errorf("exit code %d, want 0 (every row imported)\n%s%s", code, &stdout, &stderr)
	}
	if want := "sync: -failures: " + file + " could not be replaced (is it open in a spreadsheet?); this run's is " + filepath.Join(dir, "failures-"); !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, &stderr)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
