package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Issue 11: every mistake New finds is a *ConfigError naming the option
// that fixes it, and never repeats the URL's password.
func TestConfigError(t *testing.T) {
	shared := &http.Transport{}
	vault := func(context.Context) (string, string, error) { return "a", "b", nil }
	tests := []struct {
		name, base string
		opts       []Option
		option     string // ConfigError.Option
		want       string // in the error's text
	}{
		{"does not parse", "https://autoimport:hunter2^@&$/x@school.example", nil, "", "does not parse"},
		{"no scheme", "school.concordinfiniti.com", nil, "", "does not start with https://"},
		{"another scheme", "ftp://school.example", nil, "", "does not start with https://"},
		{"scheme that is a password", "hunter2x:y@school.example", nil, "WithBasicAuth", "an @ after its host"},
		{"no host", "https:///api", nil, "", "no host"},
		{"query", "https://school.example/?tenantId=x", nil, "WithTenant", "has a query"},
		{"curl line", "https://school.example/api/import/userGroups?tenantId=T1", nil, "WithTenant", "holds an import path"},
		{"import path", "https://school.example/infiniti/API/Import/userGroups", nil, "", "holds an import path"},
		{"fragment", "https://school.example/#x", nil, "", "fragment"},
		{"unencoded / in the password", "https://autoimport:2024/Spring@school.example", nil, "WithBasicAuth", "an @ after its host"},
		{"unencoded # in the password", "https://autoimport:12#ab@school.example", nil, "WithBasicAuth", "an @ after its host"},
		{"dot dot", "https://school.example/a/../b", nil, "", ". or .. segment"},
		{"dot", "https://school.example/./b", nil, "", ". or .. segment"},
		{"encoded dot dot", "https://school.example/a/%2e%2e/b", nil, "", ". or .. segment"},
		{"encoded slash", "https://school.example/a%2Fb", nil, "", "encoded slash"},
		{"backslash", `https://school.example/a\b`, nil, "", "backslash"},
		{"semicolon", "https://school.example/a;b", nil, "", "has a ;"},
		{"plain http", "http://school.example", nil, "WithInsecurePlainHTTP", "plain http"},
		{"plain http to a .localhost name", "http://infiniti.localhost", nil, "WithInsecurePlainHTTP", "not a loopback address"},
		{"root CAs and an HTTP client", "https://school.example", []Option{WithRootCAs(testCertPEM), WithHTTPClient(http.DefaultClient)}, "WithRootCAs", "cannot be combined"},
		{"timeout and an HTTP client", "https://school.example", []Option{WithResponseHeaderTimeout(time.Minute), WithHTTPClient(http.DefaultClient)}, "WithResponseHeaderTimeout", "cannot be combined"},
		{"negative timeout", "https://school.example", []Option{WithResponseHeaderTimeout(-1)}, "WithResponseHeaderTimeout", "negative"},
		{"Latin-1 cannot hold it", "https://school.example", []Option{WithBasicAuth("autoimport", "пароль-2024"), WithAuthCharset(AuthLatin1)}, "WithAuthCharset", "ISO-8859-1 cannot hold"},
		{"Latin-1, invalid UTF-8", "https://school.example", []Option{WithBasicAuth("autoimport", "ab\xffcd"), WithAuthCharset(AuthLatin1)}, "WithAuthCharset", "ISO-8859-1 cannot hold"},
		{"unknown charset", "https://school.example", []Option{WithAuthCharset(7)}, "WithAuthCharset", "the charset 7 is unknown"},
		{"credentials twice", "https://a:b@school.example", []Option{WithBasicAuth("a", "b")}, "WithBasicAuth", "given twice"},
		{"empty user in the URL", "https://:hunter2%5E%40@school.example", nil, "WithBasicAuth", "the username is empty"},
		{"empty tenant", "https://school.example", []Option{WithTenant("")}, "WithTenant", "WithTenant: the tenant is empty"},
		{"user agent, U+0085", "https://school.example", []Option{WithUserAgent("acme\u0085x")}, "WithUserAgent", "control or format characters"},
		{"user agent, U+2028", "https://school.example", []Option{WithUserAgent("acme\u2028x")}, "WithUserAgent", "control or format characters"},
		{"user agent, DEL", "https://school.example", []Option{WithUserAgent("acme\x7fx")}, "WithUserAgent", "control or format characters"},
		{"user agent, invalid UTF-8", "https://school.example", []Option{WithUserAgent("acme\xffx")}, "WithUserAgent", "not valid UTF-8"},
		{"user agent, bidi override", "https://school.example", []Option{WithUserAgent("acme\u202e1.2/cnys-sms")}, "WithUserAgent", "control or format characters"},
		{"user agent, zero-width space", "https://school.example", []Option{WithUserAgent("acme\u200bsync")}, "WithUserAgent", "control or format characters"},
		// Review 1, finding 18: an empty segment could hide an import path.
		{"empty segment before an import path", "https://school.example/api//import/userGroups", nil, "", "empty segment (//)"},
		{"empty segment", "https://school.example//infiniti", nil, "", "empty segment (//)"},
		// Review 1, nit: the host is server text of a kind; one line.
		{"plain http to a bidi host", "http://evil\u202eelpmaxe.school", nil, "WithInsecurePlainHTTP", "plain http"},
		// Review 1, finding 9: a password the client shows anyway.
		{"password is the username", "https://school.example", []Option{WithBasicAuth("hunter2pw", "hunter2pw")}, "WithBasicAuth", "the password is the username or occurs in"},
		{"password in the username", "https://school.example", []Option{WithBasicAuth("hunter2pw-import", "hunter2pw")}, "WithBasicAuth", "the password is the username or occurs in"},
		{"password in the host", "https://hunter2pw.school.example", []Option{WithBasicAuth("autoimport", "hunter2pw")}, "WithBasicAuth", "the password is the username or occurs in"},
		{"password in the path", "https://school.example/hunter2pw", []Option{WithBasicAuth("autoimport", "hunter2pw")}, "WithBasicAuth", "the password is the username or occurs in"},
		{"password in the URL's own credentials and host", "https://autoimport:hunter2pw@hunter2pw.example", nil, "WithBasicAuth", "the password is the username or occurs in"},
		{"password in the tenant", "https://school.example", []Option{WithBasicAuth("autoimport", "hunter2pw"), WithTenant("T-hunter2pw")}, "WithBasicAuth", "the password is the username or occurs in"},
		{"nil HTTP client", "https://school.example", []Option{WithHTTPClient(nil)}, "WithHTTPClient", "nil"},
		{"root CAs and a shared transport", "https://school.example", []Option{WithTransport(shared), WithRootCAs(testCertPEM)}, "WithRootCAs", "give it to NewTransport"},
		{"timeout and a shared transport", "https://school.example", []Option{WithResponseHeaderTimeout(time.Minute), WithTransport(shared)}, "WithResponseHeaderTimeout", "give it to NewTransport"},
		{"HTTP client, then a transport", "https://school.example", []Option{WithHTTPClient(http.DefaultClient), WithTransport(shared)}, "WithTransport", "cannot be combined"},
		{"transport, then an HTTP client", "https://school.example", []Option{WithTransport(shared), WithHTTPClient(http.DefaultClient)}, "WithHTTPClient", "cannot be combined"},
		{"nil transport", "https://school.example", []Option{WithTransport(nil)}, "WithTransport", "nil"},
		{"nil credentials provider", "https://school.example", []Option{WithCredentials(nil)}, "WithCredentials", "nil"},
		{"Basic Auth, then a provider", "https://school.example", []Option{WithBasicAuth("a", "b"), WithCredentials(vault)}, "WithCredentials", "given twice"},
		{"a provider, then Basic Auth", "https://school.example", []Option{WithCredentials(vault), WithBasicAuth("a", "b")}, "WithBasicAuth", "given twice"},
		{"the URL's credentials and a provider", "https://a:b@school.example", []Option{WithCredentials(vault)}, "WithCredentials", "given twice"},
		{"negative retries", "https://school.example", []Option{WithRetry(RetryPolicy{MaxRetries: -1})}, "WithRetry", "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.base, tt.opts...)
			collectErr(err)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *ConfigError", err)
			}
			if ce.Option != tt.option {
				t.Errorf("Option %q, want %q (%v)", ce.Option, tt.option, err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "client: ") {
				t.Errorf("err = %v, want it to say %q", err, tt.want)
			}
			if !isOneLine(err.Error()) {
				t.Errorf("not one line: %q", err)
			}
			for _, secret := range []string{"hunter2", "2024/Spring", "Spring", "12#ab", "пароль"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("err shows %q: %v", secret, err)
				}
			}
			if strings.Contains(ce.Reason, "With") || strings.Contains(ce.Reason, "Auth") {
				t.Errorf("Reason names a Go option: %q", ce.Reason)
			}
		})
	}
	if got := (&ConfigError{Option: "WithTenant", Reason: "r"}).Error(); got != "client: WithTenant: r" {
		t.Errorf("a ConfigError made by hand prints %q", got)
	}
}
