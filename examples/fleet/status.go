package fleet

import (
	"context"
	_ "embed"
	"encoding/json"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// A JobRow is one school job as River keeps it, for Status.
type JobRow struct {
	School string
	Night  string
	State  string  // River's state: available, running, retryable, scheduled, completed, cancelled, discarded
	Output *Output // nil before its first attempt ended
}

// final reports whether River will not run the job again.
func (r JobRow) final() bool {
	return r.State == "completed" || r.State == "cancelled" || r.State == "discarded"
}

// needsPerson returns why the job's school needs a person, or "".
func (r JobRow) needsPerson() string {
	switch {
	case r.Output != nil && (r.Output.Advice == "fix-export" || r.Output.Advice == "fix-config"):
		return r.Output.Advice
	case r.State == "discarded":
		return "River gave up after its retries"
	}
	return ""
}

// Status is the fleet's state for its status page: the last night's
// outcomes and the schools that need a person.
type Status struct {
	Night    string         `json:"night"`    // the last night enqueued
	Schools  int            `json:"schools"`  // schools of that night
	Final    int            `json:"final"`    // those River will not run again
	Outcomes map[string]int `json:"outcomes"` // per outcome of their last attempt (queued: none yet)
	// NeedPerson are the schools of the last night that need a person,
	// in ID order.
	NeedPerson []Attention `json:"need_person"`
	Generated  time.Time   `json:"generated"`
}

// An Attention is a school that needs a person.
type Attention struct {
	School        string    `json:"school"`
	Why           string    `json:"why"`     // fix-export, fix-config, failing N nights running, or River gave up
	Outcome       string    `json:"outcome"` // its last outcome
	Error         string    `json:"error,omitempty"`
	LastSuccess   time.Time `json:"last_success,omitzero"` // from the journal; zero if never
	FailingNights int       `json:"failing_nights"`        // nights running whose last attempt was not done, this one included
}

// BuildStatus returns the Status of rows, the school jobs of the last
// nights, the last night first (nights in that order). A school needs a
// person when its job's last attempt says so (fix-export, fix-config),
// River discarded it, or its last attempt was not done in each of the last
// failing nights.
func BuildStatus(rows []JobRow, nights []string, failing int) Status {
	st := Status{Outcomes: map[string]int{}, NeedPerson: []Attention{}}
	if len(nights) == 0 {
		return st
	}
	st.Night = nights[0]
	byNight := map[string]map[string]JobRow{}
	for _, r := range rows {
		if byNight[r.Night] == nil {
			byNight[r.Night] = map[string]JobRow{}
		}
		byNight[r.Night][r.School] = r
	}
	for _, r := range byNight[st.Night] {
		st.Schools++
		if r.final() {
			st.Final++
		}
		outcome := "queued"
		if r.Output != nil {
			outcome = r.Output.Outcome
		}
		st.Outcomes[outcome]++
		a := Attention{School: r.School, Outcome: outcome, Why: r.needsPerson()}
		for _, n := range nights {
			p, ok := byNight[n][r.School]
			if !ok || p.Output == nil || p.Output.Advice == "done" {
				break
			}
			a.FailingNights++
			if a.Error == "" {
				a.Error = p.Output.Error
			}
			if a.LastSuccess.IsZero() {
				a.LastSuccess = p.Output.LastSuccess
			}
		}
		if a.Why == "" && failing > 0 && a.FailingNights >= failing {
			a.Why = "failing " + strconv.Itoa(a.FailingNights) + " nights running"
		}
		if a.Why != "" {
			st.NeedPerson = append(st.NeedPerson, a)
		}
	}
	slices.SortFunc(st.NeedPerson, func(a, b Attention) int { return strings.Compare(a.School, b.School) })
	return st
}

// statusQuery reads the school jobs of the last $2 nights, by when their
// jobs were created.
const statusQuery = `
WITH nights AS (
  SELECT args->>'night' AS night, max(created_at) AS at FROM river_job
  WHERE kind = $1 GROUP BY 1 ORDER BY 2 DESC LIMIT $2)
SELECT j.args->>'school', n.night, j.state::text, j.metadata->'output'
FROM river_job j JOIN nights n ON j.args->>'night' = n.night
WHERE j.kind = $1 ORDER BY n.at DESC`

// LoadStatus reads the school jobs of the last nights (at least one,
// failing of them) from River's table and returns their Status.
func LoadStatus(ctx context.Context, pool *pgxpool.Pool, failing int) (Status, error) {
	rs, err := pool.Query(ctx, statusQuery, KindSchool, max(failing, 1))
	if err != nil {
		return Status{}, err
	}
	defer rs.Close()
	var rows []JobRow
	var nights []string
	for rs.Next() {
		var r JobRow
		var out []byte
		if err := rs.Scan(&r.School, &r.Night, &r.State, &out); err != nil {
			return Status{}, err
		}
		if out != nil {
			r.Output = new(Output)
			_ = json.Unmarshal(out, r.Output) // an output of another version counts as none
		}
		if len(nights) == 0 || nights[len(nights)-1] != r.Night {
			nights = append(nights, r.Night)
		}
		rows = append(rows, r)
	}
	if err := rs.Err(); err != nil {
		return Status{}, err
	}
	st := BuildStatus(rows, nights, failing)
	st.Generated = time.Now()
	return st, nil
}

//go:embed status.html
var statusHTML string

var statusPage = template.Must(template.New("status").Funcs(template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
}).Parse(statusHTML))

// WriteHTML writes the status page.
func (s Status) WriteHTML(w io.Writer) error { return statusPage.Execute(w, s) }

// statusLimit bounds each load of the Status.
const statusLimit = 10 * time.Second

// Handler serves /status (HTML), /status.json and /metrics (the metrics
// of gatherer), loading the Status for each request within statusLimit.
// A load error is logged (slog.Default); the page says only that the
// status could not be read.
func Handler(load func(ctx context.Context) (Status, error), gatherer prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	serve := func(w http.ResponseWriter, r *http.Request, write func(Status) error) {
		ctx, cancel := context.WithTimeout(r.Context(), statusLimit)
		defer cancel()
		st, err := load(ctx)
		if err != nil {
			slog.Warn("status: the jobs could not be read", "path", r.URL.Path, "error", err)
			http.Error(w, "The status could not be read; the worker's log says why.", http.StatusServiceUnavailable)
			return
		}
		_ = write(st)
	}
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		serve(w, r, func(s Status) error { return s.WriteHTML(w) })
	})
	mux.HandleFunc("GET /status.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		serve(w, r, func(s Status) error { return json.NewEncoder(w).Encode(s) })
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	return mux
}
