package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/autosync-go/autosync/examples/internal/exampletest"
	"github.com/autosync-go/autosync/examples/internal/readme"
)

// syncFlags returns the flags sync's -h lists.
func syncFlags(t *testing.T) []string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-h"}, env(nil), nil, &stdout, &stderr); code != 0 {
		t.Fatalf("-h: exit code %d", code)
	}
	flags := readme.Flags(stderr.String())
	if len(flags) < 10 {
		t.Fatalf("-h lists only %q:\n%s", flags, &stderr)
	}
	return flags
}

// TestReadmeDocumentsEveryFlag: the README's table for sync has a row for
// each flag, and the deployment guide uses no flag sync lacks.
func TestReadmeDocumentsEveryFlag(t *testing.T) {
	md := readme.Read(t)
	examples := readme.Section(md, "The examples")
	syncDoc, _, _ := strings.Cut(examples[strings.Index(examples, "### `examples/sync`"):], "### `examples/multitenant`")
	flags := syncFlags(t)
	for _, f := range flags {
		if !strings.Contains(syncDoc, "| `-"+f+" ") && !strings.Contains(syncDoc, "| `-"+f+"`") && !strings.Contains(syncDoc, ", `-"+f+" ") {
			t.Errorf("README's examples/sync table has no row for -%s", f)
		}
	}
	deploy := readme.Section(md, "Deploying the sync job")
	if deploy == "" {
		t.Fatal(`README has no "## Deploying the sync job"`)
	}
	used := 0
	for _, block := range readme.CodeBlocks(deploy, "sh", "", "ini", "bat") {
		for _, line := range strings.Split(block, "\n") {
			words := readme.Words(strings.TrimPrefix(line, "ExecStart="))
			// The words after the program, up to a redirection or ||.
			i := slices.IndexFunc(words, func(w string) bool {
				return strings.HasSuffix(w, "infiniti-sync") || strings.HasSuffix(w, "infiniti-sync.exe")
			})
			if i < 0 || slices.Contains(words, "build") {
				continue
			}
			for _, w := range words[i+1:] {
				if strings.ContainsAny(w, "<>|") {
					break
				}
				if name, ok := strings.CutPrefix(w, "-"); ok {
					used++
					if !slices.Contains(flags, name) {
						t.Errorf("the deployment guide uses -%s, which sync does not have:\n%s", name, line)
					}
				}
			}
		}
	}
	if used < 12 {
		t.Errorf("found only %d flags in the deployment guide's commands; is the test still reading them?", used)
	}
}

// TestReadmeCommands runs the README's commands that need no school: each
// go build (into a temporary folder) and each go run of sync, as a built
// binary so that its exit code counts.
func TestReadmeCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs with the go command")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on the PATH")
	}
	md := readme.Read(t)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin := exampletest.Build(t)
	builds, runs := 0, 0
	for _, title := range []string{"The examples", "Deploying the sync job"} {
		for _, block := range readme.CodeBlocks(readme.Section(md, title), "sh") {
			for _, cmd := range readme.Commands(block) {
				var envs []string
				for len(cmd) > 0 && strings.Contains(cmd[0], "=") && !strings.HasPrefix(cmd[0], "-") {
					envs, cmd = append(envs, cmd[0]), cmd[1:]
				}
				switch {
				case len(cmd) > 4 && cmd[0] == "go" && cmd[1] == "build" && cmd[2] == "-o":
					builds++
					out := filepath.Join(t.TempDir(), filepath.Base(cmd[3]))
					c := exec.Command(goTool, append([]string{"build", "-o", out}, cmd[4:]...)...)
					c.Dir, c.Env = root, append(os.Environ(), envs...)
					if b, err := c.CombinedOutput(); err != nil {
						t.Errorf("%q: %v\n%s", cmd, err, b)
					}
				case len(cmd) > 2 && cmd[0] == "go" && cmd[1] == "run" && cmd[2] == "./examples/sync" && len(envs) == 0:
					runs++
					c := exampletest.Command(bin, cmd[3:]...)
					c.Dir, c.Env = root, append(c.Env, "INFINITI_PASSWORD=")
					if b, err := c.CombinedOutput(); err != nil {
						t.Errorf("%q: %v\n%s", cmd, err, b)
					}
				}
			}
		}
	}
	if builds < 2 || runs < 2 {
		t.Errorf("ran %d go build and %d go run commands from the README; want the Linux and Windows builds and the dry runs of user groups and contacts", builds, runs)
	}
}

// TestReadmeRules: the README's rules file is the one the end-to-end test
// runs, and its example commands use flags sync has.
func TestReadmeRules(t *testing.T) {
	doc := readme.Section(readme.Read(t), "Group rules")
	blocks := readme.CodeBlocks(doc, "json")
	if len(blocks) != 1 {
		t.Fatalf("README's Group rules have %d JSON blocks, want 1", len(blocks))
	}
	if want := mustRead(t, "testdata/sms_rules.json"); blocks[0]+"\n" != want {
		t.Errorf("README's rules file is not testdata/sms_rules.json:\n%s", blocks[0])
	}
	flags := syncFlags(t)
	for _, block := range readme.CodeBlocks(doc, "sh") {
		for _, cmd := range readme.Commands(block) {
			for _, w := range cmd {
				if strings.HasPrefix(w, "-") && !slices.Contains(flags, strings.TrimPrefix(w, "-")) {
					t.Errorf("README's Group rules use %s, which sync does not have", w)
				}
			}
		}
	}
}

// TestReadmeOneRoster: the README's rules files for OneRoster and SDS are
// the sample ones of csvspec/oneroster, and its commands use sync's flags.
func TestReadmeOneRoster(t *testing.T) {
	doc := readme.Section(readme.Read(t), "From OneRoster or School Data Sync")
	blocks := readme.CodeBlocks(doc, "json")
	if len(blocks) < 2 {
		t.Fatalf("README's From OneRoster or School Data Sync has %d JSON blocks, want the two rules files first", len(blocks))
	}
	for i, file := range []string{"rules.json", "tass_rules.json"} {
		if want := mustRead(t, pkgs+file); blocks[i]+"\n" != want {
			t.Errorf("README's JSON block %d is not csvspec/oneroster/testdata/%s:\n%s", i+1, file, blocks[i])
		}
	}
	flags := syncFlags(t)
	cmds := 0
	for _, block := range readme.CodeBlocks(doc, "sh") {
		for _, cmd := range readme.Commands(block) {
			cmds++
			for _, w := range cmd {
				if strings.HasPrefix(w, "-") && !slices.Contains(flags, strings.TrimPrefix(w, "-")) {
					t.Errorf("README's From OneRoster or School Data Sync uses %s, which sync does not have", w)
				}
			}
		}
	}
	if cmds == 0 {
		t.Error("README's From OneRoster or School Data Sync has no sync command")
	}
}
