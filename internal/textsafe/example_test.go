package textsafe_test

import (
	"fmt"

	"github.com/autosync-go/autosync/internal/textsafe"
)

// A server's text with a forged log line and a terminal escape stays on
// one line, escaped and bounded.
func ExampleQuote() {
	summary := "1 user failed.\nlevel=INFO msg=ok\x1b[2K"
	fmt.Println("import failed: " + textsafe.Quote(summary, 25))
	// Output:
	// import failed: "1 user failed.\nlevel=INFO…"
}
