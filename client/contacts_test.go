package client

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"
)

// Issue 10: the contacts import's request, and its mode checked before
// anything is sent.
func TestImportUserContacts(t *testing.T) {
	const csv = "username,type,role,primary,addressee,contact,sms,scenarios\njsmith,email,patron,True,John,js@example.com,,ANY\n"
	tests := []struct {
		mode    ContactsMode
		wantURL string
		wantErr string
	}{
		{mode: ContactsReplaceDeclaredPatronsKeepCustomContacts, wantURL: "https://school.example/infiniti/api/import/userContacts/replaceDeclaredPatronsKeepCustomContacts?tenantId=T1"},
		{mode: "someOther_mode-2", wantURL: "https://school.example/infiniti/api/import/userContacts/someOther_mode-2?tenantId=T1"},
		{mode: "", wantErr: "mode is empty"},
		{mode: "../userGroups", wantErr: `has '.' at byte 1`},
		{mode: "a/b", wantErr: `has '/' at byte 2`},
		{mode: "a;b", wantErr: `has ';'`},
		{mode: "a%2Fb", wantErr: `has '%'`},
		{mode: "a b", wantErr: `has ' '`},
		{mode: "modé", wantErr: `has 'é'`},
		{mode: "a?tenantId=x", wantErr: `has '?'`},
		{mode: ContactsMode(strings.Repeat("m", 101)), wantErr: "101 bytes long"},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			c, mt, _ := mockClient(t, "https://school.example/infiniti", WithTenant("T1"))
			var got []captured
			mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
				got = append(got, capture(t, r))
				return httpmock.NewStringResponse(200, okJSON), nil
			})
			_, err := c.ImportUserContacts(context.Background(), tt.mode, strings.NewReader(csv))
			collectErr(err)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				if !errors.Is(err, ErrInvalidPath) {
					t.Errorf("errors.Is(%v, ErrInvalidPath) = false", err)
				}
				if len(got) != 0 {
					t.Errorf("%d requests sent for a bad mode", len(got))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("%d requests", len(got))
			}
			want := []capturedPart{{FormName: "file", FileName: "user-contacts.csv", ContentType: "text/csv", Content: csv}}
			if got[0].URL != tt.wantURL {
				t.Errorf("URL %s, want %s", got[0].URL, tt.wantURL)
			}
			if diff := cmp.Diff(want, got[0].Parts); diff != "" {
				t.Errorf("parts (-want +got):\n%s", diff)
			}
		})
	}
}

// The contacts import against the fake: the path, the part, the
// contacts kept; an unknown mode meets the fake's 404.
func TestImportUserContactsWithFake(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithPathPrefix("/infiniti"), clienttest.WithTenants("T1"))
	defer srv.Close()
	c, _ := newClient(t, srv.URL+"/infiniti", WithHTTPClient(srv.Client()), WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword), WithTenant("T1"))
	csv := "username,type,role,primary,addressee,contact,sms,scenarios\njsmith,email,patron,True,John,jsmith@example.com,,ANY\n"
	if _, err := c.ImportUserContacts(context.Background(), ContactsReplaceDeclaredPatronsKeepCustomContacts, strings.NewReader(csv)); err != nil {
		t.Fatal(collectErr(err))
	}
	want := map[string][]clienttest.Contact{"jsmith": {{Type: "email", Role: "patron", Primary: "True", Addressee: "John", Contact: "jsmith@example.com", Scenarios: "ANY"}}}
	if diff := cmp.Diff(want, srv.Contacts()); diff != "" {
		t.Errorf("contacts (-want +got):\n%s", diff)
	}
	_, err := c.ImportUserContacts(context.Background(), "replaceAllContacts", strings.NewReader(csv))
	if !errors.Is(collectErr(err), ErrNotFound) {
		t.Errorf("an unknown mode: err = %v, want ErrNotFound", err)
	}
	var got []string
	for _, r := range srv.Requests() {
		got = append(got, r.Path+" "+r.FileName+" "+r.TenantID)
	}
	wantReqs := []string{
		"/infiniti/api/import/userContacts/replaceDeclaredPatronsKeepCustomContacts user-contacts.csv T1",
		"/infiniti/api/import/userContacts/replaceAllContacts  T1", // refused before the upload is read
	}
	if diff := cmp.Diff(wantReqs, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// Contact rows are encoded in the canonical form while they are sent,
// and re-sent whole after a retryable failure.
func TestImportUserContactRows(t *testing.T) {
	rows := []csvspec.Contact{
		{Username: "jsmith", Type: "EMAIL", Role: "Patron", Primary: true, Addressee: "John", Address: "jsmith@example.com", Scenarios: []csvspec.Scenario{"any"}},
		{Username: "jsmith", Type: csvspec.ContactPhone, Role: csvspec.RoleGuardian, Addressee: "Mr and Mrs Smith", Address: "(M1) 0400 000 000", SMS: csvspec.BoolTrue, Scenarios: []csvspec.Scenario{csvspec.ScenarioNone}},
	}
	const wantCSV = "username,type,role,primary,addressee,contact,sms,scenarios\n" +
		"jsmith,email,patron,True,John,jsmith@example.com,,ANY\n" +
		"jsmith,phone,guardian,False,Mr and Mrs Smith,(M1) 0400 000 000,True,NONE\n"
	tests := []struct {
		name     string
		mode     ContactsMode
		faults   int
		wantReqs int
		wantErr  error
	}{
		{name: "one attempt", mode: ContactsReplaceDeclaredPatronsKeepCustomContacts, wantReqs: 1},
		{name: "retried after a 503", mode: ContactsReplaceDeclaredPatronsKeepCustomContacts, faults: 1, wantReqs: 2},
		{name: "unknown mode", mode: "replaceAll", wantReqs: 1, wantErr: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := clienttest.NewServer()
			defer srv.Close()
			srv.Fail(tt.faults, clienttest.Fault{Status: 503})
			c, _ := fakeClient(t, srv)
			_, err := c.ImportUserContactRows(context.Background(), tt.mode, slices.Values(rows))
			if !errors.Is(collectErr(err), tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			reqs := srv.Requests()
			if len(reqs) != tt.wantReqs {
				t.Fatalf("%d requests, want %d", len(reqs), tt.wantReqs)
			}
			if tt.wantErr != nil {
				return // the fake refused the path before reading the upload
			}
			for i, r := range reqs {
				if diff := cmp.Diff(wantCSV, string(r.CSV)); diff != "" {
					t.Errorf("request %d sent (-want +got):\n%s", i+1, diff)
				}
			}
		})
	}
	c, _ := newClient(t, "https://school.example")
	if _, err := c.ImportUserContactRows(context.Background(), ContactsReplaceDeclaredPatronsKeepCustomContacts, nil); err == nil {
		t.Error("nil rows: no error")
	}
	if _, err := c.ImportUserContactRows(context.Background(), "../x", slices.Values(rows)); err == nil {
		t.Error("a mode with ..: no error")
	}
}
