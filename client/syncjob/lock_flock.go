//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package syncjob

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// lockFolder takes an exclusive flock(2) on the folder itself, without
// waiting. It returns errLocked when another open file holds the lock.
// Locking the folder rather than a file in it means that deleting or
// replacing any file of the folder cannot let a second run in. The kernel
// releases the lock when the process dies. A file system that cannot lock
// a folder (an NFS share may not) gets the lock of the file "lock" in it
// instead, as before, which deleting that file defeats.
func lockFolder(folder string) (func() error, error) {
	release, err := flock(folder, os.O_RDONLY)
	if err != nil && !errors.Is(err, errLocked) {
		release, err = flock(filepath.Join(folder, "lock"), os.O_RDWR|os.O_CREATE)
	}
	return release, err
}

// flock opens path with flag and takes an exclusive flock(2) on it,
// without waiting.
func flock(path string, flag int) (func() error, error) {
	f, err := os.OpenFile(path, flag, 0o600)
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
