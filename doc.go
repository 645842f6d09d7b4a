// Package autosync is a Go SDK for the Concord Infiniti autoSync import
// protocol: the way a school's Student Management System (SMS) pushes
// user-group memberships and contacts, as CSV files, into the school
// library's Infiniti.
//
// It replaces the vendor's example script, curl -k posting a file with the
// password in the URL, with code that checks the file before it is sent,
// verifies the server's certificate, keeps the password out of URLs and
// logs, retries only where that is safe, and reads the result row by row.
//
// The SDK is these packages:
//
//   - [github.com/autosync-go/autosync/csvspec]: the CSV schemas of the
//     user-groups and contacts imports: typed rows, streaming Readers and
//     Writers, and Check, the pre-flight.
//   - [github.com/autosync-go/autosync/result]: the JSON result Infiniti
//     answers with: counts, per-row outcomes, errors.
//   - [github.com/autosync-go/autosync/client]: the HTTP client: a streaming
//     multipart POST over verified TLS with Basic Auth, retries, typed errors.
//   - [github.com/autosync-go/autosync/client/clienttest]: an in-memory fake
//     Infiniti import server for tests, in the manner of net/http/httptest.
//   - [github.com/autosync-go/autosync/client/syncjob]: a whole unattended
//     sync of one school that converges: check, plan against what
//     Infiniti confirmed, hold a bad row's user or a limit's losses rather
//     than the school, refuse a broken export, send only what changed,
//     resend what got no clear answer, keep a journal.
//   - [github.com/autosync-go/autosync/client/syncjob/journaltest]: a
//     conformance suite for other syncjob.Journal implementations.
//
// A quick start, posting a file that has passed csvspec.Check:
//
//	c, err := client.New("https://myschool.concordinfiniti.com",
//		client.WithBasicAuth("autoimport", os.Getenv("INFINITI_PASSWORD")))
//	if err != nil {
//		log.Fatal(err)
//	}
//	f, err := os.Open("user-groups.csv")
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer f.Close()
//	res, err := c.ImportUserGroups(ctx, f)
//	var ie *result.ImportError
//	switch {
//	case errors.As(err, &ie): // processed, but some rows failed
//		for _, row := range res.Failures() {
//			fmt.Printf("row %d: %s\n", row.Row, row.Message)
//		}
//	case err != nil: // credentials, network, or no clear answer (the file may have been imported)
//		log.Fatal(err)
//	}
//
// The examples folder has runnable programs: quickstart (on the built-in
// fake server), sync (the scheduled job) and multitenant (many schools).
package autosync
