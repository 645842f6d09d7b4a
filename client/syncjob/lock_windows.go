//go:build windows

package syncjob

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// lockFile is the file in a key's folder that Windows runs lock.
const lockFile = "lock"

// errSharingViolation is ERROR_SHARING_VIOLATION, which the syscall package
// does not name.
const errSharingViolation syscall.Errno = 32

// lockFolder opens the folder's lock file, creating it if needed, with no
// sharing: while the handle is open, no other process (nor this one) can
// open the file, nor delete or rename it. It returns errLocked when another
// handle has it open. Windows closes the handle, and so releases the lock,
// when the process dies.
func lockFolder(folder string) (func() error, error) {
	path := filepath.Join(folder, lockFile)
	p, err := syscall.UTF16PtrFromString(path)
	if err != nil {
		return nil, err
	}
	h, err := syscall.CreateFile(p, syscall.GENERIC_READ|syscall.GENERIC_WRITE, 0, nil,
		syscall.OPEN_ALWAYS, syscall.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		if errors.Is(err, errSharingViolation) {
			return nil, errLocked
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return func() error { return syscall.CloseHandle(h) }, nil
}
