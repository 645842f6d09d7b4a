package readme

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWords(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"go run ./examples/sync -dry-run", []string{"go", "run", "./examples/sync", "-dry-run"}},
		{"  -map 'username=Student Code,library-group=House'  # a comment", []string{"-map", "username=Student Code,library-group=House"}},
		{`echo "a \"b\" $x" c\ d e#f`, []string{"echo", `a "b" $x`, "c d", "e#f"}},
		{"GOOS=windows go build", []string{"GOOS=windows", "go", "build"}},
		{"# only a comment", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Words(tt.line)); diff != "" {
			t.Errorf("Words(%q) (-want +got):\n%s", tt.line, diff)
		}
	}
}

func TestSectionsAndBlocks(t *testing.T) {
	md := "# T\n## A\ntext\n```sh\ngo run ./x \\\n  -f 'a b'\n\n# c\n```\n```ini\n[Unit]\n```\n## B\n```sh\nb\n```\n"
	a := Section(md, "A")
	got := CodeBlocks(a, "sh")
	if diff := cmp.Diff([]string{"go run ./x \\\n  -f 'a b'\n\n# c"}, got); diff != "" {
		t.Fatalf("CodeBlocks (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{"go", "run", "./x", "-f", "a b"}}, Commands(got[0])); diff != "" {
		t.Errorf("Commands (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"[Unit]"}, CodeBlocks(a, "ini")); diff != "" {
		t.Errorf("ini blocks (-want +got):\n%s", diff)
	}
	if Section(md, "C") != "" {
		t.Errorf("a missing section is not empty")
	}
}

func TestFlags(t *testing.T) {
	usage := "Usage: x\n\nFlags:\n  -ca-file string\n    \tPEM\n  -dry-run\n    \tcheck\n  -x2 int\n"
	if diff := cmp.Diff([]string{"ca-file", "dry-run", "x2"}, Flags(usage)); diff != "" {
		t.Errorf("Flags (-want +got):\n%s", diff)
	}
}
