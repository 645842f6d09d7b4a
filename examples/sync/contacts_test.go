package main

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/examples/internal/exampletest"
)

// contactsMap maps the sample SMS contacts export's own column names.
const contactsMap = "username=Student Code,type=Contact Type,role=Relationship,primary=Is Primary,addressee=Salutation,contact=Contact Detail,sms=SMS Allowed,scenarios=Notify For"

const contactsHeader = "username,type,role,primary,addressee,contact,sms,scenarios\n"

// The rows of testdata/sms_contacts.csv as they are posted: type and role
// in lower case, Y/N as True/False, scenarios in their fixed order.
const (
	s1001 = "S1001,email,patron,True,Ava,ava.smith@students.hillview.example.edu.au,False,ANY\n" +
		"S1001,email,guardian,True,Mrs Jane Smith,jane.smith@example.com,False,OVERDUE;OVERDUE_ESCALATION_ONE;OVERDUE_ESCALATION_TWO;OVERDUE_ESCALATION_THREE\n" +
		"S1001,email,guardian,True,Mr Tom Smith,tom.smith@example.net,False,OVERDUE;OVERDUE_ESCALATION_ONE\n" +
		"S1001,phone,guardian,True,Mrs Jane Smith,(M1) 0400 000 000,True,NONE\n" +
		"S1001,phone,guardian,False,Mrs Jane Smith,(H) 07 5555 1234,False,NONE\n"
	s1002 = "S1002,email,patron,True,Ben,ben.nguyen@students.hillview.example.edu.au,False,ANY\n" +
		"S1002,email,guardian,True,Mr and Mrs Nguyen,nguyen.family@example.com,False,OVERDUE;OVERDUE_ESCALATION_ONE;OVERDUE_ESCALATION_TWO\n" +
		"S1002,phone,guardian,True,Mr and Mrs Nguyen,(M1) 0411 222 333,True,NONE\n"
	s1003 = "S1003,email,patron,True,Zoë,zoe.okafor@students.hillview.example.edu.au,,ANY\n" +
		"S1003,phone,patron,True,Zoë,(M) 0422 444 555,True,NONE\n" +
		"S1003,email,guardian,True,Dr Okafor,c.okafor@example.org,False,OVERDUE;OVERDUE_ESCALATION_ONE\n"
)

// TestSyncContactsDryRun: the sample SMS export, mapped with -map, passes
// the check with its Y/N booleans warned about once, the rest counted; a
// file with errors prints them with the contacts codes.
func TestSyncContactsDryRun(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string   // the whole of stdout
		stderr []string // the whole of stderr, line by line; nil: only contains has to be there
		// contains are pieces of stderr, with stderr nil.
		contains []string
	}{
		{
			name:   "the sample export",
			args:   []string{"-import", "contacts", "-file", "testdata/sms_contacts.csv", "-map", contactsMap, "-dry-run"},
			code:   0,
			stdout: "Pre-flight passed: 11 rows, 21 warnings. Nothing was sent (-dry-run).\n",
			stderr: []string{
				`testdata/sms_contacts.csv: line 2 (row 1), primary: warning: the primary value "Y" is read as true, but whether Infiniti reads this spelling is not known; this program posts the file rewritten in the form Infiniti reads [boolean-spelling]`,
				"testdata/sms_contacts.csv: 20 more problems [boolean-spelling] not shown (-json lists the first 1000)",
			},
		},
		{
			name:     "the sample export without -map",
			args:     []string{"-import", "contacts", "-file", "testdata/sms_contacts.csv", "-dry-run"},
			code:     2,
			contains: []string{"[missing-column]", "Nothing was sent."},
		},
		{
			name:     "a contacts file read as user groups",
			args:     []string{"-file", "testdata/sms_contacts.csv", "-map", contactsMap, "-dry-run"},
			code:     2,
			contains: []string{`sync: the export cannot be posted: -map: "`, `" is not a column of a user-groups file; use one of "username", "library-group", "system-group" as the key. Nothing was sent.`},
		},
		{
			name:  "check errors name the contacts codes",
			args:  []string{"-import", "contacts", "-file", "-", "-dry-run"},
			stdin: contactsHeader + "S1,email,patron,True,Ann,not an address,,ANY\nS1,fax,patron,True,Ann,07 5555 1234,,NONE\n",
			code:  2,
			contains: []string{
				"-: line 2 (row 1), contact: error: ",
				"[invalid-email]",
				"-: line 3 (row 2), type: error: ",
				"[unknown-contact-type]",
				"sync: the file has 2 errors (listed above); fix them and run again. Nothing was sent.",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, env(nil), strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, &stdout, &stderr)
			}
			if tt.stdout != "" && stdout.String() != tt.stdout {
				t.Errorf("stdout %q, want %q", &stdout, tt.stdout)
			}
			if tt.stderr != nil {
				got := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
				if diff := cmp.Diff(tt.stderr, got); diff != "" {
					t.Errorf("stderr (-want +got):\n%s", diff)
				}
			}
			for _, want := range tt.contains {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, &stderr)
				}
			}
			if goOption.MatchString(stdout.String()+stderr.String()) || strings.Contains(stderr.String(), "ContactWriter") {
				t.Errorf("the output names a Go name:\n%s%s", &stdout, &stderr)
			}
		})
	}
}

// TestSyncContactsState runs a school's contacts nights in order with
// -state, against the fake's contacts import: a first run sends every row,
// rewritten; a guardian's changed email sends only that student's rows;
// -plan shows the change; a user Infiniti does not know fails and is
// written to -failures with the contacts columns; -history and -json.
func TestSyncContactsState(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithUsers("S1001", "S1002", "S1003"))
	defer srv.Close()
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	failures := filepath.Join(dir, "failures.csv")
	sample := mustRead(t, "testdata/sms_contacts.csv")
	export := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := export("first.csv", sample)
	changed := export("changed.csv", strings.Replace(sample, "nguyen.family@example.com", "nguyen.home@example.com", 1))
	if mustRead(t, changed) == sample {
		t.Fatal("the changed export is the sample")
	}
	newcomer := export("newcomer.csv", mustRead(t, changed)+
		"S1004,Email,Patron,Y,Cal,cal.ho@students.hillview.example.edu.au,N,ANY\n"+
		"S1004,Email,Guardian,Y,Ms Ho,=ho@example.com,N,OVERDUE\n")
	school := []string{"-import", "contacts", "-map", contactsMap, "-url", srv.URL, "-ca-file", exampletest.CAFile(t, srv), "-state", state}
	post := append([]string{"-user", clienttest.DefaultUsername}, school...)
	s1002Changed := strings.Replace(s1002, "nguyen.family@", "nguyen.home@", 1)

	steps := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		posted *string // the CSV the server received; nil for no request
	}{
		{
			name:   "first run sends every row, rewritten",
			args:   append([]string{"-file", first}, post...),
			code:   0,
			stdout: []string{"First run for this school: no earlier state to compare with, so every row is sent (3 users, 11 rows) and no limit applies.", "11 users processed. 0 users created. 11 users updated. 0 users failed.", "All 11 rows imported."},
			posted: ptr(contactsHeader + s1001 + s1002 + s1003),
		},
		{
			name:   "an unchanged rerun posts an empty file",
			args:   append([]string{"-file", first}, post...),
			code:   0,
			stdout: []string{"Plan (incremental): 3 users in the export, 0 new, 0 changed, 3 unchanged, 0 gone from the export; 0 contact rows added, 0 removed; 0 users would lose something; 0 rows to send."},
			posted: ptr(contactsHeader),
		},
		{
			name: "-plan shows a guardian's changed email and sends nothing",
			args: append([]string{"-file", changed, "-plan"}, school...),
			code: 0,
			stdout: []string{
				"Plan (incremental): 3 users in the export, 0 new, 1 changed, 2 unchanged, 0 gone from the export; 1 contact row added, 1 removed; 1 user would lose something; 3 rows to send.",
				"  changed S1002\n" +
					"            - email,guardian,True,Mr and Mrs Nguyen,nguyen.family@example.com,False,OVERDUE;OVERDUE_ESCALATION_ONE;OVERDUE_ESCALATION_TWO\n" +
					"            + email,guardian,True,Mr and Mrs Nguyen,nguyen.home@example.com,False,OVERDUE;OVERDUE_ESCALATION_ONE;OVERDUE_ESCALATION_TWO\n" +
					"Nothing was sent (-plan).",
			},
		},
		{
			name:   "a guardian's changed email sends only that student's rows",
			args:   append([]string{"-file", changed}, post...),
			code:   0,
			stdout: []string{"All 3 rows imported."},
			posted: ptr(contactsHeader + s1002Changed),
		},
		{
			name: "a user Infiniti does not know fails, and is written for staff",
			args: append([]string{"-file", newcomer, "-failures", failures}, post...),
			code: 1,
			stdout: []string{
				"2 users processed. 0 users created. 0 users updated. 2 users failed.",
				"row 1 (line 13, S1004 patron email cal.ho@students.hillview.example.edu.au): Field (username) User (S1004) does not exist. User failed to import: Field (username) User (S1004) does not exist. (the user must exist in Infiniti before its contacts can be imported)",
				"The users of the failed rows are sent again on the next run.",
			},
			posted: ptr(contactsHeader +
				"S1004,email,patron,True,Cal,cal.ho@students.hillview.example.edu.au,False,ANY\n" +
				"S1004,email,guardian,True,Ms Ho,=ho@example.com,False,OVERDUE\n"),
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
			reqs := srv.Requests()[before:]
			switch {
			case st.posted == nil && len(reqs) > 0:
				t.Errorf("%d requests, want none", len(reqs))
			case st.posted != nil && len(reqs) != 1:
				t.Errorf("%d requests, want 1", len(reqs))
			case st.posted != nil:
				if reqs[0].Path != clienttest.ImportContactsPath {
					t.Errorf("posted to %s, want %s", reqs[0].Path, clienttest.ImportContactsPath)
				}
				if diff := cmp.Diff(*st.posted, string(reqs[0].CSV)); diff != "" {
					t.Errorf("posted CSV (-want +got):\n%s", diff)
				}
			}
			if goOption.MatchString(stdout.String() + stderr.String()) {
				t.Errorf("the output names a Go option:\n%s%s", &stdout, &stderr)
			}
		})
	}

	// What the fake holds: S1002's new set, the others' first, the
	// unknown user nothing.
	held := srv.Contacts()
	var addresses []string
	for _, u := range []string{"S1001", "S1002", "S1003", "S1004"} {
		for _, c := range held[u] {
			if c.Type == "email" && c.Role == "guardian" {
				addresses = append(addresses, u+" "+c.Contact+" "+c.Primary)
			}
		}
	}
	wantAddresses := []string{"S1001 jane.smith@example.com True", "S1001 tom.smith@example.net True", "S1002 nguyen.home@example.com True", "S1003 c.okafor@example.org True"}
	if diff := cmp.Diff(wantAddresses, addresses); diff != "" {
		t.Errorf("the guardians' emails Infiniti holds (-want +got):\n%s", diff)
	}

	// The failures file: the contacts columns, the formula defused.
	b, err := os.ReadFile(failures)
	if err != nil {
		t.Fatal(err)
	}
	const msg = "Field (username) User (S1004) does not exist. User failed to import: Field (username) User (S1004) does not exist."
	// Infiniti's outcome text, trailing space and all.
	wantFailures := "line,row,username,type,role,contact,code,field,message\n" +
		"13,1,S1004,email,patron,cal.ho@students.hillview.example.edu.au,row-failed,username," + msg + " \n" +
		"14,2,S1004,email,guardian,'=ho@example.com,row-failed,username," + msg + " \n"
	if diff := cmp.Diff(wantFailures, string(b)); diff != "" {
		t.Errorf("failures file (-want +got):\n%s", diff)
	}

	// -json of the same night: the failed rows carry their contact, and
	// the newcomer is sent again.
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"-json", "-file", newcomer}, post...), env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword}), nil, &stdout, &stderr)
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || code != 1 {
		t.Fatalf("-json: exit code %d, %v\n%s\n%s", code, err, &stdout, &stderr)
	}
	wantRows := []failedRow{
		{Row: 1, Line: 13, Username: "S1004", Type: "email", Role: "patron", Contact: "cal.ho@students.hillview.example.edu.au", Field: "username", Message: msg},
		{Row: 2, Line: 14, Username: "S1004", Type: "email", Role: "guardian", Contact: "=ho@example.com", Field: "username", Message: msg},
	}
	if diff := cmp.Diff(wantRows, rep.FailedRows); diff != "" || rep.Import != "contacts" || rep.RowsSent != 2 || rep.Outcome != "rows-failed" {
		t.Errorf("-json: import %q, %d rows sent, outcome %q; failed rows (-want +got):\n%s", rep.Import, rep.RowsSent, rep.Outcome, diff)
	}

	// -history: the contacts import keeps its own runs, apart from the
	// school's user groups.
	stdout.Reset()
	if code := run(append([]string{"-history"}, school...), env(nil), nil, &stdout, &stderr); code != 0 {
		t.Fatalf("-history: exit code %d\n%s", code, &stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var outcomes []string
	for _, l := range lines[1 : len(lines)-1] {
		outcomes = append(outcomes, strings.Fields(l)[3])
	}
	if diff := cmp.Diff([]string{"ok", "ok", "ok", "rows-failed", "rows-failed"}, outcomes); diff != "" {
		t.Errorf("-history -import contacts outcomes (-want +got):\n%s\n%s", diff, &stdout)
	}
	stdout.Reset()
	if code := run([]string{"-history", "-url", srv.URL, "-state", state}, env(nil), nil, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "No runs recorded for ") {
		t.Errorf("-history of user groups: exit code %d\n%s", code, &stdout)
	}
}

// TestSyncContactsUsage: flags of one import given with the other, and a
// bad -import or -contacts-mode, are usage errors that send nothing.
func TestSyncContactsUsage(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	post := []string{"-file", "testdata/sms_contacts.csv", "-map", contactsMap, "-url", srv.URL, "-user", clienttest.DefaultUsername, "-ca-file", exampletest.CAFile(t, srv)}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-import", "contacts", "-library-groups", "testdata/library_groups.txt"}, "sync: -library-groups checks user groups, which a contacts file does not have: leave it out with -import contacts\n"},
		{[]string{"-import", "contacts", "-system-groups", "testdata/system_groups.txt"}, "sync: -system-groups checks user groups, which a contacts file does not have: leave it out with -import contacts\n"},
		{[]string{"-import", "contacts", "-library-groups", "x", "-system-groups", "y"}, "sync: -library-groups checks user groups, which a contacts file does not have: leave it out with -import contacts\n"},
		{[]string{"-contacts-mode", "replaceDeclaredPatronsKeepCustomContacts"}, "sync: -contacts-mode is the mode of the contacts import: give it with -import contacts, or leave it out\n"},
		{[]string{"-import", "user-groups", "-contacts-mode", "replaceAll"}, "sync: -contacts-mode is the mode of the contacts import"},
		{[]string{"-import", "contacts", "-contacts-mode", "replace/all"}, "sync: -contacts-mode: "},
		{[]string{"-import", "contacts", "-contacts-mode", ""}, "sync: -contacts-mode: "},
		{[]string{"-import", "userContacts"}, `sync: -import: unknown import "userContacts"; use user-groups (the default) or contacts` + "\n"},
		{[]string{"-import", "contacts", "-contacts-mode", "replace/all", "-dry-run"}, "sync: -contacts-mode: "},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(append(tt.args, post...), env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword}), nil, &stdout, &stderr)
		if code != 2 || !strings.HasPrefix(stderr.String(), tt.want) {
			t.Errorf("%q: exit code %d, want 2; stderr does not start with %q:\n%s", tt.args, code, tt.want, &stderr)
		}
		if goOption.MatchString(stderr.String()) {
			t.Errorf("%q: the output names a Go option:\n%s", tt.args, &stderr)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests, want none", n)
	}

	// A mode this Infiniti does not know is answered 404 (the fake's
	// choice): the message names -contacts-mode.
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"-import", "contacts", "-contacts-mode", "replaceAll"}, post...), env(map[string]string{"INFINITI_PASSWORD": clienttest.DefaultPassword}), nil, &stdout, &stderr)
	if want := `or this Infiniti does not know -contacts-mode "replaceAll": only replaceDeclaredPatronsKeepCustomContacts has been seen in the field`; code != 3 || !strings.Contains(stderr.String(), want) {
		t.Errorf("an unknown mode: exit code %d, want 3; stderr lacks %q:\n%s", code, want, &stderr)
	}
	if reqs := srv.Requests(); len(reqs) != 1 || reqs[0].Path != "/api/import/userContacts/replaceAll" {
		t.Errorf("requests %+v, want one to the unknown mode", reqs)
	}

	// -h says which mode is known and that others are unverified.
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"-h"}, env(nil), nil, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "-contacts-mode") || !strings.Contains(stderr.String(), "unverified") {
		t.Errorf("-h: exit code %d\n%s", code, &stderr)
	}
}

// TestSyncContactsUnknownOutcome: Infiniti's answer to a contacts import is
// not documented, so an outcome text that is not a known success counts as
// failed (exit 1), says so, and its user is sent again the next night.
func TestSyncContactsUnknownOutcome(t *testing.T) {
	var mu sync.Mutex
	var posted []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, _, err := r.FormFile("file")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b, _ := io.ReadAll(f)
		mu.Lock()
		posted = append(posted, r.URL.Path+"\n"+string(b))
		mu.Unlock()
		// An answer in a wording the SDK does not know: row 1's outcome
		// may well be a success.
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"success": true, "summary": "2 users processed. 0 users created. 1 user updated. 0 users failed.", "details": {"1": "Contacts Replaced", "2": "User Updated"}}`)
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	export := filepath.Join(t.TempDir(), "contacts.csv")
	if err := os.WriteFile(export, []byte(contactsHeader+
		"S1,email,patron,True,Ann,ann@example.com,,ANY\n"+
		"S2,email,patron,True,Bo,bo@example.com,,ANY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-import", "contacts", "-file", export, "-url", srv.URL, "-user", "u", "-ca-file", ca, "-state", t.TempDir()}
	want := []string{
		"row 1 (line 2, S1 patron email ann@example.com): Contacts Replaced (not an outcome known as a success, so the row counts as failed)",
		"The users of the failed rows are sent again on the next run.",
	}
	for night := 1; night <= 2; night++ {
		var stdout, stderr bytes.Buffer
		code := run(args, env(map[string]string{"INFINITI_PASSWORD": "pw"}), nil, &stdout, &stderr)
		if code != 1 {
			t.Errorf("night %d: exit code %d, want 1\nstdout:\n%s\nstderr:\n%s", night, code, &stdout, &stderr)
		}
		for _, w := range want {
			if !strings.Contains(stdout.String(), w) {
				t.Errorf("night %d: stdout lacks %q:\n%s", night, w, &stdout)
			}
		}
	}
	// The first night sends both users; the second only the one whose
	// outcome was not known.
	path := "/api/import/userContacts/replaceDeclaredPatronsKeepCustomContacts\n"
	wantPosted := []string{
		path + contactsHeader + "S1,email,patron,True,Ann,ann@example.com,,ANY\nS2,email,patron,True,Bo,bo@example.com,,ANY\n",
		path + contactsHeader + "S1,email,patron,True,Ann,ann@example.com,,ANY\n",
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(wantPosted, posted); diff != "" {
		t.Errorf("posted (-want +got):\n%s", diff)
	}
}
