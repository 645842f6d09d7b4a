package main

import (
	"bytes"
	"context"
	"encoding/json"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/csvspec/oneroster"
	"github.com/autosync-go/autosync/examples/internal/exampletest"
)

// pkgDir is the sample packages of csvspec/oneroster.
const pkgDir = "../../csvspec/oneroster/testdata/"

// copyPackage copies the sample package name into a temporary folder,
// with its files' contents replaced as edit says (file: old, new).
func copyPackage(t *testing.T, name string, edit ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dir, os.DirFS(pkgDir+name)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(edit); i += 3 {
		p := filepath.Join(dir, edit[i])
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte(edit[i+1])) {
			t.Fatalf("%s lacks %q (%v)", p, edit[i+1], err)
		}
		if err := os.WriteFile(p, bytes.Replace(b, []byte(edit[i+1]), []byte(edit[i+2]), 1), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// route is a route of a source to srv, with the sample rules of the
// package's kind.
func routeTo(t *testing.T, srv *clienttest.Server, org any, name, rules string) map[string]any {
	return map[string]any{"org": org, "name": name, "url": srv.URL, "user": clienttest.DefaultUsername, "password_env": "PW",
		"ca_file": exampletest.CAFile(t, srv), "rules": abs(t, pkgDir+rules)}
}

// TestMultitenantSource: one package of three orgs, two of them routed
// each to its own Infiniti: each ends with exactly the memberships its
// rules make of its org's users, users.csv is read once for both, and
// the third org is named once and nothing of it is sent.
func TestMultitenantSource(t *testing.T) {
	reads := 0
	defer func(f func(*oneroster.Package) iter.Seq2[csvspec.SourceRow, error]) { rowsOf = f }(rowsOf)
	rowsOf = func(p *oneroster.Package) iter.Seq2[csvspec.SourceRow, error] {
		reads++
		return p.Rows()
	}
	member := func(groups ...string) clienttest.Membership {
		return clienttest.Membership{LibraryGroups: groups[:len(groups)-1], SystemGroups: groups[len(groups)-1:]}
	}
	staff := member("Staff", "Staff")
	oneRoster := [2]map[string]clienttest.Membership{
		{"ana.k": member("Red House", "Roll 7A", "Year 7", "Students"), "ben.l": member("Blue House", "Year 8", "Students"), "cy.m": staff},
		// ed.o is not enabled, and kept (the default).
		{"cy.m": staff, "di.n": member("Green House", "Roll 3B", "Year 3", "Students"), "ed.o": member("Red House", "Year 4", "Students")},
	}
	for _, tc := range []struct {
		pkg, typ, rules string
		orgs            [3]string // routed, routed, unrouted
		want            [2]map[string]clienttest.Membership
		unrouted        unrouted
	}{
		{"v1p1", "oneroster", "rules.json", [3]string{"HS-001", "PS-002"}, oneRoster, unrouted{SourcedID: "o3", Identifier: "MS-003", Name: "Hilltop Middle School"}},
		{"v1p2", "oneroster", "rules.json", [3]string{"HS-001", "o2"}, oneRoster, unrouted{SourcedID: "o3", Identifier: "MS-003", Name: "Hilltop Middle School"}},
		{"sds", "sds", "tass_rules.json", [3]string{"o1", "o2"}, [2]map[string]clienttest.Membership{
			{"ana.k@example.edu": member("Red House", "Year 7", "Students"), "ben.l@example.edu": member("Blue House", "Year 8", "Students"), "cy.m@example.edu": staff},
			// cy.m's role in o2 is not primary (isPrimary FALSE), but its only one there.
			{"cy.m@example.edu": staff, "di.n@example.edu": member("Green House", "Year 3", "Students")},
		}, unrouted{SourcedID: "o3", Name: "Hilltop Middle School"}},
	} {
		t.Run(tc.pkg, func(t *testing.T) {
			a, b := clienttest.NewServer(), clienttest.NewServer()
			defer a.Close()
			defer b.Close()
			// The package beside the config, named relative to it; a
			// header in another case is a warning, said once.
			config := writeConfig(t, []any{map[string]any{
				"source": map[string]string{"type": tc.typ, "package": tc.pkg},
				"routes": []any{routeTo(t, a, tc.orgs[0], "A", tc.rules), routeTo(t, b, []string{tc.orgs[1]}, "B", tc.rules)},
			}})
			pkg := filepath.Join(filepath.Dir(config), tc.pkg)
			if err := os.CopyFS(pkg, os.DirFS(copyPackage(t, tc.pkg, "users.csv", ",givenName,", ",GivenName,"))); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			reads = 0
			code := run([]string{"-json", "-config", config, "-state", t.TempDir()}, env(map[string]string{"PW": clienttest.DefaultPassword}), &stdout, &stderr)
			if code != 0 {
				t.Fatalf("exit code %d, want 0\n%s%s", code, &stdout, &stderr)
			}
			if reads != 1 {
				t.Errorf("users.csv was read %d times for two routes, want once", reads)
			}
			var rep report
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			tc.unrouted.Package = pkg
			if diff := cmp.Diff([]unrouted{tc.unrouted}, rep.Unrouted); diff != "" {
				t.Errorf("-json's unrouted (-want +got):\n%s", diff)
			}
			line := "org MS-003 (Hilltop Middle School) has no route; nothing of it is sent\n"
			if tc.typ == "sds" {
				line = "org o3 (Hilltop Middle School) has no route; nothing of it is sent\n"
			}
			if n := strings.Count(stderr.String(), line); n != 1 {
				t.Errorf("the output names the unrouted org %d times, want once:\n%s", n, &stderr)
			}
			warning := prog + ": " + pkg + ": warning: users.csv:1 column GivenName: "
			if n := strings.Count(stderr.String(), warning); n != 1 {
				t.Errorf("stderr has %d warnings %q, want 1:\n%s", n, warning, &stderr)
			}
			for i, srv := range []*clienttest.Server{a, b} {
				if diff := cmp.Diff(tc.want[i], srv.Memberships()); diff != "" {
					t.Errorf("school %d's memberships (-want +got):\n%s", i+1, diff)
				}
			}
		})
	}
}

// TestMultitenantSourceNoUpdates: after a night with -state, a package
// that says "no updates" is no empty export: -plan plans it from the
// state, says so ("no_updates", the note) and sends nothing; a run posts
// the usual empty file, and every membership stays.
func TestMultitenantSourceNoUpdates(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithApplyMode(clienttest.ApplyReplace))
	defer srv.Close()
	config := writeConfig(t, []any{map[string]any{
		"source": map[string]string{"type": "oneroster", "package": "pkg"},
		"routes": []any{routeTo(t, srv, "PS-002", "A", "rules.json")},
	}})
	pkg, state := filepath.Join(filepath.Dir(config), "pkg"), t.TempDir()
	if err := os.CopyFS(pkg, os.DirFS(pkgDir+"v1p2")); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		noUpdates bool
		args      []string
		note      string
		requests  int // so far
	}{
		{false, nil, "", 1},
		{true, []string{"-plan"}, "plan: no updates, 3 users kept as they were, 0 rows to send; nothing sent", 1},
		{true, nil, "ok: no updates, 3 users kept as they were, 0 rows to send", 2},
	} {
		if step.noUpdates {
			manifest, err := os.ReadFile(filepath.Join(pkg, "manifest.csv"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(pkg); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(pkg, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(pkg, "manifest.csv"), bytes.ReplaceAll(manifest, []byte(",bulk"), []byte(",absent")), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"-json", "-config", config, "-state", state}, step.args...), env(map[string]string{"PW": clienttest.DefaultPassword}), &stdout, &stderr)
		var rep report
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || code != 0 || len(rep.Schools) != 1 {
			t.Fatalf("%q: exit code %d, want 0 (%v)\n%s%s", step.args, code, err, &stdout, &stderr)
		}
		if rep.Schools[0].NoUpdates != step.noUpdates {
			t.Errorf("%q: no_updates %v, want %v", step.args, rep.Schools[0].NoUpdates, step.noUpdates)
		}
		if step.note != "" && rep.Schools[0].Note != step.note {
			t.Errorf("%q: note %q, want %q", step.args, rep.Schools[0].Note, step.note)
		}
		if n := len(srv.Requests()); n != step.requests {
			t.Fatalf("%q: %d requests, want %d", step.args, n, step.requests)
		}
	}
	if got, want := string(srv.Requests()[1].CSV), "username,library-group,system-group\n"; got != want {
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

// TestMultitenantSourceErrors: a package that cannot be read, or read
// to its end, sends nothing to any of its schools (exit 2, naming file,
// line and column); a route's mistake is its own config error.
func TestMultitenantSourceErrors(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithTenants("a", "b"))
	defer srv.Close()
	to := func(org any, name string, kv ...any) map[string]any {
		r := routeTo(t, srv, org, name, "rules.json")
		r["tenant"] = strings.ToLower(name)
		for i := 0; i < len(kv); i += 2 {
			r[kv[i].(string)] = kv[i+1]
		}
		for k, v := range r {
			if v == nil {
				delete(r, k) // left out
			}
		}
		return r
	}
	oneroster := map[string]string{"type": "oneroster", "package": abs(t, pkgDir+"v1p1")}
	delta := copyPackage(t, "v1p1", "manifest.csv", "file.users,bulk", "file.users,delta")
	deltaNote := "not sent: " + delta + ": manifest.csv:16 column value: file.users is delta: send a bulk package; deltas are not supported yet"
	for _, tc := range []struct {
		name   string
		source any
		routes []any
		rows   []string
		sent   bool
	}{
		{
			name:   "delta",
			source: map[string]string{"type": "oneroster", "package": delta},
			routes: []any{to("HS-001", "A"), to("PS-002", "B")},
			rows:   []string{"A | 0 | 0 | - | invalid-file | 2 | " + deltaNote, "B | 0 | 0 | - | invalid-file | 2 | " + deltaNote},
		},
		{
			name:   "an enrollment of an unknown user, found after the rows",
			source: map[string]string{"type": "oneroster", "package": copyPackage(t, "v1p1", "enrollments.csv", "e4,,,c3,o2,u4", "e4,,,c3,o2,u9")},
			routes: []any{to("HS-001", "A"), to("PS-002", "B")},
			rows: []string{
				`A | 6 | 0 | - | invalid-file | 2 | the export cannot be posted; nothing was sent: oneroster: enrollments.csv:5 column userSourcedId: user "u9" is not in users.csv`,
				`B | 5 | 0 | - | invalid-file | 2 | the export cannot be posted; nothing was sent: oneroster: enrollments.csv:5 column userSourcedId: user "u9" is not in users.csv`,
			},
		},
		{
			name:   "an org two orgs have, and a route's mistakes",
			source: map[string]string{"type": "oneroster", "package": copyPackage(t, "v1p1", "orgs.csv", "school,MS-003", "school,HS-001")},
			routes: []any{
				to("HS-001", "A"), to("PS-002", "B"), to("PS-002", "C", "rules", nil), to("PS-002", "D", "file", "x.csv"), to(nil, "E"), to([]string{}, "F"),
			},
			rows: []string{
				`A | 0 | 0 | - | invalid-config | 2 | config: org: orgs.csv: 2 orgs have the identifier or sourcedId "HS-001"`,
				"B | 6 | 6 | 3/3/0 | ok | 0 | ok",
				"C | 0 | 0 | - | invalid-config | 2 | config: lacks rules",
				`D | 0 | 0 | - | invalid-config | 2 | config: a route reads its source's package: leave out "file"`,
				"E | 0 | 0 | - | invalid-config | 2 | config: lacks org",
				`F | 0 | 0 | - | invalid-config | 2 | config: "org" is an org's identifier or sourcedId, or a list of them`,
			},
			sent: true,
		},
		{
			name:   "an org routed twice, and a package's field in another case",
			source: oneroster,
			routes: []any{to("HS-001", "A"), to("o1", "B"), to("PS-002", "G", "File", "x.csv")},
			rows: []string{
				"A | 6 | 6 | 2/4/0 | ok | 0 | ok",
				`B | 0 | 0 | - | invalid-config | 2 | config: org o1 is routed to "A" already; route each org once`,
				`G | 0 | 0 | - | invalid-config | 2 | config: a route reads its source's package: leave out "file"`,
			},
			sent: true,
		},
		{
			name:   "a source's mistake is each route's",
			source: map[string]string{"type": "oneroster", "package": oneroster["package"], "roles": "some"},
			routes: []any{to("HS-001", "A")},
			rows:   []string{`A | 0 | 0 | - | invalid-config | 2 | config: roles: "some" is not one of primary, all`},
		},
		{
			name:   "a source without routes",
			source: oneroster,
			rows:   []string{`school 1 | 0 | 0 | - | invalid-config | 2 | config: a source needs "routes"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(srv.Requests())
			var stdout, stderr bytes.Buffer
			el := map[string]any{"source": tc.source}
			if tc.routes != nil {
				el["routes"] = tc.routes
			}
			code := run([]string{"-config", writeConfig(t, []any{el}), "-concurrency", "1"}, env(map[string]string{"PW": clienttest.DefaultPassword}), &stdout, &stderr)
			if code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			var table []string
			for l := range strings.Lines(stdout.String()) {
				if !strings.HasPrefix(l, prog+":") {
					table = append(table, l)
				}
			}
			checkTable(t, strings.Join(table, ""), tc.rows)
			if sent := len(srv.Requests()) > before; sent != tc.sent {
				t.Errorf("sent %v, want %v\n%s%s", sent, tc.sent, &stdout, &stderr)
			}
		})
	}
}

// TestMultitenantSourceRead: the shared read stops when its context is
// done (a signal), with that error for each route; a route's rows are
// dropped as its job reads them.
func TestMultitenantSourceRead(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	config := writeConfig(t, []any{map[string]any{
		"source": map[string]string{"type": "oneroster", "package": abs(t, pkgDir+"v1p2")},
		"routes": []any{routeTo(t, srv, "HS-001", "A", "rules.json")},
	}})
	for _, tc := range []struct {
		name   string
		cancel bool
		read   int   // rows read from the package, at most
		err    error // the route's rows' error
	}{
		{"read", false, 100, nil},
		{"cancelled", true, 1, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read := 0
			defer func(f func(*oneroster.Package) iter.Seq2[csvspec.SourceRow, error]) { rowsOf = f }(rowsOf)
			rowsOf = func(p *oneroster.Package) iter.Seq2[csvspec.SourceRow, error] {
				return func(yield func(csvspec.SourceRow, error) bool) {
					for row, err := range p.Rows() {
						if read++; !yield(row, err) {
							return
						}
					}
				}
			}
			entries, err := readConfig(config, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tc.cancel {
				cancel()
			}
			defer cancel()
			for _, src := range open(ctx, entries) {
				defer src.pkg.Close()
			}
			e := &entries[0]
			if read > tc.read || e.rowsErr != tc.err {
				t.Fatalf("%d rows read, error %v; want at most %d, %v", read, e.rowsErr, tc.read, tc.err)
			}
			n := len(e.rows)
			for range e.routed {
			}
			if e.rows != nil || (n == 0) != tc.cancel {
				t.Errorf("%d rows routed, %d left after the job read them; want some, and none left", n, len(e.rows))
			}
		})
	}
}
