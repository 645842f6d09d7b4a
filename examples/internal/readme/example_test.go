package readme_test

import (
	"fmt"

	"github.com/autosync-go/autosync/examples/internal/readme"
)

func ExampleCommands() {
	block := "go run ./examples/sync -dry-run \\\n  -map 'username=Student Code'   # check only\n"
	for _, cmd := range readme.Commands(block) {
		fmt.Printf("%q\n", cmd)
	}
	// Output:
	// ["go" "run" "./examples/sync" "-dry-run" "-map" "username=Student Code"]
}
