package cli

import (
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		out  string // the first line of the flag set's output
		err  string
	}{
		{name: "fine", args: []string{"-timeout", "45m"}, code: -1},
		{name: "help", args: []string{"-h"}, code: 0, out: "usage"},
		{name: "duration without a unit", args: []string{"-timeout", "5"}, code: 2, out: `invalid value "5" for -timeout: give a duration such as 45m or 2h (a number and a unit: s, m or h)`},
		{name: "not a number", args: []string{"-n", "four"}, code: 2, out: `invalid value "four" for -n: give a whole number, such as 4`},
		{name: "a value for a boolean", args: []string{"-dry-run=yes"}, code: 2, out: `invalid value "yes" for -dry-run: give the flag alone, such as -dry-run, or -dry-run=false`},
		{name: "unknown flag", args: []string{"-password", "x"}, code: 2, out: "flag provided but not defined: -password"},
		{name: "stray", args: []string{"now"}, code: 2, err: "unexpected argument now: every input is a flag, given as -name value (put a value with spaces in quotes)"},
		{name: "flags after a stray", args: []string{"now", "-n", "4", ""}, code: 2, err: "unexpected argument now: every input is a flag, given as -name value (put a value with spaces in quotes); what follows it was not read: -n 4 ''"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("x", flag.ContinueOnError)
			var out strings.Builder
			fs.SetOutput(&out)
			fs.Usage = func() { fmt.Fprintln(fs.Output(), "usage") }
			fs.Duration("timeout", time.Minute, "")
			fs.Int("n", 1, "")
			fs.Bool("dry-run", false, "")
			code, err := ParseFlags(fs, tt.args)
			first, _, _ := strings.Cut(out.String(), "\n")
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			if diff := cmp.Diff([]any{tt.code, tt.out, tt.err}, []any{code, first, msg}); diff != "" {
				t.Errorf("code, output, error (-want +got):\n%s", diff)
			}
			if fs.Output() != &out {
				t.Errorf("the flag set's output was not given back")
			}
		})
	}
}
