package cli

import (
	"errors"
	"regexp"
	"strings"

	"github.com/autosync-go/autosync/client"
)

// Names maps the SDK's Go option names ("WithTenant") to what the person
// running a program sets instead: a flag ("-tenant") or a config field
// ("tenant"). The key "password" names where the password comes from.
type Names map[string]string

// Flags are the names of the sync and quickstart programs' flags.
var Flags = Names{
	"WithTenant":      "-tenant",
	"WithRootCAs":     "-ca-file",
	"WithHTTPClient":  "-ca-file",
	"WithBasicAuth":   "-user",
	"WithHeaderMap":   "-map",
	"WithComma":       "-comma",
	"WithAuthCharset": "-auth-charset",
	"password":        PasswordEnv + " or -password-file",
}

// ConfigFields are the names of multitenant's per-school config fields.
var ConfigFields = Names{
	"WithTenant":      `the "tenant" field`,
	"WithRootCAs":     `the "ca_file" field`,
	"WithHTTPClient":  `the "ca_file" field`,
	"WithBasicAuth":   `the "user" field`,
	"WithHeaderMap":   `the "map" field`,
	"WithComma":       `the "comma" field`,
	"WithAuthCharset": `the "auth_charset" field`,
	"password":        `the "password_env" or "password_file" field`,
}

// phrases are pieces of SDK messages whose advice only a Go programmer can
// follow, rewritten for a program's user; {X} is replaced by Names[X].
var phrases = []struct{ old, new string }{
	{"trust it with WithRootCAs (or WithHTTPClient)", "trust it with {WithRootCAs}"},
	{" (WithInsecurePlainHTTP allows http, for test networks only)", ""},
	{" (WithMaxResponseBytes raises the limit)", ""},
	{"leave the option out", "leave it out"},
	{"or pass it with WithBasicAuth", "or give the account with {WithBasicAuth} and the password in {password}"},
	{"(in the base URL or an earlier WithBasicAuth)", "(in the URL and with {WithBasicAuth})"},
	{"client: ", ""},
	{"csvspec: ", ""},
}

var goOption = regexp.MustCompile(`\bWith[A-Z][A-Za-z]*\b`)

// Message returns err's text for the person running the program: the Go
// option names the SDK's messages use (WithTenant, WithRootCAs, ...)
// become n's flags or config fields, advice that only a program's author
// could follow (WithInsecurePlainHTTP) is left out, and the package
// prefixes ("client: ") go. An untrusted certificate (client.ErrCertificate)
// always ends with the advice to pass the authority's certificate.
func (n Names) Message(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	for _, p := range phrases {
		msg = strings.ReplaceAll(msg, p.old, n.fill(p.new))
	}
	msg = goOption.ReplaceAllStringFunc(msg, func(opt string) string {
		if name, ok := n[opt]; ok {
			return name
		}
		return "a setting"
	})
	if errors.Is(err, client.ErrCertificate) && !strings.Contains(msg, n["WithRootCAs"]) {
		msg += "; if the school uses a private certificate authority, trust it with " + n["WithRootCAs"]
	}
	return msg
}

// fill replaces each {Key} in s with n[Key].
func (n Names) fill(s string) string {
	for k, v := range n {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}
