package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/result"
)

// The outcomes the programs know besides those syncjob records.
const (
	// OutcomeInvalidConfig: multitenant's school whose entry, or a file it
	// names, is wrong; its job did not run.
	OutcomeInvalidConfig syncjob.Outcome = "invalid-config"
	// OutcomeUsage: a flag, or a file a flag names, is wrong; nothing ran.
	OutcomeUsage syncjob.Outcome = "usage"
)

// Exit returns the exit code of a run that ended with o: the only place
// the programs map outcomes to exit codes.
//
//	0 ok
//	1 rows-failed
//	2 invalid-file, invalid-config, usage (nothing was sent)
//	3 no-answer, transport-error, auth-error, locked, cancelled, journal-error
//	4 refused (nothing was sent), held (partly sent)
func Exit(o syncjob.Outcome) int {
	switch o {
	case syncjob.OutcomeOK:
		return ExitOK
	case syncjob.OutcomeRowsFailed:
		return ExitRowsFail
	case syncjob.OutcomeInvalidFile, OutcomeInvalidConfig, OutcomeUsage:
		return ExitUsage
	case syncjob.OutcomeRefused, syncjob.OutcomeHeld:
		return ExitRefused
	}
	return ExitTransport
}

// OutcomeOf returns the outcome of err, the error of a direct import
// (client.Client.Import*, as quickstart calls it), as Exit takes it.
func OutcomeOf(err error) syncjob.Outcome {
	switch {
	case err == nil:
		return syncjob.OutcomeOK
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return syncjob.OutcomeCancelled
	case errors.Is(err, client.ErrUnauthorized), errors.Is(err, client.ErrForbidden):
		return syncjob.OutcomeAuthError
	case errors.As(err, new(*client.StatusError)), errors.Is(err, client.ErrResponseTimeout):
		return syncjob.OutcomeNoAnswer
	case errors.As(err, new(*result.ImportError)):
		return syncjob.OutcomeRowsFailed
	}
	return syncjob.OutcomeTransportError
}

// maxQuoted bounds the runes of Infiniti's text that Quote keeps.
const maxQuoted = 500

// Quote returns s, a text from Infiniti (its summary, a row's message), as
// one line that is safe in a log: cut to 500 runes, and quoted Go-style
// (strconv.Quote) if it holds anything unprintable, such as a line break
// or an ANSI escape.
func Quote(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > maxQuoted {
		s = string(r[:maxQuoted-1]) + "…"
	}
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// A Run is what a program knows of how a run ended, for Verdict.
type Run struct {
	School  School
	Report  *syncjob.Report // nil for a direct import (quickstart)
	Err     error           // the run's error
	Decode  error           // the export's decoding error, if any
	Sniff   *Sniffer        // the export's bytes as the job read them; nil if unknown
	Timeout time.Duration   // the run's time limit
	Signal  bool            // a signal stopped the run
	Listed  bool            // the check's problems were printed already
}

// Verdict returns how a run ended, its exit code (Exit), and one line in
// n's words that says so, with the advice for it: the one place a run's
// report or error becomes a message and an exit code. The line is empty
// for ok; for rows-failed it counts the held users and the failed rows
// and names the largest cause.
func (n Names) Verdict(r Run) (syncjob.Outcome, int, string) {
	o := OutcomeOf(r.Err)
	if r.Report != nil {
		o = r.Report.Outcome
	}
	return o, Exit(o), n.verdictLine(o, r)
}

// verdictLine is Verdict's line for a run that ended o.
func (n Names) verdictLine(o syncjob.Outcome, r Run) string {
	rep := r.Report
	var check *csvspec.Report
	if rep != nil {
		check = rep.Check
	}
	var pe *csvspec.ParseError
	switch {
	case o == syncjob.OutcomeOK:
		return ""
	case o == syncjob.OutcomeInvalidFile && r.Decode != nil:
		return n.Message(r.Decode)
	case errors.As(r.Err, &pe) && (pe.Code == csvspec.CodeCutOff || pe.Code == csvspec.CodeUnclosedQuote):
		return "refused: " + n.CutOff(pe) + "; nothing was sent. Check the export from the SMS and run again (" + n.Name("force") + " does not go past this)"
	case o == syncjob.OutcomeInvalidFile:
		return n.invalidFileLine(r, check)
	case o == syncjob.OutcomeRefused && rep != nil && rep.Refusal != nil:
		return n.Message(rep.Refusal)
	case o == syncjob.OutcomeHeld:
		return n.heldLine(rep)
	case o == syncjob.OutcomeCancelled:
		return n.cancelledLine(r)
	case o == syncjob.OutcomeRowsFailed && rep != nil && !rep.Sent && check != nil:
		return n.planProblemsLine(rep, check)
	case o == syncjob.OutcomeRowsFailed && rep != nil:
		return n.rowsFailedLine(rep, check)
	}
	return n.errorLine(o, r)
}

// errorLine says what an error that ended a run means.
func (n Names) errorLine(o syncjob.Outcome, r Run) string {
	msg := n.Message(r.Err)
	if s := r.School; errors.Is(r.Err, client.ErrNotFound) && s.Import == ImportContacts && s.ContactsMode != "" &&
		client.ContactsMode(s.ContactsMode) != client.ContactsReplaceDeclaredPatronsKeepCustomContacts {
		msg += fmt.Sprintf("; or this Infiniti does not know %s %q: only %s has been seen in the field", n.Name("contacts_mode"), s.ContactsMode, client.ContactsReplaceDeclaredPatronsKeepCustomContacts)
	}
	if o == syncjob.OutcomeNoAnswer && !strings.Contains(msg, "sent again") {
		msg = strings.TrimSuffix(msg, ".") + ". The file was handed over, so Infiniti may have imported some of it; the users whose rows it did not confirm are sent again on the next run"
	}
	return msg
}

// invalidFileLine says why a file was not sent.
func (n Names) invalidFileLine(r Run, check *csvspec.Report) string {
	w1252 := check != nil && check.Count(csvspec.CodeInvalidUTF8) > 0 && NormalEncoding(r.School.Encoding) == "utf-8" && r.Sniff != nil && r.Sniff.LooksLikeWindows1252()
	switch {
	case w1252:
		bad := check.Count(csvspec.CodeInvalidUTF8)
		return fmt.Sprintf(`not sent: the file is not UTF-8 (%d invalid %s, the first on line %d) but reads as Windows-1252, Excel's "CSV" on Windows: run again with %s`,
			bad, plural(bad, "value", "values"), first(check, csvspec.CodeInvalidUTF8).Line, n.Set("encoding", "windows-1252"))
	case check != nil && check.NumErrors() > 0 && r.Listed:
		return fmt.Sprintf("not sent: the file has %d %s (listed above); fix %s and run again", check.NumErrors(), plural(check.NumErrors(), "error", "errors"), plural(check.NumErrors(), "it", "them"))
	case check != nil && check.NumErrors() > 0:
		return fmt.Sprintf("not sent: the file has %d %s: %s", check.NumErrors(), plural(check.NumErrors(), "error", "errors"), n.Problem(first(check, ""), r.School, r.Err))
	}
	msg := strings.TrimSuffix(n.Message(r.Err), ".")
	if !strings.Contains(msg, "nothing was sent") {
		msg += ". Nothing was sent"
	}
	if strings.HasSuffix(msg, "?") { // "did you mean ...?"
		return msg
	}
	return msg + "."
}

// heldLine says what the guard held and how to release it.
func (n Names) heldLine(rep *syncjob.Report) string {
	msg := "held: the guard held the users who would lose something"
	if rep != nil && rep.Refusal != nil {
		e := rep.Refusal
		held := e.Held
		if held == 0 {
			held = e.Losing
		}
		verb := "held"
		if !rep.Sent {
			verb = "would hold"
		}
		msg = fmt.Sprintf("%s %d %s who would lose something, of the %d Infiniti last accepted (%d gone from the export, %d losing part of what they had): more than the limit of %s (at most %d users)",
			verb, held, plural(held, "user", "users"), e.LastUsers, e.Gone, e.Shrinking, e.Limit, e.Allowed)
	}
	switch {
	case rep != nil && rep.Sent:
		msg += fmt.Sprintf("; %d %s sent for the users who lose nothing", rep.RowsSent, plural(rep.RowsSent, "row was", "rows were"))
	case rep != nil:
		msg += "; the users who lose nothing would be sent"
	}
	msg += ". Release the held users with " + n.Name("force") + ", or a higher " + n.Name("max_removals")
	if rep != nil && rep.Refusal != nil && 2*rep.Refusal.Shrinking >= rep.Refusal.LastUsers {
		msg += " (a new school year looks like this: most students lose their old year group)"
	}
	return msg
}

// cancelledLine says why a run stopped before its end.
func (n Names) cancelledLine(r Run) string {
	msg := fmt.Sprintf("gave up after %s %s; raise %[1]s if the file is large or Infiniti is slow to answer", n.Name("timeout"), r.Timeout)
	if r.Signal {
		msg = "stopped by a signal; the journal records the run as cancelled"
	}
	if r.Report != nil && r.Report.Sent {
		msg += ". Infiniti may have imported the file without its answer arriving; the next run sends it again, which is safe"
	}
	return msg
}

// planProblemsLine says what a plan or a check found in rows.
func (n Names) planProblemsLine(rep *syncjob.Report, check *csvspec.Report) string {
	if rep.HeldForProblems == 0 {
		return fmt.Sprintf("%d %s (listed above) and would not be sent; the others would be. Fix the rows in the SMS", check.NumErrors(), plural(check.NumErrors(), "row has problems", "rows have problems"))
	}
	return fmt.Sprintf("%d %s (listed above): %s held for them, and the others would be sent. Fix the rows in the SMS, or those users are held on every run",
		check.NumErrors(), plural(check.NumErrors(), "row has problems", "rows have problems"), plural(rep.HeldForProblems, "1 user would be", fmt.Sprintf("%d users would be", rep.HeldForProblems)))
}

// rowsFailedLine counts the rows held for problems and the rows Infiniti
// failed, and names the largest cause.
func (n Names) rowsFailedLine(rep *syncjob.Report, check *csvspec.Report) string {
	var parts []string
	failed := rep.FailureCount
	if check != nil && check.NumErrors() > 0 {
		failed -= check.NumErrors()
		parts = append(parts, fmt.Sprintf("%d %s (listed above) not sent: %d %s held, and the others were sent",
			check.NumErrors(), plural(check.NumErrors(), "row with a problem", "rows with problems"), rep.HeldForProblems, plural(rep.HeldForProblems, "user", "users")))
	}
	if failed > 0 {
		msg := fmt.Sprintf("%d %s failed", failed, plural(failed, "row", "rows"))
		for _, c := range rep.Causes() {
			if c.Code == syncjob.CodeRowFailed || c.Code == syncjob.CodeUnknownOutcome {
				msg += "; " + Quote(c.String())
				break
			}
		}
		parts = append(parts, msg)
	}
	if len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%d %s failed", rep.FailureCount, plural(rep.FailureCount, "row", "rows")))
	}
	return strings.Join(parts, "; ")
}

// CutOff says where an export looks cut off: "the export looks cut off
// at line N", or, for a file that ends inside quotes, "either the export
// was cut off, or line N has an unclosed quote".
func (n Names) CutOff(pe *csvspec.ParseError) string {
	if pe.Code == csvspec.CodeUnclosedQuote {
		return fmt.Sprintf("either the export was cut off, or line %d has an unclosed quote", pe.Line)
	}
	return fmt.Sprintf("the export looks cut off at line %d", pe.Line)
}

// first returns the first problem of code in rep, or its first error if
// code is "".
func first(rep *csvspec.Report, code string) csvspec.Problem {
	for _, p := range rep.Problems {
		if p.Code == code || code == "" && p.Severity == csvspec.SeverityError {
			return p
		}
	}
	return csvspec.Problem{}
}

// plural returns one or many by n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// NotReapplied returns the line for a night of no updates whose job's
// last run, the last of runs, did not apply all of its package (held,
// refused, invalid-file or rows-failed): the night does not apply that
// package again. It returns "" for any other last run.
func (n Names) NotReapplied(runs []syncjob.Run) string {
	if len(runs) == 0 {
		return ""
	}
	last := runs[len(runs)-1]
	again := "send that package again once it is fixed"
	switch last.Outcome {
	case syncjob.OutcomeHeld:
		again = "send that package again with " + n.Name("force") + " to apply what was held"
	case syncjob.OutcomeRefused, syncjob.OutcomeInvalidFile, syncjob.OutcomeRowsFailed:
	default:
		return ""
	}
	return fmt.Sprintf("The last run (%s) ended %s, and a night of no updates does not apply its package again: %s.", last.End.Local().Format("2006-01-02 15:04"), last.Outcome, again)
}
