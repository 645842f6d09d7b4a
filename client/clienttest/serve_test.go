package clienttest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/result"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestServerRecordsRequest(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	csv := hdr + "a,Year 7,Students\n"
	body, contentType := multipartBody(t, part{"file", "user-groups.csv", csv})
	size := int64(body.Len())
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/import/userGroups", body)
	req.Header.Set("Content-Type", contentType)
	req.SetBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword)
	do(t, srv, req)
	got := srv.Requests()[0]
	want := clienttest.Request{
		Method: "POST", Path: "/api/import/userGroups", Username: "autoimport", Authorized: true, ContentLength: size,
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
		// Only the import paths the fake knows are served.
		{"POST", "/infiniti/api/import/x", 404},
		{"POST", "/infiniti/api/import/", 404},
		{"POST", "/infiniti/api/import/userGroups/", 404},
		{"POST", "/infiniti/api/import/usergroups", 404},
		{"POST", "/infiniti/api/import/userGroups/extra", 404},
		{"POST", "/infiniti/api/import/userContacts", 404},
		{"POST", "/infiniti/api/import/userContacts/unknownMode", 404},
		{"POST", "/infiniti/api/import/userContacts/replacedeclaredpatronskeepcustomcontacts", 404},
		{"POST", "/infiniti/api/import/userContacts/replaceDeclaredPatronsKeepCustomContacts/", 404},
		{"POST", "/infiniti/api/import/userContacts/replaceDeclaredPatronsKeepCustomContacts/x", 404},
		{"POST", "/api/import/userContacts/replaceDeclaredPatronsKeepCustomContacts", 404},
		{"GET", "/infiniti/api/import/userContacts/replaceDeclaredPatronsKeepCustomContacts", 405},
		{"POST", "/infiniti/api/import/userPatrons", 404},
		{"POST", "/infiniti/api/import/user%47roups", 404},
		{"POST", "/infiniti/api/import/userContacts%2FreplaceDeclaredPatronsKeepCustomContacts", 404},
		{"POST", "/infiniti%2Fapi/import/userGroups", 404},
		{"POST", "/infiniti/api/import/userGroups", 200},
	}
	for _, tt := range tests {
		body, contentType := multipartBody(t, part{"file", "f.csv", hdr + "a,Year 7,\n"})
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, body)
		req.Header.Set("Content-Type", contentType)
		req.SetBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
	}
	// Only the last request imported anything.
	want := map[string]clienttest.Membership{"a": {LibraryGroups: []string{"Year 7"}}}
	if diff := cmp.Diff(want, srv.Memberships()); diff != "" {
		t.Errorf("memberships (-want +got):\n%s", diff)
	}
}

func TestPathPrefixWithASpace(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithPathPrefix("/my school/"))
	defer srv.Close()
	status, _ := post(t, srv, "/my%20school/api/import/userGroups", clienttest.DefaultUsername, clienttest.DefaultPassword, part{"file", "f.csv", hdr})
	if status != http.StatusOK {
		t.Errorf("status %d, want 200", status)
	}
	if got := srv.Requests()[0].Path; got != "/my school/api/import/userGroups" {
		t.Errorf("recorded path %q", got)
	}
}

func TestWithoutPathPrefix(t *testing.T) {
	for _, prefix := range []string{"", "/", "//"} {
		srv := clienttest.NewServer(clienttest.WithPathPrefix(prefix))
		status, _ := post(t, srv, "/api/import/userGroups", clienttest.DefaultUsername, clienttest.DefaultPassword, part{"file", "f.csv", hdr})
		srv.Close()
		if status != http.StatusOK {
			t.Errorf("WithPathPrefix(%q): status %d, want 200", prefix, status)
		}
	}
}

func TestWithTenants(t *testing.T) {
	const user, pass = clienttest.DefaultUsername, clienttest.DefaultPassword
	csv := part{"file", "f.csv", hdr + "a,Year 7,\n"}
	ok := &result.Result{Success: true, Summary: "1 user processed. 1 user created. 0 users updated. 0 users failed."}
	tests := []struct {
		name   string
		opts   []clienttest.Option
		query  string
		pass   string
		status int
		want   *result.Result
	}{
		{"listed tenant", []clienttest.Option{clienttest.WithTenants("t1", "t2")}, "?tenantId=t2", pass, 200, ok},
		{"unknown tenant", []clienttest.Option{clienttest.WithTenants("t1", "t2")}, "?tenantId=t3", pass, 404, &result.Result{Summary: "Unknown tenant (t3)."}},
		{"tenant in another case", []clienttest.Option{clienttest.WithTenants("t1")}, "?tenantId=T1", pass, 404, &result.Result{Summary: "Unknown tenant (T1)."}},
		{"empty tenant", []clienttest.Option{clienttest.WithTenants("t1")}, "?tenantId=", pass, 404, &result.Result{Summary: "Unknown tenant ()."}},
		{"no tenant", []clienttest.Option{clienttest.WithTenants("t1")}, "", pass, 404, &result.Result{Summary: "No tenant: the tenantId query parameter is required."}},
		{"unknown tenant before credentials", []clienttest.Option{clienttest.WithTenants("t1")}, "?tenantId=t9", "wrong", 404, &result.Result{Summary: "Unknown tenant (t9)."}},
		{"listed tenant, wrong credentials", []clienttest.Option{clienttest.WithTenants("t1")}, "?tenantId=t1", "wrong", 401, &result.Result{Summary: "Unauthorised. Check credentials."}},
		{"no option: any tenant", nil, "?tenantId=anything", pass, 200, ok},
		{"no option: no tenant", nil, "", pass, 200, ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := clienttest.NewServer(tt.opts...)
			defer srv.Close()
			status, res := post(t, srv, "/api/import/userGroups"+tt.query, user, tt.pass, csv)
			if status != tt.status {
				t.Errorf("status %d, want %d", status, tt.status)
			}
			if diff := cmp.Diff(tt.want, res); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if imported := len(srv.Memberships()) > 0; imported != (tt.status == 200) {
				t.Errorf("imported = %v with status %d", imported, status)
			}
		})
	}
}

func TestCredentialCharset(t *testing.T) {
	latin1 := func(s string) string { // ISO-8859-1 bytes of s, which must fit
		var b []byte
		for _, r := range s {
			if r > 0xff {
				t.Fatalf("%q does not fit ISO-8859-1", s)
			}
			b = append(b, byte(r))
		}
		return string(b)
	}
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	const user, pass = clienttest.DefaultUsername, clienttest.DefaultPassword
	tests := []struct {
		name     string
		opts     []clienttest.Option
		auth     string
		status   int
		username string
	}{
		{"UTF-8 by default", nil, basic(user, pass), 200, user},
		{"ISO-8859-1 refused by default", nil, basic(user, latin1(pass)), 401, user},
		{"UTF-8 refused with WithLatin1Credentials", []clienttest.Option{clienttest.WithLatin1Credentials()}, basic(user, pass), 401, user},
		{"ISO-8859-1 with WithLatin1Credentials", []clienttest.Option{clienttest.WithLatin1Credentials()}, basic(user, latin1(pass)), 200, user},
		{"non-ASCII username in ISO-8859-1", []clienttest.Option{clienttest.WithLatin1Credentials(), clienttest.WithAccount("élève", "pässwort")}, basic(latin1("élève"), latin1("pässwort")), 200, "élève"},
		{"non-ASCII username in UTF-8, read as ISO-8859-1", []clienttest.Option{clienttest.WithLatin1Credentials(), clienttest.WithAccount("élève", "pässwort")}, basic("élève", "pässwort"), 401, "Ã©lÃ¨ve"},
		{"ASCII either way", []clienttest.Option{clienttest.WithLatin1Credentials(), clienttest.WithAccount("autoimport", "plain^@&$")}, basic("autoimport", "plain^@&$"), 200, "autoimport"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := clienttest.NewServer(tt.opts...)
			defer srv.Close()
			body, contentType := multipartBody(t, part{"file", "f.csv", hdr})
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/import/userGroups", body)
			req.Header.Set("Content-Type", contentType)
			req.Header.Set("Authorization", tt.auth)
			if status, _ := do(t, srv, req); status != tt.status {
				t.Errorf("status %d, want %d", status, tt.status)
			}
			got := srv.Requests()[0]
			if got.Username != tt.username || got.Authorized != (tt.status == 200) {
				t.Errorf("recorded username %q, authorized %v; want %q, %v", got.Username, got.Authorized, tt.username, tt.status == 200)
			}
		})
	}
}

func TestServerRecordsLength(t *testing.T) {
	srv := clienttest.NewServer()
	defer srv.Close()
	body, contentType := multipartBody(t, part{"file", "f.csv", hdr + "a,Year 7,\n"})
	size := int64(body.Len())
	tests := []struct {
		name     string
		body     io.Reader
		length   int64
		encoding []string
	}{
		{"known length", bytes.NewReader(body.Bytes()), size, nil},
		{"streamed", io.MultiReader(bytes.NewReader(body.Bytes())), -1, []string{"chunked"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/import/userGroups", tt.body)
			req.Header.Set("Content-Type", contentType)
			req.SetBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword)
			if status, _ := do(t, srv, req); status != 200 {
				t.Fatalf("status %d", status)
			}
			got := srv.Requests()[i]
			if got.ContentLength != tt.length || !cmp.Equal(got.TransferEncoding, tt.encoding) {
				t.Errorf("ContentLength %d, TransferEncoding %q; want %d, %q", got.ContentLength, got.TransferEncoding, tt.length, tt.encoding)
			}
		})
	}
}

// A server whose account is empty still refuses a request with no
// Authorization header at all (review 1, nit).
func TestEmptyAccountNeedsAuthorization(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithAccount("", ""))
	defer srv.Close()
	tests := []struct {
		name string
		auth bool
		want int
	}{
		{"no header", false, http.StatusUnauthorized},
		{"empty credentials", true, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nusername,library-group,system-group\nann,Y7,S\n\r\n--B--\r\n"
			req, err := http.NewRequest(http.MethodPost, srv.URL+clienttest.ImportUserGroupsPath, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
			if tt.auth {
				req.SetBasicAuth("", "")
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}
