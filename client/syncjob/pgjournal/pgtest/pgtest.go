// Package pgtest starts a throwaway PostgreSQL cluster for tests, in the
// manner of net/http/httptest: in a temporary folder, listening on
// 127.0.0.1 and a free port, with trust authentication and fsync off, and
// stops it and removes the folder at the end.
//
// It runs initdb and pg_ctl found on PATH or in /usr/lib/postgresql/*/bin
// (Debian's postgresql package). As root, the cluster runs as the user
// postgres (initdb refuses root), through runuser, with the folder given
// to that user. Without PostgreSQL, Start returns an error and a test
// calls Need, which skips it, or fails it when AUTOSYNC_REQUIRE_POSTGRES=1
// (as CI sets it, so that a missing PostgreSQL cannot pass unseen).
package pgtest

import (
	"context"
	"errors"
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

	"github.com/jackc/pgx/v5"
)

// RequireEnv is the environment variable that, set to 1, makes Need fail
// a test instead of skipping it.
const RequireEnv = "AUTOSYNC_REQUIRE_POSTGRES"

// A Cluster is a running throwaway PostgreSQL cluster. Create it with
// Start and stop it with Stop.
type Cluster struct {
	// DSN is the connection string of the cluster's postgres database, as
	// the superuser postgres, without a password.
	DSN string

	bin, dir  string
	databases atomic.Int64
}

// Start initialises a cluster in a temporary folder and starts it. The
// error says why there is none, such as a missing initdb.
func Start() (*Cluster, error) {
	bin, err := pgBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin, dir: dir}
	if err := c.start(); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start() error {
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("running as root, and there is no user postgres to run the cluster: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(c.dir, uid, gid); err != nil {
			return err
		}
	}
	data := filepath.Join(c.dir, "data")
	if err := c.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", port, c.dir)
	if err := c.run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "start"); err != nil {
		return err
	}
	c.DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return nil
}

// Stop stops the cluster at once, closing its connections, and removes
// its folder. It does nothing on a nil or stopped Cluster.
func (c *Cluster) Stop() {
	if c == nil || c.dir == "" {
		return
	}
	if c.DSN != "" {
		_ = c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	}
	_ = os.RemoveAll(c.dir)
	c.dir = ""
}

// NewDatabase creates an empty database, named db_1, db_2 and so on, and
// returns its connection string.
func (c *Cluster) NewDatabase(ctx context.Context) (string, error) {
	conn, err := pgx.Connect(ctx, c.DSN)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("db_%d", c.databases.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("creating database %s: %w", name, err)
	}
	return strings.Replace(c.DSN, "/postgres?", "/"+name+"?", 1), nil
}

// Need skips tb when err, Start's error, is not nil, or fails it when
// AUTOSYNC_REQUIRE_POSTGRES=1.
func Need(tb testing.TB, err error) {
	tb.Helper()
	if err == nil {
		return
	}
	if os.Getenv(RequireEnv) == "1" {
		tb.Fatalf("no PostgreSQL to test on, and %s=1: %v", RequireEnv, err)
	}
	tb.Skipf("no PostgreSQL to test on (set %s=1 to fail instead): %v", RequireEnv, err)
}

// run runs a PostgreSQL program, as the user postgres when we are root.
func (c *Cluster) run(prog string, args ...string) error {
	cmd := exec.Command(filepath.Join(c.bin, prog), args...)
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", cmd.Path}, args...)...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v\n%s", prog, err, out)
	}
	return nil
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
		return "", errors.New("no initdb on PATH or in /usr/lib/postgresql/*/bin (install PostgreSQL, Debian's postgresql package)")
	}
	return filepath.Dir(found[len(found)-1]), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
