package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/examples/internal/cli"
	"github.com/autosync-go/autosync/examples/internal/exampletest"
)

// TestMain runs the tests, or the program when a test starts it as a
// process (exampletest.Build).
func TestMain(m *testing.M) { exampletest.Main(m, main) }

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// writeConfig writes schools (school values, or anything else JSON can
// encode) as a config file in a temporary folder.
func writeConfig[S any](t *testing.T, schools []S) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "schools.json")
	b, err := json.Marshal(schools)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkTable compares the summary table in out with want, one entry per
// row: "NAME | ROWS | SENT | COUNTS | OUTCOME | EXIT | NOTE", where NOTE is
// a prefix of the row's note.
func checkTable(t *testing.T, out string, want []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(want)+1 || !strings.HasPrefix(lines[0], "SCHOOL ") {
		t.Fatalf("table:\n%s\nwant a header and %d rows", out, len(want))
	}
	cols := regexp.MustCompile(`\s{2,}`)
	for i, w := range want {
		got := cols.Split(strings.TrimRight(lines[i+1], " "), 7)
		exp := strings.Split(w, " | ")
		if len(got) == 6 { // an empty note
			got = append(got, "")
		}
		if len(got) != 7 || len(exp) != 7 || !slices.Equal(got[:6], exp[:6]) || !strings.HasPrefix(got[6], exp[6]) {
			t.Errorf("row %d:\n%q\nwant\n%q (the note a prefix)", i+1, got, exp)
		}
	}
}

func abs(t *testing.T, path string) string {
	t.Helper()
	p, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMultitenant(t *testing.T) {
	// One fake Infiniti per school.
	a := clienttest.NewServer(clienttest.WithAccount("import-a", "pw-a"))
	defer a.Close()
	b := clienttest.NewServer(clienttest.WithAccount("import-b", "pw-b"), clienttest.WithLibraryGroups("Blue"))
	defer b.Close()
	// The fakes' certificates, in one CA file.
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemA, _ := os.ReadFile(exampletest.CAFile(t, a))
	pemB, _ := os.ReadFile(exampletest.CAFile(t, b))
	if err := os.WriteFile(ca, append(pemA, pemB...), 0o600); err != nil {
		t.Fatal(err)
	}
	passwords := env(map[string]string{"PW_A": "pw-a", "PW_B": "pw-b", "PW_WRONG": "nope"})

	tests := []struct {
		name    string
		schools []cli.School
		args    []string
		code    int
		rows    []string // rows of the summary table, in order (see checkTable)
		stderr  string
	}{
		{
			name: "every school imported",
			schools: []cli.School{
				{Name: "Alpha", URL: a.URL, Tenant: "alpha", User: "import-a", PasswordEnv: "PW_A", File: abs(t, "testdata/school_a.csv")},
			},
			code: 0,
			rows: []string{"Alpha | 2 | 2 | 2/0/0 | ok | 0 | ok"},
		},
		{
			name: "one school's failures do not stop the others; exit is the worst",
			schools: []cli.School{
				{Name: "Alpha", Tenant: "alpha", URL: a.URL, User: "import-a", PasswordEnv: "PW_A", File: abs(t, "testdata/school_a.csv")},
				{Name: "Beta", Tenant: "beta", URL: b.URL, User: "import-b", PasswordEnv: "PW_B", File: abs(t, "testdata/school_b.csv")},
				{Name: "Gamma", Tenant: "gamma", URL: b.URL, User: "import-b", PasswordEnv: "PW_WRONG", File: abs(t, "testdata/school_a.csv")},
				{Name: "Delta", Tenant: "delta", URL: a.URL, User: "import-a", PasswordEnv: "PW_A", File: abs(t, "testdata/school_bad.csv")},
				{Name: "Epsilon", Tenant: "epsilon", URL: a.URL, User: "import-a", PasswordEnv: "PW_UNSET", File: abs(t, "testdata/school_a.csv")},
			},
			args: []string{"-concurrency", "2"},
			code: 3,
			rows: []string{
				"Alpha | 2 | 2 | 0/2/0 | ok | 0 | ok",
				"Beta | 2 | 2 | 1/0/1 | rows-failed | 1 | 1 row failed; 1 row (line 2): Field (library-group) Library group (Purple) does not exist.",
				"Gamma | 2 | 0 | - | auth-error | 3 | Infiniti refused the credentials; check user and password_env or password_file",
				"Delta | 0 | 0 | - | invalid-file | 2 | not sent: the file has 1 error: line 1 (header), username: error: header column 1 is \"Username\"",
				"Epsilon | 0 | 0 | - | invalid-config | 2 | no password: the environment variable PW_UNSET is empty",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"-config", writeConfig(t, tt.schools), "-ca-file", ca}, tt.args...)
			code := run(args, passwords, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, &stdout, &stderr)
			}
			checkTable(t, stdout.String(), tt.rows)
			if strings.Contains(stdout.String()+stderr.String(), "pw-") {
				t.Errorf("a password was printed")
			}
		})
	}
}

// TestMultitenantSchoolEntries: a mistake in one school's entry gives that
// school a row with its error (exit 2); the other schools run.
func TestMultitenantSchoolEntries(t *testing.T) {
	a := clienttest.NewServer(clienttest.WithAccount("import-a", "pw-a"), clienttest.WithLibraryGroups("Blue", "Red"))
	defer a.Close()
	latin := clienttest.NewServer(clienttest.WithLatin1Credentials(), clienttest.WithLibraryGroups("Blue", "Red"))
	defer latin.Close()
	dir := t.TempDir()
	secret := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	private := secret("a.txt", "pw-a\n", 0o600)
	open := secret("open.txt", "pw-a\n", 0o644)
	good := func(name string) map[string]any {
		// Each its own tenant: an entry's school and import are listed once.
		return map[string]any{"name": name, "url": a.URL, "tenant": strings.ReplaceAll(name, " ", "-"), "user": "import-a", "password_env": "PW_A", "file": abs(t, "testdata/school_a.csv"), "ca_file": exampletest.CAFile(t, a)}
	}
	with := func(m map[string]any, kv ...any) map[string]any {
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	schools := []any{
		good("Alpha"),
		with(good("Misspelt"), "password_env", nil, "pasword_env", "PW_A"),
		with(good("No user"), "user", nil),
		with(good("No file"), "file", filepath.Join(dir, "nope.csv")),
		with(good("Two passwords"), "password_file", private),
		with(good("No password"), "password_env", nil),
		with(good("Bad encoding"), "encoding", "latin9"),
		good("Alpha"),
		42,
		with(good("Bad tenant"), "tenant", 7),
		with(good("Map as text"), "map", "username=Student Code"),
		with(good("UTF-8 as Windows-1252"), "file", abs(t, "testdata/school_utf8.csv"), "encoding", "windows-1252"),
		with(good("Password file"), "password_env", nil, "password_file", private),
		with(good("Open password file"), "password_env", nil, "password_file", open),
		with(good("Windows-1252"), "file", abs(t, "testdata/school_windows1252.csv"), "encoding", "windows-1252"),
		with(good("UTF-16"), "file", abs(t, "testdata/school_utf16le.csv"), "encoding", "utf-16"),
		with(good("UTF-16 unsaid"), "file", abs(t, "testdata/school_utf16le.csv")),
		with(good("Tenant in URL"), "url", a.URL+"?tenantId=x", "tenant", nil),
		with(good("No CA"), "ca_file", nil),
		with(good("Bad charset"), "auth_charset", "ascii"),
		with(good("Latin-1"), "url", latin.URL, "user", clienttest.DefaultUsername, "password_env", "PW_LATIN", "auth_charset", "latin1", "ca_file", exampletest.CAFile(t, latin)),
		with(good("Not Latin-1"), "url", latin.URL, "user", clienttest.DefaultUsername, "password_env", "PW_LATIN", "ca_file", exampletest.CAFile(t, latin)),
		with(good("Mapped"), "file", abs(t, "testdata/school_sms.csv"), "library_groups", abs(t, "testdata/library_groups.txt"),
			"map", map[string]string{"username": "Student Code", "library-group": "House", "system-group": "Year Level"}),
		with(good("Bad map"), "map", map[string]string{"user": "Student Code"}),
		with(good("Unknown group"), "library_groups", abs(t, "testdata/library_groups_blue.txt")),
		with(good("No groups file"), "system_groups", filepath.Join(dir, "nope.txt")),
		with(good("Semicolons"), "file", abs(t, "testdata/school_semicolon.csv"), "comma", ";"),
		with(good("Semicolons unsaid"), "file", abs(t, "testdata/school_semicolon.csv")),
		with(good("Bad comma"), "comma", "semicolon"),
		with(good("Windows-1252 unsaid"), "file", abs(t, "testdata/school_windows1252.csv")),
	}
	openRow := "Open password file | 0 | 0 | - | invalid-config | 2 | password_file: other accounts may read the password file: " + open + " has permissions 0644"
	if runtime.GOOS == "windows" {
		openRow = "Open password file | 2 | 0 | 0/2/0 | ok | 0 | ok"
	}
	want := []string{
		"Alpha | 2 | 2 | 2/0/0 | ok | 0 | ok",
		`Misspelt | 0 | 0 | - | invalid-config | 2 | config: unknown field "pasword_env"; the fields are name, url, tenant, user, password_env, password_file, auth_charset, file, encoding, comma, map, library_groups, system_groups, ca_file, max_removals`,
		"No user | 0 | 0 | - | invalid-config | 2 | config: lacks user",
		"No file | 0 | 0 | - | invalid-config | 2 | open " + filepath.Join(dir, "nope.csv") + ": no such file or directory",
		"Two passwords | 0 | 0 | - | invalid-config | 2 | config: has both password_env and password_file; give one of them",
		"No password | 0 | 0 | - | invalid-config | 2 | config: lacks password_env or password_file",
		`Bad encoding | 0 | 0 | - | invalid-config | 2 | config: encoding: unknown encoding "latin9"; use one of utf-8, windows-1252, iso-8859-1, utf-16`,
		`Alpha | 0 | 0 | - | invalid-config | 2 | config: the name "Alpha" is listed twice (schools 1 and 8); give each school its own name`,
		"school 9 | 0 | 0 | - | invalid-config | 2 | config: the entry is a JSON number; each school is an object with the fields name, url,",
		`Bad tenant | 0 | 0 | - | invalid-config | 2 | config: "tenant" must be a JSON string, in quotes, not a JSON number`,
		`Map as text | 0 | 0 | - | invalid-config | 2 | config: "map" must be an object of column names and the SMS's header names, e.g. {"username": "Student Code"}`,
		`UTF-8 as Windows-1252 | 0 | 0 | - | invalid-file | 2 | this file is UTF-8 already, not windows-1252: line 2 has "ë", which windows-1252 would garble into "Ã«"; leave out encoding`,
		"Password file | 2 | 2 | 0/2/0 | ok | 0 | ok",
		openRow,
		"Windows-1252 | 2 | 2 | 1/1/0 | ok | 0 | ok",
		"UTF-16 | 2 | 2 | 0/2/0 | ok | 0 | ok",
		`UTF-16 unsaid | 0 | 0 | - | invalid-file | 2 | the file starts with a UTF-16 LE byte order mark: it is Unicode text (UTF-16), as Excel saves "Unicode text"; run again with "encoding": "utf-16"`,
		`Tenant in URL | 0 | 0 | - | invalid-config | 2 | tenant: the base URL has a query; give only the site in url and the tenant with tenant`,
		"No CA | 2 | 0 | - | transport-error | 3 | the server's certificate is not trusted; if the school uses a private certificate authority, trust it with ca_file (or -ca-file)",
		`Bad charset | 0 | 0 | - | invalid-config | 2 | config: auth_charset: unknown charset "ascii"; use utf-8 (the default) or latin1`,
		"Latin-1 | 2 | 2 | 2/0/0 | ok | 0 | ok",
		"Not Latin-1 | 2 | 0 | - | auth-error | 3 | Infiniti refused the credentials; check user and password_env or password_file; a password with non-ASCII characters may need the other auth_charset",
		"Mapped | 2 | 2 | 2/0/0 | ok | 0 | ok",
		`Bad map | 0 | 0 | - | invalid-file | 2 | the export cannot be posted; nothing was sent: map: "user" is not a column of a user-groups file`,
		// A row problem holds its user; the others are sent (issue 14:
		// was invalid-file, nothing sent).
		`Unknown group | 2 | 1 | 0/1/0 | rows-failed | 1 | 1 row with a problem (listed above) not sent: 1 user held, and the others were sent`,
		"No groups file | 0 | 0 | - | invalid-config | 2 | system_groups: open " + filepath.Join(dir, "nope.txt") + ": no such file or directory",
		"Semicolons | 4 | 2 | 0/1/1 | rows-failed | 1 | 1 row failed; 1 row (line 4): Field (library-group) Library group (Gold) does not exist.",
		`Semicolons unsaid | 0 | 0 | - | invalid-file | 2 | not sent: the file has 1 error: line 1 (header): error: the header is separated by semicolons (";"), not commas (","); give the file's separator with "comma": ";"`,
		`Bad comma | 0 | 0 | - | invalid-config | 2 | config: comma: "semicolon" is not a separator`,
		`Windows-1252 unsaid | 2 | 0 | - | invalid-file | 2 | not sent: the file is not UTF-8 (1 invalid value, the first on line 2) but reads as Windows-1252, Excel's "CSV" on Windows: run again with "encoding": "windows-1252"`,
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"-config", writeConfig(t, schools), "-concurrency", "1"}, env(map[string]string{"PW_A": "pw-a", "PW_LATIN": clienttest.DefaultPassword}), &stdout, &stderr)
	if code != 3 {
		t.Errorf("exit code %d, want 3\nstderr:\n%s", code, &stderr)
	}
	checkTable(t, stdout.String(), want)
	got := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if row := got[len(got)-12]; !strings.HasSuffix(row, `trust it with ca_file (or -ca-file)`) {
		t.Errorf("the certificate error does not name ca_file: %s", row)
	}
	if row := got[len(got)-9]; !strings.Contains(row, `may need the other auth_charset`) {
		t.Errorf("the refused non-ASCII password does not name auth_charset: %s", row)
	}
	if regexp.MustCompile(`\bWith[A-Z]`).MatchString(stdout.String() + stderr.String()) {
		t.Errorf("the output names a Go option:\n%s%s", &stdout, &stderr)
	}
	// The decoded files reached Infiniti in UTF-8.
	var posted []string
	for _, r := range a.Requests() {
		if bytes.Contains(r.CSV, []byte("nguyen")) {
			posted = append(posted, string(r.CSV))
		}
	}
	wantPosted := []string{"username,library-group,system-group\nzoë.nguyen,Blue,Students\nmjones,Red,Staff\n"}
	wantPosted = append(wantPosted, wantPosted[0])
	if diff := cmp.Diff(wantPosted, posted); diff != "" {
		t.Errorf("posted CSV (-want +got):\n%s", diff)
	}
}

func TestMultitenantConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no config", nil, "usage: multitenant -config"},
		{"missing file", []string{"-config", filepath.Join(dir, "nope.json")}, "no such file"},
		{"not JSON", []string{"-config", write("a.json", "[\n{\"name\": x}]")}, "a.json: line 2: this is not valid JSON (invalid character 'x' looking for beginning of value); the config must be a JSON array of schools: [ {"},
		{"an object, not an array", []string{"-config", write("b.json", ` {"name":"x"}`)}, "b.json: the file holds one JSON object; the config must be a JSON array of schools: [ {"},
		{"a string, not an array", []string{"-config", write("d.json", `"x"`)}, "d.json: the config must be a JSON array of schools: [ {"},
		{"empty", []string{"-config", write("c.json", `[]`)}, "lists no school"},
		{"empty, with a UTF-8 byte order mark", []string{"-config", write("e.json", "\ufeff[]")}, "e.json lists no school"},
		{"zero concurrency", []string{"-config", "x.json", "-concurrency", "0"}, "usage"},
		{"stray argument", []string{"-config", "x.json", "now"}, "unexpected argument now: every input is a flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tt.args, env(nil), &stdout, &stderr); code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, &stderr)
			}
			if strings.Contains(stderr.String(), "Go value") || strings.Contains(stderr.String(), "json: cannot") {
				t.Errorf("stderr holds Go's words:\n%s", &stderr)
			}
			// With -json, a document on stdout says the same.
			stdout.Reset()
			code := run(append([]string{"-json"}, tt.args...), env(nil), &stdout, io.Discard)
			var doc struct {
				Schools  []json.RawMessage `json:"schools"`
				ExitCode int               `json:"exit_code"`
				Error    string            `json:"error"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
				t.Fatalf("-json printed no JSON document: %v\n%s", err, &stdout)
			}
			if doc.ExitCode != 2 || code != 2 || doc.Schools == nil || !strings.Contains(doc.Error, tt.want) {
				t.Errorf("-json: exit code %d, document %+v; want 2, no school and an error holding %q", code, doc, tt.want)
			}
		})
	}
}

// TestMultitenantFieldTwice: a field given twice in one entry is that
// entry's error, not the last value silently.
func TestMultitenantFieldTwice(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "schools.json")
	if err := os.WriteFile(cfg, []byte(`[{"name": "Twice", "url": "https://a.example", "user": "u", "password_env": "PW", "file": "x.csv", "url": "https://b.example"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	if code := run([]string{"-config", cfg}, env(map[string]string{"PW": "x"}), &stdout, io.Discard); code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	if want := `config: "url" is given twice; give each field once`; !strings.Contains(stdout.String(), want) {
		t.Errorf("the table lacks %q:\n%s", want, &stdout)
	}
}

// TestMultitenantJSONFull: -json to a stdout that cannot be written
// exits non-zero.
func TestMultitenantJSONFull(t *testing.T) {
	cfg := writeConfig(t, []any{map[string]any{"name": "A", "url": "https://a.example", "user": "u", "password_env": "PW", "file": abs(t, "testdata/school_a.csv")}})
	args := []string{"-json", "-plan", "-state", t.TempDir(), "-config", cfg}
	if code := run(args, env(nil), io.Discard, io.Discard); code != 0 {
		t.Fatalf("the plan exits %d, want 0", code)
	}
	var stderr bytes.Buffer
	if code := run(args, env(nil), failWriter{}, &stderr); code == 0 || !strings.Contains(stderr.String(), "writing the JSON report") {
		t.Errorf("exit code %d; want non-zero and the write error on stderr:\n%s", code, &stderr)
	}
}

// failWriter fails every write, as a full disk does.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

func TestMultitenantBinary(t *testing.T) {
	bin := exampletest.Build(t)
	cfg := writeConfig(t, []cli.School{{Name: "Down", URL: "https://127.0.0.1:1", User: "u", PasswordEnv: "PW", File: abs(t, "testdata/school_a.csv")}})
	out, code := exampletest.RunBinary(t, bin, []string{"PW=x"}, "-config", cfg)
	if code != 3 || !strings.Contains(out, "Down") {
		t.Errorf("exit code %d, want 3; output:\n%s", code, out)
	}
	if _, code := exampletest.RunBinary(t, bin, nil, "-h"); code != 0 {
		t.Errorf("-h: exit code %d, want 0", code)
	}
	bad := writeConfig(t, []any{map[string]any{"name": "Bad", "pasword_env": "PW"}})
	if out, code := exampletest.RunBinary(t, bin, nil, "-config", bad); code != 2 || !strings.Contains(out, "Bad") {
		t.Errorf("a bad entry: exit code %d, want 2; output:\n%s", code, out)
	}
}

// TestMultitenantState: with -state each school has its own journal
// folder; a school whose export is broken is refused (exit 4) while the
// others run; -plan sends nothing; -json reports every school.
func TestMultitenantState(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithTenants("north", "south"), clienttest.WithLibraryGroups("Blue", "Red"))
	defer srv.Close()
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	north := write("north.csv", "username,library-group,system-group\nann,Blue,\nbob,Red,\n")
	south := write("south.csv", "username,library-group,system-group\ncat,Blue,\ndan,Red,\n")
	empty := write("empty.csv", "username,library-group,system-group\n,,\n")
	ca := exampletest.CAFile(t, srv)
	school := func(name, tenant, file string, extra ...any) map[string]any {
		m := map[string]any{"name": name, "url": srv.URL, "tenant": tenant, "user": clienttest.DefaultUsername, "password_env": "PW", "file": file, "ca_file": ca}
		for i := 0; i < len(extra); i += 2 {
			m[extra[i].(string)] = extra[i+1]
		}
		return m
	}
	pw := env(map[string]string{"PW": clienttest.DefaultPassword})
	steps := []struct {
		name     string
		schools  []any
		args     []string
		code     int
		rows     []string
		requests int
	}{
		{
			name:     "first runs",
			schools:  []any{school("North", "north", north), school("South", "south", south)},
			code:     0,
			rows:     []string{"North | 2 | 2 | 2/0/0 | ok | 0 | ok: first run, 2 rows", "South | 2 | 2 | 2/0/0 | ok | 0 | ok: first run, 2 rows"},
			requests: 2,
		},
		{
			name:     "-plan sends nothing",
			schools:  []any{school("North", "north", empty), school("South", "south", south)},
			args:     []string{"-plan"},
			code:     4,
			rows:     []string{"North | 1 | 0 | - | refused | 4 | refused: the export has no rows, but Infiniti last accepted 2 users", "South | 2 | 0 | - | ok | 0 | plan: 0 new, 0 changed, 0 gone, 0 rows to send; nothing sent"},
			requests: 0,
		},
		{
			// Past the limit the losses are held and the new users
			// sent (issue 14: was refused whole, nothing sent).
			name:     "a broken export is refused, the other school's losses held",
			schools:  []any{school("North", "north", empty), school("South", "south", north, "max_removals", "0")},
			code:     4,
			rows:     []string{"North | 1 | 0 | - | refused | 4 | refused: the export has no rows, but Infiniti last accepted 2 users; this is usually a broken export. Nothing was sent. Check the export from the SMS and run again; force does not go past an empty export", "South | 2 | 0 | 0/2/0 | held | 4 | held 2 users who would lose something, of the 2 Infiniti last accepted (2 gone from the export, 0 losing part of what they had): more than the limit of 0 (at most 0 users); 2 rows were sent for the users who lose nothing"},
			requests: 1,
		},
		{
			name:     "a limit that lets the change through",
			schools:  []any{school("South", "south", north, "max_removals", "100%")},
			code:     0,
			rows:     []string{"South | 2 | 0 | 0/0/0 | ok | 0 | ok: 0 new, 0 changed, 2 gone, 0 rows to send"},
			requests: 1,
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := len(srv.Requests())
			var stdout, stderr bytes.Buffer
			args := append([]string{"-config", writeConfig(t, st.schools), "-state", state, "-concurrency", "1"}, st.args...)
			code := run(args, pw, &stdout, &stderr)
			if code != st.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, st.code, &stdout, &stderr)
			}
			checkTable(t, stdout.String(), st.rows)
			if n := len(srv.Requests()) - before; n != st.requests {
				t.Errorf("%d requests, want %d", n, st.requests)
			}
		})
	}

	// One folder per school, named safely from its key.
	entries, err := os.ReadDir(state)
	if err != nil {
		t.Fatal(err)
	}
	var folders []string
	for _, e := range entries {
		folders = append(folders, e.Name())
	}
	j, err := syncjob.OpenDir(state)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, tenant := range []string{"north", "south"} {
		c, err := client.New(srv.URL, client.WithTenant(tenant))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, filepath.Base(j.Dir((&syncjob.Job{Client: c}).Key())))
	}
	if diff := cmp.Diff(want, folders); diff != "" {
		t.Errorf("journal folders (-want +got):\n%s", diff)
	}

	// -json: every school's outcome, plan and journal health, and the worst exit code.
	var stdout, stderr bytes.Buffer
	code := run([]string{"-json", "-plan", "-state", state, "-config", writeConfig(t, []any{school("North", "north", north)})}, pw, &stdout, &stderr)
	var rep struct {
		Schools []struct {
			Name     string         `json:"name"`
			Outcome  string         `json:"outcome"`
			ExitCode int            `json:"exit_code"`
			Plan     map[string]any `json:"plan"`
			Journal  map[string]any `json:"journal"`
		} `json:"schools"`
		ExitCode int `json:"exit_code"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || code != 0 || rep.ExitCode != 0 || len(rep.Schools) != 1 {
		t.Fatalf("-json: exit code %d, %v\n%s\nstderr:\n%s", code, err, &stdout, &stderr)
	}
	s := rep.Schools[0]
	if s.Name != "North" || s.Outcome != "ok" || s.Plan["users_unchanged"] != float64(2) || s.Journal["failures_since"] != float64(1) {
		t.Errorf("-json: %+v", s)
	}
	if !strings.HasPrefix(stderr.String(), "SCHOOL ") {
		t.Errorf("-json: the table is not on standard error:\n%s", &stderr)
	}
}

// TestMultitenantJournalUsage: -plan and max_removals need -state.
func TestMultitenantJournalUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	cfg := writeConfig(t, []any{map[string]any{"name": "A", "url": "https://a.example", "user": "u", "password_env": "PW", "file": "a.csv", "max_removals": "5"}})
	if code := run([]string{"-config", cfg, "-plan"}, env(nil), &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "-plan needs the journal: give -state DIR") {
		t.Errorf("-plan without -state: exit code %d\n%s", code, &stderr)
	}
	stdout.Reset()
	if code := run([]string{"-config", cfg}, env(nil), &stdout, &stderr); code != 2 {
		t.Errorf("max_removals without -state: exit code %d", code)
	}
	checkTable(t, stdout.String(), []string{"A | 0 | 0 | - | invalid-config | 2 | config: max_removals needs the journal: give -state DIR"})
	stdout.Reset()
	bad := writeConfig(t, []any{map[string]any{"name": "A", "url": "https://a.example", "user": "u", "password_env": "PW", "file": "a.csv", "max_removals": "lots"}})
	run([]string{"-config", bad, "-state", t.TempDir()}, env(nil), &stdout, &stderr)
	checkTable(t, stdout.String(), []string{`A | 0 | 0 | - | invalid-config | 2 | config: max_removals: the removal limit "lots" is neither a count nor a percentage`})
}

// TestMultitenantContacts: a school's contacts and another's user groups
// run side by side, each in its own journal; the contacts are posted to the
// contacts import, rewritten; a contacts entry with a user-groups field is
// that school's config error, and the others run.
func TestMultitenantContacts(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithTenants("north", "south"))
	defer srv.Close()
	state := t.TempDir()
	ca := exampletest.CAFile(t, srv)
	school := func(name, tenant, file string, extra ...any) map[string]any {
		m := map[string]any{"name": name, "url": srv.URL, "tenant": tenant, "user": clienttest.DefaultUsername, "password_env": "PW", "file": abs(t, file), "ca_file": ca}
		for i := 0; i < len(extra); i += 2 {
			m[extra[i].(string)] = extra[i+1]
		}
		return m
	}
	sms := map[string]string{"username": "Student Code", "type": "Contact Type", "role": "Relationship", "primary": "Is Primary",
		"addressee": "Salutation", "contact": "Contact Detail", "sms": "SMS Allowed", "scenarios": "Notify For"}
	contacts := func(name, tenant string, extra ...any) map[string]any {
		return school(name, tenant, "testdata/school_contacts.csv", append([]any{"import", "contacts", "map", sms}, extra...)...)
	}
	schools := []any{
		contacts("North contacts", "north"),
		school("South groups", "south", "testdata/school_a.csv"),
		contacts("With library groups", "north", "library_groups", abs(t, "testdata/library_groups.txt")),
		contacts("With system groups", "north", "system_groups", abs(t, "testdata/library_groups.txt")),
		contacts("With both", "north", "library_groups", "a.txt", "system_groups", "b.txt"),
		school("Mode without contacts", "south", "testdata/school_a.csv", "contacts_mode", "replaceDeclaredPatronsKeepCustomContacts"),
		school("Unknown import", "south", "testdata/school_a.csv", "import", "userContacts"),
		contacts("Bad mode", "north", "contacts_mode", "replace/all"),
		contacts("Unpublished mode", "south", "contacts_mode", "replaceAll"),
		school("Contacts unsaid", "north", "testdata/school_contacts.csv", "map", sms),
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"-config", writeConfig(t, schools), "-state", state, "-concurrency", "1"}, env(map[string]string{"PW": clienttest.DefaultPassword}), &stdout, &stderr)
	if code != 3 {
		t.Errorf("exit code %d, want 3\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	checkTable(t, stdout.String(), []string{
		"North contacts | 4 | 4 | 0/4/0 | ok | 0 | ok: first run, 4 rows",
		"South groups | 2 | 2 | 2/0/0 | ok | 0 | ok: first run, 2 rows",
		`With library groups | 0 | 0 | - | invalid-config | 2 | config: library_groups checks user groups, which a contacts file does not have: leave it out with "import": "contacts"`,
		`With system groups | 0 | 0 | - | invalid-config | 2 | config: system_groups checks user groups, which a contacts file does not have: leave it out with "import": "contacts"`,
		`With both | 0 | 0 | - | invalid-config | 2 | config: library_groups checks user groups, which a contacts file does not have: leave it out with "import": "contacts"`,
		`Mode without contacts | 0 | 0 | - | invalid-config | 2 | config: contacts_mode is the mode of the contacts import: give it with "import": "contacts", or leave it out`,
		`Unknown import | 0 | 0 | - | invalid-config | 2 | config: import: unknown import "userContacts"; use user-groups (the default) or contacts`,
		`Bad mode | 0 | 0 | - | invalid-config | 2 | config: contacts_mode: `,
		// A status other than 2xx after the handover is no-answer
		// (issue 14: was transport-error).
		"Unpublished mode | 4 | 0 | - | no-answer | 3 | Infiniti has no import at this address (404 Not Found); check url; or this Infiniti does not know contacts_mode \"replaceAll\"",
		`Contacts unsaid | 0 | 0 | - | invalid-file | 2 | the export cannot be posted; nothing was sent: map: "`, // a contacts column, then: is not a column of a user-groups file
	})

	if !strings.Contains(stdout.String(), `; or this Infiniti does not know contacts_mode "replaceAll": only replaceDeclaredPatronsKeepCustomContacts has been seen in the field`) {
		t.Errorf("the 404 of an unpublished mode does not name contacts_mode:\n%s", &stdout)
	}

	// The contacts school's rows reached the contacts import rewritten:
	// True/False, lower-case type and role.
	var posted []string
	for _, r := range srv.Requests() {
		if r.Path == clienttest.ImportContactsPath {
			posted = append(posted, r.TenantID+"\n"+string(r.CSV))
		}
	}
	want := []string{"north\n" + "username,type,role,primary,addressee,contact,sms,scenarios\n" +
		"S2001,email,patron,True,Lin,lin.ng@students.example.edu.au,False,ANY\n" +
		"S2001,email,guardian,True,Mr and Mrs Ng,ng.family@example.com,False,OVERDUE;OVERDUE_ESCALATION_ONE\n" +
		"S2001,phone,guardian,True,Mr and Mrs Ng,(M1) 0400 111 222,True,NONE\n" +
		"S2002,email,patron,True,Sam,sam.oneil@students.example.edu.au,False,ANY\n"}
	if diff := cmp.Diff(want, posted); diff != "" {
		t.Errorf("posted contacts (-want +got):\n%s", diff)
	}
	if n := len(srv.Contacts()["S2001"]); n != 3 {
		t.Errorf("the fake holds %d contacts of S2001, want 3", n)
	}

	// Each import of each school has its own journal folder.
	var folders, wantFolders []string
	entries, err := os.ReadDir(state)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		folders = append(folders, e.Name())
	}
	j, err := syncjob.OpenDir(state)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []struct {
		tenant string
		imp    *syncjob.Import
	}{
		{"north", syncjob.Contacts(client.ContactsReplaceDeclaredPatronsKeepCustomContacts)},
		{"north", syncjob.UserGroups()}, // "Contacts unsaid": refused, and recorded
		{"south", syncjob.UserGroups()},
		{"south", syncjob.Contacts("replaceAll")},
	} {
		c, err := client.New(srv.URL, client.WithTenant(k.tenant))
		if err != nil {
			t.Fatal(err)
		}
		wantFolders = append(wantFolders, filepath.Base(j.Dir((&syncjob.Job{Client: c, Import: k.imp}).Key())))
	}
	slices.Sort(wantFolders)
	if diff := cmp.Diff(wantFolders, folders); diff != "" {
		t.Errorf("journal folders (-want +got):\n%s", diff)
	}

	// A second night with nothing changed sends the contacts school an
	// empty file; -json names each school's import.
	stdout.Reset()
	code = run([]string{"-json", "-config", writeConfig(t, schools[:2]), "-state", state}, env(map[string]string{"PW": clienttest.DefaultPassword}), &stdout, &stderr)
	var rep struct {
		Schools []struct {
			Name     string `json:"name"`
			Import   string `json:"import"`
			RowsSent int    `json:"rows_sent"`
			Outcome  string `json:"outcome"`
		} `json:"schools"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || code != 0 {
		t.Fatalf("-json: exit code %d, %v\n%s", code, err, &stdout)
	}
	type row struct {
		Name, Import, Outcome string
		RowsSent              int
	}
	var got []row
	for _, s := range rep.Schools {
		got = append(got, row{s.Name, s.Import, s.Outcome, s.RowsSent})
	}
	if diff := cmp.Diff([]row{{"North contacts", "contacts", "ok", 0}, {"South groups", "user-groups", "ok", 0}}, got); diff != "" {
		t.Errorf("-json schools (-want +got):\n%s", diff)
	}
}

// TestMultitenantReview: a school listed twice for the same import is a
// config error of both entries, each naming the other; SENT counts only
// rows Infiniti processed; a school that timed out says -timeout; -json
// gives a config error the outcome "invalid-config".
func TestMultitenantReview(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	ca := exampletest.CAFile(t, srv)
	mk := func(name, tenant, imp, pwEnv string) cli.School {
		s := cli.School{Name: name, URL: srv.URL, Tenant: tenant, User: clienttest.DefaultUsername, PasswordEnv: pwEnv, File: abs(t, "testdata/school_a.csv"), CAFile: ca, Import: imp}
		if imp == cli.ImportContacts {
			s.File = abs(t, "testdata/school_contacts.csv")
			s.Map = map[string]string{"username": "Student Code", "type": "Contact Type", "role": "Relationship", "primary": "Is Primary",
				"addressee": "Salutation", "contact": "Contact Detail", "sms": "SMS Allowed", "scenarios": "Notify For"}
		}
		return s
	}
	pw := env(map[string]string{"PW": clienttest.DefaultPassword, "WRONG": "nope"})
	type row struct {
		Name     string `json:"name"`
		Outcome  string `json:"outcome"`
		ExitCode int    `json:"exit_code"`
		Posted   bool   `json:"posted"`
		RowsSent int    `json:"rows_sent"`
		Note     string `json:"note"`
	}
	key := func(tenant, imp string) string {
		return srv.URL + " tenant=" + tenant + " import=" + imp
	}
	tests := []struct {
		name    string
		schools []cli.School
		args    []string
		slow    bool
		fault   *clienttest.Fault // the server's answer to the post
		code    int
		want    []row
	}{
		{
			name: "the same school and import twice",
			schools: []cli.School{
				mk("North", "north", "", "PW"),
				mk("North again", "north", cli.ImportUserGroups, "PW"),
				mk("North contacts", "north", cli.ImportContacts, "PW"),
				mk("South", "south", "", "PW"),
			},
			code: 2,
			want: []row{
				{Name: "North", Outcome: "invalid-config", ExitCode: 2, Note: `config: the same school and import as entry 2 ("North again"): ` + key("north", "user-groups") + "; list each school once per import"},
				{Name: "North again", Outcome: "invalid-config", ExitCode: 2, Note: `config: the same school and import as entry 1 ("North"): ` + key("north", "user-groups") + "; list each school once per import"},
				{Name: "North contacts", Outcome: "ok", Posted: true, RowsSent: 4, Note: "ok"},
				{Name: "South", Outcome: "ok", Posted: true, RowsSent: 2, Note: "ok"},
			},
		},
		{
			name:    "a refused password sends no row",
			schools: []cli.School{mk("East", "east", "", "WRONG")},
			code:    3,
			want:    []row{{Name: "East", Outcome: "auth-error", ExitCode: 3, Posted: true, Note: "Infiniti refused the credentials; check user and password_env or password_file"}},
		},
		{
			name:    "a password that is not set",
			schools: []cli.School{mk("West", "west", "", "UNSET")},
			code:    2,
			want:    []row{{Name: "West", Outcome: "invalid-config", ExitCode: 2, Note: "no password: the environment variable UNSET is empty; set it, or give password_file (a file only this account can read)"}},
		},
		{
			name:    "a status other than 2xx with a result is no answer (B5)",
			schools: []cli.School{mk("Busy", "busy", "", "PW")},
			fault:   &clienttest.Fault{Status: 500, ContentType: "application/json", Body: `{"success":false,"summary":"2 users processed. 1 user created. 0 users updated. 1 user failed.","details":{"1":"User Created","2":"Field (library-group) Library group (Red) does not exist. "}}`},
			code:    3,
			want:    []row{{Name: "Busy", Outcome: "no-answer", ExitCode: 3, Posted: true, Note: "Infiniti answered 500 Internal Server Error: 2 users processed. 1 user created. 0 users updated. 1 user failed. The file was handed over, so Infiniti may have imported some of it; the users whose rows it did not confirm are sent again on the next run"}},
		},
		{
			name:    "a slow server",
			schools: []cli.School{mk("Slow", "slow", "", "PW")},
			args:    []string{"-timeout", "300ms"},
			slow:    true,
			code:    3,
			want:    []row{{Name: "Slow", Outcome: "cancelled", ExitCode: 3, Posted: true, Note: "gave up after -timeout 300ms; raise -timeout if the file is large or Infiniti is slow to answer"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.slow {
				srv.Fail(1, clienttest.Fault{Delay: time.Hour})
			}
			if tt.fault != nil {
				srv.Fail(1, *tt.fault)
			}
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"-json", "-concurrency", "1", "-config", writeConfig(t, tt.schools)}, tt.args...), pw, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\n%s", code, tt.code, &stderr)
			}
			var got struct {
				Schools []row `json:"schools"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
				t.Fatalf("%v:\n%s", err, &stdout)
			}
			// Notes are compared up to the length of the wanted one.
			for i := range got.Schools {
				if i < len(tt.want) && len(got.Schools[i].Note) > len(tt.want[i].Note) {
					got.Schools[i].Note = got.Schools[i].Note[:len(tt.want[i].Note)]
				}
			}
			if diff := cmp.Diff(tt.want, got.Schools); diff != "" {
				t.Errorf("schools (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMultitenantConverge: issue 14's fields per school: a leaver template
// and applies, a report and a failures file for staff (in -json, with the
// users' counts), strict, and two schools sharing a staff file refused.
func TestMultitenantConverge(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithTenants("north", "south"), clienttest.WithLibraryGroups("Blue", "Red"), clienttest.WithSystemGroups("Students", "Former"))
	defer srv.Close()
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ca := exampletest.CAFile(t, srv)
	school := func(name, tenant, export string, extra ...any) map[string]any {
		m := map[string]any{"name": name, "url": srv.URL, "tenant": tenant, "user": clienttest.DefaultUsername, "password_env": "PW", "file": export, "ca_file": ca}
		for i := 0; i < len(extra); i += 2 {
			m[extra[i].(string)] = extra[i+1]
		}
		return m
	}
	const header = "username,library-group,system-group,Name\n"
	northReport := filepath.Join(dir, "north-report.csv")
	north := func(export string) map[string]any {
		return school("North", "north", export, "leavers", map[string]string{"library-group": "", "system-group": "Former"}, "applies", "replace",
			"carry", []string{"Name"}, "report", northReport, "failures", filepath.Join(dir, "north-failures.csv"))
	}
	southBad := file("south-bad.csv", header+"cat,Blue,Students,Cat\ndan,Gold,Students,Dan\n")
	pw := env(map[string]string{"PW": clienttest.DefaultPassword})
	steps := []struct {
		name    string
		schools []any
		code    int
		rows    []string
		// want are the schools of the -json report, with these fields.
		want   []outcome
		report string // a line North's report holds
	}{
		{
			name:    "first runs",
			schools: []any{north(file("n1.csv", header+"ann,Blue,Students,Ann\nbob,Red,Students,Bob\n")), school("South", "south", southBad, "strict", true, "library_groups", file("groups.txt", "Blue\nRed\n"))},
			code:    2,
			rows:    []string{"North | 2 | 2 | 2/0/0 | ok | 0 | ok", "South | 2 | 0 | - | invalid-file | 2 | not sent: the file has 1 error"},
			want:    []outcome{{Name: "North", Report: northReport, Users: &userCounts{New: 2}}, {Name: "South"}},
			report:  "ann,Ann,Blue,,add,sent,Infiniti confirmed it,2",
		},
		{
			name:    "a leaver is moved to the template, by name in the report",
			schools: []any{north(file("n2.csv", header+"ann,Blue,Students,Ann\n"))},
			code:    0,
			rows:    []string{"North | 1 | 1 | 0/1/0 | ok | 0 | ok: 0 new, 0 changed, 1 gone, 1 rows to send"},
			want:    []outcome{{Name: "North", Report: northReport, Users: &userCounts{Gone: 1}}},
			report:  "bob,Bob,,Former,add,sent,",
		},
		{
			name:    "two schools sharing a report are refused",
			schools: []any{north(file("n3.csv", header+"ann,Blue,Students,Ann\n")), school("South", "south", southBad, "report", northReport)},
			code:    2,
			rows: []string{
				"North | 0 | 0 | - | invalid-config | 2 | config: " + northReport + " is also written by entry 2 (\"South\"); give each school its own file",
				"South | 0 | 0 | - | invalid-config | 2 | config: \"report\" " + northReport + " is also written by entry 1 (\"North\"); give each school its own file",
			},
			want: []outcome{{Name: "North"}, {Name: "South"}},
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			os.Remove(northReport)
			var stdout, stderr bytes.Buffer
			code := run([]string{"-json", "-config", writeConfig(t, st.schools), "-state", state, "-concurrency", "1"}, pw, &stdout, &stderr)
			if code != st.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, st.code, &stdout, &stderr)
			}
			checkTable(t, strings.Join(slices.DeleteFunc(strings.Split(stderr.String(), "\n"), func(l string) bool { return strings.HasPrefix(l, prog+":") }), "\n"), st.rows)
			var got report
			if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
				t.Fatalf("-json: %v\n%s", err, &stdout)
			}
			var schools []outcome
			for _, o := range got.Schools {
				schools = append(schools, outcome{Name: o.Name, Report: o.Report, Users: o.Users})
			}
			if diff := cmp.Diff(st.want, schools); diff != "" {
				t.Errorf("-json's schools (-want +got):\n%s", diff)
			}
			if st.report == "" {
				return
			}
			b, err := os.ReadFile(northReport)
			if err != nil || !strings.HasPrefix(string(b), "\ufeffusername,Name,library-group,system-group,change,status,reason,line\n") || !strings.Contains(string(b), st.report) {
				t.Errorf("North's report (%v) lacks %q:\n%s", err, st.report, b)
			}
		})
	}
}

// TestMultitenantReportNotWritten: a report that cannot be written shows
// in the school's outcome and its run record; it does not change the
// exit code, which says what reached Infiniti.
func TestMultitenantReportNotWritten(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	staffReport := filepath.Join(dir, "no-such-folder", "report.csv")
	config := writeConfig(t, []map[string]any{{"name": "North", "url": srv.URL, "user": clienttest.DefaultUsername, "password_env": "PW",
		"file": abs(t, "testdata/school_a.csv"), "ca_file": exampletest.CAFile(t, srv), "report": staffReport}})
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-json", "-config", config, "-state", state}, env(map[string]string{"PW": clienttest.DefaultPassword}), &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d, want 0\n%s%s", code, &stdout, &stderr)
	}
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	want := "ok: first run, 2 rows; the report was not written: open " + filepath.Dir(staffReport)
	if len(rep.Schools) != 1 || !strings.HasPrefix(rep.Schools[0].Note, want) || rep.Schools[0].Report != "" {
		t.Errorf("the outcome: %+v\nwant the note to start %q, and no report", rep.Schools, want)
	}
	if !strings.Contains(stderr.String(), prog+": North: report: "+staffReport+" was not written: ") {
		t.Errorf("stderr does not say that the report was not written:\n%s", &stderr)
	}
	c, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	j, err := syncjob.OpenDir(state)
	if err != nil {
		t.Fatal(err)
	}
	runs, _, err := (&syncjob.Job{Client: c, Import: syncjob.UserGroups(), Journal: j}).History(context.Background(), 1)
	if err != nil || len(runs) != 1 || !strings.HasPrefix(runs[0].StaffReportError, "the staff report was not written: ") {
		t.Errorf("the run record (%v): %+v", err, runs)
	}
}
