package syncjob

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
	"github.com/google/go-cmp/cmp"
)

// TestJobStaffReport: Job.StaffReport gets the report of a run that plans
// or refuses, before the run is recorded, and a report it could not
// write is in the run record without changing the outcome.
func TestJobStaffReport(t *testing.T) {
	errDisk := errors.New("disk full")
	tests := []struct {
		name      string
		writeErr  error
		export    string
		outcome   Outcome
		wantInLog string // the run record's StaffReportError
	}{
		{name: "written", export: toCSV(school(3)), outcome: OutcomeOK},
		{name: "not written", writeErr: errDisk, export: toCSV(school(3)), outcome: OutcomeOK, wantInLog: "the staff report was not written: disk full"},
		{name: "refused, not written", writeErr: errDisk, export: "username,library-group,system-group\n", outcome: OutcomeRefused, wantInLog: "the staff report was not written: disk full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newFake(t, clienttest.ApplyReplace)
			j := NewMemJournal()
			if _, err := run(t, &Job{Client: c, Journal: j}, toCSV(school(3))); err != nil {
				t.Fatal(err)
			}
			before, _ := j.Runs(context.Background(), (&Job{Client: c}).Key(), 0)
			var got bytes.Buffer
			recorded := -1 // runs in the log when the report was written
			job := &Job{Client: c, Journal: j, StaffReport: func(write func(io.Writer) error) error {
				runs, _ := j.Runs(context.Background(), (&Job{Client: c}).Key(), 0)
				recorded = len(runs)
				if err := write(&got); err != nil {
					return err
				}
				return tt.writeErr
			}}
			rep, _ := run(t, job, tt.export)
			if rep.Outcome != tt.outcome || rep.Run == nil {
				t.Fatalf("outcome %s, record %v", rep.Outcome, rep.Run)
			}
			if diff := cmp.Diff(tt.wantInLog, rep.Run.StaffReportError); diff != "" {
				t.Errorf("StaffReportError (-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(got.String(), "\ufeffusername,") || recorded != len(before) {
				t.Errorf("report written with %d runs in the log, want %d (those of the first run): %q", recorded, len(before), got.String())
			}
		})
	}
}

// TestRunRecordLongSummary: a server answering with a huge summary leaves
// a short record (its counts, not its text), so that History and the next
// run's Health still read the log.
func TestRunRecordLongSummary(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("sends a 17 MiB answer: runs once, without -short and -race")
	}
	tests := []struct {
		name    string
		summary string
	}{
		{"17 MiB of ASCII", strings.Repeat("a", 17<<20)},
		{"17 MiB of two-byte runes", strings.Repeat("é", 17<<19)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// A clear answer (counts of the rows posted), then the long text.
				n := -1
				if mr, err := r.MultipartReader(); err == nil {
					if p, err := mr.NextPart(); err == nil {
						recs, _ := csv.NewReader(p).ReadAll()
						n += len(recs)
					}
				}
				_, _ = io.Copy(io.Discard, r.Body)
				summary := fmt.Sprintf("%d users processed. 0 users created. %d users updated. 0 users failed. %s", n, n, tt.summary)
				body, _ := json.Marshal(map[string]any{"success": true, "summary": summary})
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(body)
			}))
			defer srv.Close()
			c, err := client.New(srv.URL, client.WithBasicAuth("autoimport", "s3cret-Passw0rd"), client.WithRetry(client.RetryPolicy{}))
			if err != nil {
				t.Fatal(err)
			}
			j, err := OpenDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			job := &Job{Client: c, Journal: j}
			for i := range 2 {
				rep, err := run(t, job, toCSV(school(10)))
				if err != nil || rep.Outcome != OutcomeOK {
					t.Fatalf("run %d: outcome %s, %v", i, rep.Outcome, err)
				}
				if rep.Health.LastSuccess.IsZero() || rep.Health.FailuresSince != 0 {
					t.Fatalf("run %d: health %+v, want a last success and no failure since", i, rep.Health)
				}
				if r := rep.Run.Result; r.Summary != "" || r.Processed != rep.RowsSent {
					t.Fatalf("run %d: the record keeps a summary of %d bytes and %d rows processed; want none, and %d", i, len(r.Summary), r.Processed, rep.RowsSent)
				}
			}
			runs, h, err := job.History(context.Background(), 0)
			if err != nil || len(runs) != 2 || h.LastSuccess.IsZero() {
				t.Fatalf("History: %d runs, health %+v, %v; want 2 runs and a last success", len(runs), h, err)
			}
		})
	}
}

// TestRunRecordNoStudentData: a run record's Error tells a bad export and
// failed rows by codes and counts, without the values or Infiniti's
// messages that name students.
func TestRunRecordNoStudentData(t *testing.T) {
	const secret = "secret.student"
	var rows strings.Builder
	rows.WriteString("username,library-group,system-group\n")
	for i := range 30 {
		fmt.Fprintf(&rows, "%s%02d,House Red,Year 7\n", secret, i)
	}
	answer := func(success bool, summary, details string) *clienttest.Fault {
		body := fmt.Sprintf(`{"success":%v,"summary":%q,"details":{%s}}`, success, summary, details)
		if details == "" {
			body = fmt.Sprintf(`{"success":%v,"summary":%q}`, success, summary)
		}
		return &clienttest.Fault{Status: 200, ContentType: "application/json", Body: body}
	}
	fewer := strings.Join(strings.Split(rows.String(), "\n")[:20], "\n") + "\n" + secret + "99,House Red,Year 7\n"
	tests := []struct {
		name    string
		first   string // an earlier night's export, if any
		fault   *clienttest.Fault
		export  string
		outcome Outcome
		want    string // in the record's Error
	}{
		{name: "an invisible character in a username", export: "username,library-group,system-group\n" + secret + "\u200b,House Red,Year 7\n,House Red,Year 7\n",
			outcome: OutcomeRowsFailed, want: "format-character: 1, missing-username: 1"},
		{name: "a row that cannot be read", export: "username,library-group,system-group\n" + secret + ",\"House\n",
			outcome: OutcomeRefused, want: "cut off"},
		{name: "rows Infiniti failed", export: rows.String(), outcome: OutcomeRowsFailed, want: "Infiniti failed 30 rows of the 30 rows sent (row-failed: 30)"},
		{name: "an answer that leaves a row without an outcome", export: "username,library-group,system-group\nann,House Red,\nbob,House Red,\n",
			fault:   answer(false, "2 users processed. 0 users created. 0 users updated. 1 user failed.", `"1":"User ann (`+secret+`, born 2011) failed to import: locked"`),
			outcome: OutcomeNoAnswer, want: "1 row failed (row-failed: 1)"},
		{name: "a summary that names a user", export: "username,library-group,system-group\nann,House Red,\n",
			fault:   answer(true, "1 user processed. 0 users created. 1 user updated. 0 users failed. Updated "+secret, ""),
			outcome: OutcomeOK},
		{name: "a failed row on a night the guard held others", first: rows.String(), export: fewer,
			fault:   answer(false, "1 user processed. 0 users created. 0 users updated. 1 user failed.", `"1":"User `+secret+`99 failed to import: locked"`),
			outcome: OutcomeHeld, want: "Infiniti failed 1 row of the 1 row sent (row-failed: 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []clienttest.Option
			if tt.first == "" {
				opts = append(opts, clienttest.WithUsers("someone-else", "ann"))
			}
			srv, c := newFake(t, clienttest.ApplyAdd, opts...)
			job := &Job{Client: c, Journal: NewMemJournal(), now: later}
			if tt.first != "" {
				if _, err := run(t, job, tt.first); err != nil {
					t.Fatal(err)
				}
			}
			if tt.fault != nil {
				srv.Fail(1, *tt.fault)
			}
			rep, err := run(t, job, tt.export)
			if rep.Outcome != tt.outcome || rep.Run == nil {
				t.Fatalf("outcome %s, record %v (%v); want %s", rep.Outcome, rep.Run, err, tt.outcome)
			}
			if strings.Contains(rep.Run.Error, secret) || !strings.Contains(rep.Run.Error, tt.want) {
				t.Errorf("record Error %q: want %q and no username", rep.Run.Error, tt.want)
			}
			if len(rep.Run.FailedUsernames) > maxFailedUsernames {
				t.Errorf("%d usernames recorded", len(rep.Run.FailedUsernames))
			}
			r := *rep.Run
			r.FailedUsernames = nil // the one place a record names users
			if b, _ := json.Marshal(r); strings.Contains(string(b), secret) {
				t.Errorf("the record names a user: %s", b)
			}
		})
	}
}

// TestRunRecordStatusErrorNoBody: the record of a run that Infiniti
// answered without a usable result names the status, not the body, which
// may name students.
func TestRunRecordStatusErrorNoBody(t *testing.T) {
	const secret = "secret.student"
	tests := []struct {
		name    string
		fault   clienttest.Fault
		outcome Outcome
		want    string
	}{
		{"a 500 text body", clienttest.Fault{Status: 500, Body: "NullReferenceException for user " + secret},
			OutcomeNoAnswer, "Infiniti answered 500 Internal Server Error without a usable result (the body is not recorded: it may name students)"},
		{"a 200 whose details are objects", clienttest.Fault{Status: 200, ContentType: "application/json",
			Body: `{"success":true,"details":[{"user":"` + secret + `"}]}`},
			OutcomeNoAnswer, "Infiniti answered 200 OK without a usable result (the body is not recorded: it may name students)"},
		{"a 401", clienttest.Fault{Status: 401, Body: "no such user " + secret},
			OutcomeAuthError, "Infiniti answered 401 Unauthorized without a usable result"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t, clienttest.ApplyAdd)
			srv.Fail(1, tt.fault)
			rep, err := run(t, &Job{Client: c, Journal: NewMemJournal()}, toCSV(school(3)))
			if rep.Outcome != tt.outcome || rep.Run == nil {
				t.Fatalf("outcome %s, record %v (%v); want %s", rep.Outcome, rep.Run, err, tt.outcome)
			}
			if strings.Contains(rep.Run.Error, secret) || !strings.Contains(rep.Run.Error, tt.want) {
				t.Errorf("record Error %q: want %q and no username", rep.Run.Error, tt.want)
			}
		})
	}
}

// TestCutText: texts are cut on a rune boundary, within the limit.
func TestCutText(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijkl", 10, "abcdefg…"},
		{"ééééééé", 10, "éééé…"[:6] + "…"},
		{"€€€€", 9, "€€…"},
		{"a€€€", 9, "a€…"},
	}
	for _, tt := range tests {
		got := cutText(tt.in, tt.n)
		if got != tt.want || len(got) > tt.n || !utf8.ValidString(got) {
			t.Errorf("cutText(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

// stuckHealth is a MemJournal whose Health waits until its context is
// done, as a journal with no free connection does.
type stuckHealth struct{ *MemJournal }

func (stuckHealth) Health(ctx context.Context, _ Key) (Health, error) {
	<-ctx.Done()
	return Health{}, ctx.Err()
}

// TestRecordHealthLimit: a journal that cannot give the health after a
// run leaves Report.Health zero once healthLimit is over, rather than
// holding the run for ever.
func TestRecordHealthLimit(t *testing.T) {
	defer func(d time.Duration) { healthLimit = d }(healthLimit)
	healthLimit = time.Millisecond
	_, c := newFake(t, clienttest.ApplyReplace)
	rep, err := run(t, &Job{Client: c, Journal: stuckHealth{NewMemJournal()}}, toCSV(school(3)))
	if err != nil || rep.Outcome != OutcomeOK || rep.Run == nil || rep.Health != (Health{}) {
		t.Errorf("run = %v, outcome %s, record %v, health %+v; want ok, recorded, zero health", err, rep.Outcome, rep.Run, rep.Health)
	}
}
