package client

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/autosync-go/autosync/result"
)

// Errors for errors.Is. The errors the client returns carry more detail
// (a *StatusError, or the *result.Result of the import) and wrap these.
var (
	// ErrUnauthorized: Infiniti refused the credentials, with a 401 status
	// or with its "Unauthorised. Check credentials." result. When the
	// password has non-ASCII characters, the error also holds a
	// *ConfigError naming WithAuthCharset (see ConfigError).
	ErrUnauthorized = errors.New("infiniti refused the credentials")
	// ErrForbidden: 403; the account lacks system administration privileges.
	ErrForbidden = errors.New("the account may not import (403 Forbidden)")
	// ErrNotFound: 404; the base URL or the import path is wrong.
	ErrNotFound = errors.New("no import endpoint at this URL (404 Not Found)")
	// ErrTooLarge: 413; the server or a proxy in front of it refused the
	// size of the upload.
	ErrTooLarge = errors.New("the upload is too large for the server (413)")
	// ErrResponseTooLarge: the response is longer than the client reads
	// (WithMaxResponseBytes).
	ErrResponseTooLarge = errors.New("the response is larger than the client reads")
	// ErrCertificate: the server's TLS certificate is not trusted. Never
	// retried.
	ErrCertificate = errors.New("the server's TLS certificate is not trusted")
	// ErrResponseTimeout: the whole file was handed to the connection, but
	// no response came in time: no response headers within the
	// response-header timeout (WithResponseHeaderTimeout, or the timeouts
	// of the *http.Client given with WithHTTPClient), or, with the SDK's
	// own transport, a response body that stalled as long. Never retried:
	// Infiniti may still be processing the file.
	ErrResponseTimeout = errors.New("no response from the server within the response-header timeout after the upload")
	// ErrInvalidPath: the path given to Import, or the ContactsMode given
	// to the contacts imports, cannot be sent; nothing was sent.
	ErrInvalidPath = errors.New("the import path cannot be sent")
)

// A ConfigError is a mistake in how a Client is set up: a base URL that
// cannot be used, an option given bad input, or options that do not go
// together. New returns one for every such mistake; match it with
// errors.As. Option names the Go option whose argument is wrong or that is
// the fix, so that a program can translate the error into its own flags
// (Option "WithTenant" → "use -tenant"); Reason says what is wrong
// without naming any Go identifier.
//
// An import error that matches ErrUnauthorized also holds a *ConfigError
// with Option "WithAuthCharset" when the password has non-ASCII characters:
// the server may expect them in the other encoding. Test ErrUnauthorized
// first if the two must be told apart.
type ConfigError struct {
	// Option is the option that is the fix, such as "WithTenant",
	// "WithBasicAuth" or "WithRootCAs"; "" when no option is (the base
	// URL itself is wrong).
	Option string
	// Reason says what is wrong, naming no Go identifier.
	Reason string

	fix string // the Go fix, naming Option; "" for Option's own bad input
}

// Error returns "client: " and the reason, followed by the fix that names
// the option.
func (e *ConfigError) Error() string { return "client: " + e.text() }

func (e *ConfigError) text() string {
	switch {
	case e.Option == "":
		return e.Reason
	case e.fix != "":
		return e.Reason + "; " + e.fix
	}
	return e.Option + ": " + e.Reason
}

// A StatusError is an HTTP response the client did not expect: a status
// other than 2xx, or a 2xx body that is not an import result (such as the
// HTML of a login page or proxy). For 401, 403, 404 and 413 it also matches
// ErrUnauthorized, ErrForbidden, ErrNotFound and ErrTooLarge with errors.Is.
// A non-2xx answer whose body is a result that says the import failed
// (rows that failed, say) also holds a *result.ImportError for errors.As.
type StatusError struct {
	// StatusCode is the HTTP status of the answer, such as 500.
	StatusCode int
	// Snippet is the start of the body, at most 300 bytes, as one line;
	// "(withheld: it echoed the credentials)" when the body, decoded as a
	// server could have encoded it, held the password. It may hold
	// students' data (a result's rows): log records above Debug level
	// leave it out.
	Snippet string
	// RetryAfter is what the Retry-After header asked for, 0 if absent.
	RetryAfter time.Duration
	// Attempts is how many attempts were made, this one included.
	Attempts int

	endpoint string              // the URL posted to, without credentials
	reason   string              // why a 2xx body is not a result, if it is not; a fragment
	note     string              // why it was not retried, if that is worth saying
	hint     *ConfigError        // for a 401 with non-ASCII credentials
	ierr     *result.ImportError // for a non-2xx answer that is a failed result
}

// Error says what the server answered and what to do about it, in one
// line that never shows the password.
func (e *StatusError) Error() string { return e.text(true) }

// logText is Error without the snippet and the parse error, which can
// quote students' data: for log records above Debug level.
func (e *StatusError) logText() string { return e.text(false) }

func (e *StatusError) text(body bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "client: POST %s: %d %s", e.endpoint, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (Retry-After %v)", e.RetryAfter)
	}
	b.WriteString(": ")
	switch {
	case e.reason != "" && body:
		b.WriteString("not an Infiniti import result: " + e.reason + "; check the base URL")
	case e.reason != "":
		b.WriteString("not an Infiniti import result; check the base URL")
	default:
		b.WriteString(statusHint(e.StatusCode))
	}
	if e.hint != nil {
		b.WriteString("; " + e.hint.text())
	}
	if e.note != "" {
		b.WriteString("; " + e.note)
	}
	if e.Snippet != "" && body {
		b.WriteString(`; body: "` + e.Snippet + `"`)
	}
	return b.String()
}

func statusHint(code int) string {
	switch {
	case code == http.StatusUnauthorized:
		return "Infiniti refused the credentials; check the username and password of the import account (an Infiniti account, not SAML single sign-on)"
	case code == http.StatusForbidden:
		return "the account lacks system administration privileges; grant them to the import account in Infiniti"
	case code == http.StatusNotFound:
		return "there is no import endpoint here; check the base URL (https://yourschool.concordinfiniti.com) and the import path"
	case code == http.StatusRequestEntityTooLarge:
		return "the server or a proxy in front of it refused the size of the upload; split the file or raise the proxy's limit"
	case code == http.StatusTooManyRequests:
		return "Infiniti is rate limiting; try again later or post less often"
	case code >= 200 && code < 300:
		return "the body is not an Infiniti import result (a login page or a proxy in front of Infiniti?); check the base URL"
	case code >= 500:
		return "Infiniti or a proxy in front of it failed; try again later, and tell the school's Infiniti support if it persists"
	}
	return "Infiniti did not accept the request"
}

// GoString shows the error's fields for %#v.
func (e *StatusError) GoString() string {
	return fmt.Sprintf("&client.StatusError{StatusCode:%d, Snippet:%q, RetryAfter:%d, Attempts:%d}", e.StatusCode, e.Snippet, e.RetryAfter, e.Attempts)
}

// Is matches the sentinel errors of 401, 403, 404 and 413.
func (e *StatusError) Is(target error) bool {
	switch e.StatusCode {
	case http.StatusUnauthorized:
		return target == ErrUnauthorized
	case http.StatusForbidden:
		return target == ErrForbidden
	case http.StatusNotFound:
		return target == ErrNotFound
	case http.StatusRequestEntityTooLarge:
		return target == ErrTooLarge
	}
	return false
}

// Unwrap returns what the error holds besides its status: the
// *ConfigError that names WithAuthCharset, for a 401 answering
// credentials with non-ASCII characters, and the *result.ImportError, for
// a non-2xx answer whose body is a result that says the import failed.
// It returns nil when there is neither.
func (e *StatusError) Unwrap() []error {
	var errs []error
	if e.hint != nil {
		errs = append(errs, e.hint)
	}
	if e.ierr != nil {
		errs = append(errs, e.ierr)
	}
	return errs
}

// A RedirectError is a 3xx response. The client never follows redirects,
// since a POST body and credentials must not be re-sent elsewhere: point the
// base URL at where the server redirects to, if that is where Infiniti is.
type RedirectError struct {
	// StatusCode is the HTTP status of the answer, such as 302.
	StatusCode int
	// Location is the scheme, host and path of the Location header, at
	// most 300 bytes, as one line: its query, fragment and credentials
	// are left out, and it is "(withheld: it echoed the credentials)"
	// when what is left, decoded, held the password.
	Location string
}

// Error says where the server pointed, in one line that never shows the
// password.
func (e *RedirectError) Error() string {
	loc := e.Location
	if loc == "" {
		loc = "(no Location header)"
	}
	return fmt.Sprintf("client: the server redirected (%d %s) to %s; redirects are not followed, so that the file and the password are not sent elsewhere: if that is where Infiniti is, use it as the base URL",
		e.StatusCode, http.StatusText(e.StatusCode), loc)
}

// GoString shows the error's fields for %#v.
func (e *RedirectError) GoString() string {
	return fmt.Sprintf("&client.RedirectError{StatusCode:%d, Location:%q}", e.StatusCode, e.Location)
}

// resultError is the error for an import that Infiniti answered with a
// result saying it failed. It wraps the *result.ImportError, which keeps
// Infiniti's text as received; its own text, built once from fragments,
// is one line and never shows the password. For the "Unauthorised" result
// it wraps ErrUnauthorized (and the charset hint) only, so that a caller
// who takes *result.ImportError to mean "some rows failed" is not misled.
type resultError struct {
	msg  string // the error's text
	log  string // its text for log records above Debug: no row's message
	auth bool
	ierr *result.ImportError
	hint *ConfigError
}

// newResultError builds the error for res, which failed, posted to
// endpoint; auth says that it is the "Unauthorised" result.
func (c *Client) newResultError(endpoint string, res *result.Result, auth bool) *resultError {
	e := &resultError{auth: auth, ierr: &result.ImportError{Result: res}}
	prefix := "client: POST " + endpoint + ": "
	if auth {
		e.hint = c.cred.charsetHint()
		e.msg = prefix + `Infiniti refused the credentials ("` + c.cred.fragment(res.Summary) + `"); check the username and password of the import account (an Infiniti account with system administration privileges, not SAML single sign-on)`
		if e.hint != nil {
			e.msg += "; " + e.hint.text()
		}
		e.log = e.msg
		return e
	}
	var b strings.Builder
	b.WriteString(prefix + "infiniti import failed")
	if strings.TrimSpace(res.Summary) != "" {
		b.WriteString(": " + c.cred.fragment(res.Summary))
	} else if !res.Success {
		b.WriteString(` ("success": false, no summary)`)
	}
	e.log = b.String()
	fails := res.Failures()
	for i, f := range fails {
		if i == maxRowsInError {
			fmt.Fprintf(&b, "; and %d more failed rows", len(fails)-maxRowsInError)
			break
		}
		b.WriteString("; row " + c.cred.number(f.Row) + ": " + c.cred.fragment(f.Message))
	}
	if len(fails) == 0 && res.Success && res.Details != nil {
		b.WriteString(` (success is true, but the result has "details", which Infiniti sends only when rows failed)`)
	}
	e.msg = b.String()
	return e
}

// maxRowsInError caps the failed rows a resultError's message lists, as
// result.ImportError's does.
const maxRowsInError = 3

func (e *resultError) Error() string { return e.msg }

// GoString is the error's text for %#v: the default would show the
// result, whose text is Infiniti's as received.
func (e *resultError) GoString() string { return goString(e, e.msg) }

func (e *resultError) Unwrap() []error {
	if e.auth {
		if e.hint != nil {
			return []error{ErrUnauthorized, e.hint}
		}
		return []error{ErrUnauthorized}
	}
	return []error{e.ierr}
}

// attemptError is a failure to get a response: a connection, TLS or
// context error, an error of the caller's CSV, or a response that could
// not be read. It says how many attempts were made. Its text is built
// once, from the client's own words and fragments of server text.
type attemptError struct {
	endpoint string
	attempts int
	msg      string // what went wrong, server text in it a fragment
	note     string // why it was not retried, if that is worth saying
	errs     []error
}

func (e *attemptError) Error() string {
	var b strings.Builder
	b.WriteString("client: POST ")
	b.WriteString(e.endpoint)
	b.WriteString(": ")
	b.WriteString(e.msg)
	if e.attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.attempts)
	}
	if e.note != "" {
		b.WriteString("; ")
		b.WriteString(e.note)
	}
	return b.String()
}

func (e *attemptError) Unwrap() []error { return e.errs }

// GoString is the error's text for %#v.
func (e *attemptError) GoString() string { return goString(e, e.Error()) }

func goString(e error, text string) string {
	return fmt.Sprintf("&%s{%q}", strings.TrimPrefix(fmt.Sprintf("%T", e), "*"), text)
}

// transportError is the error of the HTTP transport as the client shows
// it: the transport's text may quote the server (a malformed status line,
// say), so it is a fragment, and it unwraps only to values that hold no
// server text of their own (the context's errors) or that a caller needs
// to tell certificate problems apart (the x509 and tls error types). It is
// a net.Error, whose Timeout is the transport error's.
type transportError struct {
	msg     string
	timeout bool
	errs    []error
}

func (e *transportError) Error() string   { return e.msg }
func (e *transportError) Unwrap() []error { return e.errs }
func (e *transportError) Timeout() bool   { return e.timeout }
func (e *transportError) Temporary() bool { return false }

// sourceError is an error of the caller's CSV reader (or of encoding the
// caller's rows). It is never retried, and is said to be the CSV's.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// pathError is a path or contacts mode that cannot be sent.
type pathError struct{ msg string }

func (e *pathError) Error() string        { return e.msg }
func (e *pathError) Is(target error) bool { return target == ErrInvalidPath }

// logText returns the text of err for a log record at Info level or above:
// no row of the result and no body, which hold students' data.
func logText(err error) string {
	switch e := err.(type) {
	case *resultError:
		return e.log
	case *StatusError:
		return e.logText()
	}
	return err.Error()
}
