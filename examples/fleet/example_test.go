package fleet_test

import (
	"fmt"
	"time"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/client/syncjob"
	"github.com/autosync-go/autosync/examples/fleet"
)

// A post that got no answer waits: River snoozes the school's job until
// Infiniti has surely finished with the post, and at least the answer
// limit.
func ExampleVerdict() {
	now := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
	rep := &syncjob.Report{Outcome: syncjob.OutcomeNoAnswer, Sent: true,
		HTTP: client.Stats{HandedOver: true}, LockedUntil: now.Add(25 * time.Minute)}
	out, err := fleet.Verdict(rep, nil, 10*time.Minute, now)
	fmt.Println(out.Advice, out.Until.Format(time.TimeOnly), err)
	// Output: wait 01:25:00 JobSnoozeError: 25m0s
}

// River's job timeout and rescue delay for the SDK's answer limit.
func ExampleTimeouts() {
	job, rescue := fleet.Timeouts(client.DefaultResponseHeaderTimeout)
	fmt.Println(job, rescue)
	// Output: 15m1s 30m2s
}
