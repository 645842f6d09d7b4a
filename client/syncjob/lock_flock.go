//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package syncjob

import (
	"errors"
	"os"
	"syscall"
)

// lockPath takes an exclusive flock(2) on path, creating the file if
// needed, without waiting. It returns errLocked when another open file holds
// the lock. The kernel releases the lock when the process dies; the file
// stays, which is harmless (deleting it would let two runs lock two
// different files of the same name).
func lockPath(path string) (func() error, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, &os.PathError{Op: "flock", Path: path, Err: err}
	}
	return f.Close, nil
}
