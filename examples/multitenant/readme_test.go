package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/autosync-go/autosync/examples/internal/cli"
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

// TestReadmeConfig: the README's example config decodes, every school
// passing the checks of its entry.
func TestReadmeConfig(t *testing.T) {
	examples := readme.Section(readme.Read(t), "The examples")
	blocks := readme.CodeBlocks(examples[strings.Index(examples, "### `examples/multitenant`"):], "json")
	if len(blocks) != 1 {
		t.Fatalf("README's part on examples/multitenant has %d JSON blocks, want 1", len(blocks))
	}
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(blocks[0]), &raw); err != nil {
		t.Fatalf("the example config is not a JSON array: %v\n%s", err, blocks[0])
	}
	imports := make(map[string]int)
	for i, r := range raw {
		var s cli.School
		if err := decodeSchool(r, &s, true, "."); err != nil {
			t.Errorf("school %d of the example config: %v", i+1, err)
		}
		imports[s.Import]++
	}
	if imports[cli.ImportUserGroups] == 0 || imports[cli.ImportContacts] == 0 {
		t.Errorf("the example config shows the imports %v; want both", imports)
	}
}

// TestReadmeSourceConfig: the README's example config of sources decodes,
// every route passing the checks of its entry.
func TestReadmeSourceConfig(t *testing.T) {
	blocks := readme.CodeBlocks(readme.Section(readme.Read(t), "From OneRoster or School Data Sync"), "json")
	if len(blocks) != 3 {
		t.Fatalf("README's From OneRoster or School Data Sync has %d JSON blocks, want 3 (two rules files, a config)", len(blocks))
	}
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(blocks[2]), &raw); err != nil {
		t.Fatalf("the example config is not a JSON array: %v\n%s", err, blocks[2])
	}
	dir := t.TempDir() // the rules files beside the config
	for i, f := range []string{"au_rules.json", "tass_rules.json"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(blocks[i]), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	routes := 0
	for i, r := range raw {
		for _, it := range expand(r, dir) {
			var s cli.School
			err := decodeSchool(it.raw, &s, true, dir)
			if err = cmp.Or(it.err, err); err != nil || it.src == nil || len(it.org) == 0 {
				t.Errorf("element %d of the example config, route %q: %v", i+1, s.Name, err)
			}
			routes++
		}
	}
	if routes < 3 {
		t.Errorf("the example config has %d routes; want a list of orgs, a single org and an SDS source", routes)
	}
}
