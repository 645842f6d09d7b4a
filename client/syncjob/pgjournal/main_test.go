package pgjournal_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autosync-go/autosync/client/syncjob/pgjournal"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The tests run on a throwaway PostgreSQL cluster that TestMain starts in
// a temporary folder, on 127.0.0.1 and a free port, and stops at the end.
// Without initdb and pg_ctl (on PATH or in /usr/lib/postgresql/*/bin) they
// skip, unless AUTOSYNC_REQUIRE_POSTGRES=1, when they fail. As root, the
// cluster runs as the user postgres (initdb refuses root), through
// runuser, with the folder given to that user.
var (
	serverDSN string // the cluster's postgres database; "" if there is none
	noServer  string // why there is none
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		holdLock() // a child process of TestHolderKilled
		return
	}
	stop, err := startCluster()
	if err != nil {
		noServer = err.Error()
	}
	code := m.Run()
	if stop != nil {
		stop()
	}
	os.Exit(code)
}

// pgBin returns the folder of initdb and pg_ctl.
func pgBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		return "", fmt.Errorf("no initdb on PATH or in /usr/lib/postgresql/*/bin (install PostgreSQL, Debian's postgresql package)")
	}
	return filepath.Dir(found[len(found)-1]), nil
}

// startCluster starts the cluster and sets serverDSN; stop stops it and
// removes its folder.
func startCluster() (stop func(), err error) {
	bin, err := pgBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgjournal-test-")
	if err != nil {
		return nil, err
	}
	stop = func() { _ = os.RemoveAll(dir) }
	// run runs a PostgreSQL program as the user postgres when we are root.
	run := func(prog string, args ...string) error {
		cmd := exec.Command(filepath.Join(bin, prog), args...)
		if os.Geteuid() == 0 {
			cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(bin, prog)}, args...)...)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", prog, err, out)
		}
		return nil
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return stop, fmt.Errorf("running as root, and there is no user postgres to run the cluster: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return stop, err
		}
	}
	data := filepath.Join(dir, "data")
	if err := run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		return stop, err
	}
	port, err := freePort()
	if err != nil {
		return stop, err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", port, dir)
	if err := run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start"); err != nil {
		return stop, err
	}
	serverDSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return func() {
		_ = run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
		_ = os.RemoveAll(dir)
	}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// needServer skips (or fails, with AUTOSYNC_REQUIRE_POSTGRES=1) a test
// when there is no cluster.
func needServer(t testing.TB) {
	t.Helper()
	if serverDSN != "" {
		return
	}
	if os.Getenv("AUTOSYNC_REQUIRE_POSTGRES") == "1" {
		t.Fatalf("no PostgreSQL to test on, and AUTOSYNC_REQUIRE_POSTGRES=1: %s", noServer)
	}
	t.Skipf("no PostgreSQL to test on (set AUTOSYNC_REQUIRE_POSTGRES=1 to fail instead): %s", noServer)
}

var databases atomic.Int64

// newDatabase creates an empty, migrated database and returns its DSN.
func newDatabase(t testing.TB) string {
	t.Helper()
	needServer(t)
	ctx := context.Background()
	admin, err := pgxpool.New(ctx, serverDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := fmt.Sprintf("journal_%d", databases.Add(1))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating a database: %v", err)
	}
	dsn := strings.Replace(serverDSN, "/postgres?", "/"+name+"?", 1)
	pool := newPool(t, dsn)
	if err := pgjournal.Migrate(ctx, pool); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return dsn
}

// newPool returns a pool on dsn, closed at the end of the test.
func newPool(t testing.TB, dsn string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 40 // journaltest holds some 20 keys at once
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
