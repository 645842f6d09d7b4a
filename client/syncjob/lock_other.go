//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package syncjob

import (
	"fmt"
	"runtime"
)

// lockPath fails: the directory journal locks only on Linux, macOS, the
// BSDs and Windows.
func lockPath(path string) (func() error, error) {
	return nil, fmt.Errorf("the directory journal cannot lock %s on %s; run the sync on Linux, macOS, a BSD or Windows, or use a Journal of your own", path, runtime.GOOS)
}
