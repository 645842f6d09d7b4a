//go:build !race

package pgjournal_test

// raceEnabled is true when the tests run under the race detector, which
// makes memory measurements meaningless.
const raceEnabled = false
