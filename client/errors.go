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
	// or with its "Unauthorised. Check credentials." result.
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
)

// A StatusError is an HTTP response the client did not expect: a status
// other than 2xx, or a 2xx body that is not an import result (such as the
// HTML of a login page or proxy). For 401, 403, 404 and 413 it also matches
// ErrUnauthorized, ErrForbidden, ErrNotFound and ErrTooLarge with errors.Is.
type StatusError struct {
	StatusCode int
	Snippet    string        // first few hundred bytes of the body, credentials redacted
	RetryAfter time.Duration // from Retry-After, 0 if absent
	Attempts   int           // attempts made, this one included

	endpoint string // the URL posted to, without credentials
	reason   string // why a 2xx body is not a result, if it is not
}

// Error says what the server answered and what to do about it.
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
	if e.Snippet != "" {
		fmt.Fprintf(&b, "; body: %q", e.Snippet)
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

// A RedirectError is a 3xx response. The client never follows redirects,
// since a POST body and credentials must not be re-sent elsewhere: point the
// base URL at where the server redirects to, if that is where Infiniti is.
type RedirectError struct {
	StatusCode int
	Location   string // the Location header, credentials removed
}

// Error says where the server pointed.
func (e *RedirectError) Error() string {
	loc := e.Location
	if loc == "" {
		loc = "(no Location header)"
	}
	return fmt.Sprintf("client: the server redirected (%d %s) to %s; redirects are not followed, so that the file and the password are not sent elsewhere: if that is where Infiniti is, use it as the base URL",
		e.StatusCode, http.StatusText(e.StatusCode), loc)
}

// resultError is the error for an import that Infiniti answered with a
// result saying it failed. It wraps the *result.ImportError; for the
// "Unauthorised" result it wraps ErrUnauthorized only, so that a caller
// who takes *result.ImportError to mean "some rows failed" is not misled.
type resultError struct {
	endpoint string
	attempts int
	auth     bool
	ierr     *result.ImportError
}

func (e *resultError) Error() string {
	if e.auth {
		return fmt.Sprintf("client: POST %s: Infiniti refused the credentials (%q); check the username and password of the import account (an Infiniti account with system administration privileges, not SAML single sign-on)",
			e.endpoint, e.ierr.Result.Summary)
	}
	return fmt.Sprintf("client: POST %s: %v", e.endpoint, e.ierr)
}

func (e *resultError) Unwrap() []error {
	if e.auth {
		return []error{ErrUnauthorized}
	}
	return []error{e.ierr}
}

// attemptError is a failure to get a response: a connection, TLS or
// context error. It says how many attempts were made.
type attemptError struct {
	attempts int
	note     string // why it was not retried, if that is worth saying
	err      error
}

func (e *attemptError) Error() string {
	var b strings.Builder
	b.WriteString("client: ")
	if e.attempts > 1 {
		fmt.Fprintf(&b, "after %d attempts: ", e.attempts)
	}
	b.WriteString(e.err.Error())
	if e.note != "" {
		b.WriteString(" (")
		b.WriteString(e.note)
		b.WriteString(")")
	}
	return b.String()
}

func (e *attemptError) Unwrap() error { return e.err }
