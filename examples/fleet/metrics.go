package fleet

import (
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the Prometheus metrics of a worker, fed by syncjob's
// Job.Observer and the job's verdict:
//
//	autosync_phase_seconds{phase}   histogram: lock, check, plan, commit, post, end
//	autosync_runs_total{outcome}    counter: runs by outcome
//	autosync_jobs_total{advice}     counter: River jobs by advice (done, retry, wait, fix-export, fix-config)
type Metrics struct {
	phases *prometheus.HistogramVec
	runs   *prometheus.CounterVec
	jobs   *prometheus.CounterVec
}

// NewMetrics returns Metrics registered with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		phases: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "autosync_phase_seconds", Help: "How long each phase of a school's run took.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 12),
		}, []string{"phase"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "autosync_runs_total", Help: "Runs of a school's sync job, by outcome.",
		}, []string{"outcome"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "autosync_jobs_total", Help: "River jobs of a school, by what River does next.",
		}, []string{"advice"}),
	}
	reg.MustRegister(m.phases, m.runs, m.jobs)
	return m
}

// Observe records one Observation; it is a syncjob.Job.Observer.
func (m *Metrics) Observe(o syncjob.Observation) {
	m.phases.WithLabelValues(o.Phase).Observe(o.Took.Seconds())
	if o.Phase == "end" {
		m.runs.WithLabelValues(string(o.Outcome)).Inc()
	}
}

// verdict counts a job's advice.
func (m *Metrics) verdict(advice string) { m.jobs.WithLabelValues(advice).Inc() }
