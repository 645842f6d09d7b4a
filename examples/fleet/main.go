package fleet

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/syncjob/pgjournal"
	"github.com/autosync-go/autosync/examples/internal/cli"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// config is what Main's flags set.
type config struct {
	DB          string        // -db: the PostgreSQL connection string
	Migrate     bool          // -migrate: apply the migrations, then exit
	Enqueue     bool          // -enqueue: enqueue the night, then exit
	Night       string        // -night: the night's ID for -enqueue
	StatusAddr  string        // -status-addr: /status, /status.json and /metrics; "" or "off": none
	Workers     int           // -workers: River's MaxWorkers for the school queue
	AnswerLimit time.Duration // -answer-limit: the client's answer limit
	PlainHTTP   bool          // -plain-http: allow http:// URLs
	At          time.Duration // -at: the periodic night's time of day
	Every       time.Duration // -every: the periodic night's interval; 0: no periodic job
	Grace       time.Duration // -grace: how long a stop waits for running jobs before cancelling them
	Failing     int           // -failing-nights: nights running a school may fail before it needs a person
}

// flags returns the flag set of Main, which fills c.
func (c *config) flags(stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.DB, "db", "", "PostgreSQL connection string (default: $DATABASE_URL)")
	fs.BoolVar(&c.Migrate, "migrate", false, "apply River's, pgjournal's and the schools table's migrations, then exit")
	fs.BoolVar(&c.Enqueue, "enqueue", false, "enqueue tonight's job for every school now, then exit")
	fs.StringVar(&c.Night, "night", time.Now().Format(time.DateOnly), "the night's ID used by -enqueue and the uniqueness")
	fs.StringVar(&c.StatusAddr, "status-addr", "127.0.0.1:9090", `address of /status, /status.json and /metrics; "" or "off" disables them`)
	fs.IntVar(&c.Workers, "workers", 10, "schools run at once (River MaxWorkers of the school queue)")
	fs.DurationVar(&c.AnswerLimit, "answer-limit", client.DefaultResponseHeaderTimeout, "how long a post waits for Infiniti's answer; River's job timeout and rescue delay follow it")
	fs.BoolVar(&c.PlainHTTP, "plain-http", false, "allow http:// URLs (a fake Infiniti in a lab)")
	fs.Func("at", "time of day (HH:MM, local) the periodic job enqueues the night (with -every)", func(s string) error {
		t, err := time.Parse("15:04", s)
		c.At = time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
		return err
	})
	fs.DurationVar(&c.Every, "every", 0, "enqueue a night every this long from -at, such as 24h; 0: only -enqueue does")
	fs.DurationVar(&c.Grace, "grace", 30*time.Second, "on SIGINT or SIGTERM, how long running schools may finish before they are cancelled")
	fs.IntVar(&c.Failing, "failing-nights", 3, "a school whose jobs were not done this many nights running needs a person")
	return fs
}

// Main is the fleet's worker program: it parses args (its flags are
// in the README and -h) and migrates, enqueues a night, or works the
// school jobs of source's schools until SIGINT or SIGTERM. schema is the SQL -migrate
// runs after River's and pgjournal's migrations (the SchoolSource's
// tables). It returns the exit code: 0, 1 for an error, 2 for bad flags.
func Main(args []string, schema string, source func(*pgxpool.Pool) SchoolSource) int {
	var c config
	if code, err := cli.ParseFlags(c.flags(os.Stderr), args); code >= 0 {
		if err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
		}
		return code
	}
	if err := c.run(schema, source); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	return 0
}

// run does what c says, until SIGINT or SIGTERM.
func (c config) run(schema string, source func(*pgxpool.Pool) SchoolSource) error {
	switch {
	case c.AnswerLimit <= 0:
		return errors.New("-answer-limit: give a duration above 0, such as 10m: River's job timeout follows it")
	case c.Workers < 1:
		return errors.New("-workers: give at least 1")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if c.DB == "" { // not the flag's default, which -h would print
		c.DB = os.Getenv("DATABASE_URL")
	}
	pc, err := poolConfig(c.DB, c.Workers)
	if err != nil {
		return fmt.Errorf("-db: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return err
	}
	defer pool.Close()
	if c.Migrate {
		return migrate(ctx, pool, schema)
	}
	src := source(pool)
	if c.Enqueue {
		rc, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
		if err != nil {
			return err
		}
		n, err := EnqueueNight(ctx, rc, src, c.Night)
		if err == nil {
			fmt.Printf("enqueued %d schools for night %s\n", n, c.Night)
		}
		return err
	}
	return c.work(ctx, stop, pool, src)
}

// poolConfig parses dsn. pgjournal holds one connection per running
// school and River needs 2 of its own, so a pool_max_conns below
// workers+2 is refused; without pool_max_conns the pool gets workers+10.
func poolConfig(dsn string, workers int) (*pgxpool.Config, error) {
	cc, err := pgconn.ParseConfig(dsn) // keeps pool_max_conns, which pgxpool takes out
	if err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	least := int32(workers) + 2
	if _, set := cc.RuntimeParams["pool_max_conns"]; !set {
		pc.MaxConns = int32(workers) + 10
	} else if pc.MaxConns < least {
		return nil, fmt.Errorf("pool_max_conns is %d; with -workers %d give at least %d (a connection per running school, 2 for River) or leave it out", pc.MaxConns, workers, least)
	}
	return pc, nil
}

// migrate applies River's, pgjournal's and schema's migrations.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river: %w", err)
	}
	if err := pgjournal.Migrate(ctx, pool); err != nil {
		return fmt.Errorf("pgjournal: %w", err)
	}
	if schema == "" {
		return nil
	}
	if _, err := pool.Exec(ctx, schema); err != nil {
		return fmt.Errorf("schools: %w", err)
	}
	return nil
}

// work runs River's workers until ctx is done, then stops them: running
// schools get Grace to finish, then their contexts are cancelled.
func (c config) work(ctx context.Context, stop func(), pool *pgxpool.Pool, src SchoolSource) error {
	tr, err := client.NewTransport(client.WithResponseHeaderTimeout(c.AnswerLimit))
	if err != nil {
		return fmt.Errorf("-answer-limit: %w", err)
	}
	tr.MaxIdleConnsPerHost, tr.MaxIdleConns = c.Workers, max(tr.MaxIdleConns, c.Workers) // many tenants of one site; the total caps the per-host
	metrics := NewMetrics(prometheus.DefaultRegisterer)
	w := &Worker{Source: src, Journal: pgjournal.New(pool), Transport: tr, Metrics: metrics}
	if c.PlainHTTP {
		w.Options = append(w.Options, client.WithInsecurePlainHTTP())
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	river.AddWorker(workers, &NightWorker{Source: src})
	jobTimeout, rescue := Timeouts(c.AnswerLimit)
	rc, err := river.NewClient(riverpgxv5.New(pool), c.keep(&river.Config{
		Queues:               map[string]river.QueueConfig{Queue: {MaxWorkers: c.Workers}, river.QueueDefault: {MaxWorkers: 1}},
		Workers:              workers,
		JobTimeout:           jobTimeout,
		RescueStuckJobsAfter: rescue,
		PeriodicJobs:         c.periodic(),
		Logger:               slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}))
	if err != nil {
		return err
	}
	fmt.Printf("worker: %d workers, answer limit %v, job timeout %v, rescue after %v\n", c.Workers, c.AnswerLimit, jobTimeout, rescue)
	if c.StatusAddr != "" && c.StatusAddr != "off" {
		ln, err := net.Listen("tcp", c.StatusAddr)
		if err != nil {
			return fmt.Errorf("-status-addr: %w (give each worker on a host its own, or off)", err)
		}
		load := func(ctx context.Context) (Status, error) { return LoadStatus(ctx, pool, c.Failing) }
		srv := &http.Server{Handler: Handler(load, prometheus.DefaultGatherer),
			ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: statusLimit + 20*time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer ln.Close()
		fmt.Printf("worker: status on http://%s/status\n", ln.Addr())
	}
	if err := rc.Start(context.Background()); err != nil {
		return err
	}
	<-ctx.Done()
	stop() // a second signal ends the process at once
	return stopWorkers(rc, c.Grace)
}

// stopper is the part of River's client that stops it.
type stopper interface {
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
}

// stopWorkers stops rc: running schools get grace to finish, then their
// contexts are cancelled, and they get grace again to return, after
// which it returns an error.
func stopWorkers(rc stopper, grace time.Duration) error {
	graceCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := rc.Stop(graceCtx)
	if !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	fmt.Println("worker: the grace period is over; cancelling the running schools")
	cancelCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := rc.StopAndCancel(cancelCtx); err != nil {
		return fmt.Errorf("the running schools did not stop within -grace (%v) of being cancelled: %w", grace, err)
	}
	return nil
}

// keep sets rc's retention of completed, cancelled and discarded jobs
// to -failing-nights + 1 days, since the status page counts a school's
// failed nights from them (River's defaults delete cancelled jobs after
// a day), and returns rc.
func (c config) keep(rc *river.Config) *river.Config {
	d := time.Duration(c.Failing+1) * 24 * time.Hour
	rc.CompletedJobRetentionPeriod, rc.CancelledJobRetentionPeriod, rc.DiscardedJobRetentionPeriod = d, d, d
	return rc
}

// periodic returns the periodic job of -at and -every, if any.
func (c config) periodic() []*river.PeriodicJob {
	if c.Every <= 0 {
		return nil
	}
	return []*river.PeriodicJob{PeriodicNight(Nightly{At: c.At, Every: c.Every})}
}
