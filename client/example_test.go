package client_test

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"time"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/result"
)

// Posting a user-groups file and reporting the rows that failed. The fake
// server stands in for https://yourschool.concordinfiniti.com.
func Example() {
	srv := clienttest.NewServer(clienttest.WithLibraryGroups("Year 7", "Year 8"))
	defer srv.Close()

	c, err := client.New(srv.URL, // e.g. "https://yourschool.concordinfiniti.com"
		client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword),
		client.WithHTTPClient(srv.Client()), // trusts the fake's certificate; leave out for a real school
	)
	if err != nil {
		log.Fatal(err)
	}
	csv := "username,library-group,system-group\njsmith,Year 7,Students\nmjones,Year 9,Students\n"
	res, err := c.ImportUserGroups(context.Background(), strings.NewReader(csv))
	var ie *result.ImportError
	switch {
	case errors.As(err, &ie):
		fmt.Println(res.Summary)
		for _, row := range res.Failures() {
			fmt.Printf("row %d failed (%s)\n", row.Row, row.Field())
		}
	case err != nil:
		log.Fatal(err) // nothing was imported: credentials, network, server
	default:
		fmt.Println(res.Summary)
	}
	// Output:
	// 2 users processed. 1 user created. 0 users updated. 1 user failed.
	// row 2 failed (library-group)
}

// The vendor's curl example puts the password in the URL; New accepts such
// a URL but moves the credentials to Basic Auth, and rejects plain http.
func ExampleNew() {
	_, err := client.New("http://autoimport:s3cret@school.concordinfiniti.com")
	fmt.Println(err)
	c, err := client.New("https://autoimport:s3cret@school.concordinfiniti.com/", client.WithTenant("st-marys"))
	fmt.Println(c != nil, err)
	// Output:
	// client: WithInsecurePlainHTTP: the base URL uses plain http to a host that is not a loopback address
	// true <nil>
}

// Rows the client encodes itself can always be retried.
func ExampleClient_ImportUserGroupRows() {
	srv := clienttest.NewServer()
	defer srv.Close()
	srv.Fail(1, clienttest.Fault{Status: 503}) // the first attempt meets a busy server

	c, err := client.New(srv.URL, client.WithHTTPClient(srv.Client()),
		client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword),
		client.WithRetry(client.RetryPolicy{MaxRetries: 2, InitialWait: time.Millisecond})) // tests only: keep DefaultRetryPolicy's waits
	if err != nil {
		log.Fatal(err)
	}
	rows := []csvspec.UserGroup{{Username: "jsmith", LibraryGroup: "Year 7", SystemGroup: "Students"}}
	res, err := c.ImportUserGroupRows(context.Background(), slices.Values(rows))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Summary)
	fmt.Println(len(srv.Requests()), "requests")
	// Output:
	// 1 user processed. 1 user created. 0 users updated. 0 users failed.
	// 2 requests
}

func ExampleStatusError() {
	srv := clienttest.NewServer()
	defer srv.Close()
	srv.Fail(1, clienttest.Fault{Status: 403})
	c, err := client.New(srv.URL, client.WithHTTPClient(srv.Client()),
		client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.ImportUserGroups(context.Background(), strings.NewReader(""))
	var se *client.StatusError
	fmt.Println(errors.Is(err, client.ErrForbidden), errors.As(err, &se) && se.StatusCode == 403)
	// Output:
	// true true
}

// A program gives its own advice for the client's configuration errors:
// ConfigError.Option names the Go option that fixes the mistake.
func ExampleConfigError() {
	flags := map[string]string{"WithTenant": "-tenant", "WithInsecurePlainHTTP": "-insecure-http"}
	for _, url := range []string{
		"https://school.concordinfiniti.com/api/import/userGroups?tenantId=T1", // a technician pasted the curl URL
		"http://school.concordinfiniti.com",
	} {
		_, err := client.New(url)
		var ce *client.ConfigError
		if errors.As(err, &ce) {
			fmt.Printf("-url: %s (see %s)\n", ce.Reason, flags[ce.Option])
		}
	}
	// Output:
	// -url: the base URL holds an import path (/api/import/...) (see -tenant)
	// -url: the base URL uses plain http to a host that is not a loopback address (see -insecure-http)
}

// Posting contacts in the one mode seen in the field. A test server stands
// in for Infiniti here.
func ExampleClient_ImportUserContacts() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		fmt.Println("POST", r.URL.Path)
		io.WriteString(w, `{"success":true,"summary":"1 user processed. 0 users created. 1 user updated. 0 users failed."}`)
	}))
	defer srv.Close()
	c, err := client.New(srv.URL) // http is allowed to a loopback address
	if err != nil {
		log.Fatal(err)
	}
	csv := "username,type,role,primary,addressee,contact,sms,scenarios\njsmith,email,patron,True,John,jsmith@example.com,,ANY\n"
	res, err := c.ImportUserContacts(context.Background(), client.ContactsReplaceDeclaredPatronsKeepCustomContacts, strings.NewReader(csv))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Summary)
	// Output:
	// POST /api/import/userContacts/replaceDeclaredPatronsKeepCustomContacts
	// 1 user processed. 0 users created. 1 user updated. 0 users failed.
}

// A mode is checked before anything is sent.
func ExampleContactsMode_Validate() {
	fmt.Println(client.ContactsMode("replaceAll").Validate())
	fmt.Println(client.ContactsMode("../userGroups").Validate())
	// Output:
	// <nil>
	// client: the contacts mode "../userGroups" has '.' at byte 1; a mode is one path segment of letters, digits, - and _ only, such as replaceDeclaredPatronsKeepCustomContacts
}

// Printing a client never shows its password.
func ExampleClient_String() {
	c, err := client.New("https://autoimport:s3cret@school.concordinfiniti.com", client.WithTenant("st-marys"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c)
	fmt.Printf("%#v\n", c)
	// Output:
	// client for https://school.concordinfiniti.com (user "autoimport", tenant "st-marys")
	// client.New("https://school.concordinfiniti.com", client.WithBasicAuth("autoimport", "[REDACTED]"), client.WithTenant("st-marys"))
}

// A fleet builds one transport and gives it to every school's client, so
// that all of them share one pool of connections.
func ExampleNewTransport() {
	srv := clienttest.NewServer(clienttest.WithTenants("school-1", "school-2"))
	defer srv.Close()
	fakeCA := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}) // a real school needs none

	tr, err := client.NewTransport(client.WithRootCAs(fakeCA), client.WithResponseHeaderTimeout(5*time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	for _, tenant := range []string{"school-1", "school-2"} {
		c, err := client.New(srv.URL, client.WithTransport(tr), client.WithTenant(tenant),
			client.WithBasicAuth(clienttest.DefaultUsername, clienttest.DefaultPassword))
		if err != nil {
			log.Fatal(err)
		}
		res, err := c.ImportUserGroups(context.Background(), strings.NewReader("username,library-group,system-group\njsmith,,\n"))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(tenant, res.Summary)
	}
	// Output:
	// school-1 1 user processed. 1 user created. 0 users updated. 0 users failed.
	// school-2 1 user processed. 0 users created. 1 user updated. 0 users failed.
}

// Credentials from a vault, asked for at each import. A secret the vault
// does not have needs a person, as a refused password does.
func ExampleWithCredentials() {
	vault := map[string]string{} // the school's secret is missing
	c, err := client.New("https://school.example", client.WithCredentials(func(ctx context.Context) (string, string, error) {
		password, ok := vault["school.example"]
		if !ok {
			return "", "", fmt.Errorf("vault: no secret for school.example: %w", client.ErrNoCredentials)
		}
		return "autoimport", password, nil
	}))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.ImportUserGroups(context.Background(), strings.NewReader("username,library-group,system-group\n"))
	fmt.Println(errors.Is(err, client.ErrUnauthorized))
	fmt.Println(err)
	// Output:
	// true
	// client: POST https://school.example/api/import/userGroups: getting the credentials: vault: no secret for school.example: no usable credentials
}
