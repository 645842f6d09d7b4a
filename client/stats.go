package client

import (
	"cmp"
	"context"
	"time"
)

// BaseURL returns the base URL as New kept it: scheme, host and path
// prefix, without credentials, query or trailing slash.
func (c *Client) BaseURL() string { return c.base.String() }

// Tenant returns the tenant given with WithTenant, or "".
func (c *Client) Tenant() string { return c.tenant }

// ResponseHeaderTimeout returns how long the client's transport waits for
// Infiniti's answer once the whole file is sent (0 for no limit), or 0
// when an *http.Client given with WithHTTPClient decides.
func (c *Client) ResponseHeaderTimeout() time.Duration {
	if t := cmp.Or(c.tr, c.own); t != nil {
		return t.ResponseHeaderTimeout // as it is now
	}
	return 0
}

// Stats is what one import call did on the wire; see WithStats.
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

// WithStats returns a copy of ctx that makes an import call given it set
// *s to that call's Stats as it returns, whatever its outcome; a call that
// sends nothing has Attempts 0. Use it for one call at a time.
func WithStats(ctx context.Context, s *Stats) context.Context {
	return context.WithValue(ctx, statsKey{}, s)
}
