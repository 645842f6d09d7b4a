package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jarcoal/httpmock"
)

func TestStats(t *testing.T) {
	tests := []struct {
		name   string
		faults []clienttest.Fault
		csv    string
		want   Stats
	}{
		{name: "one attempt", csv: sampleCSV, want: Stats{StatusCode: 200, BytesSent: int64(len(sampleCSV)), HandedOver: true, Attempts: 1}},
		{name: "retried once", faults: []clienttest.Fault{{Status: 503}}, csv: sampleCSV, want: Stats{StatusCode: 200, BytesSent: int64(len(sampleCSV)), HandedOver: true, Attempts: 2}},
		{name: "refused", faults: []clienttest.Fault{{Status: 403}}, csv: sampleCSV, want: Stats{StatusCode: 403, BytesSent: int64(len(sampleCSV)), HandedOver: true, Attempts: 1}},
		{name: "empty file", csv: "", want: Stats{StatusCode: 200, HandedOver: true, Attempts: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := clienttest.NewServer()
			defer srv.Close()
			for _, f := range tt.faults {
				srv.Fail(1, f)
			}
			c, _ := fakeClient(t, srv)
			var st Stats
			_, err := c.ImportUserGroups(WithStats(context.Background(), &st), strings.NewReader(tt.csv))
			collectErr(err)
			if st.Duration <= 0 {
				t.Errorf("Duration %v, want > 0", st.Duration)
			}
			if diff := cmp.Diff(tt.want, st, cmpopts.IgnoreFields(Stats{}, "Duration")); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAccessors(t *testing.T) {
	tests := []struct {
		url, tenant string
		wantURL     string
		wantTenant  string
	}{
		{url: "https://user:pw@school.example/infiniti/", tenant: "T1", wantURL: "https://school.example/infiniti", wantTenant: "T1"},
		{url: "https://school.example", wantURL: "https://school.example"},
	}
	for _, tt := range tests {
		var opts []Option
		if tt.tenant != "" {
			opts = append(opts, WithTenant(tt.tenant))
		}
		c, err := New(tt.url, opts...)
		if err != nil {
			t.Fatal(collectErr(err))
		}
		if got := c.BaseURL(); got != tt.wantURL {
			t.Errorf("BaseURL() = %q, want %q", got, tt.wantURL)
		}
		if got := c.Tenant(); got != tt.wantTenant {
			t.Errorf("Tenant() = %q, want %q", got, tt.wantTenant)
		}
	}
}

// ResponseHeaderTimeout says the answer limit of the SDK's own transport,
// and 0 when the caller's http.Client decides.
func TestResponseHeaderTimeoutAccessor(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want time.Duration
	}{
		{"default", nil, DefaultResponseHeaderTimeout},
		{"set", []Option{WithResponseHeaderTimeout(30 * time.Minute)}, 30 * time.Minute},
		{"the caller's http.Client", []Option{WithHTTPClient(&http.Client{})}, 0},
	}
	for _, tt := range tests {
		c, err := New("https://school.example", tt.opts...)
		if err != nil {
			t.Fatal(collectErr(err))
		}
		if got := c.ResponseHeaderTimeout(); got != tt.want {
			t.Errorf("%s: ResponseHeaderTimeout() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// A call that refuses its arguments and sends nothing still fills the
// caller's Stats: with the zero Stats, not what an earlier call left.
func TestStatsRefusedCall(t *testing.T) {
	c, _ := newClient(t, "https://school.example")
	stale := Stats{StatusCode: 200, BytesSent: 99, Attempts: 3, Duration: time.Second}
	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"ImportUserGroups, nil CSV", func(ctx context.Context) error {
			_, err := c.ImportUserGroups(ctx, nil)
			return err
		}},
		{"ImportUserGroupRows, nil rows", func(ctx context.Context) error {
			_, err := c.ImportUserGroupRows(ctx, nil)
			return err
		}},
		{"Import, bad path", func(ctx context.Context) error {
			_, err := c.Import(ctx, "/api/../x", strings.NewReader(sampleCSV))
			return err
		}},
		{"Import, nil CSV", func(ctx context.Context) error {
			_, err := c.Import(ctx, "/api/import/x", nil)
			return err
		}},
		{"ImportUserContacts, bad mode", func(ctx context.Context) error {
			_, err := c.ImportUserContacts(ctx, "a/b", strings.NewReader(sampleCSV))
			return err
		}},
		{"ImportUserContacts, nil CSV", func(ctx context.Context) error {
			_, err := c.ImportUserContacts(ctx, ContactsReplaceDeclaredPatronsKeepCustomContacts, nil)
			return err
		}},
		{"ImportUserContactRows, bad mode", func(ctx context.Context) error {
			_, err := c.ImportUserContactRows(ctx, "", slices.Values([]csvspec.Contact{}))
			return err
		}},
		{"ImportUserContactRows, nil rows", func(ctx context.Context) error {
			_, err := c.ImportUserContactRows(ctx, ContactsReplaceDeclaredPatronsKeepCustomContacts, nil)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := stale
			if err := tt.call(WithStats(context.Background(), &st)); collectErr(err) == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(Stats{}, st); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

// A context that ends while the client waits to retry keeps what the last
// attempt did: it was answered, so the file was handed over.
func TestStatsCancelledWhileWaitingToRetry(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, mt, _ := mockClient(t, "https://school.example", WithRetry(RetryPolicy{MaxRetries: 2}))
	c.sleep = func(ctx context.Context, _ time.Duration) error {
		cancel() // while waiting, not while the mock answers: httpmock races the two
		return ctx.Err()
	}
	mt.RegisterNoResponder(func(req *http.Request) (*http.Response, error) {
		_, _ = io.Copy(io.Discard, req.Body)
		return httpmock.NewStringResponse(503, "busy"), nil
	})
	var st Stats
	_, err := c.ImportUserGroups(WithStats(ctx, &st), strings.NewReader(sampleCSV))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", collectErr(err))
	}
	want := Stats{StatusCode: 503, BytesSent: int64(len(sampleCSV)), HandedOver: true, Attempts: 1}
	if diff := cmp.Diff(want, st, cmpopts.IgnoreFields(Stats{}, "Duration")); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}
