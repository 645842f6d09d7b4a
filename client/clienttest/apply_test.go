package clienttest_test

import (
	"go/build"
	"net/http"
	"strings"
	"testing"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/result"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestServerImports(t *testing.T) {
	const user, pass = clienttest.DefaultUsername, clienttest.DefaultPassword
	tests := []struct {
		name    string
		opts    []clienttest.Option
		user    string
		path    string
		parts   []part
		status  int
		want    *result.Result
		members map[string]clienttest.Membership
	}{
		{
			name:   "plural",
			parts:  []part{{"file", "user-groups.csv", hdr + "a,Year 7,Students\nb,,Staff\n"}},
			status: 200,
			want:   &result.Result{Success: true, Summary: "2 users processed. 2 users created. 0 users updated. 0 users failed."},
			members: map[string]clienttest.Membership{
				"a": {LibraryGroups: []string{"Year 7"}, SystemGroups: []string{"Students"}},
				"b": {SystemGroups: []string{"Staff"}},
			},
		},
		{
			name:    "singular, and the first file part whatever its names",
			parts:   []part{{"note", "", "not a file"}, {"upload", "whatever.txt", hdr + "a,Year 7,\n"}, {"file", "second.csv", hdr + "zzz,x,y\n"}},
			status:  200,
			want:    &result.Result{Success: true, Summary: "1 user processed. 1 user created. 0 users updated. 0 users failed."},
			members: map[string]clienttest.Membership{"a": {LibraryGroups: []string{"Year 7"}}},
		},
		{
			name:    "user seen twice: created then updated",
			parts:   []part{{"file", "f.csv", hdr + "a,Year 7,\na,Year 8,\n"}},
			status:  200,
			want:    &result.Result{Success: true, Summary: "2 users processed. 1 user created. 1 user updated. 0 users failed."},
			members: map[string]clienttest.Membership{"a": {LibraryGroups: []string{"Year 7", "Year 8"}}},
		},
		{
			name:    "user seen twice, users counted",
			opts:    []clienttest.Option{clienttest.WithUserCounts()},
			parts:   []part{{"file", "f.csv", hdr + "a,Year 7,\na,Year 8,\nb,,Staff\n"}},
			status:  200,
			want:    &result.Result{Success: true, Summary: "2 users processed. 2 users created. 0 users updated. 0 users failed."},
			members: map[string]clienttest.Membership{"a": {LibraryGroups: []string{"Year 7", "Year 8"}}, "b": {SystemGroups: []string{"Staff"}}},
		},
		{
			name:   "a failed row fails its user, users counted",
			opts:   []clienttest.Option{clienttest.WithUserCounts(), clienttest.WithLibraryGroups("Year 7")},
			parts:  []part{{"file", "f.csv", hdr + "a,Year 7,\na,Year 9,\n"}},
			status: 200,
			want: &result.Result{Success: false, Summary: "1 user processed. 0 users created. 0 users updated. 1 user failed.", Details: []result.RowOutcome{
				{Row: 1, Status: result.StatusCreated, Message: "User Created"},
				{Row: 2, Status: result.StatusFailed, Message: "Field (library-group) Library group (Year 9) does not exist. User failed to import: Field (library-group) Library group (Year 9) does not exist. "},
			}},
			members: map[string]clienttest.Membership{"a": {LibraryGroups: []string{"Year 7"}}},
		},
		{
			name:   "a malformed row fails its own user; rows without a username are users of their own, users counted",
			opts:   []clienttest.Option{clienttest.WithUserCounts(), clienttest.WithLibraryGroups("Year 7", "Year 8")},
			parts:  []part{{"file", "f.csv", hdr + "alice,Year 7,Staff\nalice,Year 8\n,Year 7,\n,Year 8,\n"}},
			status: 200,
			want: &result.Result{Success: false, Summary: "3 users processed. 0 users created. 0 users updated. 3 users failed.", Details: []result.RowOutcome{
				{Row: 1, Status: result.StatusCreated, Message: "User Created"},
				{Row: 2, Status: result.StatusFailed, Message: "Field (row) is malformed: line 3 has 2 fields but the header has 3. User failed to import: Field (row) is malformed: line 3 has 2 fields but the header has 3. "},
				{Row: 3, Status: result.StatusFailed, Message: "Field (username) is required. User failed to import: Field (username) is required. "},
				{Row: 4, Status: result.StatusFailed, Message: "Field (username) is required. User failed to import: Field (username) is required. "},
			}},
			members: map[string]clienttest.Membership{"alice": {LibraryGroups: []string{"Year 7"}, SystemGroups: []string{"Staff"}}},
		},
		{
			name:   "empty file",
			parts:  []part{{"file", "f.csv", ""}},
			status: 200,
			want:   &result.Result{Success: true, Summary: "0 users processed. 0 users created. 0 users updated. 0 users failed."},
		},
		{
			name:  "failures",
			opts:  []clienttest.Option{clienttest.WithLibraryGroups("Year 7"), clienttest.WithSystemGroups("Students"), clienttest.WithUsers("a", "b", "c", "d")},
			parts: []part{{"file", "f.csv", hdr + "a,Year 7,Students\nb,Year 9,\nc,,Parents\n,Year 7,\nzed,Year 7,\nd,Year 7\n"}},
			want: &result.Result{Success: false, Summary: "6 users processed. 1 user created. 0 users updated. 5 users failed.", Details: []result.RowOutcome{
				{Row: 1, Status: result.StatusCreated, Message: "User Created"},
				{Row: 2, Status: result.StatusFailed, Message: "Field (library-group) Library group (Year 9) does not exist. User failed to import: Field (library-group) Library group (Year 9) does not exist. "},
				{Row: 3, Status: result.StatusFailed, Message: "Field (system-group) System group (Parents) does not exist. User failed to import: Field (system-group) System group (Parents) does not exist. "},
				{Row: 4, Status: result.StatusFailed, Message: "Field (username) is required. User failed to import: Field (username) is required. "},
				{Row: 5, Status: result.StatusFailed, Message: "Field (username) User (zed) does not exist. User failed to import: Field (username) User (zed) does not exist. "},
				{Row: 6, Status: result.StatusFailed, Message: "Field (row) is malformed: line 7 has 2 fields but the header has 3. User failed to import: Field (row) is malformed: line 7 has 2 fields but the header has 3. "},
			}},
			status:  200,
			members: map[string]clienttest.Membership{"a": {LibraryGroups: []string{"Year 7"}, SystemGroups: []string{"Students"}}},
		},
		{
			name:   "wrong password",
			user:   "wrong",
			parts:  []part{{"file", "f.csv", hdr + "a,Year 7,\n"}},
			status: 401,
			want:   &result.Result{Success: false, Summary: "Unauthorised. Check credentials."},
		},
		{
			name:   "no file part",
			parts:  []part{{"file", "", "a form field"}},
			status: 400,
			want:   &result.Result{Success: false, Summary: "The request has no file part."},
		},
		{
			name:   "header name in another case",
			parts:  []part{{"file", "f.csv", "Username,library-group,system-group\na,b,c\n"}},
			status: 400,
			want:   &result.Result{Success: false, Summary: `The CSV header is invalid: column "username" is missing; the header must name the columns username, library-group, system-group, spelled exactly.`},
		},
		{
			name:   "header column missing",
			parts:  []part{{"file", "f.csv", "username,library-group\na,b\n"}},
			status: 400,
			want:   &result.Result{Success: false, Summary: `The CSV header is invalid: column "system-group" is missing; the header must name the columns username, library-group, system-group, spelled exactly.`},
		},
		{
			name:   "header column twice",
			parts:  []part{{"file", "f.csv", "username,library-group,system-group,username\na,b,c,d\n"}},
			status: 400,
			want:   &result.Result{Success: false, Summary: `The CSV header is invalid: column "username" appears twice.`},
		},
		{
			name:   "header with a bare quote",
			parts:  []part{{"file", "f.csv", "user\"name,library-group,system-group\n"}},
			status: 400,
			want:   &result.Result{Success: false, Summary: `The CSV header cannot be read: it has a quote (") inside a value that is not quoted, on line 1, column 5.`},
		},
		{
			name:   "header only",
			parts:  []part{{"file", "f.csv", hdr}},
			status: 200,
			want:   &result.Result{Success: true, Summary: "0 users processed. 0 users created. 0 users updated. 0 users failed."},
		},
		{
			name:   "any column order, other columns ignored, BOM, CRLF, blank lines, no final newline",
			parts:  []part{{"file", "f.csv", "\ufeffsystem-group,notes,username,library-group\r\n\r\nStudents,x,a,Year 7\r\n\r\n\r\n,,b,\"Year 8, Blue\"\r\nStaff,\"two\nlines\",c,"}},
			status: 200,
			want:   &result.Result{Success: true, Summary: "3 users processed. 3 users created. 0 users updated. 0 users failed."},
			members: map[string]clienttest.Membership{
				"a": {LibraryGroups: []string{"Year 7"}, SystemGroups: []string{"Students"}},
				"b": {LibraryGroups: []string{"Year 8, Blue"}},
				"c": {SystemGroups: []string{"Staff"}},
			},
		},
		{
			name: "malformed rows take their numbers and the next rows go on",
			opts: []clienttest.Option{clienttest.WithUsers("a", "b", "c", "d")},
			// Row 1 has a bare quote, row 2 is fine, blank line, row 3 has
			// too many fields, row 4 fine, row 5 an unterminated quote that
			// runs to the end of the file.
			parts:  []part{{"file", "f.csv", hdr + "a,Ye\"ar 7,\nb,Year 7,\n\nc,Year 7,,extra\nd,,Staff\ne,\"Year 7,\nf,,\n"}},
			status: 200,
			want: &result.Result{Success: false, Summary: "5 users processed. 2 users created. 0 users updated. 3 users failed.", Details: []result.RowOutcome{
				{Row: 1, Status: result.StatusFailed, Message: `Field (row) is malformed: it has a quote (") inside a value that is not quoted, on line 2, column 5. User failed to import: Field (row) is malformed: it has a quote (") inside a value that is not quoted, on line 2, column 5. `},
				{Row: 2, Status: result.StatusCreated, Message: "User Created"},
				{Row: 3, Status: result.StatusFailed, Message: "Field (row) is malformed: line 5 has 4 fields but the header has 3. User failed to import: Field (row) is malformed: line 5 has 4 fields but the header has 3. "},
				{Row: 4, Status: result.StatusCreated, Message: "User Created"},
				{Row: 5, Status: result.StatusFailed, Message: `Field (row) is malformed: it starts on line 7 and has a stray quote or a quoted value that is never closed (seen on line 8, column 5). User failed to import: Field (row) is malformed: it starts on line 7 and has a stray quote or a quoted value that is never closed (seen on line 8, column 5). `},
			}},
			members: map[string]clienttest.Membership{
				"b": {LibraryGroups: []string{"Year 7"}},
				"d": {SystemGroups: []string{"Staff"}},
			},
		},
		{
			name:   "contacts: the user-groups header is wrong",
			path:   "/api/import/userContacts/replaceDeclaredPatronsKeepCustomContacts",
			parts:  []part{{"file", "f.csv", hdr + "a,Year 7,\n"}},
			status: 400,
			want:   &result.Result{Success: false, Summary: `The CSV header is invalid: column "type" is missing; the header must name the columns username, type, role, primary, addressee, contact, sms, scenarios, spelled exactly.`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := clienttest.NewServer(tt.opts...)
			defer srv.Close()
			u, p := user, pass
			if tt.user != "" {
				u = tt.user
			}
			path := tt.path
			if path == "" {
				path = "/api/import/userGroups"
			}
			status, res := post(t, srv, path+"?tenantId=t1", u, p, tt.parts...)
			if status != tt.status {
				t.Errorf("status %d, want %d", status, tt.status)
			}
			if diff := cmp.Diff(tt.want, res); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.members, srv.Memberships(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("memberships (-want +got):\n%s", diff)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 || reqs[0].TenantID != "t1" || reqs[0].Status != tt.status || reqs[0].Header.Get("Authorization") != "" {
				t.Errorf("recorded %+v", reqs)
			}
		})
	}
}

func TestApplyMode(t *testing.T) {
	const user, pass = clienttest.DefaultUsername, clienttest.DefaultPassword
	first := hdr + "a,Gold,Year 7\na,Silver,\nb,Gold,Year 8\n"
	second := hdr + "a,Bronze,Year 8\na,,Year 9\nc,Gold,\n"
	tests := []struct {
		mode clienttest.ApplyMode
		want map[string]clienttest.Membership
	}{
		{
			mode: clienttest.ApplyAdd,
			want: map[string]clienttest.Membership{
				"a": {LibraryGroups: []string{"Bronze", "Gold", "Silver"}, SystemGroups: []string{"Year 7", "Year 8", "Year 9"}},
				"b": {LibraryGroups: []string{"Gold"}, SystemGroups: []string{"Year 8"}},
				"c": {LibraryGroups: []string{"Gold"}},
			},
		},
		{
			mode: clienttest.ApplyReplace,
			want: map[string]clienttest.Membership{
				"a": {LibraryGroups: []string{"Bronze"}, SystemGroups: []string{"Year 8", "Year 9"}},
				"b": {LibraryGroups: []string{"Gold"}, SystemGroups: []string{"Year 8"}},
				"c": {LibraryGroups: []string{"Gold"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			srv := clienttest.NewServer(clienttest.WithApplyMode(tt.mode))
			defer srv.Close()
			for _, csv := range []string{first, second} {
				if status, res := post(t, srv, "/api/import/userGroups", user, pass, part{"file", "user-groups.csv", csv}); status != http.StatusOK || !res.Success {
					t.Fatalf("import: status %d, result %+v", status, res)
				}
			}
			if diff := cmp.Diff(tt.want, srv.Memberships()); diff != "" {
				t.Errorf("memberships (-want +got):\n%s", diff)
			}
		})
	}
}

// TestIndependentOfCSVSpec keeps the fake's CSV reading its own, so that a
// bug in the SDK's csvspec Reader cannot hide in tests that use the fake.
func TestIndependentOfCSVSpec(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if strings.HasSuffix(imp, "/csvspec") || strings.Contains(imp, "/csvspec/") {
			t.Errorf("clienttest imports %s; it must read uploads with its own code", imp)
		}
	}
}

// TestContacts posts contacts files one after another and checks each
// answer and the contacts the fake holds after it.
func TestContacts(t *testing.T) {
	const user, pass = clienttest.DefaultUsername, clienttest.DefaultPassword
	guardianEmail := clienttest.Contact{Type: "email", Role: "guardian", Primary: "True", Addressee: "Mr and Mrs Smith", Contact: "smiths@example.com", Scenarios: "OVERDUE;OVERDUE_ESCALATION_ONE;OVERDUE_ESCALATION_TWO;OVERDUE_ESCALATION_THREE"}
	studentEmail := clienttest.Contact{Type: "email", Role: "patron", Primary: "True", Addressee: "Jo", Contact: "jo@example.com", Scenarios: "ANY"}
	studentMobile := clienttest.Contact{Type: "phone", Role: "patron", Primary: "True", Addressee: "Jo", Contact: "(M1) 0400 000 000", SMS: "True", Scenarios: "NONE"}
	steps := []struct {
		name     string
		csv      string
		status   int
		want     *result.Result
		contacts map[string][]clienttest.Contact
	}{
		{
			name: "first file, as PowerShell's Export-Csv writes it",
			csv: "\ufeff" + `"username","type","role","primary","addressee","contact","sms","scenarios"` + "\r\n" +
				`"jsmith","email","patron","True","Jo","jo@example.com","","ANY"` + "\r\n" +
				`"jsmith","phone","patron","True","Jo","(M1) 0400 000 000","True","NONE"` + "\r\n" +
				`"mjones","email","guardian","True","Mr and Mrs Smith","smiths@example.com","","OVERDUE;OVERDUE_ESCALATION_ONE;OVERDUE_ESCALATION_TWO;OVERDUE_ESCALATION_THREE"` + "\r\n",
			status: 200,
			want:   &result.Result{Success: true, Summary: "3 users processed. 0 users created. 3 users updated. 0 users failed."},
			contacts: map[string][]clienttest.Contact{
				"jsmith": {studentEmail, studentMobile},
				"mjones": {guardianEmail},
			},
		},
		{
			name: "second file replaces the contacts of the users it names; values are kept verbatim, unchecked",
			// Columns in another order, an extra column; jsmith loses the
			// mobile, gets an odd value; akhan is unknown; a row is short.
			csv: "contact,username,note,type,role,primary,addressee,sms,scenarios\n" +
				"JO@EXAMPLE.COM ,jsmith,x,EMAIL,Patron,yes,Jo,Y,any;OVERDUE\n" +
				"a@example.com,akhan,,email,patron,True,A,,ANY\n" +
				"short,row\n" +
				",,,email,patron,True,,,ANY\n",
			status: 200,
			want: &result.Result{Success: false, Summary: "4 users processed. 0 users created. 1 user updated. 3 users failed.", Details: []result.RowOutcome{
				{Row: 1, Status: result.StatusUpdated, Message: "User Updated"},
				{Row: 2, Status: result.StatusFailed, Message: "Field (username) User (akhan) does not exist. User failed to import: Field (username) User (akhan) does not exist. "},
				{Row: 3, Status: result.StatusFailed, Message: "Field (row) is malformed: line 4 has 2 fields but the header has 9. User failed to import: Field (row) is malformed: line 4 has 2 fields but the header has 9. "},
				{Row: 4, Status: result.StatusFailed, Message: "Field (username) is required. User failed to import: Field (username) is required. "},
			}},
			contacts: map[string][]clienttest.Contact{
				"jsmith": {{Type: "EMAIL", Role: "Patron", Primary: "yes", Addressee: "Jo", Contact: "JO@EXAMPLE.COM ", SMS: "Y", Scenarios: "any;OVERDUE"}},
				"mjones": {guardianEmail},
			},
		},
		{
			name:   "a wrong header changes nothing",
			csv:    "username,type,role,primary,addressee,contact,SMS,scenarios\njsmith,email,patron,True,Jo,jo@example.com,,ANY\n",
			status: 400,
			want:   &result.Result{Success: false, Summary: `The CSV header is invalid: column "sms" is missing; the header must name the columns username, type, role, primary, addressee, contact, sms, scenarios, spelled exactly.`},
			contacts: map[string][]clienttest.Contact{
				"jsmith": {{Type: "EMAIL", Role: "Patron", Primary: "yes", Addressee: "Jo", Contact: "JO@EXAMPLE.COM ", SMS: "Y", Scenarios: "any;OVERDUE"}},
				"mjones": {guardianEmail},
			},
		},
		{
			name:   "a header-only file changes nothing",
			csv:    contactsHdr,
			status: 200,
			want:   &result.Result{Success: true, Summary: "0 users processed. 0 users created. 0 users updated. 0 users failed."},
			contacts: map[string][]clienttest.Contact{
				"jsmith": {{Type: "EMAIL", Role: "Patron", Primary: "yes", Addressee: "Jo", Contact: "JO@EXAMPLE.COM ", SMS: "Y", Scenarios: "any;OVERDUE"}},
				"mjones": {guardianEmail},
			},
		},
		{
			name:   "a user's rows in one file form the user's whole new set",
			csv:    contactsHdr + "mjones,phone,guardian,False,Mrs Jones,(H) 07 5555 1234,False,NONE\njsmith,email,patron,True,Jo,jo@example.com,,ANY\nmjones,email,guardian,True,Mrs Jones,jones@example.com,,OVERDUE\n",
			status: 200,
			want:   &result.Result{Success: true, Summary: "3 users processed. 0 users created. 3 users updated. 0 users failed."},
			contacts: map[string][]clienttest.Contact{
				"jsmith": {studentEmail},
				"mjones": {
					{Type: "phone", Role: "guardian", Primary: "False", Addressee: "Mrs Jones", Contact: "(H) 07 5555 1234", SMS: "False", Scenarios: "NONE"},
					{Type: "email", Role: "guardian", Primary: "True", Addressee: "Mrs Jones", Contact: "jones@example.com", Scenarios: "OVERDUE"},
				},
			},
		},
	}
	srv := clienttest.NewServer(clienttest.WithUsers("jsmith", "mjones"), clienttest.WithPathPrefix("/infiniti"))
	defer srv.Close()
	for _, st := range steps {
		status, res := post(t, srv, "/infiniti"+contactsPath, user, pass, part{"file", "contacts.csv", st.csv})
		if status != st.status {
			t.Errorf("%s: status %d, want %d", st.name, status, st.status)
		}
		if diff := cmp.Diff(st.want, res); diff != "" {
			t.Errorf("%s: result (-want +got):\n%s", st.name, diff)
		}
		if diff := cmp.Diff(st.contacts, srv.Contacts()); diff != "" {
			t.Errorf("%s: contacts (-want +got):\n%s", st.name, diff)
		}
	}
	if got := srv.Memberships(); len(got) != 0 {
		t.Errorf("contacts imports changed memberships: %+v", got)
	}
	// Contacts returns a copy.
	srv.Contacts()["jsmith"][0].Contact = "changed"
	if got := srv.Contacts()["jsmith"][0].Contact; got != "jo@example.com" {
		t.Errorf("Contacts() shares its slices: %q", got)
	}
}

// TestContactsRefusals checks that a contacts request the fake refuses
// changes no contacts: an unknown mode, bad credentials, an unknown tenant.
func TestContactsRefusals(t *testing.T) {
	csv := part{"file", "c.csv", contactsHdr + "jsmith,email,patron,True,Jo,jo@example.com,,ANY\n"}
	tests := []struct {
		name, path, pass string
		status           int
	}{
		{"unknown mode", "/api/import/userContacts/replaceAllContacts", clienttest.DefaultPassword, 404},
		{"mode missing", "/api/import/userContacts/", clienttest.DefaultPassword, 404},
		{"wrong password", contactsPath + "?tenantId=t1", "wrong", 401},
		{"unknown tenant", contactsPath + "?tenantId=t2", clienttest.DefaultPassword, 404},
		{"accepted", contactsPath + "?tenantId=t1", clienttest.DefaultPassword, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := clienttest.NewServer(clienttest.WithTenants("t1"))
			defer srv.Close()
			body, contentType := multipartBody(t, csv)
			req, _ := http.NewRequest(http.MethodPost, srv.URL+tt.path, body)
			req.Header.Set("Content-Type", contentType)
			req.SetBasicAuth(clienttest.DefaultUsername, tt.pass)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if got, want := len(srv.Contacts()), map[bool]int{true: 1, false: 0}[tt.status == 200]; got != want {
				t.Errorf("%d users with contacts, want %d", got, want)
			}
		})
	}
}
