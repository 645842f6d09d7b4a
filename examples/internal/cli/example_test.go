package cli_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/examples/internal/cli"
)

// An export saved by Excel on Windows ("CSV", Windows-1252) is decoded to
// UTF-8 before anything reads it.
func ExampleDecode() {
	export := strings.NewReader("username,library-group\nzo\xeb,Blue\n")
	r, err := cli.Decode(export, "windows-1252", "-encoding")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := io.ReadAll(r)
	fmt.Printf("%s%v\n", b, err)
	// Output:
	// username,library-group
	// zoë,Blue
	// <nil>
}

// The SDK's messages name Go options; a program shows its own flags.
func ExampleNames_Message() {
	_, err := client.New("https://myschool.example?tenantId=7")
	fmt.Println(cli.Flags.Message(err))
	// Output:
	// the base URL has a query (from ?); give only the site, such as https://yourschool.concordinfiniti.com; give the tenant with -tenant, not in the URL
}
