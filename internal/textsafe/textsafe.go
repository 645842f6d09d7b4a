// Package textsafe makes text that came from outside the program (a
// server's answer, a file's content) safe to put into an error string or a
// log line: one line, with every character that could break the line, move
// the cursor, drive a terminal or reorder what a reader sees escaped.
package textsafe

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// OneLine returns s on one line, with these escaped rather than passed
// through:
//
//   - C0 controls and DEL (U+0000–U+001F, U+007F): "\n", "\r" and "\t" as
//     those two-character escapes, the others as \xNN (ESC is \x1b);
//   - C1 controls (U+0080–U+009F, NEL included), the line and paragraph
//     separators U+2028 and U+2029, and the bidirectional controls
//     (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), as \uNNNN;
//   - bytes that are not valid UTF-8, as \xNN.
//
// Everything else, backslashes and other non-ASCII letters included, is
// kept as it is, so the result is valid UTF-8 that prints on one line and
// shows the text in the order it was written. OneLine does not trim; it
// never fails.
func OneLine(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
				break
			}
			i += size
			continue
		}
		if c < 0x20 || c == 0x7f {
			break
		}
		i++
	}
	if i == len(s) {
		return s // nothing to escape: no copy
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c < 0x20 || c == 0x7f:
				writeHex(&b, `\x`, uint32(c), 2)
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			writeHex(&b, `\x`, uint32(c), 2)
		case unsafeRune(r):
			writeHex(&b, `\u`, uint32(r), 4)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// unsafeRune reports whether r, a non-ASCII rune, is escaped by OneLine.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1 controls, NEL (U+0085) among them
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f: // arabic letter mark, LRM, RLM
		return true
	case r >= 0x202a && r <= 0x202e: // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	}
	return false
}

func writeHex(b *strings.Builder, prefix string, v uint32, width int) {
	b.WriteString(prefix)
	h := strconv.FormatUint(uint64(v), 16)
	for range width - len(h) {
		b.WriteByte('0')
	}
	b.WriteString(h)
}
