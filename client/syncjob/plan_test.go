package syncjob

import (
	"slices"
	"strings"
	"testing"

	"github.com/autosync-go/autosync/client"
	"github.com/google/go-cmp/cmp"
)

func snap(t *testing.T, rows ...string) *snapshot {
	t.Helper()
	s, err := userGroups.readSnapshot(strings.NewReader("username,library-group,system-group\n" + strings.Join(rows, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDiff(t *testing.T) {
	lib := func(v string) Item { return Item{Column: "library-group", Value: v} }
	sys := func(v string) Item { return Item{Column: "system-group", Value: v} }
	tests := []struct {
		name       string
		last, next []string // nil last: a first run
		full       bool
		stats      PlanStats
		users      []UserChange
		send       []Row
	}{
		{name: "first run sends everything, in export order",
			next:  []string{"b,Red,Year 7", "a,Blue,", "b,Gold,"},
			stats: PlanStats{Mode: ModeIncremental, FirstRun: true, Users: 2, Rows: 3, New: 2, Added: 4, RowsToSend: 3},
			users: []UserChange{
				{Username: "a", Kind: KindNew, Added: []Item{lib("Blue")}},
				{Username: "b", Kind: KindNew, Added: []Item{lib("Gold"), lib("Red"), sys("Year 7")}},
			},
			send: []Row{{Line: 2, Fields: []string{"b", "Red", "Year 7"}}, {Line: 4, Fields: []string{"b", "Gold", ""}}, {Line: 3, Fields: []string{"a", "Blue", ""}}}},
		{name: "unchanged, however the rows spell it",
			last:  []string{"a,Red,Year 7", "b,Blue,"},
			next:  []string{"b,Blue,", "a,,Year 7", "a,Red,", "a,Red,Year 7"},
			stats: PlanStats{Mode: ModeIncremental, LastUsers: 2, Users: 2, Rows: 4, Unchanged: 2}},
		{name: "new, changed, gone",
			last: []string{"a,Red,Year 7", "b,Blue,", "c,Gold,Year 8", "d,Red,"},
			next: []string{"a,Red,Year 7", "b,Blue,", "b,Gold,", "c,Gold,Year 9", "e,Red,"},
			stats: PlanStats{Mode: ModeIncremental, LastUsers: 4, Users: 4, Rows: 5, New: 1, Changed: 2, Unchanged: 1, Gone: 1,
				Losing: 2, Added: 3, Removed: 2, RowsToSend: 4},
			users: []UserChange{
				{Username: "b", Kind: KindChanged, Added: []Item{lib("Gold")}},
				{Username: "c", Kind: KindChanged, Added: []Item{sys("Year 9")}, Removed: []Item{sys("Year 8")}},
				{Username: "d", Kind: KindGone, Removed: []Item{lib("Red")}},
				{Username: "e", Kind: KindNew, Added: []Item{lib("Red")}},
			},
			send: []Row{
				{Line: 3, Fields: []string{"b", "Blue", ""}}, {Line: 4, Fields: []string{"b", "Gold", ""}},
				{Line: 5, Fields: []string{"c", "Gold", "Year 9"}},
				{Line: 6, Fields: []string{"e", "Red", ""}},
			}},
		{name: "a user losing a group sends its other rows",
			last:  []string{"a,Red,", "a,Helpers,Year 7"},
			next:  []string{"a,,Year 7", "a,Red,"},
			stats: PlanStats{Mode: ModeIncremental, LastUsers: 1, Users: 1, Rows: 2, Changed: 1, Losing: 1, Removed: 1, RowsToSend: 2},
			users: []UserChange{{Username: "a", Kind: KindChanged, Removed: []Item{lib("Helpers")}}},
			send:  []Row{{Line: 2, Fields: []string{"a", "", "Year 7"}}, {Line: 3, Fields: []string{"a", "Red", ""}}}},
		{name: "full sends the unchanged too",
			last: []string{"a,Red,", "b,Blue,"}, next: []string{"b,Blue,", "a,Red,"}, full: true,
			stats: PlanStats{Mode: ModeFull, LastUsers: 2, Users: 2, Rows: 2, Unchanged: 2, RowsToSend: 2},
			send:  []Row{{Line: 2, Fields: []string{"b", "Blue", ""}}, {Line: 3, Fields: []string{"a", "Red", ""}}}},
		{name: "empty export",
			last:  []string{"a,Red,", "b,Blue,"},
			next:  []string{},
			stats: PlanStats{Mode: ModeIncremental, LastUsers: 2, Gone: 2, Losing: 2, Removed: 2},
			users: []UserChange{{Username: "a", Kind: KindGone, Removed: []Item{lib("Red")}}, {Username: "b", Kind: KindGone, Removed: []Item{lib("Blue")}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var last *snapshot
			if tt.last != nil {
				last = snap(t, tt.last...)
			}
			next := snap(t, tt.next...)
			p := diffPlan(last, next)
			if tt.full {
				p = diffFull(last, next)
			}
			if diff := cmp.Diff(tt.stats, p.Stats()); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
			users := slices.Collect(p.Users())
			if diff := cmp.Diff(tt.users, users); diff != "" {
				t.Errorf("users (-want +got):\n%s", diff)
			}
			var send []Row
			for r := range p.Rows() {
				send = append(send, r)
			}
			if diff := cmp.Diff(tt.send, send); diff != "" {
				t.Errorf("rows to send (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiffNil(t *testing.T) {
	p := diffPlan(nil, nil)
	if diff := cmp.Diff(PlanStats{Mode: ModeIncremental, FirstRun: true}, p.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if err := p.Check(Limits{}); err != nil {
		t.Errorf("a first run is not guarded, got %v", err)
	}
	last := snap(t, "a,Red,")
	if st := diffPlan(last, nil).Stats(); st.Gone != 1 || st.Rows != 0 {
		t.Errorf("nil next: %+v", st)
	}
}

// TestContactsPlanUsers: the plan lists what each contacts user gains and
// loses, a contact row being one item, its values as one CSV record.
func TestContactsPlanUsers(t *testing.T) {
	const hdr = "username,type,role,primary,addressee,contact,sms,scenarios\n"
	last, err := contactsImport.readSnapshot(strings.NewReader(hdr +
		"a,email,guardian,True,\"Lee, Jo\",jo@example.com,,OVERDUE\n" +
		"a,phone,patron,True,A,0400,True,NONE\n" +
		"b,email,patron,True,B,b@example.com,,ANY\n" +
		"c,email,patron,True,C,c@example.com,,ANY\n"))
	if err != nil {
		t.Fatal(err)
	}
	// Another *Import of the same mode is the same import.
	next, err := Contacts(client.ContactsReplaceDeclaredPatronsKeepCustomContacts).readSnapshot(strings.NewReader(hdr +
		"a,email,guardian,True,\"Lee, Jo\",jo@newmail.example,,OVERDUE\n" +
		"a,phone,patron,yes,A,0400,y,none\n" +
		"b,email,patron,True,B,b@example.com,,ANY\n" +
		"d,phone,patron,False,D,0400 111,,\n"))
	if err != nil {
		t.Fatal(err)
	}
	const cols = "type,role,primary,addressee,contact,sms,scenarios"
	want := []UserChange{
		{Username: "a", Kind: KindChanged,
			Added:   []Item{{Column: cols, Value: `email,guardian,True,"Lee, Jo",jo@newmail.example,,OVERDUE`}},
			Removed: []Item{{Column: cols, Value: `email,guardian,True,"Lee, Jo",jo@example.com,,OVERDUE`}}},
		{Username: "c", Kind: KindGone, Removed: []Item{{Column: cols, Value: "email,patron,True,C,c@example.com,,ANY"}}},
		{Username: "d", Kind: KindNew, Added: []Item{{Column: cols, Value: "phone,patron,False,D,0400 111,,"}}},
	}
	p := diffPlan(last, next)
	if diff := cmp.Diff(want, slices.Collect(p.Users())); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	var sent [][]string
	for r := range p.Rows() {
		sent = append(sent, r.Fields)
	}
	wantSent := [][]string{
		{"a", "email", "guardian", "True", "Lee, Jo", "jo@newmail.example", "", "OVERDUE"},
		{"a", "phone", "patron", "True", "A", "0400", "True", "NONE"},
		{"d", "phone", "patron", "False", "D", "0400 111", "", ""},
	}
	if diff := cmp.Diff(wantSent, sent); diff != "" {
		t.Errorf("rows to send (-want +got):\n%s", diff)
	}
	if _, err := UserGroups().readSnapshot(strings.NewReader(hdr)); err == nil {
		t.Errorf("a contacts file read as user groups: no error")
	}
	otherMode, err := Contacts("replaceAllContacts").readSnapshot(strings.NewReader(hdr))
	if err != nil {
		t.Fatal(err)
	}
	for name, other := range map[string]*snapshot{"user groups": snap(t, "a,Red,"), "another mode": otherMode} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Diff of contacts and %s did not panic", name)
				}
			}()
			diffPlan(last, other)
		}()
	}
}
