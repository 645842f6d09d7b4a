package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/examples/internal/cli"
	"github.com/autosync-go/autosync/examples/internal/exampletest"
)

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
