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
	// ErrResponseTimeout: the whole file was sent, but no response headers
	// came within the response-header timeout (WithResponseHeaderTimeout).
	// Never retried: Infiniti may still be processing the file.
	ErrResponseTimeout = errors.New("no response from the server within the response-header timeout after the upload")
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
type StatusError struct {
	StatusCode int
	Snippet    string        // first few hundred bytes of the body, credentials redacted, as one line
	RetryAfter time.Duration // from Retry-After, 0 if absent
	Attempts   int           // attempts made, this one included

	endpoint string       // the URL posted to, without credentials
	reason   string       // why a 2xx body is not a result, if it is not; cleaned
	note     string       // why it was not retried, if that is worth saying
	hint     *ConfigError // for a 401 with a non-ASCII password
	red      *credentials // the secrets its text must not show
}

// Error says what the server answered and what to do about it, in one
// line that never shows the password.
func (e *StatusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "client: POST %s: %d %s", e.endpoint, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (Retry-After %v)", e.RetryAfter)
	}
	b.WriteString(": ")
	if e.reason != "" {
		b.WriteString("not an Infiniti import result: " + e.reason + "; check the base URL")
	} else {
		b.WriteString(statusHint(e.StatusCode))
	}
	if e.hint != nil {
		b.WriteString("; " + e.hint.text())
	}
	if e.note != "" {
		b.WriteString("; " + e.note)
	}
	if e.Snippet != "" {
		b.WriteString(`; body: "` + e.Snippet + `"`)
	}
	return e.red.cleanError(b.String())
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

// GoString shows the error's fields for %#v, redacted as Error is.
func (e *StatusError) GoString() string {
	return e.red.cleanError(fmt.Sprintf("&client.StatusError{StatusCode:%d, Snippet:%q, RetryAfter:%d, Attempts:%d}", e.StatusCode, e.Snippet, e.RetryAfter, e.Attempts))
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

// Unwrap returns the *ConfigError that names WithAuthCharset, for a 401
// answering a password with non-ASCII characters; nil otherwise.
func (e *StatusError) Unwrap() error {
	if e.hint == nil {
		return nil
	}
	return e.hint
}

// A RedirectError is a 3xx response. The client never follows redirects,
// since a POST body and credentials must not be re-sent elsewhere: point the
// base URL at where the server redirects to, if that is where Infiniti is.
type RedirectError struct {
	StatusCode int
	// Location is the scheme, host and path of the Location header: its
	// query, fragment and credentials are left out, and any form of the
	// password in what is left is redacted.
	Location string

	red *credentials
}

// Error says where the server pointed, in one line that never shows the
// password.
func (e *RedirectError) Error() string {
	loc := e.Location
	if loc == "" {
		loc = "(no Location header)"
	}
	return e.red.cleanError(fmt.Sprintf("client: the server redirected (%d %s) to %s; redirects are not followed, so that the file and the password are not sent elsewhere: if that is where Infiniti is, use it as the base URL",
		e.StatusCode, http.StatusText(e.StatusCode), loc))
}

// GoString shows the error's fields for %#v, redacted as Error is.
func (e *RedirectError) GoString() string {
	return e.red.cleanError(fmt.Sprintf("&client.RedirectError{StatusCode:%d, Location:%q}", e.StatusCode, e.Location))
}

// resultError is the error for an import that Infiniti answered with a
// result saying it failed. It wraps the *result.ImportError, which keeps
// Infiniti's text as received; its own text is redacted and one line. For
// the "Unauthorised" result it wraps ErrUnauthorized (and the charset
// hint) only, so that a caller who takes *result.ImportError to mean "some
// rows failed" is not misled.
type resultError struct {
	endpoint string
	auth     bool
	ierr     *result.ImportError
	hint     *ConfigError
	red      *credentials
}

func (e *resultError) Error() string {
	if e.auth {
		s := fmt.Sprintf("client: POST %s: Infiniti refused the credentials (\"%s\"); check the username and password of the import account (an Infiniti account with system administration privileges, not SAML single sign-on)",
			e.endpoint, strings.TrimSpace(e.ierr.Result.Summary))
		if e.hint != nil {
			s += "; " + e.hint.text()
		}
		return e.red.cleanError(s)
	}
	return e.red.cleanError("client: POST " + e.endpoint + ": " + e.ierr.Error())
}

// GoString is the error's text for %#v, redacted as Error is.
func (e *resultError) GoString() string { return goString(e.red, e, e.Error()) }

// logText is the error for a log record at Info or Error level: the
// summary, without the rows' messages, which hold students' data.
func (e *resultError) logText() string {
	if e.auth {
		return e.Error()
	}
	s := "client: POST " + e.endpoint + ": infiniti import failed"
	if sum := strings.TrimSpace(e.ierr.Result.Summary); sum != "" {
		s += ": " + sum
	}
	return e.red.cleanError(s)
}

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
// context error, or a response that could not be read. It says how many
// attempts were made.
type attemptError struct {
	endpoint string
	attempts int
	msg      string // what went wrong; err's text unless that says less well
	note     string // why it was not retried, if that is worth saying
	err      error
	red      *credentials
}

func (e *attemptError) Error() string {
	var b strings.Builder
	b.WriteString("client: POST ")
	b.WriteString(e.endpoint)
	b.WriteString(": ")
	msg := e.msg
	if msg == "" && e.err != nil {
		msg = e.err.Error()
	}
	b.WriteString(msg)
	if e.attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.attempts)
	}
	if e.note != "" {
		b.WriteString("; ")
		b.WriteString(e.note)
	}
	return e.red.cleanError(b.String())
}

func (e *attemptError) Unwrap() error { return e.err }

// GoString is the error's text for %#v, redacted as Error is: the
// default would show the transport's error, which may quote the server.
func (e *attemptError) GoString() string { return goString(e.red, e, e.Error()) }

func goString(red *credentials, e error, text string) string {
	return red.cleanError(fmt.Sprintf("&%s{%q}", strings.TrimPrefix(fmt.Sprintf("%T", e), "*"), text))
}

// logText returns the text of err for a log record at Info level or above:
// no row of the result, which holds students' data.
func logText(err error) string {
	if re, ok := err.(*resultError); ok {
		return re.logText()
	}
	return err.Error()
}
