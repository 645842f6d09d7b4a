// Package cli holds what the example programs (quickstart, sync,
// multitenant) share: one School config (sync fills it from flags,
// multitenant from JSON) and NewJob, which builds its sync job; Exit, the
// one mapping of a run's outcome to an exit code; the advice for a
// technician, keyed on the SDK's typed errors, ConfigError.Option and
// problem codes and said in each program's words (Names); flag parsing
// with -h; the password from the environment or a password file; and the
// character encodings of SMS exports (Decode, and a Sniffer that tells a
// Windows-1252 file while it streams).
//
// It is internal to the examples: the library packages never import it,
// and it is the only place besides the programs that may use
// golang.org/x/text.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// The exit codes of the example programs (Exit maps outcomes to them). A
// scheduler alerts on them; a multitenant run exits with the highest code
// of any school.
const (
	ExitOK        = 0 // every row imported (or a check or plan only, which passed)
	ExitRowsFail  = 1 // Infiniti processed the file but some rows failed
	ExitUsage     = 2 // a usage error or a file that failed the pre-flight check: nothing was sent
	ExitTransport = 3 // no clear answer (the file may have been imported), a transport or authentication error, a lock
	ExitRefused   = 4 // a safety limit refused the export (nothing sent) or held losses (partly sent)
)

// ExitCodes is the exit-code table of the usage texts.
const ExitCodes = `Exit codes (what reached Infiniti):
  0  ok: every posted row confirmed, nothing held (-dry-run, -plan: the file passed)
  1  rows failed, or users held for row problems; the others were sent
  2  usage error, or a file that failed the check; nothing was sent
  3  no clear answer after the file was handed over (Infiniti may have imported
     it), or nothing reached Infiniti: network, credentials, lock, journal,
     -timeout or a signal
  4  refused (nothing sent), or the guard held losses (partly sent)`

// ParseFlags parses args with fs and returns the exit code to stop with,
// or -1 to go on: 0 after -h or -help (the usage went to fs's output), 2
// for a flag error (already reported on fs's output, in words for a
// person: a bad -timeout says to give a duration such as 45m), 2 for stray
// arguments (report them with the returned error, which names them in
// plain words).
func ParseFlags(fs *flag.FlagSet, args []string) (int, error) {
	// The flag package reports a bad value as "parse error": catch its
	// output and say what a value looks like.
	out := fs.Output()
	var buf strings.Builder
	fs.SetOutput(&buf)
	err := fs.Parse(args)
	fs.SetOutput(out)
	text := badValue.ReplaceAllStringFunc(buf.String(), func(m string) string {
		sub := badValue.FindStringSubmatch(m)
		return fmt.Sprintf("invalid value %s for -%s: %s", sub[1], sub[2], valueHint(fs.Lookup(sub[2])))
	})
	io.WriteString(out, text)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return ExitOK, nil
	case err != nil:
		return ExitUsage, nil
	case fs.NArg() > 0:
		return ExitUsage, errStray(fs.Args())
	}
	return -1, nil
}

// badValue matches the flag package's report of a value it cannot parse.
var badValue = regexp.MustCompile(`invalid (?:boolean )?value ("(?:[^"\\]|\\.)*") for (?:flag )?-([A-Za-z0-9-]+): (?:parse error|value out of range)`)

// valueHint says what a value of fl looks like.
func valueHint(fl *flag.Flag) string {
	if fl != nil {
		if g, ok := fl.Value.(flag.Getter); ok {
			switch g.Get().(type) {
			case time.Duration:
				return "give a duration such as 45m or 2h (a number and a unit: s, m or h)"
			case int, int64, uint, uint64:
				return "give a whole number, such as 4"
			case bool:
				return "give the flag alone, such as -" + fl.Name + ", or -" + fl.Name + "=false"
			}
		}
	}
	return "this value cannot be read"
}

type errStray []string

func (e errStray) Error() string {
	msg := fmt.Sprintf("unexpected argument %s: every input is a flag, given as -name value (put a value with spaces in quotes)", quoteWord(e[0]))
	if len(e) > 1 {
		words := make([]string, len(e)-1)
		for i, w := range e[1:] {
			words[i] = quoteWord(w)
		}
		msg += fmt.Sprintf("; what follows it was not read: %s", strings.Join(words, " "))
	}
	return msg
}

// quoteWord returns w as typed, in single quotes if it holds a space.
func quoteWord(w string) string {
	if w == "" || strings.ContainsAny(w, " \t") {
		return "'" + w + "'"
	}
	return w
}

// SetUsage makes fs print, for -h and after a flag error, head (what the
// program does and how it is called), then its flags, then tail (its exit
// codes), all to fs's output.
func SetUsage(fs *flag.FlagSet, head, tail string) {
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintln(w, strings.TrimSpace(head))
		fmt.Fprintln(w, "\nFlags:")
		fs.PrintDefaults()
		fmt.Fprintln(w, "\n"+strings.TrimSpace(tail))
	}
}
