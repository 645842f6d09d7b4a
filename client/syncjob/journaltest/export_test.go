package journaltest

import "time"

// SetHangLimit sets how long the suite waits for a Lock, for the package's
// own test, whose journal with the bug "wait-lock" hangs on purpose.
func SetHangLimit(d time.Duration) { hangLimit = d }
