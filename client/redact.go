package client

import (
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/autosync-go/autosync/internal/textsafe"
)

// redacted is what a Client's credentials print as.
const redacted = "[REDACTED]"

// withheld replaces, whole, a server text that held the password. It names
// no word a password is likely to be.
const withheld = "(withheld: it echoed the credentials)"

// maxFragment is how many bytes of one server text an error or a log
// record shows.
const maxFragment = 300

// credentials are a Client's Basic Auth credentials. Printed with fmt or
// slog they show [REDACTED]. The secrets themselves are only returned by
// a function: fmt prints the unexported fields of a Client by reflection,
// without calling methods, and so do dumpers such as go-spew (which
// testify uses); all of them print a func as an address.
type credentials struct {
	secret func() *secret
	hint   *ConfigError // for a refusal, when the credentials have non-ASCII characters; nil otherwise
}

// secret is the Authorization header and what server text must not hold.
type secret struct {
	header  string   // the Authorization header's value
	needles []string // the password's byte forms and the base64 forms of the credentials
	margin  int      // how far past what is shown a text is searched, for an encoded password across the cut
}

// Format prints [REDACTED] for every verb.
func (credentials) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }

// LogValue logs [REDACTED].
func (credentials) LogValue() slog.Value { return slog.StringValue(redacted) }

// newCredentials encodes username:password in cs. It fails, naming no
// character of either, when cs cannot hold them.
func newCredentials(username, password string, cs AuthCharset) (*credentials, error) {
	sent := []byte(username + ":" + password)
	if cs == AuthLatin1 {
		b, ok := latin1(username + ":" + password)
		if !ok {
			return nil, &ConfigError{Option: "WithAuthCharset", Reason: "the username or password has characters that ISO-8859-1 (Latin-1) cannot hold, or is not valid UTF-8", fix: "send the credentials in UTF-8 with WithAuthCharset(AuthUTF8), the default"}
		}
		sent = b
	}
	s := &secret{
		header:  "Basic " + base64.StdEncoding.EncodeToString(sent),
		needles: needles(username, password, sent),
		margin:  32*len(password) + 64,
	}
	return &credentials{secret: func() *secret { return s }, hint: charsetHint(username, password, cs)}, nil
}

// charsetHint is the *ConfigError that a refusal holds when the
// credentials have non-ASCII characters; nil when they have none.
func charsetHint(username, password string, cs AuthCharset) *ConfigError {
	var what string
	switch {
	case !isASCII(password) && !isASCII(username):
		what = "the username and password have"
	case !isASCII(password):
		what = "the password has"
	case !isASCII(username):
		what = "the username has"
	default:
		return nil
	}
	if cs == AuthLatin1 {
		return &ConfigError{Option: "WithAuthCharset", Reason: what + " non-ASCII characters, which were sent in ISO-8859-1 (Latin-1); a server that reads them as UTF-8 refuses the password", fix: "try UTF-8, the default of WithAuthCharset"}
	}
	return &ConfigError{Option: "WithAuthCharset", Reason: what + " non-ASCII characters, which were sent in UTF-8; a server that reads them as ISO-8859-1 (Latin-1), as Tomcat does by default, refuses the password", fix: "try WithAuthCharset(AuthLatin1)"}
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

// needles returns what no server text shown may hold, once decoded (see
// decodings): the password's bytes in UTF-8, in ISO-8859-1, as UTF-8 read
// as ISO-8859-1 (mojibake) and with invalid bytes as U+FFFD (as a JSON
// encoder writes them); and the base64, standard or URL-safe, padded or
// not, of the password alone and of username:password, in both charsets
// and as sent. Encoder outputs other than base64 are not listed:
// server text is decoded instead, whatever encoder wrote it.
func needles(username, password string, sent []byte) []string {
	if password == "" {
		return nil
	}
	out := []string{password}
	plains := [][]byte{sent, []byte(password), []byte(username + ":" + password)}
	if b, ok := latin1(password); ok {
		out = append(out, string(b))
		plains = append(plains, b)
	}
	if b, ok := latin1(username + ":" + password); ok {
		plains = append(plains, b)
	}
	if !isASCII(password) {
		var mojibake strings.Builder
		for i := 0; i < len(password); i++ {
			mojibake.WriteRune(rune(password[i]))
		}
		out = append(out, mojibake.String())
	}
	if !utf8.ValidString(password) {
		// As a JSON encoder writes it: each invalid byte as U+FFFD.
		var valid strings.Builder
		for i := 0; i < len(password); {
			r, size := utf8.DecodeRuneInString(password[i:])
			valid.WriteRune(r)
			i += size
		}
		out = append(out, valid.String())
	}
	for _, p := range plains {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			out = append(out, enc.EncodeToString(p))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// holds reports whether s, or any decoding of it, holds the password in
// one of its forms. It looks at as much of s as a fragment shows and a
// margin beyond, so that a password that starts in what is shown and ends
// after the cut is found.
func (c *credentials) holds(s string) bool {
	if c == nil {
		return false
	}
	sec := c.secret()
	if len(sec.needles) == 0 {
		return false
	}
	if n := maxFragment + sec.margin; len(s) > n {
		s = s[:n]
	}
	for _, v := range decodings(s) {
		for _, n := range sec.needles {
			if strings.Contains(v, n) {
				return true
			}
		}
	}
	return false
}

// fragment is the one path by which text a server sent (a body, a Location,
// a result's summary or row message, a transport error, a parse error that
// quotes the body) goes into an error string or a log record. It is applied
// once, when the error is built. The text is trimmed, cut to maxFragment
// bytes and made one line (textsafe.OneLine); when it, in any of its
// decodings, holds the password, it is withheld whole. The client's own
// wording around it is never altered.
func (c *credentials) fragment(s string) string {
	if c.holds(s) { // before trimming: a password can start or end with a space
		return withheld
	}
	return textsafe.OneLine(textsafe.Clip(strings.TrimSpace(s), maxFragment))
}

// number is a number the server sent, as text, withheld if its digits are
// the password.
func (c *credentials) number(n int) string {
	s := strconv.Itoa(n)
	if c.holds(s) {
		return withheld
	}
	return s
}

// charsetHint is the *ConfigError that a refusal holds when the
// credentials have non-ASCII characters; nil otherwise.
func (c *credentials) charsetHint() *ConfigError {
	if c == nil {
		return nil
	}
	return c.hint
}

// intAttr is a log attribute for a number the server sent, withheld if
// its digits are the password.
func (c *credentials) intAttr(key string, n int) slog.Attr {
	if c.holds(strconv.Itoa(n)) {
		return slog.String(key, withheld)
	}
	return slog.Int(key, n)
}

// maxDecodings bounds how many decoded versions of a text are checked.
const maxDecodings = 24

// decodings returns s and what s reads as when decoded as a server could
// have encoded it, one decoding upon another (JSON inside HTML, a URL in
// JSON): percent-decoded (with and without + as space), unescaped as a
// JSON, JavaScript or Go string literal (\uXXXX in either case, \/, \xNN)
// and HTML-unescaped (&amp;, &#246;, &#xF6;; numeric references also
// literally, without HTML's replacements). A decoder is tried only on
// a text that holds its escape character.
func decodings(s string) []string {
	out := []string{s}
	for i := 0; i < len(out) && len(out) < maxDecodings; i++ {
		for _, decode := range decoders {
			if d, ok := decode(out[i]); ok && !slices.Contains(out, d) {
				out = append(out, d)
				if len(out) == maxDecodings {
					break
				}
			}
		}
	}
	return out
}

var decoders = []func(string) (string, bool){
	func(s string) (string, bool) { return percentDecode(s, false) },
	func(s string) (string, bool) { return percentDecode(s, true) },
	unescapeLiteral,
	func(s string) (string, bool) {
		if !strings.Contains(s, "&") {
			return "", false
		}
		d := html.UnescapeString(s)
		return d, d != s
	},
	numericRefs,
}

// numericRefs decodes the numeric character references of s, &#246; and
// &#xF6;, to the characters they number, without the replacements HTML
// makes for some numbers (NUL, C1 controls), which html.UnescapeString
// does: a password can hold those characters too.
func numericRefs(s string) (string, bool) {
	if !strings.Contains(s, "&#") {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '&' || i+2 >= len(s) || s[i+1] != '#' {
			b.WriteByte(s[i])
			continue
		}
		j, base := i+2, 10
		if s[j] == 'x' || s[j] == 'X' {
			j, base = j+1, 16
		}
		k := j
		for k < len(s) && k-j < 8 {
			if d, ok := unhex(s[k]); !ok || int(d) >= base {
				break
			}
			k++
		}
		r, err := strconv.ParseUint(s[j:k], base, 32)
		if k == j || err != nil || r > utf8.MaxRune {
			b.WriteByte(s[i])
			continue
		}
		b.WriteRune(rune(r))
		if k < len(s) && s[k] == ';' {
			k++
		}
		i = k - 1
	}
	return b.String(), b.String() != s
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// hexValue parses s, all hex digits, or reports false.
func hexValue(s string) (rune, bool) {
	var r rune
	for i := 0; i < len(s); i++ {
		d, ok := unhex(s[i])
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// percentDecode decodes every %XX of s (either case), leaving a % that
// starts no escape as it is; plus makes + a space, as in a query.
func percentDecode(s string, plus bool) (string, bool) {
	if !strings.Contains(s, "%") && !(plus && strings.Contains(s, "+")) {
		return "", false
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%' && i+2 < len(s):
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b = append(b, hi<<4|lo)
				i += 2
				continue
			}
			b = append(b, c)
		case c == '+' && plus:
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return string(b), string(b) != s
}

// unescapeLiteral decodes the backslash escapes of a JSON, JavaScript or
// Go string literal, leniently: \uXXXX (surrogate pairs joined),
// \UXXXXXXXX, \xNN (as the byte), \a \b \f \n \r \t \v \0, and any other
// escaped character as itself (\/ as /, \" as ").
func unescapeLiteral(s string) (string, bool) {
	if !strings.Contains(s, `\`) {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case 'u', 'U':
			width := 4
			if e == 'U' {
				width = 8
			}
			if i+width < len(s) {
				if r, ok := hexValue(s[i+1 : i+1+width]); ok {
					i += width
					if utf16.IsSurrogate(r) && i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
						if r2, ok := hexValue(s[i+3 : i+7]); ok {
							if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
								r = pair
								i += 6
							}
						}
					}
					b.WriteRune(r)
					continue
				}
			}
			b.WriteByte(e)
		case 'x':
			if i+2 < len(s) {
				if r, ok := hexValue(s[i+1 : i+3]); ok {
					b.WriteByte(byte(r))
					i += 2
					continue
				}
			}
			b.WriteByte(e)
		case 'a':
			b.WriteByte('\a')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case '0':
			b.WriteByte(0)
		default:
			b.WriteByte(e)
		}
	}
	return b.String(), b.String() != s
}

// location returns the scheme, host and path of a redirect's Location as
// a fragment: query, fragment and credentials are dropped, and the rest is
// withheld whole if it, decoded, holds the password.
func (c *credentials) location(loc string) string {
	loc = strings.TrimSpace(loc)
	if loc == "" {
		return ""
	}
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
		return c.fragment(u.Scheme + ":(an opaque URL)")
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
	return c.fragment(b.String())
}
