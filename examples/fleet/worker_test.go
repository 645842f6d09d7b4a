package fleet

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river"
)

// river describes what River does with a Work error, for comparison.
func riverDoes(err error) string {
	var snooze *river.JobSnoozeError
	var cancel *river.JobCancelError
	switch {
	case err == nil:
		return "complete"
	case errors.As(err, &snooze):
		return fmt.Sprintf("snooze %v", snooze.Duration)
	case errors.As(err, &cancel):
		return "cancel: " + err.Error()
	}
	return "retry: " + err.Error()
}

func TestVerdict(t *testing.T) {
	now := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
	answer := 10 * time.Minute
	sent := client.Stats{HandedOver: true}
	tests := []struct {
		name   string
		rep    *syncjob.Report
		err    error
		advice string
		river  string
	}{
		{"ok", &syncjob.Report{Outcome: syncjob.OutcomeOK}, nil, "done", "complete"},
		{"rows failed", &syncjob.Report{Outcome: syncjob.OutcomeRowsFailed}, nil, "done", "complete"},
		{"held", &syncjob.Report{Outcome: syncjob.OutcomeHeld}, nil, "done", "complete"},
		{"transport error", &syncjob.Report{Outcome: syncjob.OutcomeTransportError}, errors.New("dial refused"), "retry", "retry: transport-error: dial refused"},
		{"locked by a run", &syncjob.Report{Outcome: syncjob.OutcomeLocked}, nil, "retry", "retry: locked: nothing reached Infiniti"},
		{"locked by a post in flight", &syncjob.Report{Outcome: syncjob.OutcomeLocked, LockedUntil: now.Add(25 * time.Minute)}, nil, "wait", "snooze 25m0s"},
		{"in flight ends soon: at least the answer limit", &syncjob.Report{Outcome: syncjob.OutcomeLocked, LockedUntil: now.Add(time.Minute)}, nil, "wait", "snooze 10m0s"},
		{"no answer", &syncjob.Report{Outcome: syncjob.OutcomeNoAnswer, Sent: true, HTTP: sent, LockedUntil: now.Add(20 * time.Minute)}, nil, "wait", "snooze 20m0s"},
		{"no answer, 413", &syncjob.Report{Outcome: syncjob.OutcomeNoAnswer, Sent: true, HTTP: client.Stats{StatusCode: 413, HandedOver: true}}, nil, "fix-config", "cancel: JobCancelError: no-answer: a person acts before the next night"},
		{"cancelled after the handover", &syncjob.Report{Outcome: syncjob.OutcomeCancelled, Sent: true, HTTP: sent}, nil, "wait", "snooze 10m0s"},
		{"cancelled before", &syncjob.Report{Outcome: syncjob.OutcomeCancelled}, nil, "retry", "retry: cancelled: nothing reached Infiniti"},
		{"auth error", &syncjob.Report{Outcome: syncjob.OutcomeAuthError}, nil, "fix-config", "cancel: JobCancelError: auth-error: a person acts before the next night"},
		{"refused", &syncjob.Report{Outcome: syncjob.OutcomeRefused}, nil, "fix-export", "cancel: JobCancelError: refused: a person acts before the next night"},
		{"invalid file", &syncjob.Report{Outcome: syncjob.OutcomeInvalidFile}, errors.New("bad header"), "fix-export", "cancel: JobCancelError: bad header"},
		{"journal error", &syncjob.Report{Outcome: syncjob.OutcomeJournalError}, nil, "fix-config", "cancel: JobCancelError: journal-error: a person acts before the next night"},
		{"source down", nil, sourceError{errors.New("db down")}, "retry", "retry: school source: db down"},
		{"no such school", nil, sourceError{fmt.Errorf("s1: %w", ErrNoSchool)}, "fix-config", "cancel: JobCancelError: school source: s1: no such school"},
		{"bad config", nil, errors.New("applies: bad"), "fix-config", "cancel: JobCancelError: applies: bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Verdict(tt.rep, tt.err, answer, now)
			got := []string{out.Advice, riverDoes(err)}
			if diff := cmp.Diff([]string{tt.advice, tt.river}, got); diff != "" {
				t.Errorf("Verdict (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTimeouts(t *testing.T) {
	for _, answer := range []time.Duration{2 * time.Second, 10 * time.Minute} {
		job, rescue := Timeouts(answer)
		// The job timeout is above the answer limit plus the upload
		// bound (half the answer limit), the rescue delay above it.
		if job <= answer+answer/2 || rescue <= job {
			t.Errorf("Timeouts(%v) = %v, %v; want job > %v and rescue > job", answer, job, rescue, answer+answer/2)
		}
	}
}
