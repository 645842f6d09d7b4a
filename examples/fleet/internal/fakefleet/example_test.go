package fakefleet_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"strings"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/examples/fleet/internal/fakefleet"
)

// A fleet of three schools in this process (a test runs it with Start, in
// a process of its own); a post to one school's tenant changes only that
// school.
func Example() {
	f := fakefleet.New(3, 0)
	defer f.Close()
	srv := httptest.NewServer(f)
	defer srv.Close()

	c, err := client.New(srv.URL, client.WithTenant(fakefleet.SchoolID(2)),
		client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword))
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.ImportUserGroups(context.Background(), strings.NewReader("username,library-group,system-group\nann,Red,Year 7\n"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Summary)
	for _, id := range []string{fakefleet.SchoolID(1), fakefleet.SchoolID(2)} {
		t := f.Report(true).Tenants[id]
		fmt.Printf("%s: %d posts, at most %d in flight, %v\n", id, t.Posts, t.MaxInFlight, t.Memberships)
	}
	// Output:
	// 1 user processed. 1 user created. 0 users updated. 0 users failed.
	// school-0001: 0 posts, at most 0 in flight, map[]
	// school-0002: 1 posts, at most 1 in flight, map[ann:{[Red] [Year 7]}]
}
