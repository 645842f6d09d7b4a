package fleet

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/csvspec"
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
		{"journal error: a passing fault of the database", &syncjob.Report{Outcome: syncjob.OutcomeJournalError}, errors.New("conn reset"), "retry", "retry: journal-error: conn reset"},
		{"source down", nil, sourceError{errors.New("db down")}, "retry", "retry: school source: db down"},
		{"no such school: disabled after the night was enqueued", nil, sourceError{fmt.Errorf("s1: %w", ErrNoSchool)}, "done", "complete"},
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

// schoolMap is a SchoolSource of fixed schools; "down" fails.
type schoolMap map[string]School

func (m schoolMap) Tonight(context.Context) ([]string, error) {
	return slices.Sorted(maps.Keys(m)), nil
}
func (m schoolMap) School(_ context.Context, id string) (School, error) {
	if id == "down" {
		return School{}, errors.New("the vendor's database is down")
	}
	s, ok := m[id]
	if !ok {
		return School{}, fmt.Errorf("%s: %w", id, ErrNoSchool)
	}
	return s, nil
}

// TestWorkerRun runs schools against the fake Infiniti, without River:
// each one's outcome and advice.
func TestWorkerRun(t *testing.T) {
	srv := clienttest.NewServer(clienttest.WithUsers("u1", "u2"), clienttest.WithLibraryGroups("Students"), clienttest.WithSystemGroups("Year 7", "Year 8"),
		clienttest.WithTenants("ok", "rows", "missing", "nocreds", "wrongpw", "vault"))
	defer srv.Close()
	tr, err := client.NewTransport(client.WithRootCAs(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
	if err != nil {
		t.Fatal(err)
	}
	creds := func(user, password string, err error) func(context.Context) (string, string, error) {
		return func(context.Context) (string, string, error) { return user, password, err }
	}
	good := creds(clienttest.DefaultUsername, clienttest.DefaultPassword, nil)
	rows := func(yield func(csvspec.SourceRow, error) bool) {
		yield(csvspec.SourceRow{Line: 1, Fields: []string{"u1", "Students", "Year 7"}}, nil)
	}
	src := schoolMap{
		"ok":       {ID: "ok", URL: srv.URL, Tenant: "ok", Credentials: good, Export: "testdata/school.csv", Applies: "replace"},
		"rows":     {ID: "rows", URL: srv.URL, Tenant: "rows", Credentials: good, Rows: rows},
		"missing":  {ID: "missing", URL: srv.URL, Tenant: "missing", Credentials: good, Export: "testdata/missing.csv"},
		"nocreds":  {ID: "nocreds", URL: srv.URL, Tenant: "nocreds", Credentials: creds("", "", fmt.Errorf("vault: %w", client.ErrNoCredentials)), Export: "testdata/school.csv"},
		"wrongpw":  {ID: "wrongpw", URL: srv.URL, Tenant: "wrongpw", Credentials: creds("autoimport", "wrong", nil), Export: "testdata/school.csv"},
		"vault":    {ID: "vault", URL: srv.URL, Tenant: "vault", Credentials: creds("", "", errors.New("vault sealed")), Export: "testdata/school.csv"},
		"applies":  {ID: "applies", URL: srv.URL, Credentials: good, Export: "testdata/school.csv", Applies: "sometimes"},
		"rowsrule": {ID: "rowsrule", URL: srv.URL, Credentials: good, Rows: rows, Rules: "rules.json"},
	}
	w := &Worker{Source: src, Journal: syncjob.NewMemJournal(), Transport: tr}
	want := map[string]string{
		"ok": "ok done", "rows": "ok done", "missing": "invalid-file fix-export",
		"nocreds": "auth-error fix-config", "wrongpw": "auth-error fix-config", "vault": "transport-error retry",
		"applies": "invalid-config fix-config", "rowsrule": "invalid-config fix-config",
		"down": "source-error retry", "gone": "no-school done",
	}
	got := map[string]string{}
	for id := range want {
		rep, err := w.run(context.Background(), id)
		out, _ := Verdict(rep, err, time.Minute, time.Now())
		got[id] = out.Outcome + " " + out.Advice
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcome and advice per school (-want +got):\n%s", diff)
	}
}

func TestWorkerGiveUp(t *testing.T) {
	tests := []struct {
		name     string
		advice   string
		metadata string
		max      int
		want     string
	}{
		{"first wait", "wait", `{}`, 0, "snooze 1m0s"},
		{"fifth wait", "wait", `{"snoozes": 5}`, 0, "snooze 1m0s"},
		{"seventh wait", "wait", `{"snoozes": 6}`, 0, "cancel: JobCancelError: no-answer 7 times; the next night tries again"},
		{"MaxWaits 2", "wait", `{"snoozes": 2}`, 2, "cancel: JobCancelError: no-answer 3 times; the next night tries again"},
		{"not a wait", "retry", `{"snoozes": 9}`, 0, "snooze 1m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := Output{Outcome: "no-answer", Advice: tt.advice, Until: time.Now()}
			got := riverDoes((&Worker{MaxWaits: tt.max}).giveUp(&out, river.JobSnooze(time.Minute), []byte(tt.metadata)))
			if got != tt.want {
				t.Errorf("giveUp = %q, want %q", got, tt.want)
			}
		})
	}
}
