package client

import (
	"context"
	"time"
)

// BaseURL returns the base URL the client posts below, as New kept it:
// scheme, host and path prefix, without credentials, query or trailing
// slash. It is safe to log and to use as a key.
func (c *Client) BaseURL() string { return c.base.String() }

// Tenant returns the tenant given with WithTenant, or "".
func (c *Client) Tenant() string { return c.tenant }

// ResponseHeaderTimeout returns how long the client waits for Infiniti's
// answer once the whole file is sent (WithResponseHeaderTimeout, or
// DefaultResponseHeaderTimeout); 0 when an *http.Client given with
// WithHTTPClient decides, which the client cannot know.
func (c *Client) ResponseHeaderTimeout() time.Duration { return c.headerTimeout }

// Stats is what one import call did on the wire, for a caller's own
// records (a sync job's run log, say). Ask for it with WithStats.
type Stats struct {
	StatusCode int   // the HTTP status of the last attempt; 0 if no answer came
	BytesSent  int64 // bytes of the CSV read for the last attempt (the multipart framing not counted)
	// HandedOver is true when any attempt handed the whole file to the
	// connection, or the server answered any attempt: Infiniti may have
	// received and imported the file, whatever the error says.
	HandedOver bool
	Attempts   int           // attempts made, retries included
	Duration   time.Duration // from the start of the call to its return
}

type statsKey struct{}

// WithStats returns a copy of ctx that makes an import call given it fill
// in *s just before it returns, whatever its outcome: on every return,
// *s holds that call's Stats, never an earlier call's. A call that
// refuses its arguments and sends nothing (a nil CSV or nil rows, an
// import path or a ContactsMode that cannot be sent) sets *s to the zero
// Stats, whose Attempts is 0. Use a context from WithStats for one call at
// a time: two calls sharing one *Stats race.
func WithStats(ctx context.Context, s *Stats) context.Context {
	return context.WithValue(ctx, statsKey{}, s)
}

func statsFrom(ctx context.Context) *Stats {
	s, _ := ctx.Value(statsKey{}).(*Stats)
	return s
}
