package syncjob

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
)

var contactsImport = Contacts(client.ContactsReplaceDeclaredPatronsKeepCustomContacts)

// fixture returns the text of a file under testdata.
func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// csvRecords returns the data rows of a CSV text.
func csvRecords(t testing.TB, text string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if len(recs) == 0 {
		return nil
	}
	return recs[1:]
}

// csvText writes a header and records as CSV.
func csvText(header []string, recs [][]string) string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(header)
	_ = w.WriteAll(recs)
	return b.String()
}

// dropRecords returns recs without those for which drop is true.
func dropRecords(recs [][]string, drop func(rec []string) bool) [][]string {
	return slices.DeleteFunc(slices.Clone(recs), drop)
}

// replaceField returns recs with the field col of user's records whose
// value is from changed to to.
func replaceField(recs [][]string, user string, col int, from, to string) [][]string {
	out := make([][]string, len(recs))
	for i, r := range recs {
		out[i] = slices.Clone(r)
		if r[0] == user && r[col] == from {
			out[i][col] = to
		}
	}
	return out
}

// contactsOf returns each user's contacts in recs (canonical contact
// records), in order, as the fake keeps them.
func contactsOf(recs [][]string) map[string][]clienttest.Contact {
	out := map[string][]clienttest.Contact{}
	for _, v := range recs {
		out[v[0]] = append(out[v[0]], clienttest.Contact{Type: v[1], Role: v[2], Primary: v[3], Addressee: v[4], Contact: v[5], SMS: v[6], Scenarios: v[7]})
	}
	return out
}

// postedContacts returns the sorted distinct usernames of a posted contacts
// CSV, and its number of rows.
func postedContacts(t testing.TB, body []byte) ([]string, int) {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("posted CSV: %v\n%s", err, body)
	}
	if diff := cmp.Diff(csvspec.ContactHeader(), recs[0]); diff != "" {
		t.Fatalf("posted header (-want +got):\n%s", diff)
	}
	users := []string{}
	for _, r := range recs[1:] {
		users = append(users, r[0])
	}
	slices.Sort(users)
	return slices.Compact(users), len(recs) - 1
}

// contactStep is one run of a contacts job.
type contactStep struct {
	name   string
	export string // the export's text
	limit  string // "" for the default
	want   Outcome
	sent   []string // usernames posted; nil when nothing may be posted at all
	counts counts
	failed []string // usernames whose rows Infiniti failed
	// infiniti is what the fake holds for some users after the step.
	infiniti map[string][]clienttest.Contact
}

// check checks what the step posted (reqs), what failed, and what
// Infiniti holds after it (have).
func (s contactStep) check(t *testing.T, reqs []clienttest.Request, rep *Report, have map[string][]clienttest.Contact) {
	t.Helper()
	switch {
	case s.sent == nil && len(reqs) != 0:
		t.Errorf("step %q: %d requests, want none", s.name, len(reqs))
	case s.sent != nil && len(reqs) != 1:
		t.Errorf("step %q: %d requests, want 1", s.name, len(reqs))
	case s.sent != nil:
		if want := "/api/import/userContacts/replaceDeclaredPatronsKeepCustomContacts"; reqs[0].Path != want {
			t.Errorf("step %q: posted to %s, want %s", s.name, reqs[0].Path, want)
		}
		got, nrows := postedContacts(t, reqs[0].CSV)
		if diff := cmp.Diff(s.sent, got); diff != "" {
			t.Errorf("step %q: users posted (-want +got):\n%s", s.name, diff)
		}
		if nrows != s.counts.RowsToSend || rep.RowsSent != nrows {
			t.Errorf("step %q: %d rows posted, report says %d, plan %d", s.name, nrows, rep.RowsSent, s.counts.RowsToSend)
		}
	}
	var failed []string
	for _, f := range rep.Failures {
		if !slices.Contains(failed, f.Username()) {
			failed = append(failed, f.Username())
		}
	}
	if diff := cmp.Diff(s.failed, failed); diff != "" {
		t.Errorf("step %q: failed users (-want +got):\n%s", s.name, diff)
	}
	if rep.FailedUsers != len(s.failed) {
		t.Errorf("step %q: FailedUsers %d, want %d", s.name, rep.FailedUsers, len(s.failed))
	}
	for u, want := range s.infiniti {
		if diff := cmp.Diff(want, have[u]); diff != "" {
			t.Errorf("step %q: Infiniti's contacts of %s (-want +got):\n%s", s.name, u, diff)
		}
	}
}

func TestContactsJob(t *testing.T) {
	base := fixture(t, "contacts.csv")
	recs := csvRecords(t, base)
	hdr := csvspec.ContactHeader()
	emailChanged := replaceField(recs, "s1002", ccContact, "mei.ng@example.com", "mei.ng@newmail.example")
	lostPhone := dropRecords(recs, func(r []string) bool { return r[ccContact] == "(H) 07 5555 1001" })
	gone := dropRecords(recs, func(r []string) bool { return r[0] == "s1005" })
	flagChanged := replaceField(recs, "s1004", ccSMS, "False", "True")
	all := []string{"s1001", "s1002", "s1003", "s1004", "s1005"}
	first := contactStep{name: "first run sends every row", export: base, want: OutcomeOK, sent: all,
		counts: counts{New: 5, Added: 15, RowsToSend: 15}, infiniti: contactsOf(recs)}

	tests := []struct {
		name  string
		opts  []clienttest.Option
		steps []contactStep
	}{
		{name: "incremental", steps: []contactStep{
			first,
			{name: "unchanged rerun posts an empty file", export: base, want: OutcomeOK, sent: []string{}, counts: counts{Unchanged: 5}},
			{name: "Y/N, case, order and a duplicate are not a change", export: fixture(t, "contacts_respelt.csv"), want: OutcomeOK, sent: []string{},
				counts: counts{Unchanged: 5}},
			{name: "a guardian's email changes: only that student's rows are sent", export: csvText(hdr, emailChanged), want: OutcomeOK,
				sent: []string{"s1002"}, counts: counts{Changed: 1, Unchanged: 4, Losing: 1, Added: 1, Removed: 1, RowsToSend: 4},
				infiniti: contactsOf(emailChanged)},
			{name: "a flag changes: a row lost and a row gained", export: csvText(hdr, replaceField(emailChanged, "s1004", ccSMS, "False", "True")), want: OutcomeOK,
				sent: []string{"s1004"}, counts: counts{Changed: 1, Unchanged: 4, Losing: 1, Added: 1, Removed: 1, RowsToSend: 3}},
		}},
		{name: "losing", steps: []contactStep{
			first,
			{name: "a user losing a contact is held past the limit", export: csvText(hdr, lostPhone), limit: "0", want: OutcomeHeld,
				sent: []string{}, counts: counts{Changed: 1, Unchanged: 4, Losing: 1, Removed: 1}},
			{name: "within the limit its remaining rows are sent", export: csvText(hdr, lostPhone), limit: "1", want: OutcomeOK,
				sent: []string{"s1001"}, counts: counts{Changed: 1, Unchanged: 4, Losing: 1, Removed: 1, RowsToSend: 3},
				infiniti: contactsOf(lostPhone)},
			{name: "a flag change counts too", export: csvText(hdr, dropRecords(flagChanged, func(r []string) bool { return r[ccContact] == "(H) 07 5555 1001" })),
				limit: "0", want: OutcomeHeld, sent: []string{}, counts: counts{Changed: 1, Unchanged: 4, Losing: 1, Added: 1, Removed: 1}},
		}},
		{name: "gone", steps: []contactStep{
			first,
			{name: "a user gone from the export is counted and not sent", export: csvText(hdr, gone), limit: "0", want: OutcomeHeld,
				sent: []string{}, counts: counts{Unchanged: 4, Gone: 1, Losing: 1, Removed: 2}},
			{name: "within the limit nothing is sent and Infiniti keeps the gone user's contacts", export: csvText(hdr, gone), limit: "1", want: OutcomeOK,
				sent: []string{}, counts: counts{Unchanged: 4, Gone: 1, Losing: 1, Removed: 2}, infiniti: contactsOf(recs)},
			{name: "the gone user is marked in the state", export: csvText(hdr, gone), limit: "0", want: OutcomeOK,
				sent: []string{}, counts: counts{Unchanged: 4}},
		}},
		{name: "partial failure", opts: []clienttest.Option{clienttest.WithUsers("s1001", "s1002", "s1004", "s1005")}, steps: []contactStep{
			{name: "a user Infiniti does not know fails", export: base, want: OutcomeRowsFailed, sent: all, failed: []string{"s1003"},
				counts: counts{New: 5, Added: 15, RowsToSend: 15}},
			{name: "it is sent again, the others not", export: base, want: OutcomeRowsFailed, sent: []string{"s1003"}, failed: []string{"s1003"},
				counts: counts{New: 1, Unchanged: 4, Added: 2, RowsToSend: 2}},
			{name: "until it leaves the export", export: csvText(hdr, dropRecords(recs, func(r []string) bool { return r[0] == "s1003" })), want: OutcomeOK,
				sent: []string{}, counts: counts{Unchanged: 4}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t, clienttest.ApplyReplace, tt.opts...)
			j, err := OpenDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tt.steps {
				job := &Job{Client: c, Journal: j, Import: contactsImport, Source: "contacts.csv"}
				if s.limit != "" {
					if job.Limits.MaxRemovals, err = ParseLimit(s.limit); err != nil {
						t.Fatal(err)
					}
				}
				before := len(srv.Requests())
				rep, err := run(t, job, s.export)
				if rep == nil {
					t.Fatalf("step %q: no report; error %v", s.name, err)
				}
				if rep.Outcome != s.want {
					t.Fatalf("step %q: outcome %q, want %q; error %v", s.name, rep.Outcome, s.want, err)
				}
				if diff := cmp.Diff(s.counts, countsOf(rep.Plan)); diff != "" {
					t.Errorf("step %q: plan counts (-want +got):\n%s", s.name, diff)
				}
				s.check(t, srv.Requests()[before:], rep, srv.Contacts())
				runs, _, err := job.History(context.Background(), 0)
				if err != nil {
					t.Fatal(err)
				}
				if len(runs) != i+1 || runs[i].Outcome != s.want {
					t.Fatalf("step %q: %d runs recorded, last %+v; want %d, outcome %q", s.name, len(runs), runs[len(runs)-1], i+1, s.want)
				}
			}
		})
	}
}

// TestContactsRefusalMessage: the refusal names contacts, not memberships.
func TestContactsRefusalMessage(t *testing.T) {
	_, c := newFake(t, clienttest.ApplyReplace)
	job := &Job{Client: c, Journal: NewMemJournal(), Import: contactsImport, Limits: Limits{MaxRemovals: CountLimit(0)}}
	base := fixture(t, "contacts.csv")
	if _, err := run(t, job, base); err != nil {
		t.Fatal(err)
	}
	recs := dropRecords(csvRecords(t, base), func(r []string) bool { return r[0] == "s1005" || r[ccContact] == "roe@example.com" })
	_, err := run(t, job, csvText(csvspec.ContactHeader(), recs))
	if !strings.Contains(errString(err), "1 losing a contact") {
		t.Errorf("hold: %v, want it to name the contact lost", err)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestContactsState: the state is the canonical CSV a ContactWriter
// writes, sorted, whatever the export's spelling; and it reads back as the
// same snapshot.
func TestContactsState(t *testing.T) {
	tests := []struct {
		name   string
		export string
		want   string
	}{
		{name: "canonical", export: "username,type,role,primary,addressee,contact,sms,scenarios\n" +
			"b,email,patron,True,Bo,b@example.com,,ANY\n" +
			"a,phone,guardian,False,\"Lee, Jo\",(M1) 0400 000 000,True,NONE\n",
			want: "username,type,role,primary,addressee,contact,sms,scenarios\n" +
				"a,phone,guardian,False,\"Lee, Jo\",(M1) 0400 000 000,True,NONE\n" +
				"b,email,patron,True,Bo,b@example.com,,ANY\n"},
		{name: "respelt", export: "contact,username,scenarios,sms,primary,role,type,addressee\n" +
			"b@example.com,b,Overdue_Escalation_Two; overdue;OVERDUE,n,Y,Guardian,EMAIL,Mr B\n" +
			",,,,,,,\n" +
			"0400,a,none,1,no,PATRON,Phone,A\n",
			want: "username,type,role,primary,addressee,contact,sms,scenarios\n" +
				"a,phone,patron,False,A,0400,True,NONE\n" +
				"b,email,guardian,True,Mr B,b@example.com,False,OVERDUE;OVERDUE_ESCALATION_TWO\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := contactsImport.readSnapshot(strings.NewReader(tt.export))
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			if _, err := s.WriteTo(&b); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("state (-want +got):\n%s", diff)
			}
			back, err := readSnapshot(contactsImport, strings.NewReader(b.String()), nil, false)
			if err != nil {
				t.Fatal(err)
			}
			if p := diffPlan(back, s); p.Stats().Unchanged != s.Users() || p.Stats().RowsToSend != 0 {
				t.Errorf("the state read back differs from the export: %+v", p.Stats())
			}
		})
	}
}

// TestRowContact: a row of the canonical form turns back into the Contact
// it came from.
func TestRowContact(t *testing.T) {
	tests := []struct {
		name string
		in   csvspec.Contact
	}{
		{name: "guardian email", in: csvspec.Contact{Username: "s1", Type: csvspec.ContactEmail, Role: csvspec.RoleGuardian, Primary: true, Addressee: "Kim, Sun", Address: "sun@example.com",
			Scenarios: []csvspec.Scenario{csvspec.ScenarioOverdue, csvspec.ScenarioOverdueEscalationOne}}},
		{name: "phone without scenarios", in: csvspec.Contact{Username: "s2", Type: csvspec.ContactPhone, Role: csvspec.RolePatron, Address: "(M1) 0400", SMS: csvspec.BoolTrue}},
		{name: "sms false", in: csvspec.Contact{Username: "s3", Type: csvspec.ContactPhone, Role: csvspec.RolePatron, Address: "0400", SMS: csvspec.BoolFalse, Scenarios: []csvspec.Scenario{csvspec.ScenarioNone}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			w := csvspec.NewContactWriter(&b)
			if err := w.Write(tt.in); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			var f []string
			for row, err := range csvspec.ReadRows(strings.NewReader(b.String()), csvspec.ContactHeader(), nil) {
				if err != nil {
					t.Fatal(err)
				}
				csvspec.CheckContactRow(&row)
				f = row.Fields
			}
			if diff := cmp.Diff(tt.in, Row{Fields: f}.Contact()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestContactsFailuresCSV: the failures file of contacts has the columns
// line,row,username,type,role,contact,code,field,message, formula-looking
// values defused.
func TestContactsFailuresCSV(t *testing.T) {
	const hdr = "username,type,role,primary,addressee,contact,sms,scenarios\n"
	tests := []struct {
		name   string
		export string
		want   Outcome
		csv    string
	}{
		{name: "Infiniti's failures",
			export: hdr +
				"ok1,email,patron,True,Ok,ok1@example.com,,ANY\n" +
				"@evil,email,patron,True,Ev,ev@example.com,,ANY\n" +
				"ok1,phone,patron,False,Ok,+61 400 000 000,Y,NONE\n" +
				"@evil,phone,patron,False,Ev,+61 400 000 001,N,NONE\n",
			want: OutcomeRowsFailed,
			csv: "\ufeffline,username,type,role,contact,problem\n" +
				"3,'@evil,email,patron,ev@example.com,Field (username) User (@evil) does not exist.\n" +
				"5,'@evil,phone,patron,'+61 400 000 001,Field (username) User (@evil) does not exist.\n"},
		{name: "check errors",
			export: hdr +
				"ok1,fax,patron,True,Ok,=1+2,,ANY\n" +
				"ok1,email,patron,maybe,Ok,ok1@example.com,,ANY\n" +
				"ok1,phone,patron,False,Ok,-,,NONE\n",
			want: OutcomeInvalidFile,
			csv: "\ufeffline,username,type,role,contact,problem\n" +
				"2,ok1,fax,patron,'=1+2,\"the type \"\"fax\"\" is neither email nor phone\"\n" +
				"3,ok1,email,patron,ok1@example.com,\"the primary value \"\"maybe\"\" is not a boolean\"\n" +
				"4,ok1,phone,patron,'-,\"the phone number \"\"-\"\" has no digit\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newFake(t, clienttest.ApplyReplace, clienttest.WithUsers("ok1"))
			rep, _ := run(t, &Job{Client: c, Journal: NewMemJournal(), Import: contactsImport, Strict: true}, tt.export)
			if rep.Outcome != tt.want {
				t.Fatalf("outcome %q, want %q", rep.Outcome, tt.want)
			}
			var b strings.Builder
			if err := rep.WriteFailures(&b); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.csv, b.String()); diff != "" {
				t.Errorf("failures CSV (-want +got):\n%s", diff)
			}
		})
	}
}

// TestContactsUnknownOutcome: Infiniti's answer for contacts is not
// documented; a row whose outcome is not a known success counts as failed,
// and its user is sent again on the next run.
func TestContactsUnknownOutcome(t *testing.T) {
	srv, c := newFake(t, clienttest.ApplyReplace)
	job := &Job{Client: c, Journal: NewMemJournal(), Import: contactsImport}
	export := "username,type,role,primary,addressee,contact,sms,scenarios\n" +
		"a,email,patron,True,A,a@example.com,,ANY\n" +
		"b,email,patron,True,B,b@example.com,,ANY\n"
	srv.Fail(1, clienttest.Fault{Status: 200, ContentType: "application/json",
		Body: `{"success":true,"summary":"2 contacts processed","details":{"1":"Contact Saved","2":"User Updated"}}`})
	rep, err := run(t, job, export)
	if rep.Outcome != OutcomeRowsFailed || err == nil {
		t.Fatalf("outcome %q, error %v; want rows-failed", rep.Outcome, err)
	}
	type failure struct{ User, Code, Message string }
	var got []failure
	for _, f := range rep.Failures {
		got = append(got, failure{f.Username(), f.Code, f.Message})
	}
	if diff := cmp.Diff([]failure{{"a", CodeUnknownOutcome, "Contact Saved"}}, got); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
	rep, err = run(t, job, export)
	if err != nil || rep.Outcome != OutcomeOK {
		t.Fatalf("next run: outcome %q, error %v", rep.Outcome, err)
	}
	if got, n := postedContacts(t, srv.Requests()[1].CSV); !cmp.Equal([]string{"a"}, got) || n != 1 || rep.RowsSent != 1 {
		t.Errorf("next run posted %v (%d rows, report %d), want a's row again", got, n, rep.RowsSent)
	}
}

// TestContactsKey: the journal key names the contacts import and its mode,
// so that the user-groups and contacts imports of one school, and two
// contacts modes, keep states of their own in one journal.
func TestContactsKey(t *testing.T) {
	srv, c := newFake(t, clienttest.ApplyReplace)
	j, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	groups := &Job{Client: c, Journal: j}
	contacts := &Job{Client: c, Journal: j, Import: contactsImport}
	other := &Job{Client: c, Journal: j, Import: Contacts("replaceAllContacts")}
	keys := []Key{groups.Key(), contacts.Key(), other.Key()}
	wantKeys := []Key{
		{Site: srv.URL, Tenant: "T1", Import: "user-groups"},
		{Site: srv.URL, Tenant: "T1", Import: "user-contacts/replaceDeclaredPatronsKeepCustomContacts"},
		{Site: srv.URL, Tenant: "T1", Import: "user-contacts/replaceAllContacts"},
	}
	if diff := cmp.Diff(wantKeys, keys); diff != "" {
		t.Fatalf("keys (-want +got):\n%s", diff)
	}
	if d := []string{j.Dir(keys[0]), j.Dir(keys[1]), j.Dir(keys[2])}; len(slices.Compact(slices.Sorted(slices.Values(d)))) != 3 {
		t.Fatalf("keys share a folder: %v", d)
	}
	contactsCSV := fixture(t, "contacts.csv")
	groupsCSV := toCSV(school(5))
	steps := []struct {
		job        *Job
		export     string
		firstRun   bool
		rowsToSend int
	}{
		{groups, groupsCSV, true, 7},
		{contacts, contactsCSV, true, 15},
		{groups, groupsCSV, false, 0},
		{contacts, contactsCSV, false, 0},
	}
	for i, s := range steps {
		rep, err := run(t, s.job, s.export)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if st := rep.Plan.Stats(); st.FirstRun != s.firstRun || st.RowsToSend != s.rowsToSend {
			t.Errorf("step %d (%s): first run %v, %d rows to send; want %v, %d", i, rep.Key.Import, st.FirstRun, st.RowsToSend, s.firstRun, s.rowsToSend)
		}
	}
	// The other mode has no state of its own yet; the fake answers 404 for
	// it, and its state stays empty.
	rep, err := other.Plan(context.Background(), strings.NewReader(contactsCSV))
	if err != nil {
		t.Fatalf("another mode: plan: %v", err)
	}
	if st := rep.Plan.Stats(); !st.FirstRun || st.RowsToSend != 15 {
		t.Errorf("another mode: first run %v, %d rows to send; want a first run of 15 rows", st.FirstRun, st.RowsToSend)
	}
	rep, err = run(t, other, contactsCSV)
	if !errors.Is(err, client.ErrNotFound) || rep.Outcome != OutcomeNoAnswer {
		t.Errorf("another mode: outcome %q, error %v; want a 404", rep.Outcome, err)
	}
}

// TestContactsSetupErrors: a mode that cannot be posted, or group lists
// given to the contacts import, stop the job before anything is read, sent
// or recorded.
func TestContactsSetupErrors(t *testing.T) {
	tests := []struct {
		name string
		job  Job
		want string
	}{
		{name: "empty mode", job: Job{Import: Contacts("")},
			want: "syncjob: client: the contacts mode is empty; the mode seen in the field is replaceDeclaredPatronsKeepCustomContacts; nothing was sent"},
		{name: "mode with a slash", job: Job{Import: Contacts("a/b")},
			want: `syncjob: client: the contacts mode "a/b" has '/' at byte 2; a mode is one path segment of letters, digits, - and _ only, such as replaceDeclaredPatronsKeepCustomContacts; nothing was sent`},
		{name: "rules", job: Job{Import: contactsImport, Rules: csvspec.Rules{LibraryGroups: []string{"Red"}}},
			want: "syncjob: Job.Rules are set, but the user-contacts/replaceDeclaredPatronsKeepCustomContacts import has no groups to check; leave Rules at its zero value"},
		{name: "empty rules", job: Job{Import: contactsImport, Rules: csvspec.Rules{SystemGroups: []string{}}},
			want: "syncjob: Job.Rules are set, but the user-contacts/replaceDeclaredPatronsKeepCustomContacts import has no groups to check; leave Rules at its zero value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t, clienttest.ApplyReplace)
			j := NewMemJournal()
			job := tt.job
			job.Client, job.Journal = c, j
			for _, f := range []func(context.Context, *strings.Reader) (*Report, error){
				func(ctx context.Context, r *strings.Reader) (*Report, error) { return job.Run(ctx, r) },
				func(ctx context.Context, r *strings.Reader) (*Report, error) { return job.Plan(ctx, r) },
			} {
				rep, err := f(context.Background(), strings.NewReader(fixture(t, "contacts.csv")))
				if rep != nil {
					t.Errorf("a report for a job not set up: %+v", rep)
				}
				if diff := cmp.Diff(tt.want, errString(err)); diff != "" {
					t.Errorf("error (-want +got):\n%s", diff)
				}
			}
			if runs, _, _ := job.History(context.Background(), 0); len(runs) != 0 || len(srv.Requests()) != 0 {
				t.Errorf("%d runs recorded, %d requests; want none", len(runs), len(srv.Requests()))
			}
		})
	}
}

// TestContactsCheck: check errors of a contacts export stop the run;
// warnings (a Y/N spelling) are reported and the run goes on; Excel's empty
// rows are dropped.
func TestContactsCheck(t *testing.T) {
	const hdr = "username,type,role,primary,addressee,contact,sms,scenarios\n"
	tests := []struct {
		name             string
		export           string
		want             Outcome
		errors, warnings int
		codes            map[string]int
		empty, rowsSent  int
	}{
		{name: "warnings go on", export: hdr + "a,email,patron,Y,A,a@example.com,,ANY\n,,,,,,,\n" + "a,phone,patron,N,A,0400,Y,NONE\n,,,,,,,\n",
			want: OutcomeOK, warnings: 5, codes: map[string]int{csvspec.CodeBooleanSpelling: 3, csvspec.CodeEmptyRow: 2}, empty: 2, rowsSent: 2},
		{name: "errors stop", export: hdr + "a,email,patron,True,A,not an address,,ANY\nb,phone,patron,True,B,0400,,SOMETIMES\n",
			want: OutcomeInvalidFile, errors: 2, codes: map[string]int{csvspec.CodeInvalidEmail: 1, csvspec.CodeUnknownScenario: 1}},
		// A row whose only value is a false primary is not empty: it is
		// not dropped with the empty rows, and the check's errors stop the run.
		{name: "a row of a false primary alone is not sent", export: hdr + "a,email,patron,True,A,a@example.com,,ANY\n,,,False,,,,\n",
			want: OutcomeInvalidFile, errors: 4, codes: map[string]int{csvspec.CodeMissingUsername: 1, csvspec.CodeUnknownContactType: 1,
				csvspec.CodeUnknownContactRole: 1, csvspec.CodeMissingContact: 1}},
		{name: "a user-groups file is refused", export: "username,library-group,system-group\na,Red,\n",
			want: OutcomeInvalidFile, errors: 1, codes: map[string]int{csvspec.CodeWrongImport: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t, clienttest.ApplyReplace)
			rep, err := run(t, &Job{Client: c, Journal: NewMemJournal(), Import: contactsImport, Strict: true}, tt.export)
			if rep.Outcome != tt.want || (err == nil) != (tt.want == OutcomeOK) {
				t.Fatalf("outcome %q, error %v; want %q", rep.Outcome, err, tt.want)
			}
			if tt.want == OutcomeInvalidFile && (!errors.Is(err, ErrInvalidFile) || len(srv.Requests()) != 0) {
				t.Errorf("error %v, %d requests; want ErrInvalidFile and nothing sent", err, len(srv.Requests()))
			}
			type got struct {
				Errors, Warnings int
				Codes            map[string]int
				Empty, RowsSent  int
			}
			if diff := cmp.Diff(got{tt.errors, tt.warnings, tt.codes, tt.empty, tt.rowsSent},
				got{rep.Run.CheckErrors, rep.Run.CheckWarnings, rep.Check.Counts(), rep.EmptyRows, rep.RowsSent}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
