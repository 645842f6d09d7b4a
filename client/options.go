package client

import (
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
type Option func(*settings) error

type settings struct {
	username, password string
	auth               bool
	charset            AuthCharset
	tenant             string
	hc                 *http.Client
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

// WithBasicAuth sets the credentials of the Infiniti account the client
// posts as: an account with system administration privileges whose password
// Infiniti itself checks (SAML single sign-on cannot be used). The password
// may hold any characters; see WithAuthCharset for how non-ASCII ones are
// sent. It is sent only in the Authorization header: over TLS, or in clear
// text to a loopback host or, with WithInsecurePlainHTTP, to any host. It
// never appears in an error, a log record or the printed Client. A
// username that is empty or contains ':' is an error, since Basic Auth
// cannot carry it; so is, in New, a password that is the username or
// occurs in the username, the base URL or the tenant, since the client
// shows those (see New).
func WithBasicAuth(username, password string) Option {
	return func(s *settings) error {
		if username == "" {
			return &ConfigError{Option: "WithBasicAuth", Reason: "the username is empty"}
		}
		if strings.ContainsRune(username, ':') {
			return &ConfigError{Option: "WithBasicAuth", Reason: "the username contains ':', which Basic Auth cannot carry"}
		}
		if s.auth {
			return &ConfigError{Option: "WithBasicAuth", Reason: "the credentials are given twice"}
		}
		s.username, s.password, s.auth = username, password, true
		return nil
	}
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
	switch cs {
	case AuthUTF8:
		return "utf-8"
	case AuthLatin1:
		return "iso-8859-1"
	}
	return "AuthCharset(" + strconv.Itoa(int(cs)) + ")"
}

// WithAuthCharset sets the encoding of the username and password in the
// Authorization header: AuthUTF8 (the default) or AuthLatin1. With
// AuthLatin1, New refuses credentials that ISO-8859-1 cannot hold. When
// Infiniti refuses a password with non-ASCII characters, the error says so
// and suggests the other charset. Another value is an error.
func WithAuthCharset(cs AuthCharset) Option {
	return func(s *settings) error {
		if cs != AuthUTF8 && cs != AuthLatin1 {
			return &ConfigError{Option: "WithAuthCharset", Reason: "the charset " + strconv.Itoa(int(cs)) + " is unknown"}
		}
		s.charset = cs
		return nil
	}
}

// WithTenant sets the tenantId query parameter that multi-tenant Infiniti
// sites need. Without it no tenantId is sent. An empty tenant is an error.
func WithTenant(tenantID string) Option {
	return func(s *settings) error {
		if strings.TrimSpace(tenantID) == "" {
			return &ConfigError{Option: "WithTenant", Reason: "the tenant is empty"}
		}
		s.tenant = tenantID
		return nil
	}
}

// WithHTTPClient makes the client send its requests with hc, for example
// one that goes through a particular proxy. The client uses a copy of hc
// that never follows redirects; everything else is hc's to decide:
//
//   - TLS: hc's transport and its TLS settings are used as they are, so
//     certificates are verified unless hc was set up not to. WithRootCAs
//     cannot be combined with it.
//   - Proxies: hc's transport decides. http.DefaultTransport, for one,
//     honours HTTP_PROXY, HTTPS_PROXY and NO_PROXY, and would send a
//     plain-http request, password included, through an HTTP proxy. The
//     SDK's own transport never proxies plain http or loopback requests.
//   - Timeouts: hc's rule. A timeout after the whole file was handed to
//     the connection matches ErrResponseTimeout and is not retried.
//     WithResponseHeaderTimeout cannot be combined with it.
//
// A nil hc is an error.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
		if hc == nil {
			return &ConfigError{Option: "WithHTTPClient", Reason: "the HTTP client is nil"}
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
			return &ConfigError{Option: "WithRootCAs", Reason: "no PEM certificate found"}
		}
		s.rootCAs = pool
		return nil
	}
}

// WithInsecurePlainHTTP allows a base URL with the http scheme to a host
// that is not a loopback address. The password and the school's data then
// cross the network in clear text, readable by anyone on the path. It is
// meant for a lab or a test network; never use it against a real school.
// The SDK's own transport sends such requests directly, never through a
// proxy.
func WithInsecurePlainHTTP() Option {
	return func(s *settings) error {
		s.insecurePlain = true
		return nil
	}
}

// WithUserAgent puts product (such as "acme-sms-sync/2.1") in front of the
// SDK's own User-Agent, so that server logs show which program posted.
// An empty product, one that is not valid UTF-8 and one with control
// characters (ASCII or Unicode, such as U+0085, or a line separator) or
// invisible format characters (Unicode category Cf, such as the
// right-to-left override U+202E) is an error.
func WithUserAgent(product string) Option {
	return func(s *settings) error {
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
	}
}

// WithLogger logs each import to l: at Info level when it starts (endpoint,
// tenant) and ends (status, bytes, attempts, duration, the result's
// counts), at Warn level for each retry, and at Error level when it fails
// (the error without any row's message or body snippet). Only at Debug
// level does it log each row outcome and the whole error: those hold
// personal data of students. A nil l turns logging off.
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
			return &ConfigError{Option: "WithProgress", Reason: "the function is nil"}
		}
		s.progress = fn
		return nil
	}
}

// WithRetry sets the retry policy; see RetryPolicy for what is retried. Negative values are an error.
func WithRetry(p RetryPolicy) Option {
	return func(s *settings) error {
		if p.MaxRetries < 0 || p.InitialWait < 0 || p.MaxWait < 0 || p.MaxRetryAfter < 0 {
			return &ConfigError{Option: "WithRetry", Reason: "a retry count or wait is negative"}
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
			return &ConfigError{Option: "WithMaxResponseBytes", Reason: "the bound is not a positive number of bytes"}
		}
		s.maxResponse = n
		return nil
	}
}

// DefaultResponseHeaderTimeout is how long the SDK's own transport waits
// for the response headers once the whole request was written, unless
// WithResponseHeaderTimeout says otherwise. Infiniti may take minutes to
// process a large file.
const DefaultResponseHeaderTimeout = 10 * time.Minute

// WithResponseHeaderTimeout sets the ResponseHeaderTimeout of the SDK's
// own transport: how long it waits for the response headers once the whole
// request was written to the connection; 0 waits without a limit (the
// context's deadline still applies). Past it the import fails with an
// error matching ErrResponseTimeout and is not retried: Infiniti may still
// be processing the file. The last bytes written may still be in the
// operating system's buffers on a slow link, so keep it at minutes. A
// negative d is an error, and so is combining it with WithHTTPClient.
func WithResponseHeaderTimeout(d time.Duration) Option {
	return func(s *settings) error {
		if d < 0 {
			return &ConfigError{Option: "WithResponseHeaderTimeout", Reason: "the timeout is negative"}
		}
		s.headerTimeout, s.headerTimeoutSet = d, true
		return nil
	}
}
