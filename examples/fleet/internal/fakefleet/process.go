package fakefleet

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// The environment of the fake's process: the number of schools and how
// long it holds each answer.
const (
	envSchools = "FAKEFLEET_SCHOOLS"
	envHold    = "FAKEFLEET_HOLD"
)

// ServeIfChild, called first in a TestMain, makes the process the fake
// when Start started it: it serves on 127.0.0.1, writes its URL as the
// first line of stdout, and exits when its stdin closes (the test ended,
// or died). Otherwise it returns at once.
func ServeIfChild() {
	n, err := strconv.Atoi(os.Getenv(envSchools))
	if err != nil {
		return
	}
	hold, _ := time.ParseDuration(os.Getenv(envHold))
	f := New(n, hold)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("http://%s\n", l.Addr())
	go func() { _ = http.Serve(l, f) }()
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// A Process is the fake running as a process of its own.
type Process struct {
	// URL is the fake's base URL, http://127.0.0.1:port; a school's
	// tenant is its ID.
	URL string

	cmd   *exec.Cmd
	stdin io.Closer
}

// Start runs the test binary again as a fake fleet of n schools holding
// each answer for hold; the binary's TestMain must call ServeIfChild.
func Start(n int, hold time.Duration) (*Process, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envSchools+"="+strconv.Itoa(n), envHold+"="+hold.String())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if !strings.HasPrefix(line, "http://") {
		p.Stop()
		return nil, fmt.Errorf("the fake fleet did not start: %q, %v", line, err)
	}
	p.URL = strings.TrimSpace(line)
	return p, nil
}

// Report returns the fake's report, with every school's memberships if
// memberships is true.
func (p *Process) Report(ctx context.Context, memberships bool) (Report, error) {
	var rep Report
	u := p.URL + "/report"
	if memberships {
		u += "?memberships=1"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return rep, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return rep, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return rep, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return rep, json.NewDecoder(resp.Body).Decode(&rep)
}

// Stop ends the process: it closes its stdin, and kills it if it has not
// exited 5 seconds later.
func (p *Process) Stop() {
	_ = p.stdin.Close()
	t := time.AfterFunc(5*time.Second, func() { _ = p.cmd.Process.Kill() })
	_ = p.cmd.Wait()
	t.Stop()
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
