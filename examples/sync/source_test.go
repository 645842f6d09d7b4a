package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/examples/internal/exampletest"
)

// pkgs is the sample packages and rules of csvspec/oneroster.
const pkgs = "../../csvspec/oneroster/testdata/"

// TestSyncSource sends one org of a OneRoster package through the sample
// rules, with a journal: Infiniti ends with exactly the memberships the
// rules make of that org's users, and nothing of the other orgs; -plan,
// -dry-run and -explain work as with an export.
func TestSyncSource(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	school := []string{"-source", "oneroster", "-file", pkgs + "v1p2", "-org", "PS-002", "-rules", pkgs + "rules.json",
		"-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", exampletest.CAFile(t, srv), "-state", t.TempDir()}
	pw := env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword})
	for _, step := range []struct {
		args []string
		want []string // lines of stdout
	}{
		{[]string{"-dry-run"}, []string{
			"Users per library-group: Green House: 1, Red House: 1, Roll 3B: 1, Staff: 1, Year 3: 1, Year 4: 1.",
			"Pre-flight passed: 6 rows, 0 warnings. Nothing was sent (-dry-run).",
		}},
		{[]string{"-plan"}, []string{"Nothing was sent (-plan)."}},
		// A school of two campuses: cy.m teaches at both.
		{[]string{"-org", "HS-001,PS-002", "-dry-run"}, []string{"Users per system-group: Students: 4, Staff: 1.", "Pre-flight passed: 12 rows, 0 warnings. Nothing was sent (-dry-run)."}},
		{[]string{"-org", "HS-001, PS-002", "-dry-run"}, []string{"Users per system-group: Students: 4, Staff: 1."}}, // spaces after the commas
		{[]string{"-explain", "ed.o"}, []string{"  row: ed.o,Year 4,Students (rows[1])", "  row: ed.o,Red House,Students (rows[2])"}},
		// ed.o is not enabled: with leaver, gone from the package.
		{[]string{"-disabled-users", "leaver", "-dry-run"}, []string{"Users per library-group: Green House: 1, Roll 3B: 1, Staff: 1, Year 3: 1."}},
		{[]string{"-roles", "all", "-dry-run"}, []string{"Users per library-group: Green House: 1, Red House: 1, Roll 3B: 1, Staff: 1, Year 3: 1, Year 4: 1."}}, // cy.m, a teacher and an administrator, counts once
	} {
		var stdout, stderr bytes.Buffer
		if code := run(append(school, step.args...), pw, nil, &stdout, &stderr); code != 0 {
			t.Fatalf("%q: exit code %d, want 0\n%s%s", step.args, code, &stdout, &stderr)
		}
		for _, w := range step.want {
			if !strings.Contains(stdout.String(), w+"\n") {
				t.Errorf("%q: stdout lacks %q:\n%s", step.args, w, &stdout)
			}
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests before the run, want none", n)
	}
	var stdout, stderr bytes.Buffer
	if code := run(school, pw, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d, want 0\n%s%s", code, &stdout, &stderr)
	}
	member := func(groups ...string) clienttest.Membership {
		return clienttest.Membership{LibraryGroups: groups[:len(groups)-1], SystemGroups: groups[len(groups)-1:]}
	}
	want := map[string]clienttest.Membership{
		"cy.m": member("Staff", "Staff"),
		"di.n": member("Green House", "Roll 3B", "Year 3", "Students"),
		"ed.o": member("Red House", "Year 4", "Students"),
	}
	if diff := cmp.Diff(want, srv.Memberships()); diff != "" {
		t.Errorf("memberships (-want +got):\n%s", diff)
	}
}

// noUpdates returns a package whose manifest marks every file absent:
// "no updates".
func noUpdates(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "no-updates")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	manifest := strings.ReplaceAll(mustRead(t, pkgs+"v1p2/manifest.csv"), ",bulk", ",absent")
	if err := os.WriteFile(filepath.Join(dir, "manifest.csv"), []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSyncSourceNoUpdates: after a night with -state, a package that says
// "no updates" is no empty export: -plan and -dry-run say so, plan from
// the state (-report is written, -json has "no_updates") and send
// nothing; a run says so, posts the usual empty file, which checks the
// password (a wrong one is exit 3), and every membership stays; after a
// night that did not apply all of its package, it says it does not apply
// it again.
func TestSyncSourceNoUpdates(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithApplyMode(clienttest.ApplyReplace))
	defer srv.Close()
	state := t.TempDir()
	school := func(file string) []string {
		return []string{"-source", "oneroster", "-file", file, "-org", "PS-002", "-rules", pkgs + "rules.json",
			"-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", exampletest.CAFile(t, srv), "-state", state}
	}
	none := noUpdates(t)
	report := filepath.Join(t.TempDir(), "report.csv")
	failed := filepath.Join(t.TempDir(), "failed") // di.n is tobedeleted: held, so rows-failed
	if err := os.CopyFS(failed, os.DirFS(pkgs+"v1p2")); err != nil {
		t.Fatal(err)
	}
	users := strings.Replace(mustRead(t, pkgs+"v1p2/users.csv"), "u4,,", "u4,tobedeleted,", 1)
	if err := os.WriteFile(filepath.Join(failed, "users.csv"), []byte(users), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		args     []string
		password string
		code     int
		want     string // a line of stdout
		requests int    // requests so far
	}{
		{school(pkgs + "v1p2"), clienttest.DefaultPassword, 0, "", 1},
		{append(school(none), "-plan", "-report", report), clienttest.DefaultPassword, 0, "Plan (incremental): no updates; 3 users kept as they were; 0 rows to send.", 1},
		{append(school(none), "-dry-run", "-json"), clienttest.DefaultPassword, 0, `  "no_updates": true,`, 1},
		{school(none), "wrong", 3, "", 2},
		{school(none), clienttest.DefaultPassword, 0, "No updates: " + none + "'s manifest marks every file absent, so every user keeps its last state; users Infiniti has not confirmed wait for the next package.", 3},
		{school(failed), clienttest.DefaultPassword, 1, "", 4},
		{school(none), clienttest.DefaultPassword, 0, "ended rows-failed, and a night of no updates does not apply its package again: send that package again once it is fixed.", 5},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(step.args, env(map[string]string{"INFINITI_PASSWORD": step.password}), nil, &stdout, &stderr); code != step.code {
			t.Fatalf("%q: exit code %d, want %d\n%s%s", step.args, code, step.code, &stdout, &stderr)
		}
		if !strings.Contains(stdout.String(), step.want+"\n") {
			t.Errorf("%q: stdout lacks %q:\n%s", step.args, step.want, &stdout)
		}
		if n := len(srv.Requests()); n != step.requests {
			t.Fatalf("%q: %d requests, want %d", step.args, n, step.requests)
		}
	}
	if _, err := os.Stat(report); err != nil {
		t.Errorf("-plan of no updates wrote no -report: %v", err)
	}
	if got, want := string(srv.Requests()[2].CSV), strings.Join(csvspec.Header(), ",")+"\n"; got != want {
		t.Errorf("the night of no updates posted %q, want the header alone, %q", got, want)
	}
	want := map[string]clienttest.Membership{
		"cy.m": {LibraryGroups: []string{"Staff"}, SystemGroups: []string{"Staff"}},
		"di.n": {LibraryGroups: []string{"Green House", "Roll 3B", "Year 3"}, SystemGroups: []string{"Students"}},
		"ed.o": {LibraryGroups: []string{"Red House", "Year 4"}, SystemGroups: []string{"Students"}},
	}
	if diff := cmp.Diff(want, srv.Memberships()); diff != "" {
		t.Errorf("memberships (-want +got):\n%s", diff)
	}
}

// TestSyncSourceUsage: the -source flags are refused where they cannot
// apply, and a package that cannot be read sends nothing (exit 2, naming
// its file, line and column).
func TestSyncSourceUsage(t *testing.T) {
	delta := filepath.Join(t.TempDir(), "delta")
	if err := os.CopyFS(delta, os.DirFS(pkgs+"v1p1")); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(delta, "manifest.csv")
	if err := os.WriteFile(manifest, []byte(strings.Replace(mustRead(t, manifest), "file.users,bulk", "file.users,delta", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	src := []string{"-source", "oneroster", "-file", pkgs + "v1p1", "-dry-run"}
	for _, tc := range []struct {
		args []string
		want string // stderr
	}{
		{append(src, "-org", "HS-001", "-rules", pkgs+"rules.json", "-map", "username=x"), "-map and -rules both say how to read the export; give one of them"},
		{append(src, "-org", "HS-001", "-rules", pkgs+"rules.json", "-comma", ";"), "-comma is a setting of an export; -source reads a package: leave it out"},
		{append(src, "-org", "HS-001", "-rules", pkgs+"rules.json", "-encoding", "utf-8"), "-encoding is a setting of an export; -source reads a package: leave it out"},
		{append(src, "-org", "HS-001"), "-source needs -rules: the group rules make the package's users into the import's rows"},
		{append(src, "-rules", pkgs+"rules.json"), "-source needs -org: the identifier (or sourcedId) of the org whose users are sent"},
		{append(src, "-org", "HS-001", "-rules", pkgs+"rules.json", "-roles", "some"), `-roles: "some" is not one of primary, all`},
		{append(src, "-org", "HS-001", "-rules", pkgs+"rules.json", "-disabled-users", "drop"), `-disabled-users: "drop" is not one of keep, leaver`},
		{[]string{"-source", "csv", "-file", "x", "-org", "a", "-rules", pkgs + "rules.json", "-dry-run"}, `-source: "csv" is not one of oneroster, sds`},
		{[]string{"-file", "x.csv", "-org", "HS-001", "-dry-run"}, "-org is a setting of -source: give -source oneroster or -source sds"},
		{[]string{"-file", "x.csv", "-roles", "all", "-dry-run"}, "-roles is a setting of -source: give -source oneroster or -source sds"},
		{append(src, "-org", "HS-009", "-rules", pkgs+"rules.json"), `-org HS-009: orgs.csv: 0 orgs have the identifier or sourcedId "HS-009"`},
		{[]string{"-source", "oneroster", "-file", delta, "-org", "HS-001", "-rules", pkgs + "rules.json", "-dry-run"},
			delta + ": manifest.csv:16 column value: file.users is delta: send a bulk package; deltas are not supported yet"},
		{[]string{"-source", "sds", "-file", pkgs + "sds", "-org", "o1", "-rules", pkgs + "rules.json", "-dry-run"},
			pkgs + "sds: classes.csv: the package has no homeroom classes, whose classCode the rules read"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, env(nil), nil, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit code %d, want 2", tc.args, code)
		}
		if got := stderr.String(); got != prog+": "+tc.want+"\n" {
			t.Errorf("%q: stderr\n%s\nwant\n%s: %s", tc.args, got, prog, tc.want)
		}
	}
}
