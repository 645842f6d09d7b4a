package cli

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/autosync-go/autosync/client"
)

// Names maps the SDK's Go option names ("WithTenant") to what the person
// running a program sets instead: a flag ("-tenant") or a config field.
// Besides option names it has the keys "password" (where the password
// comes from) and "AuthUTF8" and "AuthLatin1" (the setting that chooses
// that charset).
type Names map[string]string

// Flags are the names of the example programs' flags.
var Flags = Names{
	"WithTenant":      "-tenant",
	"WithRootCAs":     "-ca-file",
	"WithHTTPClient":  "-ca-file",
	"WithBasicAuth":   "-user",
	"WithHeaderMap":   "-map",
	"WithComma":       "-comma",
	"WithAuthCharset": "-auth-charset",
	"AuthUTF8":        "-auth-charset utf-8",
	"AuthLatin1":      "-auth-charset latin1",
	"password":        PasswordEnv + " or -password-file",
	"comma":           "run again with -comma %s",
	"quote":           "'",
	"leave out":       "leave out -comma",
	"force":           "-force",
	"full and force":  "-full -force",
	"to contacts":     "run again with -import contacts",
	"to user groups":  "run again with -import user-groups (the default)",
	"limit":           "-max-removals",
	"encoding":        "-encoding",
	"set encoding":    "run again with -encoding %s",
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
	"AuthUTF8":        `"auth_charset": "utf-8"`,
	"AuthLatin1":      `"auth_charset": "latin1"`,
	"password":        `the "password_env" or "password_file" field`,
	"comma":           `set "comma": %s in the school's entry`,
	"quote":           `"`,
	"leave out":       `leave out the "comma" field`,
	"force":           "examples/sync -force and the same -state",
	"full and force":  "examples/sync -full -force and the same -state",
	"to contacts":     `set "import": "contacts" in the school's entry`,
	"to user groups":  `set "import": "user-groups" in the school's entry, or leave it out`,
	"limit":           `the school's "max_removals"`,
	"encoding":        `the "encoding" field`,
	"set encoding":    `set "encoding": "%s" in the school's entry`,
}

// fixes are the advice for a *client.ConfigError whose Option is the fix
// (not the option given bad input), by Option; {X} is replaced by
// Names[X]. An Option with no entry, or an empty one, has no advice a
// program's user can follow, and the reason stands alone.
var fixes = map[string]string{
	"WithTenant":    "give the tenant with {WithTenant}, not in the URL",
	"WithBasicAuth": "or give the account with {WithBasicAuth} and the password in {password}",
	"WithRootCAs":   "give the certificate with {WithRootCAs}",
}

// phrases are pieces of SDK messages, outside a ConfigError, whose advice
// only a Go programmer can follow, rewritten for a program's user; {X} is
// replaced by Names[X].
var phrases = []struct{ old, new string }{
	{"trust it with WithRootCAs (or WithHTTPClient)", "trust it with {WithRootCAs}"},
	{" (WithMaxResponseBytes raises the limit)", ""},
	{", and raise the limit with WithResponseHeaderTimeout if large files take longer", ""},
	{", and raise the timeouts of the *http.Client given with WithHTTPClient if large files take longer", ""},
	{"give the tenant with WithTenant", "give the tenant with {WithTenant}"},
	// csvspec's problems.
	{"read the file without WithComma, since a comma is the default", "{leave out}, since a comma is the default"},
	{"or name the file's own column for it in a header map", "or name the file's own column for it with {WithHeaderMap}"},
	{"the header map names ", "{WithHeaderMap} names "},
	{"correct the header map", "correct {WithHeaderMap}"},
	// csvspec's contacts warnings: the programs always post the file
	// rewritten in the canonical form.
	{"; post the file a ContactWriter rewrites from this one, which writes ", "; this program posts the file rewritten, with "},
	{"; a file a ContactWriter rewrites from this one writes them without", "; this program posts the file rewritten without them"},
	// The programs read UTF-16 only with its byte order mark.
	{`, or decode it to UTF-8 before reading it`, ""},
	// Decode's advice, which names -encoding.
	{"leave out -encoding", "leave out {encoding}"},
	{"try another -encoding", "try another {encoding}"},
	{"-encoding utf-16 reads", "{encoding} utf-16 reads"},
	// csvspec's header error for a file of the other import.
	{"post it to the contacts import", "{to contacts}"},
	{"post it to the user-groups import", "{to user groups}"},
	// syncjob's refusals.
	{"run once with force or raise the limit", "run once with {force}, or raise {limit}"},
	{"run once with full and force", "run once with {full and force}"},
	{"run once with force", "run once with {force}"},
	{"client: ", ""},
	{"csvspec: ", ""},
	{"syncjob: ", ""},
}

// withComma is csvspec's advice for a file separated by another
// character; its group is the separator as a Go rune literal.
var withComma = regexp.MustCompile(`read the file with WithComma\(('(?:[^'\\]|\\.)+')\), and post the file a Writer rewrites from it: Infiniti reads only comma-separated files`)

// setEncoding is Decode's advice to read a file in another encoding.
var setEncoding = regexp.MustCompile(`run again with -encoding ([a-z0-9-]+)`)

var goOption = regexp.MustCompile(`\bWith[A-Z][A-Za-z]*(\([A-Za-z0-9]*\))?`)

// Message returns err's text for the person running the program. The
// SDK's messages name Go options (WithTenant, WithRootCAs, ...): a
// *client.ConfigError anywhere in err is rewritten with its Option
// translated into n's flag or config field, the same words in other
// messages become n's names, advice that only a program's author could
// follow (WithInsecurePlainHTTP) is left out, and the package prefixes
// ("client: ") go. An untrusted certificate (client.ErrCertificate) always
// ends with the advice to pass the authority's certificate.
func (n Names) Message(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	var ce *client.ConfigError
	if errors.As(err, &ce) {
		sdk := strings.TrimPrefix(ce.Error(), "client: ")
		msg = strings.Replace(msg, sdk, n.config(ce, sdk), 1)
	}
	return n.text(msg, errors.Is(err, client.ErrCertificate))
}

// Text returns s, a message of the SDK that is not an error value (such
// as a csvspec.Problem's Message), for the person running the program, as
// Message does for an error.
func (n Names) Text(s string) string { return n.text(s, false) }

func (n Names) text(msg string, certificate bool) string {
	msg = withComma.ReplaceAllStringFunc(msg, func(m string) string {
		lit := withComma.FindStringSubmatch(m)[1]
		sep := lit
		if r, _, _, err := strconv.UnquoteChar(lit[1:len(lit)-1], '\''); err == nil {
			sep = string(r)
		}
		if sep == "\t" {
			sep = "tab"
		}
		q := n["quote"]
		return fmt.Sprintf(n["comma"], q+sep+q) + " (the file is posted rewritten with commas, the only separator Infiniti reads)"
	})
	msg = setEncoding.ReplaceAllStringFunc(msg, func(m string) string {
		return fmt.Sprintf(n["set encoding"], setEncoding.FindStringSubmatch(m)[1])
	})
	for _, p := range phrases {
		msg = strings.ReplaceAll(msg, p.old, n.fill(p.new))
	}
	msg = goOption.ReplaceAllStringFunc(msg, func(opt string) string {
		if name, ok := n[opt]; ok {
			return name
		}
		return "a setting"
	})
	if certificate && !strings.Contains(msg, n["WithRootCAs"]) {
		msg += "; if the school uses a private certificate authority, trust it with " + n["WithRootCAs"]
	}
	return msg
}

// config translates a ConfigError whose text (without "client: ") is sdk.
func (n Names) config(ce *client.ConfigError, sdk string) string {
	switch {
	case ce.Option == "":
		return ce.Reason
	case ce.Option == "WithBasicAuth" && strings.Contains(ce.Reason, "credentials are given twice"):
		return n.fill("the credentials are given twice, in the URL (user:password@) and with {WithBasicAuth}; give them once, with {WithBasicAuth} and the password in {password}")
	case sdk == ce.Option+": "+ce.Reason:
		// The option's own input is wrong: name the setting.
		if name, ok := n[ce.Option]; ok {
			return name + ": " + ce.Reason
		}
		return ce.Reason
	case ce.Option == "WithAuthCharset":
		// The fix is the other charset.
		other := "AuthLatin1"
		if strings.Contains(ce.Reason, "sent in ISO-8859-1") || strings.Contains(ce.Reason, "ISO-8859-1 (Latin-1) cannot hold") {
			other = "AuthUTF8"
		}
		return ce.Reason + "; try " + n[other]
	}
	if fix := fixes[ce.Option]; fix != "" {
		return ce.Reason + "; " + n.fill(fix)
	}
	return ce.Reason
}

// fill replaces each {Key} in s with n[Key].
func (n Names) fill(s string) string {
	for k, v := range n {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// ParseAuthCharset returns the charset an -auth-charset flag or
// auth_charset config field names: "utf-8" (the default, also for "") or
// "latin1" ("iso-8859-1"), in any case. It returns an error naming the
// accepted values for anything else.
func ParseAuthCharset(s string) (client.AuthCharset, error) {
	switch strings.ToLower(s) {
	case "", "utf-8", "utf8":
		return client.AuthUTF8, nil
	case "latin1", "latin-1", "iso-8859-1":
		return client.AuthLatin1, nil
	}
	return 0, fmt.Errorf("unknown charset %q; use utf-8 (the default) or latin1", s)
}
