package fleet

import (
	"strings"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsObserve(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	for _, o := range []syncjob.Observation{
		{Phase: "lock", Took: time.Millisecond},
		{Phase: "post", Took: 2 * time.Second},
		{Phase: "end", Took: 3 * time.Second, Outcome: syncjob.OutcomeOK},
		{Phase: "end", Took: time.Second, Outcome: syncjob.OutcomeNoAnswer},
		{Phase: "end", Took: time.Second, Outcome: syncjob.OutcomeOK},
	} {
		m.Observe(o)
	}
	want := `
# HELP autosync_runs_total Runs of a school's sync job, by outcome.
# TYPE autosync_runs_total counter
autosync_runs_total{outcome="no-answer"} 1
autosync_runs_total{outcome="ok"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "autosync_runs_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.phases); n != 3 {
		t.Errorf("%d phase histograms, want 3 (lock, post, end)", n)
	}
}
