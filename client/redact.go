package client

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/autosync-go/autosync/internal/textsafe"
)

const (
	redacted    = "[REDACTED]"                            // what GoString shows for the password
	withheld    = "(withheld: it echoed the credentials)" // replaces, whole, a server text that echoed them
	maxFragment = 300                                     // bytes of one server text that an error shows
)

// credentials are a Client's Basic Auth credentials. The secret is only
// returned by a function, which fmt, slog and reflection-based dumpers
// print as an address, if at all.
type credentials struct {
	secret func() *secret
	hint   *ConfigError // for a refusal, when the credentials have non-ASCII characters
}

// secret is the Authorization header and the forms of the credentials
// that no text the client returns may hold.
type secret struct {
	header  string
	needles []string
	margin  int // how far past what is shown a text is searched, for a password across the cut
}

// newCredentials encodes username:password in cs.
func newCredentials(username, password string, cs AuthCharset) (*credentials, error) {
	sent := []byte(username + ":" + password)
	if cs == AuthLatin1 {
		var ok bool
		if sent, ok = latin1(username + ":" + password); !ok {
			return nil, &ConfigError{Option: "WithAuthCharset", Reason: "the credentials have characters that ISO-8859-1 cannot hold"}
		}
	}
	s := &secret{header: "Basic " + base64.StdEncoding.EncodeToString(sent), margin: 6*len(sent) + 64}
	if password != "" {
		s.needles = []string{password, string([]rune(password))} // the second as a JSON encoder writes invalid bytes
		plains := []string{password, username + ":" + password, string(sent)}
		for _, p := range plains[:2] { // in either charset, whichever was sent
			if b, ok := latin1(p); ok { // raw too: the pair's needle adds nothing to the password's
				plains, s.needles = append(plains, string(b)), append(s.needles, string(b))
			}
		}
		for _, plain := range plains {
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
				s.needles = append(s.needles, enc.EncodeToString([]byte(plain)))
			}
		}
	}
	c := &credentials{secret: func() *secret { return s }}
	if strings.ContainsFunc(username+password, func(r rune) bool { return r > unicode.MaxASCII }) {
		c.hint = &ConfigError{Option: "WithAuthCharset", Reason: "the credentials have non-ASCII characters, which were sent in " + strings.ToUpper(cs.String())}
	}
	return c, nil
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

// redact returns s, or withheld when s echoes the credentials: the
// password raw (in UTF-8 or ISO-8859-1), JSON-escaped (once or twice) or
// percent-encoded, or layered, or the base64 of username:password or of
// the password. Every text from the server passes it.
func (c *credentials) redact(s string) string {
	if c == nil || c.secret().needles == nil {
		return s
	}
	// Each form alone, and the two layered either way (a percent-encoded
	// password inside a JSON string, or JSON escapes in a URL).
	j := unescapeJSON(s)
	p, q := percentDecode(s, false), percentDecode(s, true)
	for i, v := range []string{s, j, unescapeJSON(j), p, q,
		percentDecode(j, false), percentDecode(j, true), unescapeJSON(p), unescapeJSON(q)} {
		// A form equal to s (i > 0) was searched as s.
		if (i == 0 || v != s) && slices.ContainsFunc(c.secret().needles, func(n string) bool { return strings.Contains(v, n) }) {
			return withheld
		}
	}
	return s
}

// fragment is a server text for an error: withheld if it echoes the
// credentials (searched past the cut by margin), else trimmed and clipped.
func (c *credentials) fragment(s string) string {
	if c != nil && len(s) > maxFragment+c.secret().margin {
		s = s[:maxFragment+c.secret().margin]
	}
	if c.redact(s) == withheld { // before trimming: a password may start or end with a space
		return withheld
	}
	return textsafe.Clip(strings.TrimSpace(s), maxFragment)
}

// jsonEscape is one escape of a JSON string: \uXXXX, with a low
// surrogate that follows it, or \ and a character.
var jsonEscape = regexp.MustCompile(`(?s)\\u[0-9a-fA-F]{4}(?:\\u[dD][c-fC-F][0-9a-fA-F]{2})?|\\.`)

// unescapeJSON decodes the escapes of a JSON string, leniently: one that
// JSON does not have (\x) is the character after the backslash.
func unescapeJSON(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	return jsonEscape.ReplaceAllStringFunc(s, func(e string) string {
		var out string
		if json.Unmarshal([]byte(`"`+e+`"`), &out) != nil {
			return e[1:]
		}
		return out
	})
}

var percentEscape = regexp.MustCompile(`%[0-9a-fA-F]{2}`)

// percentDecode decodes every %XX of s, leaving a % that starts no escape
// as it is; plus makes + a space, as in a query.
func percentDecode(s string, plus bool) string {
	if plus {
		s = strings.ReplaceAll(s, "+", " ")
	}
	return percentEscape.ReplaceAllStringFunc(s, func(e string) string {
		b, _ := hex.DecodeString(e[1:])
		return string(b)
	})
}

// location returns the scheme, host and path of a redirect's Location,
// without its query, fragment and credentials, as a fragment.
func (c *credentials) location(loc string) string {
	loc = strings.TrimSpace(loc)
	u, err := url.Parse(loc)
	if scheme, rest, ok := strings.Cut(loc, "://"); err != nil && ok {
		// Credentials that are not encoded: drop them and try again.
		auth, _, _ := strings.Cut(rest, "/")
		if at := strings.LastIndex(auth, "@"); at >= 0 {
			u, err = url.Parse(scheme + "://" + rest[at+1:])
		}
	}
	switch {
	case loc == "":
		return "(no Location header)"
	case err != nil:
		return "(a Location that is not a valid URL)"
	}
	u.User, u.RawQuery, u.Fragment, u.RawFragment = nil, "", "", ""
	return c.fragment(u.String())
}

// charsetHint is the *ConfigError a refusal holds when the credentials
// have non-ASCII characters; nil otherwise.
func (c *credentials) charsetHint() *ConfigError {
	if c == nil {
		return nil
	}
	return c.hint
}
