//go:build !windows

package cli

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// makeFIFO makes a named pipe in dir and returns its path.
func makeFIFO(t *testing.T, dir string) string {
	t.Helper()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	return fifo
}

func TestShareWithFolder(t *testing.T) {
	dir := t.TempDir()
	f, err := os.CreateTemp(dir, "staff") // 0600
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := ShareWithFolder(f, dir); err != nil {
		t.Fatal(err)
	}
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o640 {
		t.Errorf("mode %04o, want 0640", got)
	}
	if got, want := fi.Sys().(*syscall.Stat_t).Gid, di.Sys().(*syscall.Stat_t).Gid; got != want {
		t.Errorf("group %d, want the folder's, %d", got, want)
	}
}
