// Package exampletest has helpers for the tests of the example programs:
// building a program once, and handing a program the fake server's
// certificate as a CA file.
package exampletest

import (
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosync-go/autosync/client/clienttest"
)

// Build compiles the program in the current directory (the test's package)
// into a temporary directory and returns the binary's path. It skips the
// test when no go command is on the PATH.
func Build(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on the PATH to build the program with")
	}
	bin := filepath.Join(t.TempDir(), "prog")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// RunBinary runs bin with args and env added to the environment, and
// returns its standard output and exit code.
func RunBinary(t *testing.T, bin string, env []string, args ...string) (string, int) {
	t.Helper()
	stdout, _, code := Run(t, bin, env, args...)
	return stdout, code
}

// Run runs bin with args and env added to the environment, and returns
// its standard output, standard error and exit code.
func Run(t *testing.T, bin string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var errBuf strings.Builder
	cmd.Stderr = &errBuf
	out, err := cmd.Output()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), errBuf.String(), 0
	case errors.As(err, &ee):
		return string(out), errBuf.String(), ee.ExitCode()
	}
	t.Fatalf("running %s: %v", bin, err)
	return "", "", -1
}

// CAFile writes the fake server's certificate as a PEM file and returns
// its path, for a program's -ca-file flag.
func CAFile(t *testing.T, srv *clienttest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
