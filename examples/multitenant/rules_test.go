package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/examples/internal/exampletest"
)

// TestMultitenantRules: sync's rules file works in multitenant, as a path
// or inline, and a mistake in the rules is that school's config error.
func TestMultitenantRules(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithTenants("hillview", "westbrook", "broken", "twice"),
		clienttest.WithLibraryGroups("Year 7", "Year 8", "Year 10", "Red House", "Blue House", "Green House", "Purple House", "Staff"),
		clienttest.WithSystemGroups("Students", "Staff"))
	defer srv.Close()
	rules, err := os.ReadFile("../sync/testdata/sms_rules.json")
	if err != nil {
		t.Fatal(err)
	}
	school := func(name string, kv ...any) map[string]any {
		m := map[string]any{"name": name, "url": srv.URL, "tenant": strings.ToLower(name), "user": clienttest.DefaultUsername, "password_env": "PW",
			"file": abs(t, "../sync/testdata/sms_full.csv"), "ca_file": exampletest.CAFile(t, srv)}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	config := writeConfig(t, []any{
		school("Hillview", "rules", "rules.json"), // beside the config
		school("Westbrook", "rules", json.RawMessage(rules)),
		school("Broken", "rules", map[string]any{"import": "user-groups", "username": "{Student Code}", "rows": []any{map[string]any{"library-group": "{House|map:houses}"}}}),
		school("Twice", "rules", json.RawMessage(rules), "map", map[string]string{"username": "Student Code"}),
	})
	if err := os.WriteFile(filepath.Join(filepath.Dir(config), "rules.json"), rules, 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-config", config, "-concurrency", "1"}, env(map[string]string{"PW": clienttest.DefaultPassword}), &stdout, &stderr); code != 2 {
		t.Fatalf("exit code %d, want 2 (the broken rules)\n%s%s", code, &stdout, &stderr)
	}
	checkTable(t, stdout.String(), []string{
		// 12 rows made of 8 lines; the PUR student's held. The tenants
		// of the fake share its users: Westbrook updates them.
		"Hillview | 12 | 11 | 7/4/0 | rows-failed | 1 | 1 row with a problem",
		"Westbrook | 12 | 11 | 0/11/0 | rows-failed | 1 | 1 row with a problem",
		`Broken | 0 | 0 | - | invalid-config | 2 | config: rules: rows[0].library-group: no table "houses"; the tables are none`,
		"Twice | 0 | 0 | - | invalid-config | 2 | config: map and rules both say how to read the export; give one of them",
	})
	students := []string{"Students"}
	want := clienttest.Membership{LibraryGroups: []string{"Red House", "Year 7"}, SystemGroups: students}
	if diff := cmp.Diff(want, srv.Memberships()["S1001"]); diff != "" {
		t.Errorf("S1001's memberships (-want +got):\n%s", diff)
	}
}
