package client

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy says how often and how long the client retries an import
// that failed in a way that is safe to retry: a connection failure before
// the whole file was handed over, or a 429, 502, 503 or 504, with a body
// that can be read again (see Import). Imports are upserts keyed by
// username, so a re-sent file converges. Zero waits take the defaults.
type RetryPolicy struct {
	MaxRetries    int           // retries after the first attempt; 0 for none
	InitialWait   time.Duration // before the first retry; doubles, with jitter
	MaxWait       time.Duration // caps the doubling wait
	MaxRetryAfter time.Duration // caps a wait a Retry-After header asks for
}

// DefaultRetryPolicy is the policy of a client without WithRetry. No
// retry waits past the context's deadline.
var DefaultRetryPolicy = RetryPolicy{MaxRetries: 2, InitialWait: 500 * time.Millisecond, MaxWait: 5 * time.Second, MaxRetryAfter: 30 * time.Second}

// run makes the call's attempts; handedOver is Stats.HandedOver.
func (cl *call) run(ctx context.Context, src source) (o outcome, attempt int, handedOver bool) {
	for attempt = 1; ; attempt++ {
		o = cl.attempt(ctx, src, attempt)
		handedOver = handedOver || o.handedOver || o.status != 0
		if !o.retry || attempt > cl.retry.MaxRetries || src.seek == nil && o.touched {
			return o, attempt, handedOver
		}
		wait := cl.backoff(attempt, o.retryAfter)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return o, attempt, handedOver
		}
		if cl.log != nil {
			reason := o.err.Error()
			if o.status != 0 {
				reason = fmt.Sprintf("%d %s", o.status, http.StatusText(o.status))
			}
			cl.log.WarnContext(ctx, "autosync: import retry", slog.Int("attempt", attempt), slog.String("reason", reason), slog.Duration("wait", wait))
		}
		if err := cl.sleep(ctx, wait); err != nil {
			return cl.fail(outcome{status: o.status, sent: o.sent}, attempt, "waiting to retry: "+contextFact(err), err), attempt, handedOver
		}
	}
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if secs, err := strconv.Atoi(v); err == nil {
		return time.Duration(min(max(secs, 0), 24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), 24*time.Hour)
	}
	return 0
}

// backoff returns the wait before retry number attempt: the server's
// Retry-After (capped), or the doubling wait with jitter.
func (c *Client) backoff(attempt int, after time.Duration) time.Duration {
	if after > 0 {
		return min(after, c.retry.MaxRetryAfter)
	}
	d := c.retry.InitialWait
	for i := 1; i < attempt && d < c.retry.MaxWait; i++ {
		d *= 2
	}
	return c.jitter(min(d, c.retry.MaxWait))
}

// jitter spreads a wait over its upper half, so that many clients that
// failed together do not retry together.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

func sleepContext(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d): // collected unstopped since Go 1.23
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
