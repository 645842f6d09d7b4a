package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"

	"github.com/autosync-go/autosync/internal/textsafe"
	"github.com/autosync-go/autosync/result"
)

// response reads and classifies the answer to attempt n from body.
func (c *call) response(ctx context.Context, resp *http.Response, body io.Reader, n int, o outcome) outcome {
	code := resp.StatusCode
	o.status = code
	if code >= 300 && code < 400 {
		o.err = &RedirectError{StatusCode: code, Location: c.cred.location(resp.Header.Get(locationKey))}
		return o
	}
	ok := code >= 200 && code < 300
	limit := c.maxResponse
	if !ok {
		limit = min(limit, 64<<10) // of an error status's body, 64 KiB at most
	}
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil && context.Cause(ctx) == errStalled {
		err = errStalled
	} else if cerr := ctx.Err(); err != nil && cerr != nil {
		return c.fail(o, n, fmt.Sprintf("%d %s, then reading the body: %s", code, http.StatusText(code), contextFact(cerr)), cerr)
	}
	if err != nil && ok { // for another status, the status says enough
		ce := c.connError(err)
		return c.fail(o, n, fmt.Sprintf("%d %s, then reading the body failed: %s", code, http.StatusText(code), ce.msg), ce)
	}
	if int64(len(b)) > limit {
		if ok {
			return c.fail(o, n, fmt.Sprintf("%v: more than %d bytes", ErrResponseTooLarge, limit), ErrResponseTooLarge)
		}
		b = b[:limit]
	}
	res, perr := result.Parse(bytes.NewReader(b))
	var ierr *result.ImportError
	if perr == nil {
		// Judged before a summary that echoed the password is withheld,
		// which must hide neither a refusal nor a failure.
		auth, failed := res.Unauthorized(), res.Err() != nil
		res.Summary = c.cred.redact(res.Summary)
		for i := range res.Details {
			res.Details[i].Message = c.cred.redact(res.Details[i].Message)
		}
		if failed && res.Err() == nil {
			res.Success = false
		}
		o.res = res
		// A result's error does not count the attempts (fail's 0).
		if auth {
			msg, errs := ErrUnauthorized.Error()+": "+textsafe.Quote(res.Summary, maxFragment), []error{ErrUnauthorized}
			if hint := c.cred.charsetHint(); hint != nil {
				msg, errs = msg+"; "+hint.Reason, append(errs, hint)
			}
			return c.fail(o, 0, msg, errs...)
		}
		errors.As(res.Err(), &ierr)
	}
	if ok && perr == nil {
		if ierr != nil {
			return c.fail(o, 0, ierr.Error(), ierr)
		}
		return o
	}
	se := &StatusError{StatusCode: code, Snippet: c.cred.fragment(string(b)), RetryAfter: retryAfter(resp.Header.Get("Retry-After")), Attempts: n, endpoint: c.endpoint, ierr: ierr}
	if ok {
		se.reason = c.cred.fragment(strings.TrimPrefix(perr.Error(), "result: "+result.ErrInvalid.Error()+": "))
	}
	if code == http.StatusUnauthorized {
		se.hint = c.cred.charsetHint()
	}
	o.err = se
	o.retry, o.retryAfter = slices.Contains([]int{429, 502, 503, 504}, code), se.RetryAfter // see RetryPolicy
	return o
}

// connError is a failure of the connection, said as a short fact. It
// unwraps only to values that hold no server text.
type connError struct {
	msg     string
	timeout bool
	errs    []error
}

func (e *connError) Error() string   { return e.msg }
func (e *connError) Unwrap() []error { return e.errs }
func (e *connError) Timeout() bool   { return e.timeout }

// connError says what err, an error of the transport, means.
func (c *call) connError(err error) *connError {
	ce := &connError{msg: "the connection failed"}
	var ne net.Error
	ce.timeout = errors.As(err, &ne) && ne.Timeout()
	for _, target := range []error{context.Canceled, context.DeadlineExceeded, io.EOF, io.ErrUnexpectedEOF} {
		if errors.Is(err, target) {
			ce.errs = append(ce.errs, target)
		}
	}
	var errno syscall.Errno
	var dns *net.DNSError
	var op *net.OpError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var cv *tls.CertificateVerificationError
	switch {
	case errors.As(err, &he):
		ce.msg, ce.errs = "the server's certificate is for another host", append(ce.errs, ErrCertificate, he)
	case errors.As(err, &ua):
		ce.msg, ce.errs = "the server's certificate is from an unknown authority", append(ce.errs, ErrCertificate, ua)
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		ce.msg, ce.errs = "the server's certificate has expired or is not yet valid", append(ce.errs, ErrCertificate, ci)
	case errors.As(err, &ci):
		ce.msg, ce.errs = ErrCertificate.Error(), append(ce.errs, ErrCertificate, ci)
	case errors.As(err, &cv):
		ce.msg, ce.errs = ErrCertificate.Error(), append(ce.errs, ErrCertificate, cv)
	case errors.As(err, new(tls.AlertError)) || errors.As(err, new(tls.RecordHeaderError)):
		ce.msg = "the TLS handshake failed"
	case errors.As(err, &dns):
		ce.msg, ce.errs = "the host name "+c.cred.fragment(dns.Name)+" could not be resolved", append(ce.errs, dns)
		if dns.IsNotFound {
			ce.msg = "the host " + c.cred.fragment(dns.Name) + " was not found"
		}
	case errors.As(err, &errno):
		ce.msg, ce.errs = errno.Error(), append(ce.errs, errno)
	case errors.Is(err, errStalled):
		ce.msg, ce.timeout = errStalled.Error(), true
	case ce.timeout:
		ce.msg = "the connection timed out"
	case errors.As(err, &op) && op.Op == "dial":
		ce.msg = "the connection could not be made"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		ce.msg = "the server closed the connection"
	}
	return ce
}
