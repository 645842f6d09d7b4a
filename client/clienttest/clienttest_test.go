package clienttest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/result"
)

// part is one part of a hand-built multipart body.
type part struct{ form, file, content string }

// post sends parts to srv at path with the given credentials and parses
// the answer.
func post(t *testing.T, srv *clienttest.Server, path, user, pass string, parts ...part) (int, *result.Result) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.file == "" {
			w, err = mw.CreateFormField(p.form)
		} else {
			w, err = mw.CreateFormFile(p.form, p.file)
		}
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p.content)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	res, err := result.Parse(resp.Body)
	if err != nil {
		t.Fatalf("the fake answered something that is not a result: %v", err)
	}
	return resp.StatusCode, res
}

const hdr = "username,library-group,system-group\n"

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
				{Row: 6, Status: result.StatusFailed, Message: "Field (row) is malformed: line 7 (row 6): the row has 2 fields but the header has 3; quote values that contain commas and give every row one value per header column. User failed to import: Field (row) is malformed: line 7 (row 6): the row has 2 fields but the header has 3; quote values that contain commas and give every row one value per header column. "},
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
			name:   "bad header",
			parts:  []part{{"file", "f.csv", "Username,library-group,system-group\na,b,c\n"}},
			status: 400,
			want:   &result.Result{Success: false, Summary: `The CSV header is invalid: line 1 (header): header column 1 is "Username" but Infiniti requires exactly "username"; rename it to "username"`},
		},
		{
			name:   "other import kinds are counted",
			path:   "/api/import/userContacts/replaceDeclaredPatronsKeepCustomContacts",
			parts:  []part{{"file", "f.csv", "username,type\na,EMAIL\nb,SMS\n"}},
			status: 200,
			want:   &result.Result{Success: true, Summary: "2 users processed. 0 users created. 2 users updated. 0 users failed."},
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

func TestServerRecordsRequest(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	csv := hdr + "a,Year 7,Students\n"
	post(t, srv, "/api/import/userGroups", clienttest.DefaultUsername, clienttest.DefaultPassword, part{"file", "user-groups.csv", csv})
	got := srv.Requests()[0]
	want := clienttest.Request{
		Method: "POST", Path: "/api/import/userGroups", Username: "autoimport", Authorized: true,
		FormName: "file", FileName: "user-groups.csv", PartContentType: "application/octet-stream",
		CSV: []byte(csv), CSVSize: int64(len(csv)), Status: 200,
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(clienttest.Request{}, "Header", "Result")); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	if got.Result == nil || !got.Result.Success {
		t.Errorf("recorded result %+v", got.Result)
	}
}

func TestServerFaults(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	srv.Fail(2, clienttest.Fault{Status: 503, RetryAfter: "3"})
	for i := range 3 {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/import/userGroups", strings.NewReader(""))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		wantStatus, wantRA := 503, "3"
		if i == 2 {
			wantStatus, wantRA = 401, "" // faults used up; no credentials
		}
		if resp.StatusCode != wantStatus || resp.Header.Get("Retry-After") != wantRA {
			t.Errorf("request %d: %d Retry-After %q, want %d %q", i+1, resp.StatusCode, resp.Header.Get("Retry-After"), wantStatus, wantRA)
		}
	}

	// A dropped connection gives the client a transport error.
	srv.Fail(1, clienttest.Fault{DropConnection: true})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/import/userGroups", strings.NewReader(strings.Repeat("x", 4096)))
	if resp, err := srv.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("dropped connection answered %d", resp.StatusCode)
	}

	// A delay ends when the client gives up.
	srv.Fail(1, clienttest.Fault{Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/import/userGroups", strings.NewReader(""))
	if _, err := srv.Client().Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("delayed request: %v", err)
	}
}

func TestServerRoutes(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithPathPrefix("/infiniti/"))
	defer srv.Close()
	tests := []struct {
		method, path string
		want         int
	}{
		{"POST", "/api/import/userGroups", 404},
		{"GET", "/infiniti/api/import/userGroups", 405},
		{"POST", "/infiniti/other", 404},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
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

func TestWithApplyModePanicsOnUnknownMode(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("WithApplyMode(7) did not panic")
		}
	}()
	clienttest.WithApplyMode(7)
}
