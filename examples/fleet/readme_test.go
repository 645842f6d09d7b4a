package fleet

import (
	"bytes"
	"flag"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReadme: the README shows cmd/worker/main.go as it is, with its
// line count, and has a row for each flag of Main.
func TestReadme(t *testing.T) {
	md, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("cmd/worker/main.go")
	if err != nil {
		t.Fatal(err)
	}
	_, block, _ := strings.Cut(string(md), "```go\n")
	block, _, _ = strings.Cut(block, "```")
	if diff := cmp.Diff(string(src), block); diff != "" {
		t.Errorf("README's vendor code is not cmd/worker/main.go (-want +got):\n%s", diff)
	}
	lines := strconv.Itoa(bytes.Count(src, []byte("\n")))
	if !strings.Contains(string(md), "**"+lines+" lines**") {
		t.Errorf("README does not say cmd/worker/main.go has %s lines", lines)
	}
	var c config
	var usage bytes.Buffer
	c.flags(&usage).VisitAll(func(f *flag.Flag) {
		if !regexp.MustCompile("\\| `-"+f.Name+"[ `]").Match(md) && !strings.Contains(string(md), "`-"+f.Name+" ") {
			t.Errorf("README's flag table has no row for -%s", f.Name)
		}
	})
}
