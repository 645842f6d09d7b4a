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
// (tests against a local server) and otherwise only with
// WithInsecurePlainHTTP. Certificates are verified unless the caller hands
// in its own *http.Client set up otherwise. Credentials never appear in a
// URL, an error string or a log record. Redirects are never followed: a
// *RedirectError names the target, so that the base URL can be fixed.
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
// *StatusError with a short, redacted snippet of the body. Cancelling the
// context stops an upload at once, with an error matching context.Canceled
// or context.DeadlineExceeded.
//
// # Retries
//
// An import is retried, by default up to 2 times (3 attempts), when it
// failed in a way that is safe to retry: a connection failure, or a 429,
// 502, 503 or 504 status. The wait starts at 500ms and doubles up to 5s,
// with random jitter; a Retry-After header (seconds or a date) is honoured,
// capped at 30s. No retry waits past the context's deadline. Never retried:
// certificate errors, redirects, other 4xx statuses, any 2xx answer, a done
// context. WithRetry changes the numbers.
//
// The body is re-sent only when it can be read again from the start: an
// io.Seeker (such as an *os.File, re-sent from where it was when the import
// began) or rows the client encodes itself (ImportUserGroupRows). A plain
// io.Reader is retried only when none of it had been read.
//
// Re-sending a file is safe: Infiniti's imports are upserts keyed by
// username, so posting the same file twice converges to the same state.
//
// A Client is safe for concurrent use by multiple goroutines.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
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
	"time"

	"github.com/autosync-go/autosync/csvspec"
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
type Client struct {
	base        url.URL // scheme, host and path prefix; no credentials, query or fragment
	username    string
	password    string
	auth        bool
	tenant      string
	hc          *http.Client
	userAgent   string
	logger      *slog.Logger
	progress    func(int64)
	retry       RetryPolicy
	maxResponse int64
	secrets     []string // strings redacted from snippets
	sleep       func(context.Context, time.Duration) error
	jitter      func(time.Duration) time.Duration
}

// New returns a client for the Infiniti site at baseURL, such as
// "https://myschool.concordinfiniti.com". The base URL may carry a path
// prefix (a site behind a reverse proxy), which is kept in front of the
// import paths. A curl-style URL with credentials,
// "https://user:pass@host", is accepted: the credentials are used for Basic
// Auth and removed from the URL (special characters in them must be
// percent-encoded, as in any URL; WithBasicAuth takes them as they are).
//
// New returns an error, which never contains the URL's credentials, for a
// URL that does not parse, has no host, a query or a fragment, a scheme
// other than https (http is allowed for loopback hosts, or with
// WithInsecurePlainHTTP), or for an option given bad input.
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		// url.Error quotes the URL and parts of it: the password could be
		// among them, so nothing of it is repeated here.
		return nil, errors.New("client: the base URL does not parse as a URL; it should look like https://myschool.concordinfiniti.com (a password in it must be percent-encoded, e.g. @ as %40; or pass it with WithBasicAuth)")
	}
	var s settings
	if u.User != nil {
		pass, _ := u.User.Password()
		if err := WithBasicAuth(u.User.Username(), pass)(&s); err != nil {
			return nil, fmt.Errorf("client: the credentials in the base URL: %w", err)
		}
		u.User = nil
	}
	s.retry = DefaultRetryPolicy
	s.maxResponse = DefaultMaxResponseBytes
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&s); err != nil {
			return nil, err
		}
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("client: the base URL's scheme is %q; use https://yourschool.concordinfiniti.com", u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return nil, errors.New("client: the base URL has no host; it should look like https://myschool.concordinfiniti.com")
	case u.RawQuery != "" || u.ForceQuery:
		return nil, errors.New("client: the base URL has a query; give the tenant with WithTenant and leave the query out")
	case u.Fragment != "":
		return nil, errors.New("client: the base URL has a #fragment; leave it out")
	case u.Scheme == "http" && !isLoopback(u.Hostname()) && !s.insecurePlain:
		return nil, fmt.Errorf("client: the base URL uses plain http to %s, which would send the password and the school's data in clear text; use https (WithInsecurePlainHTTP allows http, for test networks only)", u.Hostname())
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""

	c := &Client{
		base:        *u,
		username:    s.username,
		password:    s.password,
		auth:        s.auth,
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
	if s.hc != nil && s.rootCAs != nil {
		return nil, errors.New("client: WithRootCAs and WithHTTPClient are both given; set the RootCAs of your *http.Client's transport instead")
	}
	if s.hc != nil {
		hc := *s.hc
		hc.CheckRedirect = noRedirect
		c.hc = &hc
	} else {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: s.rootCAs}
		c.hc = &http.Client{Transport: t, CheckRedirect: noRedirect}
	}
	if c.auth && c.password != "" {
		c.secrets = []string{
			c.password,
			url.QueryEscape(c.password),
			url.PathEscape(c.password),
			base64.StdEncoding.EncodeToString([]byte(c.username + ":" + c.password)),
		}
	}
	return c, nil
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
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
func (c *Client) ImportUserGroupRows(ctx context.Context, rows iter.Seq[csvspec.UserGroup]) (*result.Result, error) {
	if rows == nil {
		return nil, errors.New("client: the rows are nil; pass slices.Values of an empty slice to post an empty file")
	}
	return c.do(ctx, UserGroupsPath, rowsSource{rows}, userGroupsFile)
}

// Import posts a CSV to the import at path below the base URL, such as
// "/api/import/userContacts/replaceDeclaredPatronsKeepCustomContacts", for
// the autoSync imports that have no method of their own. The path must start
// with "/" and have no query, fragment or ".." segment.
//
// The CSV is streamed, never held in memory. It is sent as the only file
// part of a multipart/form-data body (form name "file", Content-Type
// text/csv), with Content-Length when csv is an io.Seeker. An empty csv
// posts an empty file, which Infiniti accepts.
//
// The *result.Result is returned whenever Infiniti answered with one, even
// with an error: when rows failed (the error wraps *result.ImportError),
// when it refused the credentials (ErrUnauthorized), or with an unexpected
// status. See the package documentation for the errors and retries.
func (c *Client) Import(ctx context.Context, path string, csv io.Reader) (*result.Result, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	return c.importFile(ctx, path, csv, "import.csv")
}

func checkPath(path string) error {
	switch {
	case !strings.HasPrefix(path, "/"):
		return fmt.Errorf("client: the import path %q must start with /, like %s", path, UserGroupsPath)
	case strings.ContainsAny(path, "?#"):
		return fmt.Errorf("client: the import path %q has a query or fragment; give the tenant with WithTenant", path)
	case strings.Contains("/"+path+"/", "/../") || strings.Contains("/"+path+"/", "/./"):
		return fmt.Errorf("client: the import path %q has a . or .. segment", path)
	}
	return nil
}

func (c *Client) importFile(ctx context.Context, path string, csv io.Reader, filename string) (*result.Result, error) {
	if csv == nil {
		return nil, errNilCSV
	}
	var src source = onceSource{r: csv}
	if rs, ok := csv.(io.ReadSeeker); ok {
		// An *os.File that is a pipe (os.Stdin, say) is an io.Seeker
		// that cannot seek: it is sent as a plain reader.
		if s, err := newSeekSource(rs); err == nil {
			src = s
		}
	}
	return c.do(ctx, path, src, filename)
}

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
	retry      string        // why the attempt may be retried; "" if it may not
	retryAfter time.Duration // what the server asked for, 0 if nothing
}

func (c *Client) do(ctx context.Context, path string, src source, filename string) (*result.Result, error) {
	endpoint := c.endpoint(path)
	start := time.Now()
	log := c.logger
	if log != nil {
		log = log.With(slog.String("endpoint", endpoint), slog.String("tenant", c.tenant))
		log.InfoContext(ctx, "autosync: import started")
	}
	var o outcome
	attempt := 1
	for ; ; attempt++ {
		o = c.attempt(ctx, endpoint, src, filename, attempt)
		if o.retry == "" {
			break
		}
		if attempt > c.retry.MaxRetries {
			break
		}
		if !src.rewindable() && o.sent > 0 {
			o.err = &attemptError{attempts: attempt, note: "not retried: part of the CSV was already sent and a plain io.Reader cannot be read again; pass an io.Seeker such as an *os.File to allow retries", err: unwrapAttempt(o.err)}
			break
		}
		wait := c.backoff(attempt, o.retryAfter)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			o.err = withNote(o.err, attempt, fmt.Sprintf("not retried: the next attempt, in %v, would come after the context's deadline", wait.Round(time.Millisecond)))
			break
		}
		if log != nil {
			log.WarnContext(ctx, "autosync: import retry", slog.Int("attempt", attempt), slog.String("reason", o.retry), slog.Duration("wait", wait))
		}
		if err := c.sleep(ctx, wait); err != nil {
			o = outcome{err: &attemptError{attempts: attempt, err: fmt.Errorf("waiting to retry POST %s: %w", endpoint, err)}}
			break
		}
	}
	if st := statsFrom(ctx); st != nil {
		*st = Stats{StatusCode: o.status, BytesSent: o.sent, Attempts: attempt, Duration: time.Since(start)}
	}
	if log != nil {
		attrs := []any{slog.Int("status", o.status), slog.Int64("bytes", o.sent), slog.Int("attempts", attempt), slog.Duration("duration", time.Since(start))}
		if o.err != nil {
			log.ErrorContext(ctx, "autosync: import failed", append(attrs, slog.String("error", o.err.Error()))...)
		} else {
			log.InfoContext(ctx, "autosync: import finished", attrs...)
		}
	}
	return o.res, o.err
}

func unwrapAttempt(err error) error {
	if ae, ok := err.(*attemptError); ok {
		return ae.err
	}
	return err
}

// withNote records the attempts and a note on an error, where it has room.
func withNote(err error, attempts int, note string) error {
	switch e := err.(type) {
	case *attemptError:
		e.attempts, e.note = attempts, note
	case *StatusError:
		e.Attempts = attempts
	}
	return err
}

// attempt makes one request and classifies its outcome.
func (c *Client) attempt(ctx context.Context, endpoint string, src source, filename string, n int) outcome {
	content, size, err := src.open()
	if err != nil {
		return outcome{err: err}
	}
	cnt := &counter{r: content, progress: c.progress}
	body, length, ctype, err := multipartBody(readCloser{cnt, content}, size, filename)
	if err != nil {
		content.Close()
		return outcome{err: fmt.Errorf("client: building the request: %w", err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, body)
	if err != nil {
		body.Close()
		return outcome{err: fmt.Errorf("client: building the request: %w", err)}
	}
	req.ContentLength = length
	if length < 0 {
		req.ContentLength = 0 // unknown: sent chunked
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if c.auth {
		req.SetBasicAuth(c.username, c.password)
	}
	resp, err := c.hc.Do(req)
	body.Close()
	o := outcome{sent: cnt.n.Load()}
	if err != nil {
		o.err = &attemptError{attempts: n, err: err}
		switch {
		case ctx.Err() != nil:
			o.err = &attemptError{attempts: n, err: fmt.Errorf("POST %s: %w", endpoint, ctx.Err())}
		case isCertificateError(err):
			o.err = &attemptError{attempts: n, err: fmt.Errorf("%w: %v; if the school uses a private certificate authority, trust it with WithRootCAs (or WithHTTPClient)", ErrCertificate, err)}
		default:
			o.retry = "connection failed: " + err.Error()
		}
		return o
	}
	defer resp.Body.Close()
	o.status = resp.StatusCode
	return c.response(resp, endpoint, n, o)
}

type readCloser struct {
	io.Reader
	io.Closer
}

// response reads and classifies a response.
func (c *Client) response(resp *http.Response, endpoint string, n int, o outcome) outcome {
	code := resp.StatusCode
	if code >= 300 && code < 400 {
		o.err = &RedirectError{StatusCode: code, Location: redactURL(resp.Header.Get("Location"))}
		return o
	}
	ok := code >= 200 && code < 300
	limit := c.maxResponse
	if !ok {
		limit = min(limit, 64<<10) // an error page: enough for a result or a snippet
	}
	b, readErr := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if readErr != nil {
		o.err = &attemptError{attempts: n, err: fmt.Errorf("POST %s: reading the response: %w", endpoint, readErr)}
		if isRetryStatus(code) {
			o.retry = fmt.Sprintf("%d %s, and reading its body failed: %v", code, http.StatusText(code), readErr)
		}
		// A 2xx whose body was cut off is not retried: Infiniti has
		// processed the file, and the error says the result was lost.
		return o
	}
	if int64(len(b)) > limit {
		if ok {
			o.err = &attemptError{attempts: n, err: fmt.Errorf("POST %s: %w: more than %d bytes (WithMaxResponseBytes raises the limit)", endpoint, ErrResponseTooLarge, limit)}
			return o
		}
		b = b[:limit]
	}
	res, perr := result.Parse(bytes.NewReader(b))
	if perr == nil {
		o.res = res
		if res.Unauthorized() {
			o.err = &resultError{endpoint: endpoint, attempts: n, auth: true, ierr: &result.ImportError{Result: res}}
			return o
		}
	}
	se := &StatusError{StatusCode: code, Snippet: c.snippet(b), RetryAfter: retryAfter(resp.Header.Get("Retry-After")), Attempts: n, endpoint: endpoint}
	switch {
	case ok && perr != nil:
		se.reason = strings.TrimPrefix(perr.Error(), "result: "+result.ErrInvalid.Error()+": ")
		o.err = se
	case ok:
		var ie *result.ImportError
		if err := res.Err(); errors.As(err, &ie) {
			o.err = &resultError{endpoint: endpoint, attempts: n, ierr: ie}
		}
	case isRetryStatus(code):
		o.err, o.retry, o.retryAfter = se, fmt.Sprintf("%d %s", code, http.StatusText(code)), se.RetryAfter
	default:
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

func isCertificateError(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}

// snippetLen is how much of a body a StatusError shows.
const snippetLen = 300

// snippet returns the start of a body, credentials redacted, as valid UTF-8.
func (c *Client) snippet(b []byte) string {
	s := string(b)
	for _, secret := range c.secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[REDACTED]")
		}
	}
	s = strings.TrimSpace(s)
	if len(s) > snippetLen {
		s = s[:snippetLen] + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// redactURL removes credentials from a URL such as a Location header.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if strings.Contains(s, "@") {
			return "(an unparseable URL)"
		}
		return s
	}
	if u.User != nil {
		u.User = nil
	}
	return u.String()
}

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
			return d
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
