package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/autosync-go/autosync/examples/internal/readme"
)

// TestReadmeDocumentsEveryFlag: the README's table for quickstart has a
// row for each flag -h lists.
func TestReadmeDocumentsEveryFlag(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-h"}, env(nil), &stdout, &stderr); code != 0 {
		t.Fatalf("-h: exit code %d", code)
	}
	flags := readme.Flags(stderr.String())
	if len(flags) < 5 {
		t.Fatalf("-h lists only %q", flags)
	}
	examples := readme.Section(readme.Read(t), "The examples")
	doc, _, _ := strings.Cut(examples[strings.Index(examples, "### `examples/quickstart`"):], "### `examples/sync`")
	for _, f := range flags {
		if !strings.Contains(doc, "| `-"+f+" ") && !strings.Contains(doc, "| `-"+f+"`") {
			t.Errorf("README's examples/quickstart table has no row for -%s", f)
		}
	}
}
