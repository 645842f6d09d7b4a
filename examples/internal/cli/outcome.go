package cli

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/result"
)

// The outcomes the programs know besides those syncjob records today.
const (
	// OutcomeHeld: the guard held losses; what took nothing away was sent.
	OutcomeHeld syncjob.Outcome = "held"
	// OutcomeNoAnswer: the file was handed over and no clear answer came,
	// such as a status other than 2xx (401 is auth-error).
	OutcomeNoAnswer syncjob.Outcome = "no-answer"
	// OutcomeInvalidConfig: multitenant's school whose entry, or a file it
	// names, is wrong; its job did not run.
	OutcomeInvalidConfig syncjob.Outcome = "invalid-config"
	// OutcomeUsage: a flag, or a file a flag names, is wrong; nothing ran.
	OutcomeUsage syncjob.Outcome = "usage"
)

// Exit returns the outcome of a run that ended with o and err, and its
// exit code: the only place the programs map outcomes to exit codes. A
// rows-failed run whose answer was a status other than 2xx is no-answer:
// Infiniti did not say which rows it took.
//
//	0 ok
//	1 rows-failed
//	2 invalid-file, invalid-config, usage (nothing was sent)
//	3 no-answer, transport-error, auth-error, locked, cancelled, journal-error
//	4 refused (nothing was sent), held (partly sent)
func Exit(o syncjob.Outcome, err error) (syncjob.Outcome, int) {
	if o == syncjob.OutcomeRowsFailed && errors.As(err, new(*client.StatusError)) {
		o = OutcomeNoAnswer
	}
	switch o {
	case syncjob.OutcomeOK:
		return o, ExitOK
	case syncjob.OutcomeRowsFailed:
		return o, ExitRowsFail
	case syncjob.OutcomeInvalidFile, OutcomeInvalidConfig, OutcomeUsage:
		return o, ExitUsage
	case syncjob.OutcomeRefused, OutcomeHeld:
		return o, ExitRefused
	}
	return o, ExitTransport
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
		return OutcomeNoAnswer
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
