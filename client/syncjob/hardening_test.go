package syncjob

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/clienttest"
)

// TestRunRecordLongSummary: a server answering with a huge summary leaves
// a short record (its counts, not its text), so that History and the next
// run's Health still read the log.
func TestRunRecordLongSummary(t *testing.T) {
	if raceEnabled {
		t.Skip("sends a 17 MiB answer")
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

// TestDirJournalRunsSkipsBadLines: lines that are not run records, a line
// too long to read among them, cost themselves, not the log or the
// health.
func TestDirJournalRunsSkipsBadLines(t *testing.T) {
	ok := func(n int) string {
		b, _ := json.Marshal(Run{Key: testKey, Outcome: OutcomeOK, RowsSent: n, End: time.Date(2025, 3, 1, 2, 0, n, 0, time.UTC)})
		return string(b) + "\n"
	}
	refused := func(n int) string {
		b, _ := json.Marshal(Run{Key: testKey, Outcome: OutcomeRefused, RowsSent: n})
		return string(b) + "\n"
	}
	long, _ := json.Marshal(Run{Key: testKey, Outcome: OutcomeRefused, RowsSent: 99, Error: strings.Repeat("x", 17<<20)})
	tests := []struct {
		name   string
		log    string
		sent   []int
		health Health
	}{
		{"phantom records", ok(1) + "{}\nnull\n[]\n\"x\"\n" + refused(2), []int{1, 2}, Health{FailuresSince: 1}},
		{"a 17 MiB line", ok(1) + string(long) + "\n" + ok(2), []int{1, 2}, Health{}},
		{"a 17 MiB line of garbage, then a torn line", ok(1) + strings.Repeat("{", 17<<20) + "\n" + refused(2) + `{"outcome":"ok","rows_se`, []int{1, 2}, Health{FailuresSince: 1}},
		{"CRLF line ends", strings.ReplaceAll(ok(1)+refused(2), "\n", "\r\n"), []int{1, 2}, Health{FailuresSince: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := OpenDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(j.Dir(testKey), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(j.Dir(testKey), runsFile), []byte(tt.log), 0o600); err != nil {
				t.Fatal(err)
			}
			runs, err := j.Runs(context.Background(), testKey, 0)
			if err != nil {
				t.Fatal(err)
			}
			var sent []int
			for _, r := range runs {
				sent = append(sent, r.RowsSent)
			}
			if diff := cmp.Diff(tt.sent, sent); diff != "" {
				t.Errorf("runs read (-want +got):\n%s", diff)
			}
			h := healthOf(runs)
			if h.FailuresSince != tt.health.FailuresSince || h.LastSuccess.IsZero() {
				t.Errorf("health %+v, want %d failures since a last success", h, tt.health.FailuresSince)
			}
		})
	}
}

// TestHealthOfSkipsPhantoms: records without an outcome are not runs.
func TestHealthOfSkipsPhantoms(t *testing.T) {
	runs := []Run{{Outcome: OutcomeRefused}, {Outcome: OutcomeOK}, {}, {}, {Outcome: OutcomeRefused}, {}}
	if h := healthOf(runs); h.FailuresSince != 1 {
		t.Errorf("health %+v, want 1 failure since the last success", h)
	}
}

// TestJobStateLostOrDamaged: a state that is gone while the log shows a
// committed run, or that is damaged, turns no guard off: the run is
// refused (or fails) unless forced, and Force sends every row.
func TestJobStateLostOrDamaged(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, state string) // nil: nothing
		before  string                           // the export of the first run
		outcome Outcome
		noState bool // refused as a LimitError with NoState
		twice   bool // the first export is run twice
	}{
		{name: "a state of 0 bytes", damage: writeState0(""), outcome: OutcomeJournalError},
		{name: "a state of blank lines", damage: writeState0("\n\r\n\n"), outcome: OutcomeJournalError},
		{name: "a state of a byte order mark", damage: writeState0("\ufeff"), outcome: OutcomeJournalError},
		{name: "a state without its header", damage: writeState0("s00001,House Red,Year 7\n"), outcome: OutcomeJournalError},
		{name: "a state deleted after two runs", twice: true, damage: func(t *testing.T, state string) {
			if err := os.Remove(state); err != nil {
				t.Fatal(err)
			}
		}, outcome: OutcomeRefused, noState: true},
		{name: "a state deleted after a first run is a first run again", damage: func(t *testing.T, state string) {
			if err := os.Remove(state); err != nil {
				t.Fatal(err)
			}
		}, outcome: OutcomeOK},
		{name: "a state never committed (only an invalid run before)", before: "username,library-group,system-group\n,House Red,\n", outcome: OutcomeOK},
		{name: "a header alone over a committed state", damage: writeState0("username,library-group,system-group\n"), outcome: OutcomeJournalError},
		{name: "a state cut at a line boundary", damage: cutState(50), outcome: OutcomeJournalError},
		{name: "a state with a line changed", damage: func(t *testing.T, state string) {
			b, err := os.ReadFile(state)
			if err != nil {
				t.Fatal(err)
			}
			writeState0(strings.Replace(string(b), "House Red", "House Blue", 1))(t, state)
		}, outcome: OutcomeJournalError},
		{name: "a header alone is a state", before: "username,library-group,system-group\n", outcome: OutcomeOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t, clienttest.ApplyAdd)
			j, err := OpenDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			job := &Job{Client: c, Journal: j}
			before := tt.before
			if before == "" {
				before = toCSV(school(100))
			}
			_, _ = run(t, job, before)
			if tt.twice {
				_, _ = run(t, job, before)
			}
			if tt.damage != nil {
				tt.damage(t, filepath.Join(j.Dir(job.Key()), stateFile))
			}
			// Tonight's export is broken: empty.
			posts := len(srv.Requests())
			rep, err := run(t, job, "")
			if rep.Outcome != tt.outcome {
				t.Fatalf("outcome %s (%v), want %s", rep.Outcome, err, tt.outcome)
			}
			if tt.outcome == OutcomeOK {
				return
			}
			if len(srv.Requests()) != posts {
				t.Error("the run posted")
			}
			var le *LimitError
			if got := errors.As(err, &le) && le.NoState; got != tt.noState {
				t.Errorf("error %v; a LimitError with NoState: %v, want %v", err, got, tt.noState)
			}
			if !strings.Contains(err.Error(), "run once with full and force") || strings.Contains(err.Error(), "remove it") {
				t.Errorf("error %v, want the advice to run once with full and force", err)
			}
			// Plan says the same.
			if prep, _ := job.Plan(context.Background(), strings.NewReader(toCSV(school(100)))); prep.Outcome != tt.outcome {
				t.Errorf("Plan: outcome %s, want %s", prep.Outcome, tt.outcome)
			}
			// Full and Force send every row, as a first run, and say so.
			job.Full, job.Force = true, true
			rep, err = run(t, job, toCSV(school(100)))
			if err != nil || rep.Outcome != OutcomeOK || rep.RowsSent != len(school(100)) {
				t.Fatalf("forced: outcome %s, %d rows sent, %v; want ok and every row", rep.Outcome, rep.RowsSent, err)
			}
			if rep.Refusal == nil || !rep.Refusal.NoState || !rep.Run.Forced || !strings.Contains(rep.Run.Overridden, "no last accepted state") {
				t.Errorf("forced: refusal %+v, record forced %v overridden %q", rep.Refusal, rep.Run.Forced, rep.Run.Overridden)
			}
			// The next run is guarded again.
			job.Full, job.Force = false, false
			if rep, err := run(t, job, ""); rep.Outcome != OutcomeRefused {
				t.Errorf("after: outcome %s, %v; want refused", rep.Outcome, err)
			}
		})
	}
}

// cutState returns a damage that keeps the first n lines of the state,
// as "head -n n" does.
func cutState(n int) func(t *testing.T, state string) {
	return func(t *testing.T, state string) {
		b, err := os.ReadFile(state)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(string(b), "\n")
		writeState0(strings.Join(lines[:n], ""))(t, state)
	}
}

// writeState0 returns a damage that writes content over the state.
func writeState0(content string) func(t *testing.T, state string) {
	return func(t *testing.T, state string) {
		if err := os.WriteFile(state, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestKeyNormalised: spellings of one site are one key and one folder,
// from a job's client or from KeyOf; other sites stay apart.
func TestKeyNormalised(t *testing.T) {
	const want = "https://school.example.com"
	tests := []struct {
		url  string
		site string
	}{
		{"https://school.example.com", want},
		{"https://SCHOOL.example.com", want},
		{"HTTPS://School.Example.COM/", want},
		{"https://school.example.com:443", want},
		{"https://school.example.com.", want},
		{"https://school.example.com.:443/", want},
		{"https://school.example.com:8443", "https://school.example.com:8443"},
		{"https://school.example.com/Infiniti/", "https://school.example.com/Infiniti"},
		{"http://127.0.0.1:80", "http://127.0.0.1"},
		{"http://[::1]:80/", "http://[::1]"},
		{"http://[::1]:8080", "http://[::1]:8080"},
		{"https://librarian:Secret-42@school.example.com/", want},
	}
	j, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	held, err := j.Lock(context.Background(), Key{Site: want, Tenant: "T1", Import: "user-groups"})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, err := client.New(tt.url, client.WithTenant("T1"))
			if err != nil {
				t.Fatal(err)
			}
			k := (&Job{Client: c}).Key()
			if k.Site != tt.site {
				t.Errorf("Key().Site = %q, want %q", k.Site, tt.site)
			}
			if diff := cmp.Diff(k, KeyOf(tt.url, "T1", nil)); diff != "" {
				t.Errorf("KeyOf(%q) (-Job.Key +KeyOf):\n%s", tt.url, diff)
			}
			raw := Key{Site: tt.url, Tenant: "T1", Import: "user-groups"}
			if folderName(raw) != folderName(k) {
				t.Errorf("folderName(%q) = %s, folderName(%q) = %s; want the same", tt.url, folderName(raw), k.Site, folderName(k))
			}
			// One school holds one lock, however its URL is spelt.
			s, err := j.Lock(context.Background(), raw)
			if s != nil {
				s.Close()
			}
			if locked := errors.As(err, new(*LockedError)); locked != (tt.site == want) {
				t.Errorf("Lock(%q) while %q is held: %v", tt.url, want, err)
			}
		})
	}
}

// TestJobZeroImport: an Import the package did not make is an error, not
// a crash in a goroutine.
func TestJobZeroImport(t *testing.T) {
	for _, imp := range []*Import{{}, {name: "user-groups"}} {
		for _, send := range []bool{false, true} {
			_, c := newFake(t, clienttest.ApplyAdd)
			rep, err := (&Job{Client: c, Import: imp}).run(context.Background(), strings.NewReader("username,library-group,system-group\na,b,c\n"), nil, send, false)
			if rep != nil || err == nil || !strings.Contains(err.Error(), "syncjob.UserGroups() or syncjob.Contacts") {
				t.Errorf("Import %+v, send %v: report %v, error %v", imp, send, rep, err)
			}
		}
		if _, err := imp.readSnapshot(strings.NewReader("")); err == nil {
			t.Errorf("readSnapshot of Import %+v: no error", imp)
		}
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

// cutJournal is a Journal whose state reads are cut to their first
// lines lines (0: whole), and whose run records lose StateSHA256 and
// StateUsers when old is set, as records of an older version.
type cutJournal struct {
	*MemJournal
	lines int
	old   bool
}

type cutSession struct {
	Session
	lines int
}

func (j *cutJournal) Lock(ctx context.Context, key Key) (Session, error) {
	s, err := j.MemJournal.Lock(ctx, key)
	if err != nil {
		return nil, err
	}
	return &cutSession{s, j.lines}, nil
}

func (j *cutJournal) Runs(ctx context.Context, key Key, n int) ([]Run, error) {
	runs, err := j.MemJournal.Runs(ctx, key, n)
	for i := range runs {
		if j.old {
			runs[i].StateSHA256, runs[i].StateUsers = "", 0
		}
	}
	return runs, err
}

func (s *cutSession) State(ctx context.Context) (io.ReadCloser, error) {
	rc, err := s.Session.State(ctx)
	if err != nil || s.lines == 0 {
		return rc, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	lines := strings.SplitAfter(string(b), "\n")
	return io.NopCloser(strings.NewReader(strings.Join(lines[:s.lines], ""))), nil
}

// TestJobStateCutAtLineBoundary: a state cut at a line boundary (head -n
// 50 of a backup) parses, but is not the state the last run committed:
// the run fails as a journal error and sends nothing, in any Journal,
// rather than guard against 49 users. Records without the state's hash
// (older versions) are not compared; the wrong-file rule refuses the run.
func TestJobStateCutAtLineBoundary(t *testing.T) {
	tests := []struct {
		name    string
		journal func(t *testing.T) (Journal, func(state string))
		outcome Outcome
	}{
		{"DirJournal", func(t *testing.T) (Journal, func(string)) {
			j, err := OpenDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return j, nil // cut below, where the key is known
		}, OutcomeJournalError},
		{"another Journal", func(t *testing.T) (Journal, func(string)) {
			j := &cutJournal{MemJournal: NewMemJournal()}
			return j, func(string) { j.lines = 50 }
		}, OutcomeJournalError},
		{"another Journal, records of an older version", func(t *testing.T) (Journal, func(string)) {
			j := &cutJournal{MemJournal: NewMemJournal()}
			return j, func(string) { j.lines, j.old = 50, true }
		}, OutcomeRefused}, // not compared, but the wrong-file rule sees 63 new users of 37
	}
	all := school(202)
	cut := without(all, func(u string) bool { return u >= "s00100" })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t, clienttest.ApplyAdd)
			jr, damage := tt.journal(t)
			job := &Job{Client: c, Journal: jr}
			if _, err := run(t, job, toCSV(all)); err != nil {
				t.Fatal(err)
			}
			if dj, ok := jr.(*DirJournal); ok {
				cutState(50)(t, filepath.Join(dj.Dir(job.Key()), stateFile))
			} else {
				damage("")
			}
			posts := len(srv.Requests())
			for _, send := range []bool{false, true} {
				rep, err := job.run(context.Background(), strings.NewReader(toCSV(cut)), nil, send, false)
				if rep.Outcome != tt.outcome {
					t.Fatalf("send %v: outcome %s (%v), want %s", send, rep.Outcome, err, tt.outcome)
				}
				if tt.outcome == OutcomeRefused {
					continue
				}
				if !strings.Contains(err.Error(), "where the last run that kept a state") || !strings.Contains(err.Error(), "run once with full and force") {
					t.Errorf("send %v: error %v", send, err)
				}
			}
			if len(srv.Requests()) != posts {
				t.Error("a run with a cut state posted")
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
