package syncjob

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
)

// TestCounted: the run record says whether Infiniti's processed count
// matched the rows or the users posted (issue 14 §1).
func TestCounted(t *testing.T) {
	two := []csvspec.UserGroup{ug("ann", "Gold", ""), ug("ann", "Silver", ""), ug("bob", "Gold", "")}
	one := []csvspec.UserGroup{ug("ann", "Gold", ""), ug("bob", "Gold", "")}
	tests := []struct {
		name   string
		opts   []clienttest.Option
		export []csvspec.UserGroup
		want   string
	}{
		{name: "rows counted", export: two, want: "rows"},
		{name: "users counted", opts: []clienttest.Option{clienttest.WithUserCounts()}, export: two, want: "users"},
		{name: "a row per user", export: one, want: "both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newFake(t, clienttest.ApplyReplace, tt.opts...)
			job := &Job{Client: c, Journal: NewMemJournal()}
			rep, err := run(t, job, toCSV(tt.export))
			if err != nil || rep.Run.Counted != tt.want {
				t.Errorf("outcome %s, counted %q, %v; want %q", rep.Outcome, rep.Run.Counted, err, tt.want)
			}
		})
	}
}

// A status other than 2xx is no clear answer even when its body is a
// result that gives every row posted an outcome (issue 15, B5): the users
// posted stay unconfirmed and are sent again.
func TestJobNon2xxResultIsNoAnswer(t *testing.T) {
	export := "username,library-group,system-group\nann,Gold,\nbob,Silver,\n"
	body := `{"success":false,"summary":"2 users processed. 1 user created. 0 users updated. 1 user failed.",` +
		`"details":{"1":"User Created","2":"Field (library-group) Library group (Silver) does not exist. "}}`
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			srv, c := newFake(t, mode)
			job := &Job{Client: c, Journal: NewMemJournal()}
			srv.Fail(1, clienttest.Fault{Status: 500, ContentType: "application/json", Body: body})
			rep, err := run(t, job, export)
			if rep.Outcome != OutcomeNoAnswer || err == nil {
				t.Fatalf("outcome %q, error %v; want %q", rep.Outcome, err, OutcomeNoAnswer)
			}
			if !rep.LockedUntil.After(rep.Start) || rep.Advice() != AdviceWait {
				t.Errorf("LockedUntil %v, advice %s; want wait until the post is surely over", rep.LockedUntil, rep.Advice())
			}
			rep, err = run(t, job, export)
			if rep.Outcome != OutcomeOK || rep.RowsSent != 2 {
				t.Fatalf("next run: outcome %q, %d rows sent (%v); want ok and both users sent again", rep.Outcome, rep.RowsSent, err)
			}
		})
	}
}

// An answer whose details give no row an outcome ("details": {}) is no
// clear answer, however its summary reads (issue 14 §1).
func TestJobEmptyDetailsIsNoAnswer(t *testing.T) {
	srv, c := newFake(t, clienttest.ApplyReplace)
	job := &Job{Client: c, Journal: NewMemJournal()}
	srv.Fail(1, clienttest.Fault{Status: 200, ContentType: "application/json",
		Body: `{"success":true,"summary":"1 user processed. 1 user created. 0 users updated. 0 users failed.","details":{}}`})
	rep, err := run(t, job, "username,library-group,system-group\nann,Gold,\n")
	if rep.Outcome != OutcomeNoAnswer || err == nil || rep.Unconfirmed != 1 {
		t.Fatalf("outcome %q, %d unconfirmed, error %v; want %q, 1 unconfirmed", rep.Outcome, rep.Unconfirmed, err, OutcomeNoAnswer)
	}
}

// TestClientFailureAdvice: how the client's failures before anything
// reached Infiniti end a run, and what they advise a job engine.
func TestClientFailureAdvice(t *testing.T) {
	srv, _ := newFake(t, clienttest.ApplyReplace)
	vault := func(err error) client.Option {
		return client.WithCredentials(func(context.Context) (string, string, error) { return "", "", err })
	}
	tests := []struct {
		name    string
		auth    client.Option
		trusted bool // the client trusts the fake's certificate
		outcome Outcome
		advice  Advice
	}{
		{"a certificate the client does not trust", client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword), false, OutcomeTransportError, AdviceFixConfig},
		{"a vault that is down", vault(errors.New("vault: connection refused")), true, OutcomeTransportError, AdviceRetry},
		{"a vault's own timeout", vault(fmt.Errorf("vault: %w", context.DeadlineExceeded)), true, OutcomeTransportError, AdviceRetry},
		{"a secret that does not exist", vault(fmt.Errorf("vault: no such secret: %w", client.ErrNoCredentials)), true, OutcomeAuthError, AdviceFixConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := []client.Option{tt.auth, client.WithRetry(client.RetryPolicy{})}
			if tt.trusted {
				opts = append(opts, client.WithHTTPClient(srv.Client()))
			}
			c, err := client.New(srv.URL, opts...)
			if err != nil {
				t.Fatal(err)
			}
			rep, _ := (&Job{Client: c, Journal: NewMemJournal()}).Run(context.Background(), strings.NewReader(toCSV(school(3))))
			if rep == nil || rep.Outcome != tt.outcome || rep.Advice() != tt.advice {
				t.Fatalf("report %+v, want outcome %s, advice %s", rep, tt.outcome, tt.advice)
			}
		})
	}
}
