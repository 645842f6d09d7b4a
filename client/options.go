package client

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// An Option configures a Client. An option given bad input makes New
// return an error.
type Option func(*settings) error

type settings struct {
	username, password string
	auth               bool
	tenant             string
	hc                 *http.Client
	rootCAs            *x509.CertPool
	insecurePlain      bool
	product            string
	logger             *slog.Logger
	progress           func(sent int64)
	retry              RetryPolicy
	maxResponse        int64
}

// WithBasicAuth sets the credentials of the Infiniti account the client
// posts as: an account with system administration privileges whose password
// Infiniti itself checks (SAML single sign-on cannot be used). The password
// may hold any characters. It is sent only in the Authorization header,
// only over TLS (or to a loopback host), and never appears in an error or a
// log record. A username that is empty or contains ':' is an error, since
// Basic Auth cannot carry it.
func WithBasicAuth(username, password string) Option {
	return func(s *settings) error {
		if username == "" {
			return errors.New("client: WithBasicAuth: the username is empty; give the Infiniti account to post as, such as autoimport")
		}
		if strings.ContainsRune(username, ':') {
			return errors.New("client: WithBasicAuth: the username contains ':', which HTTP Basic Auth cannot carry; use an account name without it")
		}
		if s.auth {
			return errors.New("client: credentials are given twice (in the base URL or an earlier WithBasicAuth); give them once")
		}
		s.username, s.password, s.auth = username, password, true
		return nil
	}
}

// WithTenant sets the tenantId query parameter that multi-tenant Infiniti
// sites need. Without it no tenantId is sent. An empty tenant is an error.
func WithTenant(tenantID string) Option {
	return func(s *settings) error {
		if strings.TrimSpace(tenantID) == "" {
			return errors.New("client: WithTenant: the tenant is empty; leave the option out if the site has no tenants")
		}
		s.tenant = tenantID
		return nil
	}
}

// WithHTTPClient makes the client send its requests with hc, for example
// one whose TLS configuration trusts a school's private certificate
// authority, or one that goes through a proxy. The client uses a copy of hc
// that never follows redirects; hc's transport and its TLS settings are used
// as they are, so certificates are verified unless hc was set up not to.
// hc.Timeout, if set, bounds each attempt. A nil hc is an error.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
		if hc == nil {
			return errors.New("client: WithHTTPClient: the *http.Client is nil")
		}
		s.hc = hc
		return nil
	}
}

// WithRootCAs makes the client trust the certificate authorities in pem
// (PEM-encoded certificates) besides the system's, for a school whose
// Infiniti has a certificate from a private authority. Certificates are
// still verified. pem without a certificate is an error, and so is using
// this option with WithHTTPClient (set the RootCAs of that client instead).
func WithRootCAs(pem []byte) Option {
	return func(s *settings) error {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return errors.New("client: WithRootCAs: no PEM certificate found; give the authority's certificate in PEM form (-----BEGIN CERTIFICATE-----)")
		}
		s.rootCAs = pool
		return nil
	}
}

// WithInsecurePlainHTTP allows a base URL with the http scheme to a host
// that is not a loopback address. The password and the school's data then
// cross the network in clear text, readable by anyone on the path. It is
// meant for a lab or a test network; never use it against a real school.
func WithInsecurePlainHTTP() Option {
	return func(s *settings) error {
		s.insecurePlain = true
		return nil
	}
}

// WithUserAgent puts product (such as "acme-sms-sync/2.1") in front of the
// SDK's own User-Agent, so that server logs show which program posted.
// An empty product or one with control characters is an error.
func WithUserAgent(product string) Option {
	return func(s *settings) error {
		if strings.TrimSpace(product) == "" {
			return errors.New("client: WithUserAgent: the product is empty")
		}
		if strings.ContainsFunc(product, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return errors.New("client: WithUserAgent: the product contains control characters, which a header cannot carry")
		}
		s.product = product
		return nil
	}
}

// WithLogger logs each import to l: one record when it starts (endpoint,
// tenant), one for each retry (attempt, reason, wait) and one when it ends
// (status, bytes, attempts, duration, error). Records never hold
// credentials. A nil l turns logging off, as without the option.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) error {
		s.logger = l
		return nil
	}
}

// WithProgress calls fn with the number of CSV bytes sent so far while an
// import uploads, from the goroutine that sends the request; it starts from
// 0 again on a retry. fn must be quick and safe for concurrent use when the
// client posts several imports at once. A nil fn is an error.
func WithProgress(fn func(sent int64)) Option {
	return func(s *settings) error {
		if fn == nil {
			return errors.New("client: WithProgress: the function is nil")
		}
		s.progress = fn
		return nil
	}
}

// WithRetry sets the retry policy; see RetryPolicy and the package
// documentation for what is retried. Negative values are an error.
func WithRetry(p RetryPolicy) Option {
	return func(s *settings) error {
		if p.MaxRetries < 0 || p.InitialWait < 0 || p.MaxWait < 0 || p.MaxRetryAfter < 0 {
			return fmt.Errorf("client: WithRetry: negative values in %+v; use 0 for no retries or for the default waits", p)
		}
		s.retry = p.withDefaults()
		return nil
	}
}

// DefaultMaxResponseBytes bounds the result read from Infiniti unless
// WithMaxResponseBytes says otherwise: enough for the details of about
// 200,000 failed rows.
const DefaultMaxResponseBytes = 32 << 20

// WithMaxResponseBytes bounds how much of a response the client reads; a
// larger result is an error wrapping ErrResponseTooLarge. n must be positive.
func WithMaxResponseBytes(n int64) Option {
	return func(s *settings) error {
		if n <= 0 {
			return fmt.Errorf("client: WithMaxResponseBytes: %d is not a positive number of bytes", n)
		}
		s.maxResponse = n
		return nil
	}
}

// RetryPolicy says how often and how long the client retries an import
// that failed in a way that is safe to retry. Zero waits take the defaults
// of DefaultRetryPolicy; a zero MaxRetries means no retry.
type RetryPolicy struct {
	// MaxRetries is how many times a failed attempt may be retried;
	// 0 means no retry. DefaultRetryPolicy has 2: three attempts in all.
	MaxRetries int
	// InitialWait is the wait before the first retry; it doubles with each
	// retry, with random jitter. Default 500ms.
	InitialWait time.Duration
	// MaxWait caps the doubling wait. Default 5s.
	MaxWait time.Duration
	// MaxRetryAfter caps a wait that a Retry-After header asks for.
	// Default 30s.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy is the policy of a client without WithRetry.
var DefaultRetryPolicy = RetryPolicy{MaxRetries: 2, InitialWait: 500 * time.Millisecond, MaxWait: 5 * time.Second, MaxRetryAfter: 30 * time.Second}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy
	if p.InitialWait == 0 {
		p.InitialWait = d.InitialWait
	}
	if p.MaxWait == 0 {
		p.MaxWait = d.MaxWait
	}
	if p.MaxRetryAfter == 0 {
		p.MaxRetryAfter = d.MaxRetryAfter
	}
	return p
}
