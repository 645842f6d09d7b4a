package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/examples/internal/exampletest"
)

// TestSyncRules runs a realistic SMS export through -rules against the
// fake, with a journal: Infiniti ends with exactly the memberships the
// rules make, and the row the rules cannot map holds its student.
func TestSyncRules(t *testing.T) {
	srv := clienttest.NewServer(
		clienttest.WithLibraryGroups("Year 7", "Year 8", "Year 9", "Year 10", "Red House", "Blue House", "Green House", "Purple House", "Staff"),
		clienttest.WithSystemGroups("Students", "Staff"))
	defer srv.Close()
	dir := t.TempDir()
	failures := filepath.Join(dir, "failures.csv")
	school := []string{"-file", "testdata/sms_full.csv", "-rules", "testdata/sms_rules.json", "-url", srv.URL, "-user", clienttest.DefaultUsername,
		"-ca-file", exampletest.CAFile(t, srv), "-state", filepath.Join(dir, "state"), "-carry", "Given Name,Surname"}
	pw := env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword})

	var stdout, stderr bytes.Buffer
	if code := run(append(school, "-plan"), pw, nil, &stdout, &stderr); code != 1 {
		t.Fatalf("-plan: exit code %d, want 1\n%s%s", code, &stdout, &stderr)
	}
	for _, want := range []string{
		"Users per library-group: Red House: 2, Staff: 2, Year 7: 2, Year 8: 2, Blue House: 1, Green House: 1, Year 10: 1.",
		"Users per system-group: Students: 5, Staff: 2.",
		"Nothing was sent (-plan).",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("-plan: stdout lacks %q:\n%s", want, &stdout)
		}
	}

	stdout.Reset()
	stderr.Reset()
	if code := run(append(school, "-failures", failures), pw, nil, &stdout, &stderr); code != 1 {
		t.Fatalf("exit code %d, want 1 (the PUR student held)\n%s%s", code, &stdout, &stderr)
	}
	students := []string{"Students"}
	want := map[string]clienttest.Membership{
		"S1001": {LibraryGroups: []string{"Red House", "Year 7"}, SystemGroups: students},
		"S1002": {LibraryGroups: []string{"Blue House", "Year 7"}, SystemGroups: students},
		"S1003": {LibraryGroups: []string{"Green House", "Year 8"}, SystemGroups: students},
		"S1004": {LibraryGroups: []string{"Year 8"}, SystemGroups: students}, // no house
		"S1006": {LibraryGroups: []string{"Red House", "Year 10"}, SystemGroups: students},
		"T0001": {LibraryGroups: []string{"Staff"}, SystemGroups: []string{"Staff"}},
		"T0002": {LibraryGroups: []string{"Staff"}, SystemGroups: []string{"Staff"}},
	}
	if diff := cmp.Diff(want, srv.Memberships()); diff != "" {
		t.Errorf("memberships (-want +got):\n%s", diff)
	}
	if got := mustRead(t, failures); !strings.Contains(got, `6,S1005,Eli,Jones,,Students,"rows[1].library-group: House ""PUR"" is not in table ""houses"", which has no ""*""; did you mean ""PURP""?"`) {
		t.Errorf("-failures lacks the PUR student with a \"did you mean\":\n%s", got)
	}

	// The next night nothing changed: nothing is sent but the held student.
	stdout.Reset()
	stderr.Reset()
	n := len(srv.Requests())
	if code := run(append(school, "-json"), pw, nil, &stdout, &stderr); code != 1 {
		t.Fatalf("second night: exit code %d, want 1\n%s%s", code, &stdout, &stderr)
	}
	if got := srv.Requests()[n:]; len(got) != 1 || string(got[0].CSV) != "username,library-group,system-group\n" {
		t.Errorf("second night posted %d requests, want 1 with the header alone", len(got))
	}
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("-json: %v\n%s", err, &stdout)
	}
	held := slices.IndexFunc(rep.Problems, func(p problem) bool { return p.Code == "unmapped-value" })
	if held < 0 || rep.Problems[held].Origin != "rows[1]" || rep.Problems[held].Line != 6 {
		t.Errorf("-json problems: %+v, want the PUR student's at line 6 from the rule entry rows[1]", rep.Problems)
	}

	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"-file", "testdata/sms_full.csv", "-rules", "testdata/sms_rules.json", "-explain", "s1005"}, env(nil), nil, &stdout, &stderr); code != 1 {
		t.Fatalf("-explain: exit code %d, want 1\n%s%s", code, &stdout, &stderr)
	}
	wantExplain := `line 6: Student Code="S1005", Given Name="Eli", Surname="Jones", Year Level="09", House="PUR", Roll Class="9B", Role="Student", Parent Emails="sam.jones@example.com"
  rows[0] fired: Role is "Student", wanted "Student": yes
  rows[1] fired: House is "PUR", wanted not "": yes; Role is "Student", wanted "Student": yes
  rows[2] not fired: Role is "Student", wanted one of "Teacher", "Staff": no
  held: line 6, library-group: error: rows[1].library-group: House "PUR" is not in table "houses", which has no "*"; did you mean "PURP"? [unmapped-value]
Nothing was sent (-explain).
`
	if diff := cmp.Diff(wantExplain, stdout.String()); diff != "" {
		t.Errorf("-explain (-want +got):\n%s", diff)
	}
}

func TestSyncRulesExplain(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"-file", "testdata/sms_full.csv", "-rules", "testdata/sms_rules.json", "-explain", "S1001"}, env(nil), nil, &stdout, &stderr)
	want := `line 2: Student Code="S1001", Given Name="Ava", Surname="Nguyen", Year Level="07", House="RED", Roll Class="7B", Role="Student", Parent Emails="jane.nguyen@example.com;tom.nguyen@example.net"
  rows[0] fired: Role is "Student", wanted "Student": yes
  rows[1] fired: House is "RED", wanted not "": yes; Role is "Student", wanted "Student": yes
  rows[2] not fired: Role is "Student", wanted one of "Teacher", "Staff": no
  row: S1001,Year 7,Students (rows[0])
  row: S1001,Red House,Students (rows[1])
Nothing was sent (-explain).
`
	if code != 0 || stdout.String() != want {
		t.Errorf("exit code %d, stdout (-want +got):\n%s%s", code, cmp.Diff(want, stdout.String()), &stderr)
	}
}

// TestSyncRulesContacts: a contacts rules file makes one contact row of
// each of a student's parent emails, the first one primary.
func TestSyncRulesContacts(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	args := []string{"-file", "testdata/sms_full.csv", "-rules", "testdata/sms_contacts_rules.json", "-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", exampletest.CAFile(t, srv)}
	if code := run(args, env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword}), nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d, want 0\n%s%s", code, &stdout, &stderr)
	}
	email := func(addressee, contact, primary string) clienttest.Contact {
		return clienttest.Contact{Type: "email", Role: "guardian", Primary: primary, Addressee: addressee, Contact: contact, Scenarios: "ANY"}
	}
	want := map[string][]clienttest.Contact{
		"S1001": {email("Parent of Ava Nguyen", "jane.nguyen@example.com", "True"), email("Parent of Ava Nguyen", "tom.nguyen@example.net", "False")},
		"S1002": {email("Parent of Ben Smith", "kim.smith@example.com", "True")},
		"S1004": {email("Parent of Dev Patel", "raj.patel@example.com", "True"), email("Parent of Dev Patel", "priya.patel@example.com", "False")},
		"S1005": {email("Parent of Eli Jones", "sam.jones@example.com", "True")},
	}
	// The job posts a user's rows in an order of its own.
	byContact := cmpopts.SortSlices(func(a, b clienttest.Contact) bool { return a.Contact < b.Contact })
	if diff := cmp.Diff(want, srv.Contacts(), byContact); diff != "" {
		t.Errorf("contacts (-want +got):\n%s", diff)
	}
}

func TestSyncRulesUsage(t *testing.T) {
	dir := t.TempDir()
	badRules := filepath.Join(dir, "bad.json")
	write(t, badRules, `{"import": "user-groups", "username": "{Student Code}", "rows": [{"library-group": "Year {Year Level|nozero}"}]}`)
	missing := filepath.Join(dir, "missing.json")
	write(t, missing, `{"import": "user-groups", "username": "{Student Code}", "rows": [{"library-group": "{Houses}"}]}`)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"with -map", []string{"-rules", "testdata/sms_rules.json", "-map", smsMap}, 2, "sync: -map and -rules both say how to read the export; give one of them\n"},
		{"another import", []string{"-rules", "testdata/sms_rules.json", "-import", "contacts"}, 2,
			"sync: the rules in -rules testdata/sms_rules.json are for the user-groups import; leave out -import, or give -import user-groups\n"},
		{"explain without rules", []string{"-explain", "S1001"}, 2, "sync: -explain needs -rules: it shows what the rules make of a user's rows\n"},
		{"rules that do not parse", []string{"-rules", badRules}, 2,
			"sync: -rules " + badRules + ": rows[0].library-group: unknown pipe |nozero; the pipes are nozeros, upper, lower, trim, map:TABLE and split:SEP\n"},
		{"an empty -explain, as an unset shell variable gives", []string{"-rules", "testdata/sms_rules.json", "-explain", "", "-url", "https://127.0.0.1:1", "-user", "u"}, 2,
			"sync: -explain needs a username; nothing was sent\n"},
		{"a blank -explain", []string{"-rules", "testdata/sms_rules.json", "-explain", " "}, 2, "sync: -explain needs a username; nothing was sent\n"},
		{"no such user", []string{"-rules", "testdata/sms_rules.json", "-explain", "nobody"}, 2,
			"sync: no row of testdata/sms_full.csv has the username \"nobody\" (as the rules make it)\n"},
		{"a column the file lacks", []string{"-rules", missing, "-dry-run"}, 2,
			"nothing was sent: -rules: line 1: the file has no column \"Houses\" named at rows[0].library-group; its columns are \"Student Code\", \"Given Name\", \"Surname\", \"Year Level\", \"House\", \"Roll Class\", \"Role\", \"Parent Emails\"; did you mean \"House\"?\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"-file", "testdata/sms_full.csv"}, tt.args...), env(nil), nil, &stdout, &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("exit code %d, want %d; stderr:\n%s\nwant it to hold:\n%s", code, tt.code, &stderr, tt.stderr)
			}
		})
	}
}
