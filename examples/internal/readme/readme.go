// Package readme reads the module's README.md for the example programs'
// tests, so that the commands and flags it documents are tested: its
// sections, its fenced code blocks, the commands in them split into words
// as a POSIX shell would, and a program's flags as its -h lists them.
//
// Only tests import it.
package readme

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Read returns the module's README.md, found from the test's directory
// (examples/<program>), or fails the test.
func Read(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Section returns the text of the "## title" section of md, up to the next
// "## " heading, or "" if md has no such section.
func Section(md, title string) string {
	_, rest, ok := strings.Cut(md, "\n## "+title+"\n")
	if !ok {
		return ""
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// CodeBlocks returns the bodies of the fenced code blocks in md whose info
// string is one of langs ("" for a bare fence).
func CodeBlocks(md string, langs ...string) []string {
	var out []string
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		lang, ok := strings.CutPrefix(lines[i], "```")
		if !ok {
			continue
		}
		var body []string
		for i++; i < len(lines) && lines[i] != "```"; i++ {
			body = append(body, lines[i])
		}
		for _, l := range langs {
			if lang == l {
				out = append(out, strings.Join(body, "\n"))
			}
		}
	}
	return out
}

// Commands returns the commands in a shell code block, one per line after
// joining lines continued with a backslash, each split into words by
// Words; blank lines and comments are left out.
func Commands(block string) [][]string {
	var out [][]string
	for _, line := range strings.Split(strings.ReplaceAll(block, "\\\n", " "), "\n") {
		if w := Words(line); len(w) > 0 {
			out = append(out, w)
		}
	}
	return out
}

// Words splits a line of shell into words as a POSIX shell would, for the
// simple commands a README shows: single and double quotes, backslash
// escapes, and a comment from an unquoted # at the start of a word.
func Words(line string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '#' && !inWord:
			return words
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				j = len(line) - i - 1
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			for i++; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && strings.IndexByte(`"\$`+"`", line[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(line[i])
			}
			inWord = true
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

var flagLine = regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)`)

// Flags returns the flag names (without the dash) that a program's -h
// output lists, in order.
func Flags(usage string) []string {
	var out []string
	for _, m := range flagLine.FindAllStringSubmatch(usage, -1) {
		out = append(out, m[1])
	}
	return out
}
