// Package client posts CSV files to the Infiniti autoSync import endpoints
// and returns Infiniti's typed result. It is what the vendor's example,
//
//	curl -k -X POST -F "file=@user-groups.csv" https://user:password@host/api/import/userGroups?tenantId=T
//
// should have been: certificates are verified, the password travels only
// in the Authorization header, redirects are not followed, the file
// streams, and failures are retried where that is safe (RetryPolicy).
//
// No text the client returns, logs or prints holds the credentials. A
// text of the server's that echoes them (a result's summary or row
// message, a body's snippet, a redirect's Location) is returned as
// "(withheld: it echoed the credentials)", in the *result.Result too.
//
// A Client is safe for concurrent use by multiple goroutines.
package client

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
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

// userGroupsFile names the user-groups part for a person reading logs.
const userGroupsFile = "user-groups.csv"

// A Client posts imports to one Infiniti site. Create it with New.
type Client struct {
	settings                  // the options, without the password
	base      url.URL         // scheme, host and path prefix; no credentials, query or fragment
	basic     *credentials    // from WithBasicAuth; the only holder of the password
	hc        *http.Client    // never follows redirects
	own       *http.Transport // the transport New built; nil with WithHTTPClient or WithTransport
	userAgent string
	stall     time.Duration // see stallLimit
	sleep     func(context.Context, time.Duration) error
	jitter    func(time.Duration) time.Duration
}

// New returns a client for the Infiniti site at baseURL, such as
// "https://myschool.concordinfiniti.com", or one with a path prefix (a
// site behind a reverse proxy). The credentials of a curl-style URL,
// "https://user:pass@host", are used as WithBasicAuth's and removed from
// the URL (special characters in them percent-encoded, as in any URL).
//
// The base URL must use https, or http to a loopback host (127.0.0.0/8,
// ::1 or the exact name localhost) or with WithInsecurePlainHTTP. It must
// have a host and no query, fragment, import path (/api/import/...), . or
// .. segment, empty segment, encoded slash, backslash or ;.
//
// New returns a *ConfigError, which never holds the URL's credentials, for
// a base URL that breaks these rules, an option given bad input, and
// options that do not go together.
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
		s.username, s.password, s.auth = u.User.Username(), pass, true
		u.User = nil
	}
	if err := cmp.Or(configure(&s, opts), checkBase(u, s.insecurePlain)); err != nil {
		return nil, err
	}
	u.Path, u.RawPath = strings.TrimRight(u.Path, "/"), ""
	c := &Client{base: *u, sleep: sleepContext, jitter: jitter, stall: stallLimit,
		userAgent: strings.TrimSpace(s.product + " autosync-go/" + Version + " (+https://github.com/autosync-go/autosync)")}
	switch {
	case s.hc != nil && (s.rootCAs != nil || s.headerTimeoutSet):
		ce := &ConfigError{Option: "WithRootCAs", Reason: "cannot be combined with an own HTTP client, whose transport rules"}
		if s.rootCAs == nil {
			ce.Option = "WithResponseHeaderTimeout"
		}
		if s.tr != nil {
			ce.Reason = "cannot be combined with a shared transport; give it to NewTransport"
		}
		return nil, ce
	case s.hc == nil:
		c.own = s.transport()
		s.hc = &http.Client{Transport: c.own}
	}
	hc := *s.hc
	hc.Transport = redirectStopper{cmp.Or(hc.Transport, http.DefaultTransport)}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.settings, c.hc = s, &hc
	c.password = "" // only c.basic holds it
	if s.auth {
		if c.basic, err = c.credentials("WithBasicAuth", s.username, s.password); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// credentials checks and encodes the credentials of option, as
// WithBasicAuth says (three letters occur by chance in many URLs).
func (c *Client) credentials(option, user, password string) (*credentials, error) {
	shown := password != "" && (password == user || len(password) >= 4 && slices.ContainsFunc(
		[]string{user, c.BaseURL(), c.tenant, url.QueryEscape(c.tenant), UserGroupsPath, UserContactsPath},
		func(s string) bool { return strings.Contains(s, password) }))
	switch {
	case user == "":
		return nil, &ConfigError{Option: option, Reason: "the username is empty"}
	case strings.ContainsRune(user, ':'):
		return nil, &ConfigError{Option: option, Reason: "the username contains ':', which Basic Auth cannot carry"}
	case shown:
		return nil, &ConfigError{Option: option, Reason: "the password is the username or occurs in the username, the base URL, the tenant or an import path, which errors and logs show"}
	}
	return newCredentials(user, password, c.charset)
}

// checkBase checks a parsed base URL, and lowers its scheme.
func checkBase(u *url.URL, insecurePlain bool) error {
	u.Scheme = strings.ToLower(u.Scheme)
	escaped := strings.ToLower(u.EscapedPath())
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return &ConfigError{Reason: "the base URL does not start with https://"}
	case u.Hostname() == "":
		return &ConfigError{Reason: "the base URL has no host"}
	case strings.Contains(strings.ToLower(u.Path)+"/", "/api/import/"):
		ce := &ConfigError{Reason: "the base URL holds an import path (/api/import/...)"}
		if u.RawQuery != "" {
			ce.Option = "WithTenant"
		}
		return ce
	case u.RawQuery != "" || u.ForceQuery:
		return &ConfigError{Option: "WithTenant", Reason: "the base URL has a query"}
	case u.Fragment != "":
		return &ConfigError{Reason: "the base URL has a fragment"}
	case strings.Contains(u.Path, "//"):
		return &ConfigError{Reason: "the base URL's path has an empty segment (//)"}
	case slices.ContainsFunc(strings.Split(u.Path, "/"), func(seg string) bool { return seg == "." || seg == ".." }):
		return &ConfigError{Reason: "the base URL's path has a . or .. segment"}
	case strings.Contains(escaped, "%2f") || strings.Contains(escaped, "%5c") || strings.Contains(u.Path, `\`):
		return &ConfigError{Reason: "the base URL's path has an encoded slash or a backslash"}
	case strings.Contains(u.Path, ";"):
		return &ConfigError{Reason: "the base URL's path has a ;"}
	case u.Scheme == "http" && !isLoopback(u.Hostname()) && !insecurePlain:
		return &ConfigError{Option: "WithInsecurePlainHTTP", Reason: "the base URL uses plain http to a host that is not a loopback address"}
	}
	return nil
}

// ImportUserGroups posts a user-groups CSV (header username, library-group,
// system-group) to the user-groups import, as Import does.
func (c *Client) ImportUserGroups(ctx context.Context, csv io.Reader) (*result.Result, error) {
	return c.do(ctx, UserGroupsPath, csv, userGroupsFile)
}

// ImportUserGroupRows encodes rows with csvspec.Writer into memory (a few
// MB for thousands of rows) and posts them as ImportUserGroups does; since
// the client holds them, a failed attempt can always be re-sent. rows is
// ranged over once, in the caller's goroutine; an error of the Writer is
// returned, and nothing is sent.
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
		return refused(ctx, errors.New("client: the rows are nil"))
	}
	var buf bytes.Buffer
	w := newWriter(&buf)
	var err error
	for row := range rows {
		if err = w.Write(row); err != nil {
			break
		}
	}
	if err = cmp.Or(err, w.Flush()); err != nil {
		return refused(ctx, fmt.Errorf("client: encoding the rows: %w", err))
	}
	return c.do(ctx, path, bytes.NewReader(buf.Bytes()), filename)
}

// Import posts a CSV to the import at path below the base URL, for the
// autoSync imports that have no method of their own. The path must start
// with "/", and its segments hold letters, digits and - _ . ~ only, none
// . or ..; otherwise the error matches ErrInvalidPath and nothing is sent.
//
// The CSV streams as the only file part of a multipart/form-data body
// (form name "file", Content-Type text/csv). An io.Seeker (such as an
// *os.File) is sent from its offset when the call began, and re-sent from
// there on a retry; Import returns only once nothing reads it any more,
// so the caller may Seek it at once. Any other reader (os.Stdin) is read
// once: it is retried only when no Read of it was made. When the context
// ends, the upload stops once a Read in progress returns; over HTTP/2 the
// call returns at once, and that Read's data is discarded. An attempt whose
// connection stalls (the transport takes 2 minutes to write one chunk of
// the upload, or to read one of the answer's body) fails as a connection
// error.
//
// The *result.Result is returned whenever Infiniti answered with one, even
// with an error: when rows failed (the error wraps *result.ImportError),
// when it refused the credentials (ErrUnauthorized), or with an unexpected
// status (*StatusError).
func (c *Client) Import(ctx context.Context, path string, csv io.Reader) (*result.Result, error) {
	if err := checkPath(path); err != nil {
		return refused(ctx, err)
	}
	return c.do(ctx, path, csv, "import.csv")
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

// refused zeroes the caller's Stats, if any, for a call that sent nothing.
func refused(ctx context.Context, err error) (*result.Result, error) {
	if st, _ := ctx.Value(statsKey{}).(*Stats); st != nil {
		*st = Stats{}
	}
	return nil, err
}

// call is one import call: its endpoint, credentials and logger.
type call struct {
	*Client
	endpoint string
	filename string
	cred     *credentials // of this call, for the header and for redaction
	log      *slog.Logger // nil without WithLogger
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
	if csv == nil {
		return refused(ctx, errors.New("client: the CSV reader is nil"))
	}
	start := time.Now()
	u := c.base
	u.Path += path
	if c.tenant != "" {
		u.RawQuery = url.Values{"tenantId": {c.tenant}}.Encode()
	}
	cl := &call{Client: c, endpoint: u.String(), filename: filename, cred: c.basic, log: c.logger}
	if cl.log != nil {
		cl.log = cl.log.With(slog.String("endpoint", cl.endpoint))
		if c.tenant != "" {
			cl.log = cl.log.With(slog.String("tenant", c.tenant))
		}
		cl.log.InfoContext(ctx, "autosync: import started")
	}
	var o outcome
	attempts, handedOver := 0, false
	if o.err = cl.credentials(ctx); o.err == nil {
		o, attempts, handedOver = cl.run(ctx, newSource(csv))
	}
	if st, _ := ctx.Value(statsKey{}).(*Stats); st != nil {
		*st = Stats{StatusCode: o.status, BytesSent: o.sent, HandedOver: handedOver, Attempts: attempts, Duration: time.Since(start)}
	}
	if cl.log != nil {
		cl.logEnd(ctx, o, attempts, time.Since(start))
	}
	return o.res, o.err
}

// credentials asks the provider of WithCredentials, if any, for the
// call's credentials, as WithCredentials and ErrNoCredentials say.
func (cl *call) credentials(ctx context.Context) error {
	if cl.provider == nil {
		return nil
	}
	user, password, err := cl.provider(ctx)
	if err != nil {
		errs := []error{err}
		if errors.Is(err, ErrNoCredentials) {
			errs = append(errs, ErrUnauthorized)
		}
		return &attemptError{endpoint: cl.endpoint, msg: "getting the credentials: " + err.Error(), errs: errs}
	}
	if cl.cred, err = cl.Client.credentials("WithCredentials", user, password); err != nil {
		var ce *ConfigError
		if !errors.As(err, &ce) { // credentials returns no other error
			ce = &ConfigError{Option: "WithCredentials", Reason: err.Error()}
		}
		return &attemptError{endpoint: cl.endpoint, msg: "the credentials cannot be used: " + ce.Reason, errs: []error{ce, ErrNoCredentials, ErrUnauthorized}}
	}
	return nil
}

// source is the caller's CSV, read as Import says.
type source struct {
	r     io.Reader
	seek  io.Seeker // nil for a reader that cannot seek
	start int64
	size  int64 // -1 for a reader that is read once
}

// newSource measures an io.Seeker from its offset; one that cannot seek
// (an *os.File that is a pipe) is read as a plain reader.
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

// attempt makes one request and classifies its outcome. It returns only
// once nothing reads a seekable CSV any more (body.Close).
func (cl *call) attempt(ctx context.Context, src source, n int) outcome {
	if src.seek != nil {
		if _, err := src.seek.Seek(src.start, io.SeekStart); err != nil {
			return cl.fail(outcome{}, n, "rewinding the CSV: "+err.Error(), err)
		}
	}
	csv := &counter{r: src.r, progress: cl.progress}
	if src.size >= 0 {
		csv.r = io.LimitReader(src.r, src.size)
	}
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watch := &watchdog{limit: cl.stall, timer: time.AfterFunc(time.Hour, func() { cancel(errStalled) })}
	watch.timer.Stop() // set arms it
	body, ctype := newBody(csv, src.size, cl.filename, src.seek != nil, watch)
	wrote := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { watch.wrote(cl.ResponseHeaderTimeout()) }}
	// Cannot fail: the method is valid, and the endpoint is a URL New parsed.
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(actx, wrote), http.MethodPost, cl.endpoint, body)
	req.ContentLength = max(body.length, 0) // 0: unknown, sent chunked
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", cl.userAgent)
	if cl.cred != nil {
		req.Header.Set("Authorization", cl.cred.secret().header)
	}
	resp, err := cl.hc.Do(req)
	watch.set(false, true)
	defer body.Close() // after the response was read: a server may answer before it read the whole upload
	o := outcome{sent: csv.n.Load(), touched: csv.started.Load(), handedOver: body.handedOver.Load()}
	if err == nil {
		defer resp.Body.Close()
		return cl.response(actx, resp, watched{resp.Body, watch}, n, o)
	}
	if context.Cause(actx) == errStalled {
		err = errStalled
	}
	ce := cl.connError(err)
	msg := ce.msg
	switch srcErr := csv.err.Load(); {
	case ctx.Err() != nil:
		msg, ce.errs = contextFact(ctx.Err()), []error{ctx.Err()}
	case srcErr != nil:
		msg, ce.errs = "reading the CSV: "+(*srcErr).Error(), []error{*srcErr}
	case errors.Is(ce, ErrCertificate): // msg as it is, not retried
	case o.handedOver && ce.timeout && err != errStalled:
		msg, ce.errs = "the whole file was handed over, then "+ErrResponseTimeout.Error(), []error{ErrResponseTimeout}
	case o.handedOver:
		msg = "the whole file was handed over, then " + msg
	default:
		o.retry = true
	}
	return cl.fail(o, n, msg, ce)
}

// fail returns o failed at attempt n.
func (cl *call) fail(o outcome, n int, msg string, errs ...error) outcome {
	o.err = &attemptError{endpoint: cl.endpoint, attempts: n, msg: msg, errs: errs}
	return o
}

// contextFact says how a context ended, without Go's wording.
func contextFact(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "the deadline passed"
	}
	return "cancelled"
}

// logEnd logs the end of an import as WithLogger says.
func (cl *call) logEnd(ctx context.Context, o outcome, attempts int, d time.Duration) {
	attrs := []any{slog.Int("status", o.status), slog.Int64("bytes", o.sent), slog.Int("attempts", attempts), slog.Duration("duration", d)}
	debug := cl.log.Enabled(ctx, slog.LevelDebug)
	if o.res != nil {
		if n, ok := o.res.Counts(); ok {
			attrs = append(attrs, slog.Int("processed", n.Processed), slog.Int("created", n.Created), slog.Int("updated", n.Updated), slog.Int("failed", n.Failed))
		}
		if !errors.Is(o.err, ErrUnauthorized) {
			attrs = append(attrs, slog.Int("failed_rows", len(o.res.Failures())))
		}
		if debug {
			for _, row := range o.res.Details {
				cl.log.DebugContext(ctx, "autosync: row outcome", slog.Int("row", row.Row), slog.String("status", row.Status.String()), slog.String("message", textsafe.Clip(row.Message, maxFragment)))
			}
		}
	}
	if o.err == nil {
		cl.log.InfoContext(ctx, "autosync: import finished", attrs...)
		return
	}
	text := logText(o.err)
	if full := o.err.Error(); debug && full != text {
		cl.log.DebugContext(ctx, "autosync: import failed, in full", slog.String("error", full))
	}
	cl.log.ErrorContext(ctx, "autosync: import failed", append(attrs, slog.String("error", text))...)
}
