package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/csvspec"
)

func TestExit(t *testing.T) {
	tests := []struct {
		in       string
		wantCode int
	}{
		{"ok", 0},
		{"rows-failed", 1},
		{"invalid-file", 2},
		{"invalid-config", 2},
		{"usage", 2},
		{"refused", 4},
		{"held", 4},
		{"no-answer", 3},
		{"transport-error", 3},
		{"auth-error", 3},
		{"locked", 3},
		{"cancelled", 3},
		{"journal-error", 3},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.wantCode, Exit(syncjobOutcome(tt.in))); diff != "" {
			t.Errorf("Exit(%s) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestOutcomeOf(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, "ok"},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), "cancelled"},
		{fmt.Errorf("x: %w", client.ErrUnauthorized), "auth-error"},
		{fmt.Errorf("x: %w", &client.StatusError{StatusCode: 404}), "no-answer"},
		{fmt.Errorf("x: %w", client.ErrResponseTimeout), "no-answer"},
		{errors.New("dial"), "transport-error"},
	}
	for _, tt := range tests {
		if got := OutcomeOf(tt.err); string(got) != tt.want {
			t.Errorf("OutcomeOf(%v) = %s, want %s", tt.err, got, tt.want)
		}
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Import done. 3 created.", "Import done. 3 created."},
		{"  trimmed \n", "trimmed"},
		{"two\nlines", `"two\nlines"`},
		{"\x1b[31mred", `"\x1b[31mred"`},
		{strings.Repeat("é", 600), strings.Repeat("é", 499) + "…"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Quote(tt.in)); diff != "" {
			t.Errorf("Quote(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// syncjobOutcome converts a string for the tables above.
func syncjobOutcome(s string) syncjob.Outcome { return syncjob.Outcome(s) }

// TestVerdict: each way a run ends gets its exit code and one line in the
// program's words.
func TestVerdict(t *testing.T) {
	check := &csvspec.Report{Problems: []csvspec.Problem{{Row: 2, Line: 3, Code: csvspec.CodeMissingUsername, Severity: csvspec.SeverityError, Message: "the username is empty"}}}
	tests := []struct {
		name     string
		run      Run
		names    Names
		wantCode int
		want     string // a fragment of the line
	}{
		{"ok", Run{Report: &syncjob.Report{Outcome: syncjob.OutcomeOK}}, Flags, 0, ""},
		{"check errors, listed", Run{Report: &syncjob.Report{Outcome: syncjob.OutcomeInvalidFile, Check: check}, Listed: true}, Flags, 2, "not sent: the file has 1 error (listed above); fix it and run again"},
		{"check errors, not listed", Run{Report: &syncjob.Report{Outcome: syncjob.OutcomeInvalidFile, Check: check}}, ConfigFields, 2, "not sent: the file has 1 error: line 3: error: the username is empty"},
		{"decoding", Run{Report: &syncjob.Report{Outcome: syncjob.OutcomeInvalidFile}, Decode: errors.New("line 2 holds bytes that are not valid")}, Flags, 2, "line 2 holds bytes"},
		{"timeout after the post", Run{Report: &syncjob.Report{Outcome: syncjob.OutcomeCancelled, Sent: true}, Err: context.DeadlineExceeded, Timeout: time.Minute}, Flags, 3, "gave up after -timeout 1m0s; raise -timeout if the file is large or Infiniti is slow to answer. Infiniti may have imported the file"},
		{"a signal", Run{Report: &syncjob.Report{Outcome: syncjob.OutcomeCancelled}, Err: context.Canceled, Signal: true}, Flags, 3, "stopped by a signal"},
		{"no answer", Run{Report: &syncjob.Report{Outcome: syncjob.OutcomeNoAnswer, Sent: true}, Err: fmt.Errorf("x: %w", &client.StatusError{StatusCode: 502, Attempts: 3})}, Flags, 3, "Infiniti answered 502 Bad Gateway after 3 attempts. The file was handed over"},
		{"refused", Run{Report: &syncjob.Report{Outcome: syncjob.OutcomeRefused, Refusal: &syncjob.LimitError{Empty: true, LastUsers: 640}}}, ConfigFields, 4, "refused: the export has no rows, but Infiniti last accepted 640 users"},
		{"held on a rollover night", Run{Report: &syncjob.Report{Outcome: syncjob.OutcomeHeld, Sent: true, RowsSent: 15, Refusal: &syncjob.LimitError{Held: 180, Losing: 180, Shrinking: 170, Gone: 10, LastUsers: 200, Allowed: 20}}}, Flags, 4, "held 180 users who would lose something, of the 200 Infiniti last accepted (10 gone from the export, 170 losing part of what they had): more than the limit of 10% (at most 20 users); 15 rows were sent for the users who lose nothing. Release the held users with -force, or a higher -max-removals (a new school year looks like this: most students lose their old year group)"},
		{"wrong file", Run{Report: &syncjob.Report{Outcome: syncjob.OutcomeRefused, Refusal: &syncjob.LimitError{WrongFile: true, LastUsers: 400, Gone: 390, New: 410}}}, Flags, 4, "refused: the export looks like the wrong file: of the 400 users Infiniti last accepted, 390 are gone from it, and it has 410 new users. Nothing was sent. Check the export; if it is the right one, run once with -force"},
		{"held", Run{Report: &syncjob.Report{Outcome: "held", Refusal: &syncjob.LimitError{Losing: 30, Gone: 30, LastUsers: 200, Allowed: 20}}}, Flags, 4, "would hold 30 users who would lose something, of the 200 Infiniti last accepted (30 gone from the export, 0 losing part of what they had): more than the limit of 10% (at most 20 users)"},
		{"held, no counts", Run{Report: &syncjob.Report{Outcome: "held", Sent: true}}, ConfigFields, 4, "0 rows were sent for the users who lose nothing. Release the held users with examples/sync -force"},
		{"held for row problems", Run{Report: &syncjob.Report{Outcome: syncjob.OutcomeRowsFailed, Sent: true, HeldForProblems: 1, FailureCount: 1, Check: check}}, Flags, 1, "1 row with a problem (listed above) not sent: 1 user held, and the others were sent"},
		{"a plan with row problems", Run{Report: &syncjob.Report{Outcome: syncjob.OutcomeRowsFailed, HeldForProblems: 1, FailureCount: 1, Check: check}}, Flags, 1, "1 row has problems (listed above): 1 user would be held for them"},
		{"cut off", Run{Report: &syncjob.Report{Outcome: syncjob.OutcomeRefused}, Err: fmt.Errorf("x: %w", &csvspec.ParseError{Line: 7, Code: csvspec.CodeCutOff})}, Flags, 4, "refused: the export looks cut off at line 7; nothing was sent. Check the export from the SMS and run again (-force does not go past this)"},
		{"unclosed quote", Run{Report: &syncjob.Report{Outcome: syncjob.OutcomeRefused}, Err: &csvspec.ParseError{Line: 9, Code: csvspec.CodeUnclosedQuote}}, ConfigFields, 4, "refused: either the export was cut off, or line 9 has an unclosed quote"},
		{"contacts mode not known", Run{School: School{Import: ImportContacts, ContactsMode: "replaceAll"}, Err: fmt.Errorf("x: %w", client.ErrNotFound)}, Flags, 3, `or this Infiniti does not know -contacts-mode "replaceAll"`},
	}
	for _, tt := range tests {
		_, code, msg := tt.names.Verdict(tt.run)
		if code != tt.wantCode || !strings.Contains(msg, tt.want) || (tt.want == "") != (msg == "") {
			t.Errorf("%s: Verdict = %d, %q; want %d and a line holding %q", tt.name, code, msg, tt.wantCode, tt.want)
		}
	}
}

// TestNotReapplied: a night of no updates after a run that did not
// apply all of its package says so, with -force after a held one.
func TestNotReapplied(t *testing.T) {
	end := time.Date(2026, 12, 7, 2, 30, 0, 0, time.Local)
	tests := []struct {
		last syncjob.Outcome
		want string
	}{
		{syncjob.OutcomeHeld, "The last run (2026-12-07 02:30) ended held, and a night of no updates does not apply its package again: send that package again with -force to apply what was held."},
		{syncjob.OutcomeRowsFailed, "The last run (2026-12-07 02:30) ended rows-failed, and a night of no updates does not apply its package again: send that package again once it is fixed."},
		{syncjob.OutcomeRefused, "The last run (2026-12-07 02:30) ended refused, and a night of no updates does not apply its package again: send that package again once it is fixed."},
		{syncjob.OutcomeInvalidFile, "The last run (2026-12-07 02:30) ended invalid-file, and a night of no updates does not apply its package again: send that package again once it is fixed."},
		{syncjob.OutcomeOK, ""},
		{syncjob.OutcomeNoAnswer, ""},
		{"", ""}, // no run
	}
	for _, tt := range tests {
		var runs []syncjob.Run
		if tt.last != "" {
			runs = []syncjob.Run{{Outcome: syncjob.OutcomeOK}, {Outcome: tt.last, End: end}}
		}
		if diff := cmp.Diff(tt.want, Flags.NotReapplied(runs)); diff != "" {
			t.Errorf("after %q (-want +got):\n%s", tt.last, diff)
		}
	}
}
