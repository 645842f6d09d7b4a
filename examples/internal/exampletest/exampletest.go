// Package exampletest has helpers for the tests of the example programs:
// running a program as a process, and handing a program the fake server's
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

// asProgram, set in a test binary's environment, makes Main run the
// program instead of the tests.
const asProgram = "AUTOSYNC_EXAMPLETEST_AS_PROGRAM"

// Main is the TestMain of a program's tests: it runs the tests, or, in a
// copy of the test binary that Build made and Run started, the program's
// main. So the tests run the program as a process (its exit code, its
// signals, its standard streams) without building it again.
func Main(m *testing.M, main func()) {
	if os.Getenv(asProgram) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Build returns the path of the program, named "prog" in a temporary
// directory: a link to (or copy of) the test binary, which runs the
// program's main when Run starts it. The test package's TestMain must
// call Main.
func Build(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "prog")
	if os.Link(self, bin) == nil {
		return bin
	}
	b, err := os.ReadFile(self)
	if err == nil {
		err = os.WriteFile(bin, b, 0o700)
	}
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// Command is exec.Command for a program that Build returned: its
// environment (Env) is the test's, set to run the program.
func Command(bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), asProgram+"=1")
	return cmd
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
	cmd := Command(bin, args...)
	cmd.Env = append(cmd.Env, env...)
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
