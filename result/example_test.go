package result_test

import (
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/autosync-go/autosync/result"
)

// How a program reports the rows Infiniti did not take.
func Example() {
	body := `{
	  "success": false,
	  "summary": "3 users processed. 1 user created. 1 user updated. 1 user failed.",
	  "details": {
	    "1": "User Updated",
	    "2": "Field (emailAddress) is not a well-formed email address. User failed to import: Field (emailAddress) is not a well-formed email address. ",
	    "3": "User Created"
	  }
	}`
	res, err := result.Parse(strings.NewReader(body))
	if err != nil {
		log.Fatal(err) // not an Infiniti result at all
	}
	if c, ok := res.Counts(); ok {
		fmt.Printf("%d processed, %d created, %d updated, %d failed\n", c.Processed, c.Created, c.Updated, c.Failed)
	}
	for _, row := range res.Failures() {
		fmt.Printf("row %d failed on field %q\n", row.Row, row.Field())
	}
	var ie *result.ImportError
	if err := res.Err(); errors.As(err, &ie) {
		fmt.Println("the import did not fully succeed")
	}
	// Output:
	// 3 processed, 1 created, 1 updated, 1 failed
	// row 2 failed on field "emailAddress"
	// the import did not fully succeed
}

func ExampleParse_notJSON() {
	_, err := result.Parse(strings.NewReader("<html><title>Sign in</title></html>"))
	fmt.Println(errors.Is(err, result.ErrInvalid))
	fmt.Println(err)
	// Output:
	// true
	// result: not an Infiniti import result: the body is not JSON (at byte 1)
}

// Results fail closed: an outcome that is not exactly a known success, a
// summary that counts a failed user, or details at all make Err report a
// failure, even when success is true.
func ExampleResult_Err() {
	body := `{"success": true, "summary": "2 users processed.",
	  "details": {"1": "User Created", "2": "User (bob) does not exist."}}`
	res, err := result.Parse(strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	for _, row := range res.Failures() {
		fmt.Printf("row %d: %s (%v)\n", row.Row, row.Message, row.Status)
	}
	fmt.Println(res.Err())
	// Output:
	// row 2: User (bob) does not exist. (unknown)
	// infiniti import failed: "2 users processed."; row 2: "User (bob) does not exist."
}
