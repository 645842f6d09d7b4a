//go:build !race

package syncjob

// raceEnabled is true when the tests run under the race detector, which
// makes memory and time measurements meaningless.
const raceEnabled = false
