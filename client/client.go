// Package client posts CSV files to the Infiniti autoSync import endpoints
// and returns Infiniti's typed result.
//
// It is what the vendor's example script,
//
//	curl -k -X POST -F "file=@user-groups.csv" https://user:password@host/api/import/userGroups?tenantId=T
//
// should have been: the server's certificate is verified, the password
// travels only in the Authorization header, redirects are not followed
// (a *RedirectError names the target), the file streams without being held
// in memory, failures are retried where that is safe (see RetryPolicy),
// and the answer comes back as a *result.Result and a typed error.
//
// Credentials never appear in a URL, an error string, a log record or the
// printed Client. The client also withholds credentials that the server
// echoes: a text of the server's (a result's summary or row message, a
// body's snippet, a redirect's Location) that holds them is returned as
// "(withheld: it echoed the credentials)", in the *result.Result too, so
// that nothing downstream needs the password to be safe.
//
// When Infiniti processed the file but some rows failed, the import methods
// return the *result.Result and an error wrapping *result.ImportError, so
// that a caller who checks only err still notices. See the Err variables,
// *StatusError and *RedirectError for the other errors; errors of the
// connection are short facts that match the context's errors,
// ErrCertificate and the x509 error types with errors.Is and errors.As.
//
// A Client is safe for concurrent use by multiple goroutines.
package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/autosync-go/autosync/csvspec"
	"github.com/autosync-go/autosync/internal/textsafe"
	"github.com/autosync-go/autosync/result"
)

// Version is the SDK's version, sent in the User-Agent.
const Version = "0.1.0"

// UserGroupsPath is the path of the user-groups import, below the base URL.
const UserGroupsPath = "/api/import/userGroups"

// userGroupsFile is the file name of the user-groups part; Infiniti
// ignores it, but it tells a person reading server logs what it is.
const userGroupsFile = "user-groups.csv"

// A Client posts imports to one Infiniti site. Create it with New.
type Client struct {
	base      url.URL // scheme, host and path prefix; no credentials, query or fragment
	username  string
	cred      *credentials // nil without credentials; prints as [REDACTED]
	tenant    string
	hc        *http.Client
	userAgent string
	logger    *slog.Logger
	progress  func(int64)
	retry     RetryPolicy

	maxResponse   int64
	headerTimeout time.Duration // of the SDK's own transport; 0 with the caller's http.Client
	sleep         func(context.Context, time.Duration) error
	jitter        func(time.Duration) time.Duration
}

// New returns a client for the Infiniti site at baseURL, such as
// "https://myschool.concordinfiniti.com". The base URL may carry a path
// prefix (a site behind a reverse proxy), kept in front of the import
// paths. A curl-style URL with credentials, "https://user:pass@host", is
// accepted: the credentials are used for Basic Auth and removed from the
// URL (special characters in them must be percent-encoded, as in any URL).
//
// The base URL must use https; http is accepted for loopback hosts (the
// addresses 127.0.0.0/8 and ::1 and the exact name localhost) and
// otherwise only with WithInsecurePlainHTTP. Unless WithHTTPClient is
// given, certificates are verified, https goes through the proxy that
// HTTPS_PROXY and NO_PROXY name, and plain http and loopback requests
// never go through a proxy (it would read the password). The base URL
// must have a host and no query, fragment, import path (/api/import/...),
// . or .. segment, empty segment, encoded slash, backslash or ;.
//
// New returns a *ConfigError, which never holds the URL's credentials, for
// a base URL that breaks these rules, for an option given bad input, for
// options that do not go together, and for a password that the client
// would show: one that is the username, or one of 4 bytes or more that
// occurs in the username, the base URL or the tenant.
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil { // its text quotes the URL, password and all
		return nil, &ConfigError{Reason: "the base URL does not parse"}
	}
	if strings.Contains(u.Opaque+u.Path+u.RawQuery+u.Fragment, "@") {
		return nil, &ConfigError{Option: "WithBasicAuth", Reason: "the base URL has an @ after its host (a password with an unencoded / ? or #)"}
	}
	s := settings{retry: DefaultRetryPolicy, maxResponse: DefaultMaxResponseBytes, headerTimeout: DefaultResponseHeaderTimeout}
	if u.User != nil {
		pass, _ := u.User.Password()
		if err := WithBasicAuth(u.User.Username(), pass)(&s); err != nil {
			return nil, err
		}
		u.User = nil
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&s); err != nil {
			return nil, err
		}
	}
	if err := checkBase(u, s.insecurePlain); err != nil {
		return nil, err
	}
	u.Path, u.RawPath = strings.TrimRight(u.Path, "/"), ""
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
		userAgent:   strings.TrimSpace(s.product + " autosync-go/" + Version + " (+https://github.com/autosync-go/autosync)"),
	}
	switch {
	case s.hc != nil && s.rootCAs != nil:
		return nil, &ConfigError{Option: "WithRootCAs", Reason: "cannot be combined with an own HTTP client, whose TLS settings rule"}
	case s.hc != nil && s.headerTimeoutSet:
		return nil, &ConfigError{Option: "WithResponseHeaderTimeout", Reason: "cannot be combined with an own HTTP client, whose timeouts rule"}
	case s.hc != nil:
		hc := *s.hc
		hc.Transport, hc.CheckRedirect = redirectStopper{hc.Transport}, noRedirect
		c.hc = &hc
	default:
		c.hc = &http.Client{Transport: redirectStopper{newTransport(s.rootCAs, s.headerTimeout)}, CheckRedirect: noRedirect}
		c.headerTimeout = s.headerTimeout
	}
	if s.auth {
		if shown(s.password, c) {
			return nil, &ConfigError{Option: "WithBasicAuth", Reason: "the password is the username or occurs in the username, the base URL or the tenant, which errors and logs show"}
		}
		if c.cred, err = newCredentials(s.username, s.password, s.charset); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// shown reports whether the client would show password: it is the
// username, or, 4 bytes or longer, occurs in the username, the base URL or
// the tenant. Three letters occur by chance in many URLs.
func shown(password string, c *Client) bool {
	if password == "" {
		return false
	}
	if password == c.username {
		return true
	}
	for _, shown := range []string{c.username, c.BaseURL(), c.tenant, url.QueryEscape(c.tenant)} {
		if len(password) >= 4 && strings.Contains(shown, password) {
			return true
		}
	}
	return false
}

// checkBase checks a parsed base URL, and lowers its scheme.
func checkBase(u *url.URL, insecurePlain bool) error {
	u.Scheme = strings.ToLower(u.Scheme)
	dots := false
	for seg := range strings.SplitSeq(u.Path, "/") {
		dots = dots || seg == "." || seg == ".."
	}
	escaped := strings.ToLower(u.EscapedPath())
	var ce *ConfigError
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		ce = &ConfigError{Reason: "the base URL does not start with https://"}
	case u.Hostname() == "":
		ce = &ConfigError{Reason: "the base URL has no host"}
	case strings.Contains(strings.ToLower(u.Path)+"/", "/api/import/"):
		ce = &ConfigError{Reason: "the base URL holds an import path (/api/import/...)"}
		if u.RawQuery != "" {
			ce.Option = "WithTenant"
		}
	case u.RawQuery != "" || u.ForceQuery:
		ce = &ConfigError{Option: "WithTenant", Reason: "the base URL has a query"}
	case u.Fragment != "":
		ce = &ConfigError{Reason: "the base URL has a fragment"}
	case strings.Contains(u.Path, "//"):
		ce = &ConfigError{Reason: "the base URL's path has an empty segment (//)"}
	case dots:
		ce = &ConfigError{Reason: "the base URL's path has a . or .. segment"}
	case strings.Contains(escaped, "%2f") || strings.Contains(escaped, "%5c") || strings.Contains(u.Path, `\`):
		ce = &ConfigError{Reason: "the base URL's path has an encoded slash or a backslash"}
	case strings.Contains(u.Path, ";"):
		ce = &ConfigError{Reason: "the base URL's path has a ;"}
	case u.Scheme == "http" && !isLoopback(u.Hostname()) && !insecurePlain:
		ce = &ConfigError{Option: "WithInsecurePlainHTTP", Reason: "the base URL uses plain http to a host that is not a loopback address"}
	default:
		return nil
	}
	return ce
}

// ImportUserGroups posts a user-groups CSV (header username, library-group,
// system-group) to the user-groups import and returns Infiniti's result.
// See Import for the body, the errors and the retries.
func (c *Client) ImportUserGroups(ctx context.Context, csv io.Reader) (*result.Result, error) {
	return c.importFile(ctx, UserGroupsPath, csv, userGroupsFile)
}

// ImportUserGroupRows encodes rows with csvspec.Writer into memory (a few
// MB for thousands of rows) and posts them to the user-groups import, as
// ImportUserGroups does with a file. Since the client holds the encoded
// rows, a failed attempt can always be re-sent. rows is ranged over once,
// in the caller's goroutine, before anything is sent; an error of the
// Writer is returned, and nothing is sent.
func (c *Client) ImportUserGroupRows(ctx context.Context, rows iter.Seq[csvspec.UserGroup]) (*result.Result, error) {
	return importRows(ctx, c, UserGroupsPath, userGroupsFile, rows, func(w io.Writer) rowWriter[csvspec.UserGroup] { return csvspec.NewWriter(w) })
}

// rowWriter is a csvspec writer of one import's rows.
type rowWriter[T any] interface {
	Write(T) error
	Flush() error
}

// importRows encodes rows with a writer from newWriter and posts them.
func importRows[T any](ctx context.Context, c *Client, path, filename string, rows iter.Seq[T], newWriter func(io.Writer) rowWriter[T]) (*result.Result, error) {
	if rows == nil {
		return refused(ctx, errNilRows)
	}
	var buf bytes.Buffer
	w := newWriter(&buf)
	for row := range rows {
		if err := w.Write(row); err != nil {
			return refused(ctx, fmt.Errorf("client: encoding the rows: %w", &sourceError{err}))
		}
	}
	if err := w.Flush(); err != nil {
		return refused(ctx, fmt.Errorf("client: encoding the rows: %w", &sourceError{err}))
	}
	return c.do(ctx, path, bytes.NewReader(buf.Bytes()), filename)
}

// Import posts a CSV to the import at path below the base URL, for the
// autoSync imports that have no method of their own. The path must start
// with "/"; its segments may hold letters, digits and - _ . ~ only, and
// none may be . or ..; otherwise the error matches ErrInvalidPath and
// nothing is sent.
//
// The CSV is streamed, never held in memory, as the only file part of a
// multipart/form-data body (form name "file", Content-Type text/csv). An
// empty csv posts an empty file, which Infiniti accepts.
//
// An io.Seeker (such as an *os.File) is sent with a Content-Length, from
// its offset when the call began, and re-sent from there on a retry;
// Import returns only once nothing reads it any more, so the caller may
// Seek it at once. Any other reader (os.Stdin fed by an export) is
// streamed once: it is retried only when no Read of it was made. When the
// context ends, the upload stops once a Read in progress returns (over
// HTTP/1 the call waits for it; over HTTP/2 it returns at once, and such
// a Read's data is discarded); the reader is not read again.
//
// The *result.Result is returned whenever Infiniti answered with one, even
// with an error: when rows failed (the error wraps *result.ImportError),
// when it refused the credentials (ErrUnauthorized), or with an unexpected
// status (*StatusError).
func (c *Client) Import(ctx context.Context, path string, csv io.Reader) (*result.Result, error) {
	if err := checkPath(path); err != nil {
		return refused(ctx, err)
	}
	return c.importFile(ctx, path, csv, "import.csv")
}

// checkPath checks an import path. Its error matches ErrInvalidPath.
func checkPath(path string) error {
	bad := func(what string) error {
		return &pathError{msg: fmt.Sprintf("client: the import path %q %s", path, what)}
	}
	if !strings.HasPrefix(path, "/") {
		return bad("does not start with /")
	}
	segs := strings.Split(path[1:], "/")
	for i, seg := range segs {
		switch {
		case seg == "" && i < len(segs)-1:
			return bad("has an empty segment (//)")
		case seg == "." || seg == "..":
			return bad("has a . or .. segment")
		}
		for _, r := range seg {
			if !isSegmentRune(r) && r != '.' && r != '~' {
				return bad(fmt.Sprintf("has the character %q", r))
			}
		}
	}
	return nil
}

// isSegmentRune reports whether r is an ASCII letter or digit, - or _.
func isSegmentRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}

var (
	errNilCSV  = errors.New("client: the CSV reader is nil")
	errNilRows = errors.New("client: the rows are nil")
)

func (c *Client) importFile(ctx context.Context, path string, csv io.Reader, filename string) (*result.Result, error) {
	if csv == nil {
		return refused(ctx, errNilCSV)
	}
	return c.do(ctx, path, csv, filename)
}

// refused returns err for an import call that sent nothing, after setting
// the caller's Stats, if any, to the zero Stats.
func refused(ctx context.Context, err error) (*result.Result, error) {
	if st := statsFrom(ctx); st != nil {
		*st = Stats{}
	}
	return nil, err
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

// source is the caller's CSV: an io.Seeker is re-read from start, of size
// bytes; any other reader (size -1) is read once.
type source struct {
	r     io.Reader
	seek  io.Seeker // nil for a reader that cannot seek
	start int64
	size  int64
}

// newSource measures an io.Seeker from its offset. A seeker that cannot
// seek (an *os.File that is a pipe) is read as a plain reader.
func newSource(r io.Reader) source {
	s := source{r: r, size: -1}
	if sk, ok := r.(io.Seeker); ok {
		start, err1 := sk.Seek(0, io.SeekCurrent)
		end, err2 := sk.Seek(0, io.SeekEnd)
		_, err3 := sk.Seek(start, io.SeekStart)
		if err1 == nil && err2 == nil && err3 == nil {
			s.seek, s.start, s.size = sk, start, end-start
		}
	}
	return s
}

// outcome is the end of one attempt.
type outcome struct {
	res        *result.Result
	err        error
	status     int
	sent       int64 // CSV bytes read
	touched    bool  // a Read of the caller's CSV was started
	handedOver bool  // the transport read the whole body
	retry      bool
	retryAfter time.Duration
}

func (c *Client) do(ctx context.Context, path string, csv io.Reader, filename string) (*result.Result, error) {
	src := newSource(csv)
	endpoint := c.endpoint(path)
	start := time.Now()
	log := c.logger
	if log != nil {
		log = log.With(slog.String("endpoint", endpoint))
		if c.tenant != "" {
			log = log.With(slog.String("tenant", c.tenant))
		}
		log.InfoContext(ctx, "autosync: import started")
	}
	var o outcome
	handedOver := false // by any attempt: Infiniti may have the file
	attempt := 1
	for ; ; attempt++ {
		o = c.attempt(ctx, endpoint, src, filename, attempt)
		handedOver = handedOver || o.handedOver || o.status != 0
		if !o.retry || attempt > c.retry.MaxRetries || src.seek == nil && o.touched {
			break
		}
		wait := c.backoff(attempt, o.retryAfter)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			break
		}
		if log != nil {
			reason := o.err.Error()
			if o.status != 0 {
				reason = fmt.Sprintf("%d %s", o.status, http.StatusText(o.status))
			}
			log.WarnContext(ctx, "autosync: import retry", slog.Int("attempt", attempt), slog.String("reason", reason), slog.Duration("wait", wait))
		}
		if err := c.sleep(ctx, wait); err != nil {
			o.res, o.retry = nil, false
			o.err = &attemptError{endpoint: endpoint, attempts: attempt, msg: "waiting to retry: " + contextFact(err), errs: []error{err}}
			break
		}
	}
	if st := statsFrom(ctx); st != nil {
		*st = Stats{StatusCode: o.status, BytesSent: o.sent, HandedOver: handedOver, Attempts: attempt, Duration: time.Since(start)}
	}
	if log != nil {
		c.logEnd(ctx, log, o, attempt, time.Since(start))
	}
	return o.res, o.err
}

// contextFact says how a context ended, without Go's wording.
func contextFact(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "the deadline passed"
	}
	return "cancelled"
}

// logEnd logs the end of an import: counts and errors at Info or Error
// level, each row outcome and the whole error at Debug level only.
func (c *Client) logEnd(ctx context.Context, log *slog.Logger, o outcome, attempts int, d time.Duration) {
	attrs := []any{slog.Int("status", o.status), slog.Int64("bytes", o.sent), slog.Int("attempts", attempts), slog.Duration("duration", d)}
	debug := log.Enabled(ctx, slog.LevelDebug)
	if o.res != nil {
		if n, ok := o.res.Counts(); ok {
			attrs = append(attrs, slog.Int("processed", n.Processed), slog.Int("created", n.Created), slog.Int("updated", n.Updated), slog.Int("failed", n.Failed))
		}
		if !errors.Is(o.err, ErrUnauthorized) {
			attrs = append(attrs, slog.Int("failed_rows", len(o.res.Failures())))
		}
		for _, row := range o.res.Details {
			if !debug {
				break
			}
			log.DebugContext(ctx, "autosync: row outcome", slog.Int("row", row.Row), slog.String("status", row.Status.String()), slog.String("message", textsafe.Clip(row.Message, maxFragment)))
		}
	}
	if o.err == nil {
		log.InfoContext(ctx, "autosync: import finished", attrs...)
		return
	}
	text := logText(o.err)
	if full := o.err.Error(); debug && full != text {
		log.DebugContext(ctx, "autosync: import failed, in full", slog.String("error", full))
	}
	log.ErrorContext(ctx, "autosync: import failed", append(attrs, slog.String("error", text))...)
}

// attempt makes one request and classifies its outcome. It returns only
// once nothing reads a seekable CSV any more (body.Close).
func (c *Client) attempt(ctx context.Context, endpoint string, src source, filename string, n int) outcome {
	fail := func(msg string, errs ...error) outcome {
		return outcome{err: &attemptError{endpoint: endpoint, attempts: n, msg: msg, errs: errs}}
	}
	if src.seek != nil {
		if _, err := src.seek.Seek(src.start, io.SeekStart); err != nil {
			return fail("rewinding the CSV: "+err.Error(), &sourceError{err})
		}
	}
	csv := &counter{r: src.r, progress: c.progress}
	if src.size >= 0 {
		csv.r = io.LimitReader(src.r, src.size)
	}
	body, ctype := newBody(csv, src.size, filename, src.seek != nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, body)
	if err != nil {
		return fail("building the request: "+err.Error(), err)
	}
	req.ContentLength = max(body.length, 0) // 0: unknown, sent chunked
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if c.cred != nil {
		req.Header.Set("Authorization", c.cred.secret().header)
	}
	resp, err := c.hc.Do(req)
	defer body.Close() // after the response was read: a server may answer before it read the whole upload
	o := outcome{sent: csv.n.Load(), touched: csv.started.Load(), handedOver: body.handedOver.Load()}
	if err == nil {
		defer resp.Body.Close()
		return c.response(ctx, resp, endpoint, n, o)
	}
	ce := c.connError(err)
	var msg string
	switch srcErr := csv.err.Load(); {
	case ctx.Err() != nil:
		msg, ce.errs = contextFact(ctx.Err()), []error{ctx.Err()}
	case srcErr != nil:
		msg, ce.errs = "reading the CSV: "+srcErr.Error(), []error{srcErr}
	case errors.Is(ce, ErrCertificate):
		msg = ce.msg
	case o.handedOver && ce.timeout:
		msg, ce.errs = "the whole file was handed over, then "+ErrResponseTimeout.Error(), []error{ErrResponseTimeout}
	case o.handedOver:
		msg = "the whole file was handed over, then " + ce.msg
	default:
		msg, o.retry = ce.msg, true
	}
	o.err = &attemptError{endpoint: endpoint, attempts: n, msg: msg, errs: []error{ce}}
	return o
}
