package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

var update = flag.Bool("update", false, "rewrite testdata/status.html")

// statusRows are three nights of four schools, the last night first.
func statusRows() ([]JobRow, []string) {
	ok := &Output{Outcome: "ok", Advice: "done", LastSuccess: time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC)}
	noAnswer := &Output{Outcome: "no-answer", Advice: "wait", Error: "no answer", LastSuccess: ok.LastSuccess}
	auth := &Output{Outcome: "auth-error", Advice: "fix-config", Error: "infiniti refused the credentials"}
	return []JobRow{
		{School: "a", Night: "n3", State: "completed", Output: ok},
		{School: "b", Night: "n3", State: "cancelled", Output: auth},
		{School: "c", Night: "n3", State: "scheduled", Output: noAnswer},
		{School: "d", Night: "n3", State: "available"},
		{School: "e", Night: "n3", State: "discarded", Output: &Output{Outcome: "transport-error", Advice: "retry"}},
		{School: "c", Night: "n2", State: "cancelled", Output: noAnswer},
		{School: "c", Night: "n1", State: "cancelled", Output: noAnswer},
		{School: "a", Night: "n2", State: "completed", Output: noAnswer},
	}, []string{"n3", "n2", "n1"}
}

// TestBuildStatus: the outcomes of the last night, and who needs a
// person: a fix-config job (b), a job River discarded (e), and a school
// whose jobs were cancelled 3 nights running (c). River keeps those
// cancelled jobs that long only because main.go's keep says so
// (TestKeep); with its defaults n1's and n2's rows would be gone.
func TestBuildStatus(t *testing.T) {
	rows, nights := statusRows()
	last := time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC)
	want := Status{
		Night: "n3", Schools: 5, Final: 3,
		Outcomes: map[string]int{"ok": 1, "auth-error": 1, "no-answer": 1, "queued": 1, "transport-error": 1},
		NeedPerson: []Attention{
			{School: "b", Why: "fix-config", Outcome: "auth-error", Error: "infiniti refused the credentials", FailingNights: 1},
			{School: "c", Why: "failing 3 nights running", Outcome: "no-answer", Error: "no answer", LastSuccess: last, FailingNights: 3},
			{School: "e", Why: "River gave up after its retries", Outcome: "transport-error", FailingNights: 1},
		},
	}
	if diff := cmp.Diff(want, BuildStatus(rows, nights, 3)); diff != "" {
		t.Errorf("BuildStatus (-want +got):\n%s", diff)
	}
	if got := BuildStatus(rows, nights, 4).NeedPerson; len(got) != 2 {
		t.Errorf("with 4 failing nights, %d schools need a person, want 2 (b, e): %+v", len(got), got)
	}
	if diff := cmp.Diff(Status{Outcomes: map[string]int{}, NeedPerson: []Attention{}}, BuildStatus(nil, nil, 3)); diff != "" {
		t.Errorf("BuildStatus of nothing (-want +got):\n%s", diff)
	}
}

func TestStatusWriteHTML(t *testing.T) {
	rows, nights := statusRows()
	st := BuildStatus(rows, nights, 3)
	st.Generated = time.Date(2026, 12, 8, 2, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	if err := st.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("testdata/status.html", b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/status.html")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("WriteHTML (-want +got):\n%s", diff)
	}
}

// TestHandlerLoadError: a load runs under a deadline, and its error goes
// to the log, not the page.
func TestHandlerLoadError(t *testing.T) {
	load := func(ctx context.Context) (Status, error) {
		if _, ok := ctx.Deadline(); !ok {
			return Status{}, errors.New("no deadline")
		}
		return Status{}, errors.New(`dial 10.0.0.5:5432: password authentication failed for user "fleet"`)
	}
	for _, path := range []string{"/status", "/status.json"} {
		rec := httptest.NewRecorder()
		Handler(load, prometheus.NewRegistry()).ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		want := "503 The status could not be read; the worker's log says why.\n"
		if got := fmt.Sprintf("%d %s", rec.Code, rec.Body); got != want {
			t.Errorf("GET %s = %q, want %q", path, got, want)
		}
	}
}

func TestHandler(t *testing.T) {
	rows, nights := statusRows()
	st := BuildStatus(rows, nights, 3)
	reg := prometheus.NewRegistry()
	NewMetrics(reg).verdict("done")
	srv := httptest.NewServer(Handler(func(context.Context) (Status, error) { return st, nil }, reg))
	defer srv.Close()
	get := func(path string) string {
		res, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	var got Status
	if err := json.Unmarshal([]byte(get("/status.json")), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(st, got); diff != "" {
		t.Errorf("/status.json (-want +got):\n%s", diff)
	}
	if page := get("/status"); !strings.Contains(page, "<td>failing 3 nights running</td>") {
		t.Errorf("/status lacks school c's row:\n%s", page)
	}
	if m := get("/metrics"); !strings.Contains(m, `autosync_jobs_total{advice="done"} 1`) {
		t.Errorf("/metrics lacks the jobs counter:\n%s", m)
	}
}
