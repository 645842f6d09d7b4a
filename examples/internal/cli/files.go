package cli

import (
	"fmt"
	"os"
	"strings"
	"unicode/utf8"
)

// ReadNames reads a file of group names, one per line, as the
// -library-groups and -system-groups flags take them: a UTF-8 byte order
// mark, line endings and blank lines are ignored. An empty path returns
// nil (that kind of group is not checked). It returns the read error for
// a file that cannot be read.
func ReadNames(path string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	names := []string{}
	for line := range strings.SplitSeq(strings.TrimPrefix(string(b), "\ufeff"), "\n") {
		if line = strings.TrimSuffix(line, "\r"); line != "" {
			names = append(names, line)
		}
	}
	return names, nil
}

// ParseComma returns the field separator a -comma flag or comma config
// field names: one character, such as ";" or "|", or the word "tab". An
// empty value is the comma. It returns an error for anything else and for
// characters a CSV file cannot use as its separator (a quote, a line
// break).
func ParseComma(s string) (rune, error) {
	switch strings.ToLower(s) {
	case "":
		return ',', nil
	case "tab", `\t`:
		return '\t', nil
	}
	r, size := utf8.DecodeRuneInString(s)
	if size != len(s) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' {
		return 0, fmt.Errorf("%q is not a separator; give one character, such as ';', or the word tab", s)
	}
	return r, nil
}
