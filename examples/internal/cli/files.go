package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/autosync-go/autosync/csvspec"
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

// Spool copies r to a new temporary file and returns its path, for a file
// that must be read more than once (checked, then posted, then joined to
// Infiniti's answer) without being held in memory. The caller removes the
// file. It returns the error of reading r or writing the file, and then
// leaves no file behind.
func Spool(r io.Reader) (string, error) {
	f, err := os.CreateTemp("", "autosync-*.csv")
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// Canonical rewrites the checked file at path, read with opts, into a new
// temporary file in the canonical form Infiniti reads (its header names,
// commas, UTF-8), and returns the new file's path, which the caller
// removes. Rows whose fields are all empty (Excel's ",,,") are left out,
// so the posted rows may be fewer than the file's: sourceRows[i] is the
// row number in the file of the posted row i+1, for joining Infiniti's
// row numbers back to the file. It returns an error, and leaves no file
// behind, when a row cannot be read (the file changed after the check) or
// writing fails.
func Canonical(path string, opts []csvspec.ReaderOption) (upload string, sourceRows []int, err error) {
	in, err := os.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer in.Close()
	out, err := os.CreateTemp("", "autosync-*.csv")
	if err != nil {
		return "", nil, err
	}
	sourceRows, err = writeCanonical(out, csvspec.NewReader(in, opts...))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", nil, err
	}
	return out.Name(), sourceRows, nil
}

func writeCanonical(out io.Writer, r *csvspec.Reader) ([]int, error) {
	w := csvspec.NewWriter(out)
	rows := []int{}
	for rec, err := range r.All() {
		if err != nil {
			return nil, fmt.Errorf("the file changed after the check: %w", err)
		}
		if rec.UserGroup == (csvspec.UserGroup{}) {
			continue
		}
		if err := w.Write(rec.UserGroup); err != nil {
			return nil, err
		}
		rows = append(rows, rec.Row)
	}
	return rows, w.Flush()
}
