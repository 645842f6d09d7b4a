package client

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// newTransport returns the SDK's own transport: http.DefaultTransport's
// settings, built afresh (a program may have replaced DefaultTransport),
// with the proxy policy of proxy, TLS 1.2 or later, and a limit on the
// wait for the response headers once the request was written.
func newTransport(rootCAs *x509.CertPool, headerTimeout time.Duration) *http.Transport {
	return &http.Transport{
		Proxy:                 proxy,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: headerTimeout,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: rootCAs},
	}
}

// environmentProxy is the proxy of the environment; tests replace it.
var environmentProxy = http.ProxyFromEnvironment

// proxy is the SDK's transport's proxy: the environment's (HTTPS_PROXY,
// NO_PROXY) for https, where a proxy only tunnels; none for plain http,
// where a proxy would read the password, or for a loopback host.
func proxy(req *http.Request) (*url.URL, error) {
	if req.URL.Scheme != "https" || isLoopback(req.URL.Hostname()) {
		return nil, nil
	}
	return environmentProxy(req)
}

// isLoopback reports whether host is a literal loopback address or the
// exact name localhost, which Go resolves without DNS and never proxies.
func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return strings.EqualFold(host, "localhost") || ip != nil && ip.IsLoopback()
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// locationKey holds a redirect's Location while the response passes
// through http.Client.
const locationKey = "X-Autosync-Location"

// redirectStopper moves the Location header of a 3xx response aside, so
// that http.Client returns the response as it is: it would otherwise parse
// the Location first, and fail on one that does not parse. A nil rt is
// http.DefaultTransport.
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
