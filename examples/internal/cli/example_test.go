package cli_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/examples/internal/cli"
)

// An export saved by Excel on Windows ("CSV", Windows-1252) is decoded to
// UTF-8 before anything reads it.
func ExampleDecode() {
	export := strings.NewReader("username,library-group\nzo\xeb,Blue\n")
	r, err := cli.Decode(export, "windows-1252", cli.Flags)
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

// A ConfigError's Option names the setting to fix, in each program's
// words.
func ExampleNames_Message() {
	_, err := client.New("https://myschool.example", client.WithTenant(" "))
	msg := cli.Flags.Message(err)
	fmt.Println(msg[:len("-tenant:")])
	msg = cli.ConfigFields.Message(err)
	fmt.Println(msg[:len(`tenant:`)])
	// Output:
	// -tenant:
	// tenant:
}

// The exit code of a run is the programs' own mapping of its outcome.
func ExampleExit() {
	fmt.Println(cli.Exit(syncjob.OutcomeHeld), cli.Exit(syncjob.OutcomeNoAnswer))
	// Output:
	// 4 3
}
