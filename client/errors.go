package client

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/autosync-go/autosync/result"
)

// Errors for errors.Is. The errors the client returns carry more detail
// and wrap these.
var (
	// ErrUnauthorized: Infiniti refused the credentials, with a 401 status
	// or its "Unauthorised. Check credentials." result, or an error matching
	// ErrNoCredentials: a person must act.
	ErrUnauthorized = errors.New("infiniti refused the credentials")
	// ErrNoCredentials: there are no usable credentials for the site. A
	// provider given to WithCredentials returns an error wrapping it when
	// it has none.
	ErrNoCredentials = errors.New("no usable credentials")
	// ErrForbidden: 403; the account lacks system administration privileges.
	ErrForbidden = errors.New("the account may not import (403 Forbidden)")
	// ErrNotFound: 404; the base URL or the import path is wrong.
	ErrNotFound = errors.New("no import endpoint at this URL (404 Not Found)")
	// ErrTooLarge: 413; the server or a proxy refused the upload's size.
	ErrTooLarge = errors.New("the upload is too large for the server (413)")
	// ErrResponseTooLarge: a 2xx response is longer than the client reads.
	ErrResponseTooLarge = errors.New("the response is larger than the client reads")
	// ErrCertificate: the server's TLS certificate is not trusted. The
	// error also holds the x509 error for errors.As: x509.HostnameError
	// for a certificate of another host, x509.UnknownAuthorityError for
	// an authority not trusted.
	ErrCertificate = errors.New("the server's certificate is not trusted")
	// ErrResponseTimeout: the whole file was handed over, but no response
	// headers came in time; see WithResponseHeaderTimeout.
	ErrResponseTimeout = errors.New("no response within the response-header timeout")
	// ErrInvalidPath: the path given to Import, or the ContactsMode, cannot
	// be sent; nothing was sent.
	ErrInvalidPath = errors.New("the import path cannot be sent")
)

// A ConfigError is a mistake in how a Client is set up. Option names the
// option whose argument is wrong or that is the fix, so that a program
// can give its own advice.
type ConfigError struct {
	Option string // such as "WithTenant"; "" when the base URL itself is wrong
	Reason string // what is wrong
}

// Error returns "client: ", the option, if any, and the reason.
func (e *ConfigError) Error() string {
	if e.Option == "" {
		return "client: " + e.Reason
	}
	return "client: " + e.Option + ": " + e.Reason
}

// A StatusError is an HTTP response the client did not expect: a status
// other than 2xx, or a 2xx body that is not an import result (such as a
// login page). A non-2xx answer whose body is a failed result also holds
// its *result.ImportError.
type StatusError struct {
	StatusCode int // the HTTP status, such as 500
	// Snippet is the start of the body, at most 300 bytes, unescaped (print
	// it quoted), or withheld. It may hold students' data.
	Snippet    string
	RetryAfter time.Duration // what the Retry-After header asked for, 0 if absent
	Attempts   int           // attempts made, this one included

	endpoint string
	reason   string              // why a 2xx body is not a result, if it is not
	hint     *ConfigError        // for a 401 with non-ASCII credentials
	ierr     *result.ImportError // for a non-2xx answer that is a failed result
}

// Error says what the server answered, in one line.
func (e *StatusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "client: POST %s: %d %s", e.endpoint, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (Retry-After %v)", e.RetryAfter)
	}
	switch {
	case e.reason != "":
		b.WriteString(": not an Infiniti import result (" + e.reason + ")")
	case e.ierr != nil:
		b.WriteString(": " + e.ierr.Error())
	}
	if e.hint != nil {
		b.WriteString("; " + e.hint.Reason)
	}
	if e.Snippet != "" && e.ierr == nil {
		b.WriteString("; body: " + strconv.Quote(e.Snippet))
	}
	return b.String()
}

var statusErrors = map[int]error{401: ErrUnauthorized, 403: ErrForbidden, 404: ErrNotFound, 413: ErrTooLarge}

// Is matches the sentinel errors of 401, 403, 404 and 413.
func (e *StatusError) Is(target error) bool {
	return target != nil && statusErrors[e.StatusCode] == target
}

// Unwrap returns the *ConfigError naming WithAuthCharset and the
// *result.ImportError, those that there are.
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

// A RedirectError is a 3xx response, which the client never follows.
type RedirectError struct {
	StatusCode int // such as 302
	// Location is the scheme, host and path of the Location header, at
	// most 300 bytes, or withheld.
	Location string
}

// Error says where the server pointed, in one line.
func (e *RedirectError) Error() string {
	return fmt.Sprintf("client: redirected (%d %s) to %s; redirects are not followed",
		e.StatusCode, http.StatusText(e.StatusCode), strconv.Quote(e.Location))
}

// attemptError is a started call's failure, unless a status or a redirect.
type attemptError struct {
	endpoint string
	attempts int
	msg      string
	errs     []error
}

func (e *attemptError) Error() string {
	s := "client: POST " + e.endpoint + ": " + e.msg
	if e.attempts > 1 {
		s += fmt.Sprintf(" (after %d attempts)", e.attempts)
	}
	return s
}

func (e *attemptError) Unwrap() []error { return e.errs }

// pathError is a path or contacts mode that cannot be sent.
type pathError struct{ msg string }

func (e *pathError) Error() string        { return e.msg }
func (e *pathError) Is(target error) bool { return target == ErrInvalidPath }

// logText returns the text of err for a log record above Debug level,
// without a body or a result's rows, as WithLogger says.
func logText(err error) string {
	var se *StatusError
	var ie *result.ImportError
	switch {
	case errors.As(err, &se):
		short := *se
		short.Snippet, short.ierr = "", nil
		return short.Error()
	case errors.As(err, &ie) && ie.Result != nil: // err's text ends with ie's, which no endpoint holds
		short := &result.ImportError{Result: &result.Result{Summary: ie.Result.Summary}}
		return strings.Replace(err.Error(), ie.Error(), short.Error(), 1)
	}
	return err.Error()
}
