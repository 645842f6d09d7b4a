package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/internal/exampletest"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// writeConfig writes schools as a config file in a temporary folder.
func writeConfig(t *testing.T, schools []school) string {
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
		schools []school
		args    []string
		code    int
		lines   []string // rows of the summary table, in order
		stderr  string
	}{
		{
			name: "every school imported",
			schools: []school{
				{Name: "Alpha", URL: a.URL, Tenant: "alpha", User: "import-a", PasswordEnv: "PW_A", File: abs(t, "testdata/school_a.csv")},
			},
			code:  0,
			lines: []string{"SCHOOL  ROWS  CREATED/UPDATED/FAILED  EXIT  NOTE", "Alpha   2     2/0/0                   0     ok"},
		},
		{
			name: "one school's failures do not stop the others; exit is the worst",
			schools: []school{
				{Name: "Alpha", URL: a.URL, User: "import-a", PasswordEnv: "PW_A", File: abs(t, "testdata/school_a.csv")},
				{Name: "Beta", URL: b.URL, User: "import-b", PasswordEnv: "PW_B", File: abs(t, "testdata/school_b.csv")},
				{Name: "Gamma", URL: b.URL, User: "import-b", PasswordEnv: "PW_WRONG", File: abs(t, "testdata/school_a.csv")},
				{Name: "Delta", URL: a.URL, User: "import-a", PasswordEnv: "PW_A", File: abs(t, "testdata/school_bad.csv")},
				{Name: "Epsilon", URL: a.URL, User: "import-a", PasswordEnv: "PW_UNSET", File: abs(t, "testdata/school_a.csv")},
			},
			args: []string{"-concurrency", "2"},
			code: 3,
			lines: []string{
				"SCHOOL   ROWS  CREATED/UPDATED/FAILED  EXIT  NOTE",
				"Alpha    2     0/2/0                   0     ok",
				"Beta     2     1/0/1                   1     1 failed; first: row 1: Field (library-group) Library group (Purple) does not exist.",
				"Gamma    2     -                       3     POST " + b.URL + "/api/import/userGroups: Infiniti refused the credentials",
				"Delta    1     -                       2     not sent: the file has 1 error: line 1 (header), username: error: header column 1 is \"Username\"",
				"Epsilon  0     -                       2     the environment variable PW_UNSET is empty",
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
			got := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			if len(got) != len(tt.lines) {
				t.Fatalf("table:\n%s\nwant %d lines", &stdout, len(tt.lines))
			}
			for i, want := range tt.lines {
				if !strings.HasPrefix(got[i], want) {
					t.Errorf("line %d:\n%s\nwant prefix\n%s", i+1, got[i], want)
				}
			}
			if strings.Contains(stdout.String()+stderr.String(), "pw-") {
				t.Errorf("a password was printed")
			}
		})
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
		{"not JSON", []string{"-config", write("a.json", "name: x")}, "want a JSON array"},
		{"unknown field", []string{"-config", write("b.json", `[{"name":"x","password":"secret"}]`)}, `unknown field "password"`},
		{"empty", []string{"-config", write("c.json", `[]`)}, "lists no school"},
		{"missing fields", []string{"-config", write("d.json", `[{"name":"x","url":"https://x"}]`)}, `school 1 ("x") lacks file, password_env, user`},
		{"duplicate", []string{"-config", write("e.json", `[{"name":"x","url":"u","user":"u","password_env":"P","file":"f"},{"name":"x","url":"u","user":"u","password_env":"P","file":"f"}]`)}, `"x" is listed twice`},
		{"zero concurrency", []string{"-config", "x.json", "-concurrency", "0"}, "usage"},
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
		})
	}
}

func TestMultitenantBinary(t *testing.T) {
	bin := exampletest.Build(t)
	cfg := writeConfig(t, []school{{Name: "Down", URL: "https://127.0.0.1:1", User: "u", PasswordEnv: "PW", File: abs(t, "testdata/school_a.csv")}})
	out, code := exampletest.RunBinary(t, bin, []string{"PW=x"}, "-config", cfg)
	if code != 3 || !strings.Contains(out, "Down") {
		t.Errorf("exit code %d, want 3; output:\n%s", code, out)
	}
}
