//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package syncjob

import (
	"fmt"
	"runtime"
)

// lockFolder fails: the directory journal locks only on Linux, macOS, the
// BSDs and Windows.
func lockFolder(folder string) (func() error, error) {
	return nil, fmt.Errorf("the directory journal cannot lock %s on %s", folder, runtime.GOOS)
}
