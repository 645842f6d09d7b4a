package fakefleet_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/examples/fleet/internal/fakefleet"
	"github.com/google/go-cmp/cmp"
)

func TestMain(m *testing.M) {
	fakefleet.ServeIfChild()
	os.Exit(m.Run())
}

const oneRow = "username,library-group,system-group\nann,Red,Year 7\n"

// post posts oneRow to school i of the fleet at url.
func post(ctx context.Context, url string, i int) error {
	c, err := client.New(url, client.WithTenant(fakefleet.SchoolID(i)), client.WithRetry(client.RetryPolicy{}),
		client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword))
	if err != nil {
		return err
	}
	_, err = c.ImportUserGroups(ctx, strings.NewReader(oneRow))
	return err
}

// TestFleet: posts sent at once to one school are counted in flight
// together, each school keeps its own memberships, and a post whose
// client leaves during the held answer is counted as cut.
func TestFleet(t *testing.T) {
	for _, tc := range []struct {
		name    string
		schools []int // one post to each, all at once
		want    map[string]fakefleet.Tenant
	}{
		{"one school", []int{2}, map[string]fakefleet.Tenant{
			"school-0001": {},
			"school-0002": {Posts: 1, Answered: 1, MaxInFlight: 1, Cut: 1},
		}},
		{"two schools", []int{1, 2}, map[string]fakefleet.Tenant{
			"school-0001": {Posts: 1, Answered: 1, MaxInFlight: 1, Cut: 1},
			"school-0002": {Posts: 1, Answered: 1, MaxInFlight: 1, Cut: 1},
		}},
		{"two posts to one school", []int{1, 1}, map[string]fakefleet.Tenant{
			"school-0001": {Posts: 2, Answered: 2, MaxInFlight: 2, Cut: 2},
			"school-0002": {},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fakefleet.New(2, time.Hour) // answers only to a client gone
			defer f.Close()
			srv := httptest.NewServer(f)
			defer srv.Close()
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for _, i := range tc.schools {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := post(ctx, srv.URL, i); !errors.Is(err, context.Canceled) {
						t.Errorf("post to school %d: %v, want context.Canceled", i, err)
					}
				}()
			}
			waitFor(t, func() bool { // every post in the hold
				n := 0
				for _, tn := range f.Report(false).Tenants {
					n += tn.Answered
				}
				return n == len(tc.schools)
			})
			cancel()
			wg.Wait()
			waitFor(t, func() bool { return len(f.Report(false).InFlightPorts) == 0 })
			got := map[string]fakefleet.Tenant{}
			for id, tn := range f.Report(true).Tenants {
				want := map[string]clienttest.Membership{} // the post was applied before the hold
				if tn.Posts > 0 {
					want["ann"] = clienttest.Membership{LibraryGroups: []string{"Red"}, SystemGroups: []string{"Year 7"}}
				}
				if diff := cmp.Diff(want, tn.Memberships); diff != "" {
					t.Errorf("%s memberships (-want +got):\n%s", id, diff)
				}
				tn.Memberships = nil
				got[id] = *tn
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
		})
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
	}
}

// TestStart: the fake as a process of its own serves its schools and
// its report, and an unknown tenant is refused.
func TestStart(t *testing.T) {
	p, err := fakefleet.Start(2, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	ctx := context.Background()
	if err := post(ctx, p.URL, 2); err != nil {
		t.Fatal(err)
	}
	if err := post(ctx, p.URL, 3); err == nil {
		t.Error("a post to school-0003 of 2 succeeded")
	}
	rep, err := p.Report(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	want := &fakefleet.Tenant{Posts: 1, Answered: 1, MaxInFlight: 1, Memberships: map[string]clienttest.Membership{
		"ann": {LibraryGroups: []string{"Red"}, SystemGroups: []string{"Year 7"}}}}
	if diff := cmp.Diff(want, rep.Tenants[fakefleet.SchoolID(2)]); diff != "" {
		t.Errorf("school-0002 (-want +got):\n%s", diff)
	}
}
