package autosync_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// goBlocks returns the fenced ```go blocks of a Markdown text that hold a
// whole program (they start with "package main").
func goBlocks(md string) []string {
	var out []string
	for _, part := range strings.Split(md, "```go\n")[1:] {
		block, _, ok := strings.Cut(part, "```")
		if ok && strings.HasPrefix(block, "package main") {
			out = append(out, block)
		}
	}
	return out
}

func TestGoBlocks(t *testing.T) {
	md := "text\n```go\npackage main\nfunc main() {}\n```\n```go\nc.Do()\n```\n```sh\ngo test\n```\n"
	got := goBlocks(md)
	if len(got) != 1 || got[0] != "package main\nfunc main() {}\n" {
		t.Errorf("goBlocks = %q, want the one program", got)
	}
}

// TestReadmeProgramBuilds compiles every whole program shown in README.md
// against this module, so that the README cannot show code that does not
// build. The program is laid over the module with go build -overlay; no
// file is written into the repository.
func TestReadmeProgramBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program with the go command")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the README's program: %v", err)
	}
	md, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := goBlocks(string(md))
	if len(blocks) == 0 {
		t.Fatal("README.md shows no whole program (a ```go block starting with package main)")
	}
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for i, block := range blocks {
		tmp := t.TempDir()
		src := filepath.Join(tmp, "main.go")
		if err := os.WriteFile(src, []byte(block), 0o600); err != nil {
			t.Fatal(err)
		}
		// A package directory that does not exist on disk: the overlay
		// supplies its only file.
		virtual := filepath.Join(root, "internal", "readmeprogram", "main.go")
		overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {virtual: src}})
		ofile := filepath.Join(tmp, "overlay.json")
		if err := os.WriteFile(ofile, overlay, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(goCmd, "build", "-overlay", ofile, "-o", filepath.Join(tmp, "prog"), "./internal/readmeprogram")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Errorf("README.md program %d does not build: %v\n%s", i+1, err, out.String())
		}
	}
}
