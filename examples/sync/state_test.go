package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/examples/internal/exampletest"
)

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
			stdout: []string{"Plan (incremental): 6 users in the export, 0 new, 0 changed, 6 unchanged, 0 gone from the export; 0 memberships added, 0 removed; 0 users would lose something; 0 rows to send.", "Nothing to send (no user is new or changed): an empty file was posted, which checked the credentials."},
			posted: ptr(header),
		},
		{
			name:   "-plan shows a change and sends nothing",
			args:   append([]string{"-file", changed, "-plan"}, school...),
			code:   0,
			stdout: []string{"3 memberships added, 1 removed; 1 user would lose something; 2 rows to send.", "  changed bob +library-group=Blue -library-group=Red", "  new     gus +library-group=Red +system-group=Students", "Nothing was sent (-plan)."},
		},
		{
			name:   "only the new and changed users are sent",
			args:   append([]string{"-file", changed}, post...),
			code:   0,
			posted: ptr(header + "bob,Blue,Students\ngus,Red,Students\n"),
		},
		{
			name:   "an export shrunk by half is refused",
			args:   append([]string{"-file", half, "-max-removals", "2"}, post...),
			code:   4,
			stdout: []string{"3 gone from the export"},
			stderr: []string{"sync: refused: 3 of the 7 users Infiniti last accepted (42.9%) would lose something (3 gone from the export, 0 losing part of what they had), more than the limit of 2 (at most 2 users). Nothing was sent. Check the export; if the change is intended, run once with -force, or raise -max-removals"},
		},
		{
			name:   "-plan says it would be refused",
			args:   append([]string{"-file", half, "-max-removals", "2", "-plan"}, school...),
			code:   4,
			stderr: []string{"sync: refused: 3 of the 7 users"},
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
			stdout: []string{"-force: going past the safety limit, which would have refused this run: 3 of the 7 users Infiniti last accepted (42.9%) would lose something (3 gone from the export, 0 losing part of what they had), more than the limit of 0 (at most 0 users). The journal records that it was forced.\n", "Nothing to send (no user is new or changed): an empty file was posted, which checked the credentials."},
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
			for _, want := range st.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, &stdout)
				}
			}
			if st.code == 4 && strings.Contains(stdout.String(), "First run") {
				t.Errorf("a refused run is called a first run:\n%s", &stdout)
			}
			for _, want := range st.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, &stderr)
				}
			}
			reqs := srv.Requests()[before:]
			switch {
			case st.posted == nil && len(reqs) > 0:
				t.Errorf("%d requests, want none", len(reqs))
			case st.posted != nil && len(reqs) != 1:
				t.Errorf("%d requests, want 1", len(reqs))
			case st.posted != nil:
				if diff := cmp.Diff(*st.posted, string(reqs[0].CSV)); diff != "" {
					t.Errorf("posted CSV (-want +got):\n%s", diff)
				}
			}
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
	wantFailures := "line,row,username,library-group,system-group,code,field,message\n" +
		`5,1,gus,"'=HYPERLINK(""x"")",Students,row-failed,library-group,`
	if !strings.HasPrefix(string(b), wantFailures) || !strings.Contains(string(b), "\n6,2,hal,Gold,Students,row-failed,library-group,") {
		t.Errorf("failures file:\n%s\nwant it to start with\n%s", b, wantFailures)
	}

	// -history: every run, newest last, and the health.
	var stdout, stderr bytes.Buffer
	if code := run(append([]string{"-history"}, school...), env(nil), nil, &stdout, &stderr); code != 0 {
		t.Fatalf("-history: exit code %d\n%s", code, &stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var outcomes []string
	for _, l := range lines[1 : len(lines)-1] {
		outcomes = append(outcomes, strings.Fields(l)[3]) // after the date, time and mode
	}
	want := []string{"ok", "ok", "ok", "refused", "refused", "ok", "rows-failed", "invalid-file"}
	if diff := cmp.Diff(want, outcomes); diff != "" {
		t.Errorf("-history outcomes (-want +got):\n%s\n%s", diff, &stdout)
	}
	if !strings.Contains(stdout.String(), "forced") || !strings.HasPrefix(lines[len(lines)-1], "Last success: ") || !strings.HasSuffix(lines[len(lines)-1], "; 2 runs failed or refused since.") {
		t.Errorf("-history:\n%s", &stdout)
	}

	// -json: the plan, the journal's health and the outcome.
	stdout.Reset()
	code := run(append([]string{"-json", "-file", changed}, post...), env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword}), nil, &stdout, &stderr)
	var rep struct {
		Plan    map[string]any `json:"plan"`
		Journal map[string]any `json:"journal"`
		Outcome string         `json:"outcome"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || code != 0 {
		t.Fatalf("-json: exit code %d, %v\n%s", code, err, &stdout)
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
		{[]string{"-file", "x.csv", "-state", "d", "-plan", "-dry-run"}, "sync: -dry-run checks the file only; leave it out with -plan or -history"},
		{[]string{"-state", "d", "-history"}, "sync: -history needs -url"},
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
