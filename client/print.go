package client

import (
	"fmt"
	"log/slog"
	"strings"
)

// String returns the client's base URL, user and tenant, such as
// `client for https://school.example (user "autoimport", tenant "T1")`;
// never the password.
func (c *Client) String() string {
	if c == nil {
		return "<nil>"
	}
	var parts []string
	for _, a := range c.LogValue().Group()[1:] { // user and tenant, if set
		parts = append(parts, fmt.Sprintf("%s %q", a.Key, a.Value))
	}
	if len(parts) == 0 {
		return "client for " + c.BaseURL()
	}
	return "client for " + c.BaseURL() + " (" + strings.Join(parts, ", ") + ")"
}

// GoString returns a Go expression for %#v that builds a like client, the
// password shown as [REDACTED].
func (c *Client) GoString() string {
	if c == nil {
		return "(*client.Client)(nil)"
	}
	s := fmt.Sprintf("client.New(%q", c.BaseURL())
	if c.basic != nil {
		s += fmt.Sprintf(", client.WithBasicAuth(%q, %q)", c.username, redacted)
	}
	if c.provider != nil {
		s += ", client.WithCredentials(" + redacted + ")"
	}
	if c.tenant != "" {
		s += fmt.Sprintf(", client.WithTenant(%q)", c.tenant)
	}
	return s + ")"
}

// LogValue logs the client as a group of base_url, user and tenant (the
// last two only when set); never the password.
func (c *Client) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("<nil>")
	}
	attrs := []slog.Attr{slog.String("base_url", c.BaseURL())}
	if c.basic != nil {
		attrs = append(attrs, slog.String("user", c.username))
	}
	if c.tenant != "" {
		attrs = append(attrs, slog.String("tenant", c.tenant))
	}
	return slog.GroupValue(attrs...)
}
