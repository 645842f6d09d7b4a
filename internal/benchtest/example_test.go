package benchtest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/autosync-go/autosync/internal/benchtest"
)

// A benchmark of strings.Fields against a baseline of strings.Split on
// the same text: the ratio is in the result's "x-baseline" metric.
func ExampleVsBaseline() {
	text := strings.Repeat("a b c ", 200_000)
	r := testing.Benchmark(func(b *testing.B) {
		benchtest.VsBaseline(b, len(text),
			func(b *testing.B) { _ = strings.Split(text, " ") },
			func(b *testing.B) { _ = strings.Fields(text) })
	})
	fmt.Println(r.Extra["x-baseline"] > 0)
	// Output: true
}
