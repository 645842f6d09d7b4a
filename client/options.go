package client

import (
	"cmp"
	"context"
	"crypto/x509"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// An Option configures a Client. An option given bad input makes New
// return a *ConfigError.
type Option interface{ apply(*settings) error }

// A TransportOption configures the SDK's transport, the one New builds
// for a client or NewTransport for many.
type TransportOption interface {
	Option
	transport()
}

type option func(*settings) error

func (o option) apply(s *settings) error { return o(s) }

type transportOption struct{ option }

func (transportOption) transport() {}

type settings struct {
	username, password string
	auth               bool
	provider           func(context.Context) (string, string, error)
	charset            AuthCharset
	tenant             string
	hc                 *http.Client
	tr                 *http.Transport // from WithTransport
	rootCAs            *x509.CertPool
	insecurePlain      bool
	product            string
	logger             *slog.Logger
	progress           func(sent int64)
	retry              RetryPolicy
	maxResponse        int64
	headerTimeout      time.Duration
	headerTimeoutSet   bool
}

// configure applies opts to s, skipping nil ones.
func configure[O Option](s *settings, opts []O) error {
	for _, opt := range opts {
		if any(opt) == nil {
			continue
		}
		if err := opt.apply(s); err != nil {
			return err
		}
	}
	return nil
}

// WithBasicAuth sets the credentials of the Infiniti account the client
// posts as: an account with system administration privileges whose
// password Infiniti itself checks (not SAML single sign-on). The password
// is sent only in the Authorization header and never shown. A username
// that is empty or contains ':' is an error, and so is a password that
// the client would show: one that is the username, or one of 4 bytes or
// more that occurs in the username, the base URL, the tenant or an import
// path.
func WithBasicAuth(username, password string) Option {
	return option(func(s *settings) error {
		if s.auth || s.provider != nil {
			return &ConfigError{Option: "WithBasicAuth", Reason: "the credentials are given twice"}
		}
		s.username, s.password, s.auth = username, password, true
		return nil
	})
}

// WithCredentials makes the client ask fn for the credentials at the
// start of each import call, for credentials kept in a vault. The rules
// of WithBasicAuth apply to each answer; one that breaks them fails the
// call with an error holding a *ConfigError and matching
// ErrNoCredentials. An error of fn fails the call before anything is
// sent; the call's error wraps it and shows its text as it is, so fn's
// errors must not hold the secret. A nil fn is an error, and so is
// combining it with WithBasicAuth or credentials in the base URL.
func WithCredentials(fn func(ctx context.Context) (user, password string, err error)) Option {
	return option(func(s *settings) error {
		switch {
		case fn == nil:
			return &ConfigError{Option: "WithCredentials", Reason: "the function is nil"}
		case s.auth || s.provider != nil:
			return &ConfigError{Option: "WithCredentials", Reason: "the credentials are given twice"}
		}
		s.provider = fn
		return nil
	})
}

// AuthCharset is the character encoding of the Basic Auth credentials,
// which matters only for non-ASCII characters. Which one Infiniti expects
// is not documented.
type AuthCharset int

const (
	// AuthUTF8 sends the credentials in UTF-8, as curl and browsers do
	// (RFC 7617's charset="UTF-8"). It is the default.
	AuthUTF8 AuthCharset = iota
	// AuthLatin1 sends them in ISO-8859-1 (Latin-1), as Python's requests
	// does and as Tomcat's Basic authenticator decodes them by default.
	AuthLatin1
)

// String returns "utf-8" or "iso-8859-1".
func (cs AuthCharset) String() string {
	if cs == AuthUTF8 || cs == AuthLatin1 {
		return [...]string{"utf-8", "iso-8859-1"}[cs]
	}
	return "AuthCharset(" + strconv.Itoa(int(cs)) + ")"
}

// WithAuthCharset sets the encoding of the credentials: AuthUTF8 (the
// default) or AuthLatin1, which cannot hold every character. When
// Infiniti refuses credentials with non-ASCII characters, the error holds
// a *ConfigError naming this option.
func WithAuthCharset(cs AuthCharset) Option {
	return option(func(s *settings) error {
		if cs != AuthUTF8 && cs != AuthLatin1 {
			return &ConfigError{Option: "WithAuthCharset", Reason: "the charset " + strconv.Itoa(int(cs)) + " is unknown"}
		}
		s.charset = cs
		return nil
	})
}

// WithTenant sets the tenantId query parameter that multi-tenant Infiniti
// sites need. An empty tenant is an error.
func WithTenant(tenantID string) Option {
	return option(func(s *settings) error {
		if strings.TrimSpace(tenantID) == "" {
			return &ConfigError{Option: "WithTenant", Reason: "the tenant is empty"}
		}
		s.tenant = tenantID
		return nil
	})
}

// WithHTTPClient makes the client send its requests with a copy of hc
// that never follows redirects. hc's transport decides the rest: TLS,
// proxies (http.DefaultTransport would send a plain-http request,
// password included, through HTTP_PROXY) and timeouts. A nil hc, or a
// TransportOption (WithRootCAs, WithResponseHeaderTimeout) too, is an error.
func WithHTTPClient(hc *http.Client) Option {
	return option(func(s *settings) error {
		switch {
		case hc == nil:
			return &ConfigError{Option: "WithHTTPClient", Reason: "the HTTP client is nil"}
		case s.tr != nil:
			return &ConfigError{Option: "WithHTTPClient", Reason: "cannot be combined with a shared transport"}
		}
		s.hc = hc
		return nil
	})
}

// WithTransport makes the client send its requests with t, such as one
// from NewTransport that many clients share. The client never closes t's
// connections. A nil t, or a TransportOption too (give it to
// NewTransport), is an error. The client keeps NewTransport's rules only
// if t does: a t with a Proxy for plain http, or a lower TLS minimum,
// sends the password where NewTransport's would not.
func WithTransport(t *http.Transport) Option {
	return option(func(s *settings) error {
		switch {
		case t == nil:
			return &ConfigError{Option: "WithTransport", Reason: "the transport is nil"}
		case s.hc != nil && s.tr == nil:
			return &ConfigError{Option: "WithTransport", Reason: "cannot be combined with an own HTTP client"}
		}
		s.hc, s.tr = &http.Client{Transport: t}, t
		return nil
	})
}

// WithRootCAs makes the SDK's transport trust the certificate authorities
// in pem (PEM-encoded certificates) besides the system's, for an Infiniti
// with a certificate from a private authority. pem without a certificate
// is an error.
func WithRootCAs(pem []byte) TransportOption {
	return transportOption{func(s *settings) error {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return &ConfigError{Option: "WithRootCAs", Reason: "no PEM certificate found"}
		}
		s.rootCAs = pool
		return nil
	}}
}

// WithInsecurePlainHTTP allows a base URL with the http scheme to a host
// that is not a loopback address. The password and the school's data then
// cross the network in clear text. It is meant for a lab; never use it
// against a real school.
func WithInsecurePlainHTTP() Option {
	return option(func(s *settings) error {
		s.insecurePlain = true
		return nil
	})
}

// WithUserAgent puts product (such as "acme-sms-sync/2.1") in front of the
// SDK's own User-Agent. An empty product, invalid UTF-8, and control or
// format characters (such as U+202E) are an error.
func WithUserAgent(product string) Option {
	return option(func(s *settings) error {
		switch {
		case strings.TrimSpace(product) == "":
			return &ConfigError{Option: "WithUserAgent", Reason: "the product name is empty"}
		case !utf8.ValidString(product):
			return &ConfigError{Option: "WithUserAgent", Reason: "the product name is not valid UTF-8"}
		case strings.ContainsFunc(product, func(r rune) bool {
			return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
		}):
			return &ConfigError{Option: "WithUserAgent", Reason: "the product name contains control or format characters"}
		}
		s.product = product
		return nil
	})
}

// WithLogger logs each import to l: its start and end (status, bytes,
// attempts, duration, the result's counts) at Info level, each retry at
// Warn level and a failure at Error level. Row outcomes and whole errors,
// which hold students' data, are logged at Debug level only. A nil l
// turns logging off.
func WithLogger(l *slog.Logger) Option {
	return option(func(s *settings) error {
		s.logger = l
		return nil
	})
}

// WithProgress calls fn with the number of CSV bytes sent so far, from
// the goroutine that sends the request; it starts from 0 again on a
// retry. fn must be quick and safe for concurrent use. A nil fn is an
// error.
func WithProgress(fn func(sent int64)) Option {
	return option(func(s *settings) error {
		if fn == nil {
			return &ConfigError{Option: "WithProgress", Reason: "the function is nil"}
		}
		s.progress = fn
		return nil
	})
}

// WithRetry sets the retry policy. Negative values are an error.
func WithRetry(p RetryPolicy) Option {
	return option(func(s *settings) error {
		if p.MaxRetries < 0 || p.InitialWait < 0 || p.MaxWait < 0 || p.MaxRetryAfter < 0 {
			return &ConfigError{Option: "WithRetry", Reason: "a retry count or wait is negative"}
		}
		p.InitialWait = cmp.Or(p.InitialWait, DefaultRetryPolicy.InitialWait)
		p.MaxWait = cmp.Or(p.MaxWait, DefaultRetryPolicy.MaxWait)
		p.MaxRetryAfter = cmp.Or(p.MaxRetryAfter, DefaultRetryPolicy.MaxRetryAfter)
		s.retry = p
		return nil
	})
}

// DefaultMaxResponseBytes bounds the result read from Infiniti unless
// WithMaxResponseBytes says otherwise: enough for about 200,000 failed
// rows.
const DefaultMaxResponseBytes = 32 << 20

// WithMaxResponseBytes bounds how much of a response the client reads; a
// larger result is an error wrapping ErrResponseTooLarge. n must be
// positive.
func WithMaxResponseBytes(n int64) Option {
	return option(func(s *settings) error {
		if n <= 0 {
			return &ConfigError{Option: "WithMaxResponseBytes", Reason: "the bound is not a positive number of bytes"}
		}
		s.maxResponse = n
		return nil
	})
}

// DefaultResponseHeaderTimeout is the SDK's transport's
// ResponseHeaderTimeout unless WithResponseHeaderTimeout says otherwise:
// Infiniti may take minutes to process a large file.
const DefaultResponseHeaderTimeout = 10 * time.Minute

// WithResponseHeaderTimeout sets how long the SDK's transport waits for
// the response headers once the whole request was written; 0 waits
// without a limit but the context's. Past it the import fails with an
// error matching ErrResponseTimeout and is not retried: Infiniti may still
// be importing the file. Keep it at minutes: the last bytes may still be
// in the operating system's buffers. A negative d is an error.
func WithResponseHeaderTimeout(d time.Duration) TransportOption {
	return transportOption{func(s *settings) error {
		if d < 0 {
			return &ConfigError{Option: "WithResponseHeaderTimeout", Reason: "the timeout is negative"}
		}
		s.headerTimeout, s.headerTimeoutSet = d, true
		return nil
	}}
}
