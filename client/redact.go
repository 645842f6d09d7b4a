package client

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/autosync-go/autosync/internal/textsafe"
)

// redacted replaces a secret in text the client builds.
const redacted = "[REDACTED]"

// withheld replaces a whole text that still held a secret after redaction
// (a password that straddles the replacement marker, say).
const withheld = "client: the text of this error is withheld because it would have shown the password"

// credentials are a Client's Basic Auth credentials. Printed with fmt or
// slog they show [REDACTED]. The secrets themselves are a pointer further
// down: fmt prints the unexported fields of a Client by reflection, without
// calling methods, and with a verb that does not fit (%s of *c) it follows
// one pointer, but prints a pointer it meets below that as an address.
type credentials struct {
	*secret
	nonASCII bool        // whether the password has characters beyond ASCII
	charset  AuthCharset // how the credentials are encoded in the header
}

// secret is the Authorization header and every form of the password that
// server text could echo.
type secret struct {
	header string   // the Authorization header's value
	forms  []string // the forms of the password to redact, longest first
}

// Format prints [REDACTED] for every verb.
func (credentials) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }

// LogValue logs [REDACTED].
func (credentials) LogValue() slog.Value { return slog.StringValue(redacted) }

// Format prints [REDACTED] for every verb.
func (secret) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }

// LogValue logs [REDACTED].
func (secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// newCredentials encodes username:password in cs. It fails, naming no
// character of either, when cs cannot hold them.
func newCredentials(username, password string, cs AuthCharset) (*credentials, error) {
	userPass := username + ":" + password
	sent := []byte(userPass)
	if cs == AuthLatin1 {
		b, ok := latin1(userPass)
		if !ok {
			return nil, &ConfigError{Option: "WithAuthCharset", Reason: "the username or password has characters that ISO-8859-1 (Latin-1) cannot hold, or is not valid UTF-8", fix: "send the credentials in UTF-8 with WithAuthCharset(AuthUTF8), the default"}
		}
		sent = b
	}
	return &credentials{
		secret:   &secret{header: "Basic " + base64.StdEncoding.EncodeToString(sent), forms: secretForms(username, password)},
		nonASCII: !isASCII(password),
		charset:  cs,
	}, nil
}

// latin1 encodes s in ISO-8859-1; it fails if s is not valid UTF-8 or has
// a character above U+00FF.
func latin1(s string) ([]byte, bool) {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF { // utf8.RuneError, for invalid UTF-8, is too
			return nil, false
		}
		b = append(b, byte(r))
	}
	return b, true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// secretForms returns the forms of password that a server could echo: as
// it is, in ISO-8859-1 and as UTF-8 read as ISO-8859-1, and each of those
// percent-encoded (query, path, userinfo; either case of hex), JSON- and
// Go-escaped, and in base64 (standard, URL-safe, padded or not) alone and
// as username:password. Longest first, so that a longer form is replaced
// before a shorter one inside it.
func secretForms(username, password string) []string {
	if password == "" {
		return nil
	}
	variants := []string{password}
	if b, ok := latin1(password); ok {
		variants = append(variants, string(b))
	}
	if !isASCII(password) {
		var mojibake strings.Builder
		for i := 0; i < len(password); i++ {
			mojibake.WriteRune(rune(password[i]))
		}
		variants = append(variants, mojibake.String())
	}
	var forms []string
	add := func(s ...string) {
		for _, f := range s {
			if f != "" {
				forms = append(forms, f, lowerHex(f))
			}
		}
	}
	for _, p := range variants {
		add(p, url.QueryEscape(p), url.PathEscape(p), strings.TrimPrefix(url.UserPassword("", p).String(), ":"))
		if j, err := json.Marshal(p); err == nil {
			add(string(j[1 : len(j)-1]))
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if enc.Encode(p) == nil {
			j := bytes.TrimSpace(buf.Bytes()) // "…" without HTML escapes
			add(string(j[1 : len(j)-1]))
		}
		q := strconv.Quote(p)
		add(q[1 : len(q)-1])
		for _, plain := range []string{p, username + ":" + p} {
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
				add(enc.EncodeToString([]byte(plain)))
			}
		}
	}
	// Each form as it shows inside a JSON string, such as a result's
	// summary that a snippet shows raw.
	for _, f := range forms {
		if j, err := json.Marshal(f); err == nil {
			forms = append(forms, string(j[1:len(j)-1]))
		}
	}
	slices.SortFunc(forms, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return slices.Compact(forms)
}

// lowerHex lowers the hex digits of the percent escapes in s.
func lowerHex(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1] = lower(b[i+1])
			b[i+2] = lower(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

// redact replaces every form of the password in s.
func (c *credentials) redact(s string) string {
	if c == nil {
		return s
	}
	for _, f := range c.forms {
		if strings.Contains(s, f) {
			s = strings.ReplaceAll(s, f, redacted)
		}
	}
	return s
}

// holds reports whether s has any form of the password.
func (c *credentials) holds(s string) bool {
	if c == nil {
		return false
	}
	for _, f := range c.forms {
		if strings.Contains(s, f) {
			return true
		}
	}
	return false
}

// clean is the one path that every error string and log attribute the
// client builds from server text goes through: the password's forms are
// redacted, and the text is made one line, control characters and invalid
// UTF-8 escaped. A text that would still show the password after that is
// replaced whole by orElse.
func (c *credentials) clean(s, orElse string) string {
	s = c.redact(oneLine(c.redact(s)))
	if c.holds(s) {
		return orElse
	}
	return s
}

// intAttr is a log attribute for a number the server sent, redacted if
// its digits show the password.
func (c *credentials) intAttr(key string, n int) slog.Attr {
	if c.holds(strconv.Itoa(n)) {
		return slog.String(key, redacted)
	}
	return slog.Int(key, n)
}

// cleanError is clean for a whole error string.
func (c *credentials) cleanError(s string) string { return c.clean(s, withheld) }

// oneLine trims s and escapes, with textsafe.OneLine, every character
// that could break the line, drive a terminal or reorder what a reader sees
// (line breaks, escape sequences, C1 and bidirectional controls) and every
// byte that is not valid UTF-8, so that s prints as one line that cannot
// forge log lines.
func oneLine(s string) string { return textsafe.OneLine(strings.TrimSpace(s)) }

// redactLocation returns the scheme, host and path of a redirect's
// Location, cleaned; query, fragment and credentials are dropped.
func (c *credentials) redactLocation(loc string) string {
	if loc == "" {
		return ""
	}
	loc = strings.TrimSpace(loc)
	u, err := url.Parse(loc)
	if err != nil {
		// Credentials in it that are not encoded: drop them and try again.
		if i := strings.Index(loc, "://"); i >= 0 {
			auth := loc[i+3:]
			if end := strings.IndexAny(auth, "/?#"); end >= 0 {
				auth = auth[:end]
			}
			if at := strings.LastIndex(auth, "@"); at >= 0 {
				u, err = url.Parse(loc[:i+3] + loc[i+3+at+1:])
			}
		}
	}
	if err != nil {
		return "(a Location that is not a valid URL)"
	}
	if u.Opaque != "" {
		return c.clean(u.Scheme+":(an opaque URL)", "(a Location that held the password)")
	}
	var b strings.Builder
	if u.Scheme != "" {
		b.WriteString(u.Scheme)
		b.WriteString(":")
	}
	if u.Host != "" || u.Scheme != "" {
		b.WriteString("//")
		b.WriteString(u.Host)
	}
	b.WriteString(u.EscapedPath())
	return c.clean(b.String(), "(a Location that held the password)")
}
