package client

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// NewTransport returns the transport a Client builds for itself, to be
// shared with WithTransport: one pool of connections serves many clients.
// It has http.DefaultTransport's settings, built afresh, except for TLS
// 1.2 or later, the proxy of HTTPS_PROXY and NO_PROXY for https only
// (plain http and loopback requests never go through a proxy, which would
// read the password), DefaultResponseHeaderTimeout, and up to 100 idle
// connections per host, not 2 (MaxIdleConns, 100 in all, caps it: raise
// both): schools that share one Infiniti host reuse its connections. Tune
// the fields before use. Bad input to an option is a *ConfigError.
func NewTransport(opts ...TransportOption) (*http.Transport, error) {
	s := settings{headerTimeout: DefaultResponseHeaderTimeout}
	if err := configure(&s, opts); err != nil {
		return nil, err
	}
	return s.transport(), nil
}

// transport builds the SDK's transport with the settings of s.
func (s *settings) transport() *http.Transport {
	return &http.Transport{
		Proxy:                 proxy,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: s.headerTimeout,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: s.rootCAs},
	}
}

// CloseIdleConnections closes the idle connections of the transport that
// New built for c; it leaves alone a transport given with WithTransport
// or WithHTTPClient, which other clients may share.
func (c *Client) CloseIdleConnections() {
	if c.own != nil {
		c.own.CloseIdleConnections()
	}
}

// environmentProxy is the proxy of the environment; tests replace it.
var environmentProxy = http.ProxyFromEnvironment

// proxy is the SDK's transport's proxy, as NewTransport says.
func proxy(req *http.Request) (*url.URL, error) {
	if req.URL.Scheme != "https" || isLoopback(req.URL.Hostname()) {
		return nil, nil
	}
	return environmentProxy(req)
}

// isLoopback reports whether host is a literal loopback address or the
// exact name localhost, which Go resolves without DNS and never proxies.
func isLoopback(host string) bool {
	return strings.EqualFold(host, "localhost") || net.ParseIP(host).IsLoopback() // false for a nil IP
}

// locationKey holds a redirect's Location while the response passes
// through http.Client.
const locationKey = "X-Autosync-Location"

// redirectStopper moves the Location header of a 3xx response aside, so
// that http.Client returns the response as it is: it would otherwise parse
// the Location first, and fail on one that does not parse.
type redirectStopper struct{ rt http.RoundTripper }

func (r redirectStopper) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.rt.RoundTrip(req)
	if err == nil && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		if loc, ok := resp.Header["Location"]; ok {
			resp.Header = resp.Header.Clone()
			resp.Header.Del("Location")
			resp.Header[locationKey] = loc
		}
	}
	return resp, err
}
