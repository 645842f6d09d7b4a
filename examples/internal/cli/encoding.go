package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// ReadExport returns a Sniffer over r, the export named name (for
// messages; "" for none), decoded from s's encoding with Decode. When
// Decode fails, the Sniffer's reads fail with its error, so that a sync
// job still runs and its journal records the night's invalid file; the
// error is returned too, for the message, which names every setting the
// file needs (a tab-separated UTF-16 file read without s's comma set to
// tab gets both).
func ReadExport(r io.Reader, name string, s School, n Names) (*Sniffer, error) {
	comma, _ := ParseComma(s.Comma)
	export, err := decode(r, s.Encoding, comma == '\t', n)
	if err != nil {
		if name != "" {
			err = fmt.Errorf("%s: %w", name, err)
		}
		export = errReader{err}
	}
	return NewSniffer(export), err
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// Encodings are the character encodings an export may be read in, as the
// -encoding flag and the encoding config field name them; the default,
// utf-8, first.
var Encodings = []string{"utf-8", "windows-1252", "iso-8859-1", "utf-16"}

// CheckEncoding returns an error, listing the names it accepts, unless
// name is one of Encodings or their usual other names (see NormalEncoding)
// in any case, or empty (utf-8).
func CheckEncoding(name string) error {
	if NormalEncoding(name) == "" {
		return fmt.Errorf("unknown encoding %q; use one of %s", name, strings.Join(Encodings, ", "))
	}
	return nil
}

// NormalEncoding returns the name in Encodings that name means, in any
// case: "" is utf-8, and utf8, cp1252, windows1252, latin1, latin-1,
// iso8859-1 and utf16 are other names of the same. It returns "" for a
// name it does not know.
func NormalEncoding(name string) string {
	switch strings.ToLower(name) {
	case "", "utf-8", "utf8":
		return "utf-8"
	case "windows-1252", "windows1252", "cp1252":
		return "windows-1252"
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1":
		return "iso-8859-1"
	case "utf-16", "utf16":
		return "utf-16"
	}
	return ""
}

// Decode returns a reader of r's text in UTF-8, decoding it from encoding,
// one of Encodings: windows-1252 (Excel's "CSV" on Windows), iso-8859-1,
// utf-16 (Excel's "Unicode text", which starts with a byte order mark
// giving its byte order), or utf-8 (r as it is). n names the
// setting in messages.
//
// Decode reads the first bytes of r to check them against encoding: a byte
// order mark of another encoding is an error that says which setting
// reads the file, and so is a utf-16 file without one.
//
// A file that is UTF-8 already, read as windows-1252 or iso-8859-1, would
// have every accented letter garbled ("Bléu" read as "BlÃ©u"), so Decode
// refuses it: it looks ahead at most the first 64 KiB (LookAhead), and
// when those bytes are valid UTF-8 and hold a multi-byte sequence it
// returns an error that says to leave out the encoding setting. When the first 64 KiB
// are plain ASCII, the rest is watched as it streams, keeping nothing but
// an incomplete sequence: the reader then fails at the end of the file if
// all of it was UTF-8 with a multi-byte sequence. Bytes that are not
// UTF-8 end the watch at once: such a file is decoded as asked.
//
// The reader it
// returns fails, naming the line, at a byte sequence that is not valid in
// encoding, instead of letting it become U+FFFD: nothing is guessed.
// Decode returns an error for an unknown encoding, for a mismatched byte
// order mark, or when reading the first bytes fails.
func Decode(r io.Reader, encoding string, n Names) (io.Reader, error) {
	return decode(r, encoding, true, n)
}

// decode is Decode; tabs says that the separator is known, so that a
// UTF-16 file's message does not name it.
func decode(r io.Reader, encoding string, tabs bool, n Names) (io.Reader, error) {
	flagName := n.Name("encoding")
	if err := CheckEncoding(encoding); err != nil {
		return nil, fmt.Errorf("%s: %w", flagName, err)
	}
	enc := NormalEncoding(encoding)
	br := bufio.NewReaderSize(r, LookAhead)
	head, err := br.Peek(LookAhead)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	mark := bom(head)
	switch {
	case strings.HasPrefix(mark, "UTF-32"):
		return nil, fmt.Errorf("the file starts with a %s byte order mark: it is UTF-32 text, which this program cannot read; save it from the SMS or Excel as \"CSV UTF-8\"", mark)
	case strings.HasPrefix(mark, "UTF-16") && enc != "utf-16":
		fix := n.Set("encoding", "utf-16")
		if !tabs && tabbed(head, mark == "UTF-16 LE") {
			fix += " " + n.Set("comma", "tab") // one message names every fix
		}
		return nil, fmt.Errorf("the file starts with a %s byte order mark: it is Unicode text (UTF-16), as Excel saves \"Unicode text\"; run again with %s", mark, fix)
	case mark == "UTF-8" && enc != "utf-8":
		return nil, fmt.Errorf("the file starts with a UTF-8 byte order mark: it is UTF-8 already, not %s; leave out %s", enc, flagName)
	case mark == "" && enc == "utf-16":
		return nil, fmt.Errorf("%s utf-16 reads Excel's \"Unicode text\", which starts with a byte order mark, but this file has none; if it is a plain CSV leave out %s, or save it again as \"Unicode text\"", flagName, flagName)
	}
	var dec io.Reader
	switch enc {
	case "utf-8":
		return br, nil
	case "windows-1252", "iso-8859-1":
		cm := charmap.Windows1252
		if enc == "iso-8859-1" {
			cm = charmap.ISO8859_1
		}
		var src io.Reader = br
		g := &utf8Guard{enc: enc, cm: cm, flagName: flagName, line: 1}
		g.watch(head)
		switch {
		case g.invalid:
			// Not UTF-8: decode it as asked.
		case g.first != 0:
			return nil, g.refusal()
		default:
			// ASCII so far: watch the rest as it streams.
			src = &utf8Guard{r: br, enc: enc, cm: cm, flagName: flagName, line: 1}
		}
		dec = cm.NewDecoder().Reader(src)
	case "utf-16":
		// ExpectBOM: the byte order mark sets the byte order and is
		// removed.
		dec = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Reader(br)
	}
	return &strictReader{r: dec, enc: enc, flagName: flagName, line: 1}, nil
}

// LookAhead is how many bytes of a file Decode reads ahead, at most, to
// check them against the encoding it was given.
const LookAhead = 64 << 10

// utf8Guard passes r's bytes through while it watches whether they are
// UTF-8 with a multi-byte sequence, which a file read as a single-byte
// encoding (enc, decoded by cm) must not be: at the end of r it then
// fails instead of ending.
type utf8Guard struct {
	r        io.Reader
	enc      string
	cm       *charmap.Charmap
	flagName string
	line     int               // the line of the next byte watched
	carry    [utf8.UTFMax]byte // an incomplete sequence at the end of the last read
	nc       int
	invalid  bool // bytes that are not UTF-8 were seen: the watch is over
	first    rune // the first multi-byte character seen, 0 for none
	line1    int  // its line
}

func (g *utf8Guard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if !g.invalid {
		g.watch(p[:n])
		if errors.Is(err, io.EOF) && !g.invalid && g.nc == 0 && g.first != 0 {
			return n, g.refusal()
		}
	}
	return n, err
}

// watch looks at b, the bytes that follow those watched so far.
func (g *utf8Guard) watch(b []byte) {
	for len(b) > 0 && !g.invalid {
		if g.nc > 0 {
			// Complete the carried sequence, a byte at a time.
			g.carry[g.nc] = b[0]
			g.nc++
			b = b[1:]
			if !utf8.FullRune(g.carry[:g.nc]) {
				continue
			}
			r, size := utf8.DecodeRune(g.carry[:g.nc])
			g.invalid = r == utf8.RuneError && size == 1
			g.saw(r)
			g.nc = 0
			continue
		}
		i := 0
		for i < len(b) && b[i] < utf8.RuneSelf {
			i++
		}
		g.line += bytes.Count(b[:i], newline)
		if b = b[i:]; len(b) == 0 {
			return
		}
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			if !utf8.FullRune(b) {
				g.nc = copy(g.carry[:], b)
				return
			}
			g.invalid = true
			return
		}
		g.saw(r)
		b = b[size:]
	}
}

// saw notes r, a multi-byte character.
func (g *utf8Guard) saw(r rune) {
	if g.first == 0 && !g.invalid {
		g.first, g.line1 = r, g.line
	}
}

// refusal is the error for a file that is UTF-8 already.
func (g *utf8Guard) refusal() error {
	garbled, _ := g.cm.NewDecoder().String(string(g.first))
	return fmt.Errorf("this file is UTF-8 already, not %s: line %d has %q, which %s would garble into %q; leave out %s", g.enc, g.line1, string(g.first), g.enc, garbled, g.flagName)
}

// bom names the byte order mark b starts with: "UTF-8", "UTF-16 LE",
// "UTF-16 BE", "UTF-32 LE", "UTF-32 BE", or "" for none.
func bom(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return "UTF-8"
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE, 0, 0}):
		return "UTF-32 LE"
	case bytes.HasPrefix(b, []byte{0, 0, 0xFE, 0xFF}):
		return "UTF-32 BE"
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return "UTF-16 LE"
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return "UTF-16 BE"
	}
	return ""
}

// tabbed reports whether the first line of head, UTF-16 text after its
// byte order mark, is separated by tabs, as Excel's "Unicode text" is:
// it has tabs and no comma.
func tabbed(head []byte, le bool) bool {
	tabs, commas := 0, 0
	for i := 2; i+1 < len(head); i += 2 {
		u := rune(head[i])<<8 | rune(head[i+1])
		if le {
			u = rune(head[i+1])<<8 | rune(head[i])
		}
		switch u {
		case '\n':
			return tabs > 0 && commas == 0
		case '\t':
			tabs++
		case ',':
			commas++
		}
	}
	return tabs > 0 && commas == 0
}

// replacement is U+FFFD in UTF-8: what x/text's decoders make of a byte
// sequence the encoding does not define.
var replacement = []byte(string(utf8.RuneError))

// strictReader passes decoded UTF-8 through and fails at the first
// U+FFFD, naming its line. The sources it reads (single-byte encodings,
// UTF-16 from an SMS) cannot mean U+FFFD, so one is always a decoding
// failure.
type strictReader struct {
	r        io.Reader
	enc      string
	flagName string
	line     int     // the line the next byte is on
	tail     [2]byte // the last bytes passed on, which may begin a U+FFFD
	nt       int
	err      error
}

func (s *strictReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	chunk := p[:n]
	if i := bytes.Index(chunk, replacement); i >= 0 {
		return 0, s.fail(s.line + bytes.Count(chunk[:i], newline))
	}
	if s.nt > 0 && n > 0 {
		// A U+FFFD split between this read and the last.
		var edge [4]byte
		m := copy(edge[:], s.tail[:s.nt])
		m += copy(edge[m:], chunk[:min(n, 2)])
		if bytes.Contains(edge[:m], replacement) {
			return 0, s.fail(s.line)
		}
	}
	s.line += bytes.Count(chunk, newline)
	switch {
	case n >= 2:
		s.nt = copy(s.tail[:], chunk[n-2:])
	case n == 1 && s.nt > 0:
		s.tail = [2]byte{s.tail[s.nt-1], chunk[0]}
		s.nt = 2
	case n == 1:
		s.tail[0], s.nt = chunk[0], 1
	}
	return n, err
}

var newline = []byte("\n")

func (s *strictReader) fail(line int) error {
	s.err = fmt.Errorf("line %d holds bytes that are not valid %s: the file is in another encoding; try another %s, or save it from the SMS as \"CSV UTF-8\"", line, s.enc, s.flagName)
	return s.err
}

// LooksLikeWindows1252 reports whether the text in r is not UTF-8 but
// reads as Windows-1252 (Excel's "CSV" on Windows; "Zoë" saved as the byte
// 0xEB), as Sniffer.LooksLikeWindows1252 says after reading all of r. It
// returns an error only when reading fails.
func LooksLikeWindows1252(r io.Reader) (bool, error) {
	s := NewSniffer(r)
	_, err := io.Copy(io.Discard, s)
	return s.LooksLikeWindows1252(), err
}

// A Sniffer passes a reader's bytes through unchanged while it watches
// whether they are UTF-8, so that a program that streams an export once
// can still say, after a check found invalid UTF-8, whether the file looks
// like Windows-1252.
type Sniffer struct {
	r        io.Reader
	carry    [utf8.UTFMax]byte // an incomplete UTF-8 sequence at the end of the last read
	nc       int
	invalid  bool // bytes that are not UTF-8 were seen
	not1252  bool // one of them is not a character of Windows-1252, or a NUL was seen
	finished bool
}

// NewSniffer returns a Sniffer reading from r.
func NewSniffer(r io.Reader) *Sniffer { return &Sniffer{r: r} }

// Read reads from the underlying reader, watching the bytes.
func (s *Sniffer) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.watch(p[:n], err != nil)
	return n, err
}

func (s *Sniffer) watch(b []byte, last bool) {
	if s.finished {
		return
	}
	if s.nc == 0 && utf8.Valid(b) {
		if bytes.IndexByte(b, 0) >= 0 {
			s.not1252 = true
		}
		if last {
			s.finished = true
		}
		return
	}
	data := append(s.carry[:s.nc:s.nc], b...)
	s.nc = 0
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			if c == 0 {
				s.not1252 = true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if r != utf8.RuneError || size > 1 {
			i += size
			continue
		}
		if !last && !utf8.FullRune(data[i:]) {
			s.nc = copy(s.carry[:], data[i:])
			break
		}
		s.invalid = true
		if !defined1252(c) {
			s.not1252 = true
		}
		i++
	}
	if last {
		s.finished = true
	}
}

// LooksLikeWindows1252 reports whether the bytes read so far are not UTF-8
// but read as Windows-1252: they hold byte sequences that are not UTF-8,
// every one of them is a character Windows-1252 defines, and they hold no
// NUL byte (which would mean UTF-16 or a binary file). Call it after the
// last Read.
func (s *Sniffer) LooksLikeWindows1252() bool {
	if s.nc > 0 && !s.finished {
		// An incomplete sequence at the very end is invalid too.
		s.watch(nil, true)
	}
	return s.invalid && !s.not1252
}

// defined1252 reports whether Windows-1252 gives the byte b (one that
// does not begin valid UTF-8 where it stands) a character.
func defined1252(b byte) bool {
	switch b {
	case 0x81, 0x8D, 0x8F, 0x90, 0x9D:
		return false
	}
	return b >= 0x80
}
