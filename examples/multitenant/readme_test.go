package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/autosync-go/autosync/examples/internal/readme"
)

// TestReadmeDocumentsEveryFlag: the README's part on multitenant names
// each flag -h lists and has a row for each config field.
func TestReadmeDocumentsEveryFlag(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-h"}, env(nil), &stdout, &stderr); code != 0 {
		t.Fatalf("-h: exit code %d", code)
	}
	flags := readme.Flags(stderr.String())
	if len(flags) < 4 {
		t.Fatalf("-h lists only %q", flags)
	}
	examples := readme.Section(readme.Read(t), "The examples")
	doc := examples[strings.Index(examples, "### `examples/multitenant`"):]
	for _, f := range flags {
		if !regexp.MustCompile(`(^|[\s\x60\[])-` + regexp.QuoteMeta(f) + `\b`).MatchString(doc) {
			t.Errorf("README's part on examples/multitenant does not name -%s", f)
		}
	}
	for _, f := range fields {
		if !strings.Contains(doc, "| `"+f+"`") && !strings.Contains(doc, ", `"+f+"`") {
			t.Errorf("README's examples/multitenant table has no row for the field %s", f)
		}
	}
}
