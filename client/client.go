// Package client posts CSV files to the Infiniti autoSync import endpoints
// and returns Infiniti's typed result.
//
// It is what the vendor's example script,
//
//	curl -k -X POST -F "file=@user-groups.csv" https://user:password@host/api/import/userGroups?tenantId=T
//
// should have been: the server's certificate is verified, the password
// travels only in the Authorization header (a curl-style base URL is
// accepted and its credentials moved there), redirects are not followed,
// the file streams without being held in memory, failures are retried
// where that is safe, and the answer comes back as a *result.Result and a
// typed error.
//
// # Security
//
// The base URL must use https. Plain http is accepted for loopback hosts
// (tests against a local server: the literal addresses 127.0.0.0/8 and ::1
// and the exact name localhost, not other names such as
// infiniti.localhost, which DNS resolves) and otherwise only with
// WithInsecurePlainHTTP. Certificates are verified unless the caller hands
// in its own *http.Client set up otherwise.
//
// The SDK's own transport uses the proxy that HTTPS_PROXY and NO_PROXY
// name (as Go programs and curl do) for https only: through a proxy, https
// is a tunnel the proxy cannot read. Plain http requests and requests to a
// loopback host never go through a proxy, since a plain http proxy would
// read the password. With WithHTTPClient, the caller's transport decides.
//
// Credentials never appear in a URL, an error string, a log record or the
// printed Client, nor in a field that a dumper walking the Client by
// reflection (go-spew, testify's diffs) can reach. New refuses a password
// that is the username, or that occurs in the username, the base URL or
// the tenant, since those are shown (see New).
//
// Every piece of text a server sent that goes into an error string or a
// log attribute (a body's snippet, a Location header, a result's summary,
// row messages and keys, a transport error) goes through one path, once,
// when the error is built: the piece is decoded as a server could have
// encoded it (percent-encoding, JSON and JavaScript escapes such as \u00f6
// and \/, HTML references such as &amp;, one upon another) and, if any
// decoding holds the password, in UTF-8 or ISO-8859-1, or the base64 of
// the credentials, it is withheld whole, shown as "(withheld: it echoed
// the credentials)". Otherwise it is cut to its first 300 bytes and made
// one line, control characters escaped. The client's own words around it
// are never altered, so that no mark shows where a password stood. The
// *result.Result an import returns, and the *result.ImportError inside its
// error, keep Infiniti's text as it came: they are data the caller asked
// for. The transport's own error is not reachable with errors.As: the
// error holds its text as such a piece, and unwraps to the context's
// errors, io.EOF, a syscall.Errno and the certificate error types only.
// Redirects are never followed: a *RedirectError names the target's
// scheme, host and path, so that the base URL can be fixed.
//
// # Errors
//
// When Infiniti processed the file but some rows failed, the import methods
// return the *result.Result and an error wrapping *result.ImportError, so
// that a caller who checks only err still notices. Bad credentials, by a 401
// or by Infiniti's "Unauthorised" result, match ErrUnauthorized (and not
// *result.ImportError: no row was imported or failed); 403, 404 and
// 413 match ErrForbidden, ErrNotFound and ErrTooLarge; any other unexpected
// status, and a body that is not a result (an HTML login page), is a
// *StatusError with a short snippet of the body; a non-2xx answer whose
// body is a result that says the import failed also holds the
// *result.ImportError. An error of the caller's own CSV reader is said to
// be one ("reading the CSV: ..."), wraps the reader's error and is not
// retried. Cancelling the context stops an upload at once, with an error
// matching context.Canceled or context.DeadlineExceeded, even while a
// plain io.Reader blocks in Read (see Import). New reports a
// mistake in the base URL or the options as a *ConfigError, which names
// the option that fixes it.
//
// # Limits
//
// With the SDK's own transport, the client waits at most 10 minutes
// (DefaultResponseHeaderTimeout) from the end of the upload for the
// response headers, and as long for each piece of the response's body once
// it has started; past that the import fails with ErrResponseTimeout and
// is not retried, since Infiniti may still be processing the file. The
// clock starts when the last byte has been written to the connection, not
// when the server has received it: over a slow link the operating system
// may still be sending several megabytes then, so keep the limit at
// minutes. WithResponseHeaderTimeout changes or removes the limit; the
// upload itself has none but the context's. A result is read up to 32 MiB
// (DefaultMaxResponseBytes, about 200,000 failed rows' details); a longer
// 2xx body fails with ErrResponseTooLarge (WithMaxResponseBytes changes
// the bound). An error status's body is read up to 64 KiB. Errors and log
// records show at most 300 bytes of each piece of server text.
//
// # Retries
//
// An import is retried, by default up to 2 times (3 attempts), when it
// failed in a way that is safe to retry: a connection failure before the
// transport had taken the whole body, or a 429, 502, 503 or 504 status.
// The wait starts at 500ms and doubles up to 5s, with random jitter; a
// Retry-After header (seconds or a date) is honoured, capped at 30s. No
// retry waits past the context's deadline. Never retried: a failure of the
// connection once the whole body had been handed to it (Infiniti may have
// received and processed the file; a timeout then matches
// ErrResponseTimeout), certificate errors, redirects, other 4xx statuses,
// any 2xx answer, a response timeout, an error of the caller's CSV reader,
// a done context. WithRetry changes the numbers.
//
// The body is re-sent only when it can be read again from the start: an
// io.Seeker (such as an *os.File, re-sent from where it was when the import
// began) or rows the client encodes itself (ImportUserGroupRows). A plain
// io.Reader is retried only when none of it had been read.
//
// Re-sending a file is safe: Infiniti's imports are upserts keyed by
// username, so posting the same file twice converges to the same state.
//
// # Logging
//
// WithLogger logs each import. Records at Info level and above carry the
// endpoint, tenant, status, bytes, attempts, duration and counts, never a
// row of the file or of the result; only Debug records carry Infiniti's
// per-row outcomes, which are personal data of students.
//
// A Client is safe for concurrent use by multiple goroutines.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/internal/textsafe"
	"github.com/autosync-go/autosync/result"
)

// Version is the SDK's version, sent in the User-Agent.
const Version = "0.1.0"

// UserGroupsPath is the path of the user-groups import, below the base URL.
const UserGroupsPath = "/api/import/userGroups"

// userGroupsFile is the file name of the multipart part for user groups;
// Infiniti ignores it, but it tells a person reading server logs what it is.
const userGroupsFile = "user-groups.csv"

// A Client posts imports to one Infiniti site. Create it with New.
//
// Printed with fmt or logged with slog, a Client shows its base URL, user
// and tenant only; the password is held where neither reaches it.
type Client struct {
	base          url.URL // scheme, host and path prefix; no credentials, query or fragment
	username      string
	cred          *credentials // nil without credentials; prints as [REDACTED]
	tenant        string
	hc            *http.Client
	userAgent     string
	logger        *slog.Logger
	progress      func(int64)
	retry         RetryPolicy
	maxResponse   int64
	headerTimeout time.Duration // 0: no limit of the client's own
	callerHC      bool          // whether hc is the caller's (WithHTTPClient)
	sleep         func(context.Context, time.Duration) error
	jitter        func(time.Duration) time.Duration
}

// New returns a client for the Infiniti site at baseURL, such as
// "https://myschool.concordinfiniti.com". The base URL may carry a path
// prefix (a site behind a reverse proxy), which is kept in front of the
// import paths. A curl-style URL with credentials,
// "https://user:pass@host", is accepted: the credentials are used for Basic
// Auth and removed from the URL (special characters in them must be
// percent-encoded, as in any URL; WithBasicAuth takes them as they are).
//
// New returns a *ConfigError, which never contains the URL's credentials,
// for a URL that does not parse; that has no host, a query, a fragment, an
// @ after the host (a password's unencoded /), a . or .. segment, an
// encoded slash or a ; in its path, or an import path already
// (/api/import/...); whose scheme is not https (http is allowed for
// loopback hosts, or with WithInsecurePlainHTTP); for an option given bad
// input; and for options that do not go together.
//
// New also refuses a password that errors and log records would show,
// since they print the username, the base URL and the tenant as they are:
// a password that is the username, or one of 4 bytes or more that occurs
// in the username, the base URL or the tenant ("concord" for
// https://myschool.concordinfiniti.com). The error states this rule and
// does not say which of them holds the password. A password shorter than
// 4 bytes is looked for in none of them, and may occur in them, or in the
// client's own words, by chance.
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		// url.Error quotes the URL and parts of it: the password could be
		// among them, so nothing of it is repeated here.
		return nil, &ConfigError{Reason: "the base URL does not parse as a URL; it should look like https://yourschool.concordinfiniti.com, and a password in it must be percent-encoded (@ as %40, / as %2F)"}
	}
	// An @ after the host: a password with an unencoded / ? or #, whose
	// start was read as the host. Nothing of the URL is repeated.
	if strings.Contains(u.Opaque, "@") || strings.Contains(u.Path, "@") || strings.Contains(u.RawQuery, "@") || strings.Contains(u.Fragment, "@") {
		return nil, &ConfigError{Option: "WithBasicAuth", Reason: "the base URL has an @ after its host, as when a password in it holds an unencoded / ? or #; percent-encode the password (/ as %2F, ? as %3F, # as %23)", fix: "or give the credentials with WithBasicAuth"}
	}
	var s settings
	if u.User != nil {
		pass, _ := u.User.Password()
		if err := WithBasicAuth(u.User.Username(), pass)(&s); err != nil {
			ce := err.(*ConfigError)
			return nil, &ConfigError{Option: ce.Option, Reason: "the credentials in the base URL: " + ce.Reason}
		}
		u.User = nil
	}
	s.retry = DefaultRetryPolicy
	s.maxResponse = DefaultMaxResponseBytes
	s.headerTimeout = DefaultResponseHeaderTimeout
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&s); err != nil {
			return nil, err
		}
	}
	if err := checkBase(u, &s); err != nil {
		return nil, err
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""

	c := &Client{
		base:        *u,
		username:    s.username,
		tenant:      s.tenant,
		logger:      s.logger,
		progress:    s.progress,
		retry:       s.retry,
		maxResponse: s.maxResponse,
		sleep:       sleepContext,
		jitter:      jitter,
	}
	c.userAgent = "autosync-go/" + Version + " (+https://github.com/autosync-go/autosync)"
	if s.product != "" {
		c.userAgent = s.product + " " + c.userAgent
	}
	switch {
	case s.hc != nil && s.rootCAs != nil:
		return nil, &ConfigError{Option: "WithRootCAs", Reason: "a certificate authority and an own HTTP client are both given, and the client's TLS settings rule", fix: "set RootCAs in your *http.Client's transport instead of WithRootCAs"}
	case s.hc != nil && s.headerTimeoutSet:
		return nil, &ConfigError{Option: "WithResponseHeaderTimeout", Reason: "a response-header timeout and an own HTTP client are both given, and the client's timeouts rule", fix: "set ResponseHeaderTimeout in your *http.Client's transport instead of WithResponseHeaderTimeout"}
	case s.hc != nil:
		hc := *s.hc
		hc.Transport = redirectStopper{hc.Transport}
		hc.CheckRedirect = noRedirect
		c.hc, c.callerHC = &hc, true
	default:
		c.hc = &http.Client{Transport: redirectStopper{newTransport(s.rootCAs)}, CheckRedirect: noRedirect}
		c.headerTimeout = s.headerTimeout
	}
	if s.auth {
		if err := checkPassword(s.password, c); err != nil {
			return nil, err
		}
		cred, err := newCredentials(s.username, s.password, s.charset)
		if err != nil {
			return nil, err
		}
		c.cred = cred
	}
	return c, nil
}

// minCheckedPassword is the shortest password checkPassword looks for
// inside the username, the base URL and the tenant. A shorter one is
// refused only when it is the username: three letters occur by chance in
// many URLs ("sch" in a school's), and refusing them would tell little.
const minCheckedPassword = 4

// checkPassword refuses a password that the client would show anyway,
// since errors and log records print the username, the base URL and the
// tenant as they are: one that is the username, or one of at least
// minCheckedPassword bytes that occurs in any of them. The error says the
// rule, not which of them holds the password.
func checkPassword(password string, c *Client) error {
	if password == "" {
		return nil
	}
	refuse := password == c.username
	if len(password) >= minCheckedPassword {
		for _, shown := range []string{c.username, c.BaseURL(), c.tenant, url.QueryEscape(c.tenant)} {
			refuse = refuse || strings.Contains(shown, password)
		}
	}
	if refuse {
		return &ConfigError{Option: "WithBasicAuth", Reason: "the password must not be the username, nor occur in the username, the base URL or the tenant, which errors and log records show as they are; give the import account a password of its own"}
	}
	return nil
}

// checkBase checks a parsed base URL; u.Scheme is lowered.
func checkBase(u *url.URL, s *settings) error {
	u.Scheme = strings.ToLower(u.Scheme)
	lowerPath := strings.ToLower(u.Path) + "/"
	escaped := strings.ToLower(u.EscapedPath())
	dotSegment := false
	for seg := range strings.SplitSeq(u.Path, "/") {
		dotSegment = dotSegment || seg == "." || seg == ".."
	}
	const site = "https://yourschool.concordinfiniti.com"
	switch {
	case u.Scheme == "":
		return &ConfigError{Reason: "the base URL has no scheme; it should look like " + site}
	case u.Scheme != "https" && u.Scheme != "http":
		return &ConfigError{Reason: "the base URL does not start with https://; it should look like " + site}
	case u.Host == "" || u.Hostname() == "":
		return &ConfigError{Reason: "the base URL has no host; it should look like " + site}
	case strings.Contains(lowerPath, "/api/import/"):
		ce := &ConfigError{Reason: "the base URL holds an import path (/api/import/...); give only the site, such as " + site + ": the client adds the import path itself"}
		if u.RawQuery != "" {
			ce.Option, ce.fix = "WithTenant", "give the tenant with WithTenant, not in the URL"
		}
		return ce
	case u.RawQuery != "" || u.ForceQuery:
		return &ConfigError{Option: "WithTenant", Reason: "the base URL has a query (from ?); give only the site, such as " + site, fix: "give the tenant with WithTenant"}
	case u.Fragment != "":
		return &ConfigError{Reason: "the base URL has a #fragment; leave it out"}
	case strings.Contains(u.Path, "//"):
		return &ConfigError{Reason: "the base URL's path has an empty segment (//), which servers read in different ways; give the path prefix with single slashes, such as https://proxy.example/infiniti"}
	case dotSegment:
		return &ConfigError{Reason: "the base URL's path has a . or .. segment; give the path prefix as it is, such as https://proxy.example/infiniti"}
	case strings.Contains(escaped, "%2f") || strings.Contains(escaped, "%5c") || strings.Contains(u.Path, `\`):
		return &ConfigError{Reason: "the base URL's path has an encoded slash (%2F) or a backslash, which servers read in different ways; give the path prefix with plain / only"}
	case strings.Contains(u.Path, ";"):
		return &ConfigError{Reason: "the base URL's path has a ;, which servers such as Tomcat read as path parameters; leave it out"}
	case u.Scheme == "http" && !isLoopback(u.Hostname()) && !s.insecurePlain:
		host := textsafe.OneLine(u.Hostname())
		reason := "the base URL uses plain http to " + host + ", which would send the password and the school's data in clear text; use https"
		if h := strings.ToLower(u.Hostname()); strings.HasSuffix(h, ".localhost") {
			reason = "the base URL uses plain http to " + host + ", which is not a loopback host: only the name localhost and the addresses 127.0.0.1 and ::1 are, other names are resolved by DNS and may go through a proxy; use http://localhost or https"
		}
		return &ConfigError{Option: "WithInsecurePlainHTTP", Reason: reason, fix: "WithInsecurePlainHTTP allows http, for test networks only"}
	}
	return nil
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// locationKey holds a redirect's Location while the response passes
// through http.Client.
const locationKey = "X-Autosync-Location"

// redirectStopper moves the Location header of a 3xx response aside, so
// that http.Client returns the response as it is: it would otherwise parse
// the Location before asking CheckRedirect, and fail, as if the connection
// had, on one that does not parse. A nil rt is http.DefaultTransport, as
// it is for http.Client: looked up at each request.
type redirectStopper struct{ rt http.RoundTripper }

func (r redirectStopper) transport() http.RoundTripper {
	if r.rt == nil {
		return http.DefaultTransport
	}
	return r.rt
}

func (r redirectStopper) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.transport().RoundTrip(req)
	if err == nil && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		if loc, ok := resp.Header["Location"]; ok {
			resp.Header = resp.Header.Clone()
			resp.Header.Del("Location")
			resp.Header[locationKey] = loc
		}
	}
	return resp, err
}

// CloseIdleConnections closes the idle connections of the transport below.
func (r redirectStopper) CloseIdleConnections() {
	if c, ok := r.transport().(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// isLoopback reports whether host is a literal loopback address or the
// exact name localhost, which Go resolves without DNS and never proxies.
// Other names, *.localhost included, are resolved by DNS.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// environmentProxy is the proxy of the environment; tests replace it.
var environmentProxy = http.ProxyFromEnvironment

// proxy is the SDK's transport's proxy: the environment's for https,
// none for plain http (a proxy would read the password) or loopback.
func proxy(req *http.Request) (*url.URL, error) {
	if req.URL.Scheme != "https" || isLoopback(req.URL.Hostname()) {
		return nil, nil
	}
	return environmentProxy(req)
}

// newTransport returns the SDK's own transport: http.DefaultTransport's
// settings, built afresh (a program may have replaced DefaultTransport),
// with the proxy policy above and TLS 1.2 or later.
func newTransport(rootCAs *x509.CertPool) *http.Transport {
	return &http.Transport{
		Proxy:                 proxy,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: rootCAs},
	}
}

// ImportUserGroups posts a user-groups CSV (header username, library-group,
// system-group) to the user-groups import and returns Infiniti's result.
// See Import for the body, the errors and the retries.
func (c *Client) ImportUserGroups(ctx context.Context, csv io.Reader) (*result.Result, error) {
	return c.importFile(ctx, UserGroupsPath, csv, userGroupsFile)
}

// ImportUserGroupRows encodes rows with csvspec.Writer while posting them to
// the user-groups import. Since the client encodes the rows itself, a
// failed attempt can always be re-sent: rows is ranged over once per
// attempt and must yield the same rows each time (slices.Values does).
//
// Two attempts never range over rows at once, and once the call has
// returned rows is not read again, so the caller may then change the
// slice behind it. When an attempt ends early (the server answered before
// reading the whole upload), the client stops ranging at the next row and
// waits for that: an iterator that blocks holds the call up until it
// yields or returns. rows is ranged over in a goroutine of the client's;
// if it panics, the attempt fails and the panic goes on, with the same
// value, in the goroutine that called ImportUserGroupRows, where it can be
// recovered (as with iter.Pull).
func (c *Client) ImportUserGroupRows(ctx context.Context, rows iter.Seq[csvspec.UserGroup]) (*result.Result, error) {
	if rows == nil {
		return refused(ctx, errNilRows)
	}
	return c.do(ctx, UserGroupsPath, encodeRows(rows, func(w io.Writer) rowWriter[csvspec.UserGroup] { return csvspec.NewWriter(w) }), userGroupsFile)
}

// rowWriter is a csvspec writer of one import's rows.
type rowWriter[T any] interface {
	Write(T) error
	Flush() error
}

// encodeRows returns a source that encodes rows with a writer from
// newWriter while they are sent, ranging over rows once per attempt.
func encodeRows[T any](rows iter.Seq[T], newWriter func(io.Writer) rowWriter[T]) encodeSource {
	return encodeSource{encode: func(w io.Writer, stopped func() bool) error {
		cw := newWriter(w)
		for row := range rows {
			if stopped() {
				return errBodyClosed
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		return cw.Flush()
	}}
}

// Import posts a CSV to the import at path below the base URL, for the
// autoSync imports that have no method of their own. The path must start
// with "/"; its segments may hold letters, digits and - _ . ~ only, and
// none may be . or .. (so that no server reads it as another path). A path
// that breaks these rules is an error matching ErrInvalidPath, and nothing
// is sent.
//
// The CSV is streamed, never held in memory. It is sent as the only file
// part of a multipart/form-data body (form name "file", Content-Type
// text/csv), with Content-Length when csv is an io.Seeker. An empty csv
// posts an empty file, which Infiniti accepts.
// A csv that is not an io.Seeker (os.Stdin fed by an export, a network
// stream) is read in a goroutine of the client's, so that the call returns
// as soon as its context ends even while a Read of csv blocks. Such a Read
// may then finish after the call has returned; its data is discarded, and
// csv is not read again.
//
// The *result.Result is returned whenever Infiniti answered with one, even
// with an error: when rows failed (the error wraps *result.ImportError),
// when it refused the credentials (ErrUnauthorized), or with an unexpected
// status. See the package documentation for the errors and retries.
func (c *Client) Import(ctx context.Context, path string, csv io.Reader) (*result.Result, error) {
	if err := checkPath(path); err != nil {
		return refused(ctx, err)
	}
	return c.importFile(ctx, path, csv, "import.csv")
}

// checkPath checks an import path: segments of safe characters only. Its
// error matches ErrInvalidPath.
func checkPath(path string) error {
	bad := func(format string, args ...any) error { return &pathError{msg: fmt.Sprintf(format, args...)} }
	if !strings.HasPrefix(path, "/") {
		return bad("client: the import path %q must start with /, like %s", path, UserGroupsPath)
	}
	if strings.ContainsAny(path, "?#") {
		return bad("client: the import path %q has a query or fragment; give the tenant with WithTenant", path)
	}
	segs := strings.Split(path[1:], "/")
	for i, seg := range segs {
		switch {
		case seg == "" && i < len(segs)-1:
			return bad("client: the import path %q has an empty segment (//)", path)
		case seg == "." || seg == "..":
			return bad("client: the import path %q has a . or .. segment", path)
		}
		for _, r := range seg {
			if !isSegmentRune(r) && r != '.' && r != '~' {
				return bad("client: the import path %q has the character %q; a segment may hold letters, digits and - _ . ~ only", path, r)
			}
		}
	}
	return nil
}

// isSegmentRune reports whether r is an ASCII letter or digit, - or _.
func isSegmentRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}

func (c *Client) importFile(ctx context.Context, path string, csv io.Reader, filename string) (*result.Result, error) {
	if csv == nil {
		return refused(ctx, errNilCSV)
	}
	if rs, ok := csv.(io.ReadSeeker); ok {
		// An *os.File that is a pipe (os.Stdin, say) is an io.Seeker
		// that cannot seek: it is sent as a plain reader.
		if s, err := newSeekSource(rs); err == nil {
			return c.do(ctx, path, s, filename)
		}
	}
	return c.do(ctx, path, newOnceSource(csv), filename)
}

// refused returns err for an import call that sent nothing, after filling
// the caller's Stats, if any, with a zero Stats.
func refused(ctx context.Context, err error) (*result.Result, error) {
	if st := statsFrom(ctx); st != nil {
		*st = Stats{}
	}
	return nil, err
}

// errNilRows is the error of a row import given nil rows.
var errNilRows = errors.New("client: the rows are nil; pass slices.Values of an empty slice to post an empty file")

// endpoint returns the URL of an import path, with the tenant.
func (c *Client) endpoint(path string) string {
	u := c.base
	u.Path = c.base.Path + path
	if c.tenant != "" {
		u.RawQuery = url.Values{"tenantId": {c.tenant}}.Encode()
	}
	return u.String()
}

// outcome is the end of one attempt.
type outcome struct {
	res        *result.Result
	err        error
	status     int
	sent       int64
	handedOver bool          // the transport read the whole CSV body
	retry      string        // why the attempt may be retried; "" if it may not
	retryAfter time.Duration // what the server asked for, 0 if nothing
}

func (c *Client) do(ctx context.Context, path string, src source, filename string) (*result.Result, error) {
	defer src.done()
	endpoint := c.endpoint(path)
	start := time.Now()
	log := c.logger
	if log != nil {
		attrs := []any{slog.String("endpoint", endpoint)}
		if c.tenant != "" {
			attrs = append(attrs, slog.String("tenant", c.tenant))
		}
		log = log.With(attrs...)
		log.InfoContext(ctx, "autosync: import started")
	}
	var o outcome
	attempt := 1
	for ; ; attempt++ {
		o = c.attempt(ctx, endpoint, src, filename, attempt)
		if o.retry == "" || attempt > c.retry.MaxRetries {
			break
		}
		if !src.rewindable() && o.sent > 0 {
			withNote(o.err, "not retried: part of the CSV was already sent and a plain io.Reader cannot be read again; pass an io.Seeker such as an *os.File to allow retries")
			break
		}
		wait := c.backoff(attempt, o.retryAfter)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			withNote(o.err, fmt.Sprintf("not retried: the next attempt, in %v, would come after the context's deadline", wait.Round(time.Millisecond)))
			break
		}
		if log != nil {
			log.WarnContext(ctx, "autosync: import retry", slog.Int("attempt", attempt), slog.String("reason", o.retry), slog.Duration("wait", wait))
		}
		if err := c.sleep(ctx, wait); err != nil {
			o.res, o.retry = nil, ""
			o.err = &attemptError{endpoint: endpoint, attempts: attempt, msg: "waiting to retry: " + err.Error(), errs: []error{err}}
			break
		}
	}
	if st := statsFrom(ctx); st != nil {
		*st = Stats{StatusCode: o.status, BytesSent: o.sent, HandedOver: o.handedOver || o.status != 0, Attempts: attempt, Duration: time.Since(start)}
	}
	if log != nil {
		c.logEnd(ctx, log, o, attempt, time.Since(start))
	}
	return o.res, o.err
}

// logEnd logs the end of an import: counts and errors at Info or Error
// level, each row outcome and the whole error at Debug level only.
func (c *Client) logEnd(ctx context.Context, log *slog.Logger, o outcome, attempts int, d time.Duration) {
	attrs := []any{slog.Int("status", o.status), slog.Int64("bytes", o.sent), slog.Int("attempts", attempts), slog.Duration("duration", d)}
	debug := log.Enabled(ctx, slog.LevelDebug)
	if o.res != nil {
		if n, ok := o.res.Counts(); ok {
			attrs = append(attrs, c.cred.intAttr("processed", n.Processed), c.cred.intAttr("created", n.Created), c.cred.intAttr("updated", n.Updated), c.cred.intAttr("failed", n.Failed))
		}
		if !o.res.Unauthorized() {
			attrs = append(attrs, slog.Int("failed_rows", len(o.res.Failures())))
		}
		if debug {
			for _, row := range o.res.Details {
				log.DebugContext(ctx, "autosync: row outcome", c.cred.intAttr("row", row.Row), slog.String("status", row.Status.String()),
					slog.String("message", c.cred.fragment(row.Message)))
			}
		}
	}
	if o.err != nil {
		text := logText(o.err)
		if full := o.err.Error(); debug && full != text {
			log.DebugContext(ctx, "autosync: import failed, in full", slog.String("error", full))
		}
		log.ErrorContext(ctx, "autosync: import failed", append(attrs, slog.String("error", text))...)
		return
	}
	log.InfoContext(ctx, "autosync: import finished", attrs...)
}

// withNote records on err why it was not retried.
func withNote(err error, note string) {
	switch e := err.(type) {
	case *attemptError:
		e.note = note
	case *StatusError:
		e.note = note
	}
}

// errRowsPanicked fails the upload of an attempt whose rows panicked; the
// panic itself goes on in the caller's goroutine.
var errRowsPanicked = errors.New("the rows' iterator panicked")

// errBodyStalled cancels an attempt whose response body stalled.
var errBodyStalled = errors.New("the response body stalled")

// attempt makes one request and classifies its outcome. It returns only
// once nothing reads the CSV any more. A panic of the caller's rows goes
// on here, in the caller's goroutine.
func (c *Client) attempt(ctx context.Context, endpoint string, src source, filename string, n int) outcome {
	fail := func(msg string, errs ...error) outcome {
		return outcome{err: &attemptError{endpoint: endpoint, attempts: n, msg: msg, errs: errs}}
	}
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	content, size, err := src.open(actx)
	if err != nil {
		return fail("rewinding the CSV: "+textsafe.OneLine(err.Error()), &sourceError{err})
	}
	wait := &headerWait{d: c.headerTimeout, cancel: cancel}
	var handedOver atomic.Bool // whether the transport read the whole body
	cnt := &counter{r: content, progress: c.progress}
	body, length, ctype, err := multipartBody(readCloser{cnt, content}, size, filename, func() {
		handedOver.Store(true)
		wait.start()
	})
	if err != nil {
		content.Close()
		return fail("building the request: "+err.Error(), err)
	}
	req, err := http.NewRequestWithContext(actx, http.MethodPost, endpoint, body)
	if err != nil {
		body.Close()
		return fail("building the request: "+err.Error(), err)
	}
	req.ContentLength = length
	if length < 0 {
		req.ContentLength = 0 // unknown: sent chunked
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if c.cred != nil {
		req.Header.Set("Authorization", c.cred.secret().header)
	}
	resp, err := c.hc.Do(req)
	wait.stop()
	body.Close() // waits until nothing reads the CSV
	if p, ok := content.(interface{ panicked() *panicValue }); ok {
		if v := p.panicked(); v != nil {
			if resp != nil {
				resp.Body.Close()
			}
			panic(v.v)
		}
	}
	o := outcome{sent: cnt.n.Load(), handedOver: handedOver.Load()}
	if err != nil {
		inner := err
		var ue *url.Error
		if errors.As(err, &ue) {
			inner = ue.Err // its text repeats the URL
		}
		te := c.transportError(inner)
		srcErr := cnt.err.Load()
		switch {
		case ctx.Err() != nil:
			o.err = fail(ctx.Err().Error(), ctx.Err()).err
		case context.Cause(actx) == ErrResponseTimeout:
			o.err = c.timeoutError(endpoint, n)
		case srcErr != nil:
			what := "reading the CSV: "
			if _, ok := src.(encodeSource); ok {
				what = "encoding the rows: "
			}
			o.err = fail(what+textsafe.OneLine(srcErr.Error()), srcErr).err
		case isCertificateError(err):
			o.err = fail(ErrCertificate.Error()+": "+te.msg+"; if the school uses a private certificate authority, trust it with WithRootCAs (or WithHTTPClient)",
				ErrCertificate, te).err
		case handedOver.Load() && te.timeout:
			msg := "the whole file was handed to the connection, but a timeout ended the wait for the response (" + te.msg + "); Infiniti may still be processing it, so it was not sent again: check the import in Infiniti"
			if c.callerHC {
				msg += ", and raise the timeouts of the *http.Client given with WithHTTPClient if large files take longer"
			}
			o.err = fail(msg, ErrResponseTimeout, te).err
		case handedOver.Load():
			o.err = fail(te.msg+"; not retried: the whole file had been handed to the connection, and Infiniti may have received and processed it: check the import in Infiniti before posting again", te).err
		default:
			o.err = fail(te.msg, te).err
			o.retry = "connection failed: " + te.msg
		}
		return o
	}
	defer resp.Body.Close()
	o.status = resp.StatusCode
	return c.response(actx, cancel, resp, endpoint, n, o)
}

// transportError returns the transport's error err as the client shows
// it: its text a fragment, unwrapping only to the context's errors, io.EOF
// and io.ErrUnexpectedEOF, a syscall.Errno, and the certificate error
// types.
func (c *Client) transportError(err error) *transportError {
	te := &transportError{msg: c.cred.fragment(err.Error())}
	var ne net.Error
	te.timeout = errors.As(err, &ne) && ne.Timeout()
	for _, target := range []error{context.Canceled, context.DeadlineExceeded, io.EOF, io.ErrUnexpectedEOF} {
		if errors.Is(err, target) {
			te.errs = append(te.errs, target)
		}
	}
	var errno syscall.Errno // ECONNREFUSED, ECONNRESET: a number, no text of the server's
	if errors.As(err, &errno) {
		te.errs = append(te.errs, errno)
	}
	if ce := certificateError(err); ce != nil {
		te.errs = append(te.errs, ce)
	}
	return te
}

// timeoutError is the error of an attempt whose response headers did not
// come within the response-header timeout.
func (c *Client) timeoutError(endpoint string, n int) error {
	return &attemptError{endpoint: endpoint, attempts: n, errs: []error{ErrResponseTimeout},
		msg: fmt.Sprintf("the whole file was handed to the connection, but no response came within %v (the response-header timeout, counted from when the last byte was written to the connection: over a slow link the operating system may then still be sending the last megabytes); Infiniti may still be processing it, so it was not sent again: check the import in Infiniti, and raise the limit with WithResponseHeaderTimeout if large files take longer", c.headerTimeout)}
}

// headerWait is the response-header timeout: a clock started when the
// whole body has been read, stopped when the response headers came.
type headerWait struct {
	d      time.Duration
	cancel context.CancelCauseFunc
	mu     sync.Mutex
	t      *time.Timer
	done   bool
}

func (h *headerWait) start() {
	if h.d <= 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done || h.t != nil {
		return
	}
	h.t = time.AfterFunc(h.d, func() { h.cancel(ErrResponseTimeout) })
}

func (h *headerWait) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.done = true
	if h.t != nil {
		h.t.Stop()
	}
}

type readCloser struct {
	io.Reader
	io.Closer
}

// idleReader is a response body that must make progress: each read that
// returns data restarts the timer, which cancels the attempt when it
// fires.
type idleReader struct {
	r io.Reader
	t *time.Timer
	d time.Duration
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.t.Reset(r.d)
	}
	return n, err
}

// response reads and classifies a response.
func (c *Client) response(actx context.Context, cancel context.CancelCauseFunc, resp *http.Response, endpoint string, n int, o outcome) outcome {
	code := resp.StatusCode
	if code >= 300 && code < 400 {
		o.err = &RedirectError{StatusCode: code, Location: c.cred.location(resp.Header.Get(locationKey))}
		return o
	}
	ok := code >= 200 && code < 300
	limit := c.maxResponse
	if !ok {
		limit = min(limit, errorBodyLimit) // an error page: enough for a result or a snippet
	}
	var body io.Reader = resp.Body
	if c.headerTimeout > 0 { // the SDK's own transport: a body that stalls is cut as the headers would be
		idle := time.AfterFunc(c.headerTimeout, func() { cancel(errBodyStalled) })
		defer idle.Stop()
		body = &idleReader{r: resp.Body, t: idle, d: c.headerTimeout}
	}
	b, readErr := io.ReadAll(io.LimitReader(body, limit+1))
	if readErr != nil {
		switch context.Cause(actx) {
		case ErrResponseTimeout: // the clock ran out as the headers came
			o.err = c.timeoutError(endpoint, n)
			return o
		case errBodyStalled:
			o.err = &attemptError{endpoint: endpoint, attempts: n, errs: []error{ErrResponseTimeout},
				msg: fmt.Sprintf("%d %s, but its body stalled: no data came for %v (the response-header timeout, WithResponseHeaderTimeout); it was not sent again, since Infiniti may have processed the file: check the import in Infiniti", code, http.StatusText(code), c.headerTimeout)}
			return o
		}
		te := c.transportError(readErr)
		o.err = &attemptError{endpoint: endpoint, attempts: n, msg: fmt.Sprintf("%d %s, and reading the response failed: %s", code, http.StatusText(code), te.msg), errs: []error{te}}
		if isRetryStatus(code) {
			o.retry = fmt.Sprintf("%d %s, and reading its body failed: %s", code, http.StatusText(code), te.msg)
		}
		// A 2xx whose body was cut off is not retried: Infiniti has
		// processed the file, and the error says the result was lost.
		return o
	}
	if int64(len(b)) > limit {
		if ok {
			o.err = &attemptError{endpoint: endpoint, attempts: n, errs: []error{ErrResponseTooLarge},
				msg: fmt.Sprintf("%v: more than %d bytes (WithMaxResponseBytes raises the limit)", ErrResponseTooLarge, limit)}
			return o
		}
		b = b[:limit]
	}
	res, perr := result.Parse(bytes.NewReader(b))
	if perr == nil {
		o.res = res
		if res.Unauthorized() {
			o.err = c.newResultError(endpoint, res, true)
			return o
		}
	}
	se := &StatusError{StatusCode: code, Snippet: c.cred.fragment(string(b)), RetryAfter: retryAfter(resp.Header.Get("Retry-After")), Attempts: n, endpoint: endpoint}
	if code == http.StatusUnauthorized {
		se.hint = c.cred.charsetHint()
	}
	var ierr *result.ImportError
	if perr == nil {
		errors.As(res.Err(), &ierr)
	}
	switch {
	case ok && perr != nil:
		se.reason = c.cred.fragment(strings.TrimPrefix(perr.Error(), "result: "+result.ErrInvalid.Error()+": "))
		o.err = se
	case ok:
		if ierr != nil {
			o.err = c.newResultError(endpoint, res, false)
		}
	case isRetryStatus(code):
		se.ierr = ierr
		o.err, o.retry, o.retryAfter = se, fmt.Sprintf("%d %s", code, http.StatusText(code)), se.RetryAfter
	default:
		se.ierr = ierr
		o.err = se
	}
	return o
}

func isRetryStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func isCertificateError(err error) bool { return certificateError(err) != nil }

// certificateError returns the certificate error in err's chain (the TLS
// verification error, or one of x509's), or nil if there is none.
func certificateError(err error) error {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &cv):
		return cv
	case errors.As(err, &ua):
		return ua
	case errors.As(err, &he):
		return he
	case errors.As(err, &ci):
		return ci
	}
	return nil
}

// errorBodyLimit bounds how much of an error status's body is read.
const errorBodyLimit = 64 << 10

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(min(secs, 24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return min(d, 24*time.Hour)
		}
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
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
