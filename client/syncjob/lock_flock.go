//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package syncjob

import (
	"errors"
	"os"
	"syscall"
)

// lockFolder takes an exclusive flock(2) on the folder itself, without
// waiting. It returns errLocked when another open file holds the lock.
// Locking the folder rather than a file in it means that deleting or
// replacing any file of the folder cannot let a second run in. The kernel
// releases the lock when the process dies.
func lockFolder(folder string) (func() error, error) {
	f, err := os.Open(folder)
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
		return nil, &os.PathError{Op: "flock", Path: folder, Err: err}
	}
	return f.Close, nil
}
