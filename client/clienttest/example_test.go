package clienttest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
)

// A test of your own integration: run it against the fake, then look at
// what the fake received and holds.
func Example() {
	srv := clienttest.NewServer(
		clienttest.WithAccount("autoimport", "test-password"),
		clienttest.WithLibraryGroups("Year 7", "Year 8"),
		clienttest.WithSystemGroups("Students"),
	)
	defer srv.Close()

	c, err := client.New(srv.URL, client.WithHTTPClient(srv.Client()),
		client.WithBasicAuth("autoimport", "test-password"), client.WithTenant("school-42"))
	if err != nil {
		log.Fatal(err)
	}
	csv := "username,library-group,system-group\njsmith,Year 7,Students\njsmith,Year 8,\n"
	if _, err := c.ImportUserGroups(context.Background(), strings.NewReader(csv)); err != nil {
		log.Fatal(err)
	}
	req := srv.Requests()[0]
	fmt.Println(req.Path, req.TenantID, req.FormName, req.FileName, req.PartContentType)
	fmt.Printf("%+v\n", srv.Memberships()["jsmith"])
	// Output:
	// /api/import/userGroups school-42 file user-groups.csv text/csv
	// {LibraryGroups:[Year 7 Year 8] SystemGroups:[Students]}
}

// Faults let a test see how a program copes with a failing server.
func ExampleServer_Fail() {
	srv := clienttest.NewServer()
	defer srv.Close()
	srv.Fail(3, clienttest.Fault{Status: 503, RetryAfter: "1"})

	c, err := client.New(srv.URL, client.WithHTTPClient(srv.Client()),
		client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword),
		client.WithRetry(client.RetryPolicy{MaxRetries: 0}))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.ImportUserGroups(context.Background(), strings.NewReader(""))
	var se *client.StatusError
	if errors.As(err, &se) {
		fmt.Println(se.StatusCode, se.RetryAfter)
	}
	// Output:
	// 503 1s
}

// A server that serves only some tenants refuses the others, with 404
// (the fake's choice: Infiniti's answer is not documented).
func ExampleWithTenants() {
	srv := clienttest.NewServer(clienttest.WithTenants("school-42"))
	defer srv.Close()

	c, err := client.New(srv.URL, client.WithHTTPClient(srv.Client()),
		client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword),
		client.WithTenant("school-43"))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.ImportUserGroups(context.Background(), strings.NewReader(""))
	fmt.Println(errors.Is(err, client.ErrNotFound))
	fmt.Println(srv.Requests()[0].Status, srv.Requests()[0].Result.Summary)
	// Output:
	// true
	// 404 Unknown tenant (school-43).
}

// A contacts import replaces the contacts of the users the file names; the
// fake keeps them as received, for a test to look at.
func ExampleServer_Contacts() {
	srv := clienttest.NewServer(clienttest.WithUsers("jsmith"))
	defer srv.Close()

	c, err := client.New(srv.URL, client.WithHTTPClient(srv.Client()),
		client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword))
	if err != nil {
		log.Fatal(err)
	}
	csv := "username,type,role,primary,addressee,contact,sms,scenarios\n" +
		"jsmith,email,patron,True,Jo,jo@example.com,,ANY\n" +
		"jsmith,phone,guardian,False,Mr and Mrs Smith,(H) 07 5555 1234,False,NONE\n"
	res, err := c.Import(context.Background(), clienttest.ImportContactsPath, strings.NewReader(csv))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Summary)
	for _, ct := range srv.Contacts()["jsmith"] {
		fmt.Printf("%s %s %s %q\n", ct.Role, ct.Type, ct.Contact, ct.SMS)
	}
	// Output:
	// 2 users processed. 0 users created. 2 users updated. 0 users failed.
	// patron email jo@example.com ""
	// guardian phone (H) 07 5555 1234 "False"
}
