// Package textsafe puts text from outside the program (a server's answer, a
// file's content) into an error string or a log line: bounded, on one line,
// with control characters escaped, by strconv.Quote.
package textsafe

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Quote returns s clipped to n bytes (see Clip) and quoted by
// strconv.Quote: one line, control, format and invalid bytes escaped.
func Quote(s string, n int) string { return strconv.Quote(Clip(s, n)) }

// OneLine returns s escaped as strconv.Quote escapes it, but with quotes
// and backslashes kept and no surrounding quotes: one line, for a text a
// caller bounds itself.
func OneLine(s string) string {
	q := strconv.Quote(s)
	return unquote.Replace(q[1 : len(q)-1])
}

var unquote = strings.NewReplacer(`\"`, `"`, `\\`, `\`)

// Clip returns s if it is at most n bytes long, and otherwise its first n
// bytes or fewer, cut where a character starts, followed by "…". A
// negative n is taken as 0.
func Clip(s string, n int) string {
	n = max(n, 0)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
