package fleet

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// NightJobs returns the school jobs of a night, one per distinct ID, in
// ID order.
func NightJobs(ids []string, night string) []river.InsertManyParams {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	jobs := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		jobs[i] = river.InsertManyParams{Args: SchoolArgs{School: id, Night: night}}
	}
	return jobs
}

// EnqueueNight inserts the job of each school src has tonight for night,
// and returns how many it inserted; a school whose job for the night
// exists already (in any state) is skipped.
func EnqueueNight(ctx context.Context, rc *river.Client[pgx.Tx], src SchoolSource, night string) (int, error) {
	ids, err := src.Tonight(ctx)
	if err != nil {
		return 0, err
	}
	jobs, n := NightJobs(ids, night), 0
	for batch := range slices.Chunk(jobs, 1000) {
		res, err := rc.InsertMany(ctx, batch)
		if err != nil {
			return n, err
		}
		for _, r := range res {
			if !r.UniqueSkippedAsDuplicate {
				n++
			}
		}
	}
	return n, nil
}

// A NightWorker works NightArgs: it enqueues the night's schools.
type NightWorker struct {
	river.WorkerDefaults[NightArgs]
	Source SchoolSource
}

// Work enqueues the schools of job's night.
func (w *NightWorker) Work(ctx context.Context, job *river.Job[NightArgs]) error {
	_, err := EnqueueNight(ctx, river.ClientFromContext[pgx.Tx](ctx), w.Source, job.Args.Night)
	return err
}

// A Nightly is a River schedule like a cron line: at the time of day At
// (local time, since midnight), and every Every after it until the day
// ends (Every of 24h or more: once a day).
type Nightly struct {
	At    time.Duration
	Every time.Duration
}

// Next returns the first time of the schedule after t.
func (n Nightly) Next(t time.Time) time.Time {
	every := n.Every
	if every <= 0 || every > 24*time.Hour {
		every = 24 * time.Hour
	}
	for d := 0; ; d++ {
		day := time.Date(t.Year(), t.Month(), t.Day()+d, 0, 0, 0, 0, t.Location())
		end := time.Date(t.Year(), t.Month(), t.Day()+d+1, 0, 0, 0, 0, t.Location())
		for x := day.Add(n.At % every); x.Before(end); x = x.Add(every) {
			if x.After(t) {
				return x
			}
		}
	}
}

// PeriodicNight returns the River periodic job that enqueues a night on
// schedule s: a NightArgs job, whose night is NightOf the time it fires.
func PeriodicNight(s Nightly) *river.PeriodicJob {
	return river.NewPeriodicJob(s, func() (river.JobArgs, *river.InsertOpts) {
		return NightArgs{Night: NightOf(time.Now(), s.Every)}, nil
	}, &river.PeriodicJobOpts{ID: KindNight})
}
