package autosync_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
)

// The whole flow: check the file, post it, read the result. The fake server
// stands in for a school's Infiniti.
func Example() {
	srv := clienttest.NewServer(clienttest.WithLibraryGroups("Year 7"))
	defer srv.Close()

	file := "username,library-group,system-group\njsmith,Year 7,Students\n"
	rep, err := csvspec.Check(strings.NewReader(file), csvspec.Rules{LibraryGroups: []string{"Year 7"}})
	if err != nil {
		log.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		log.Fatal(err) // fix the file first
	}

	c, err := client.New(srv.URL, client.WithHTTPClient(srv.Client()),
		client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword))
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.ImportUserGroups(context.Background(), strings.NewReader(file))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Summary)
	// Output:
	// 1 user processed. 1 user created. 0 users updated. 0 users failed.
}
