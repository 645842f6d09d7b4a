// Package cli holds what the example programs (quickstart, sync,
// multitenant) share: their exit codes, flag parsing with -h, the password
// from the environment or a password file, the character encodings of SMS
// exports (Decode, and a Sniffer that tells a Windows-1252 file while it
// streams), separators and group lists, and the translation of the SDK's
// messages, which name Go options, into the flags and config fields that
// the person running a program types.
//
// It is internal to the examples: the library packages never import it,
// and it is the only place besides the programs that may use
// golang.org/x/text.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"strings"
)

// The exit codes of the example programs. A scheduler alerts on them; a
// multitenant run exits with the highest code of any school.
const (
	ExitOK        = 0 // every row imported (or a check or plan only, which passed)
	ExitRowsFail  = 1 // Infiniti processed the file but some rows failed
	ExitUsage     = 2 // a usage error or a file that failed the pre-flight check: nothing was sent
	ExitTransport = 3 // a transport or authentication error, or another run holds the school's lock
	ExitRefused   = 4 // refused by a safety limit: nothing was sent
)

// ParseFlags parses args with fs and returns the exit code to stop with,
// or -1 to go on: 0 after -h or -help (the usage went to fs's output), 2
// for a flag error (already reported by fs), 2 for stray arguments (report
// them with the returned error).
func ParseFlags(fs *flag.FlagSet, args []string) (int, error) {
	err := fs.Parse(args)
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

type errStray []string

func (e errStray) Error() string {
	return fmt.Sprintf("unexpected arguments %q; every input is a flag (put a value with spaces in quotes)", []string(e))
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
