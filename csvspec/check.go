package csvspec

import (
	"fmt"
	"hash/maphash"
	"io"
	"slices"

	"github.com/autosync-go/autosync/internal/suggest"
)

// Rules are the facts about the school's Infiniti that Check checks a file
// against. A nil list means that kind of group is not checked; an empty,
// non-nil list means no group of that kind is defined.
type Rules struct {
	LibraryGroups []string // names of the library groups defined in Infiniti
	SystemGroups  []string // names of the system groups defined in Infiniti
}

// catalog is one kind of group of Rules, ready for lookups.
type catalog struct {
	kind  string              // "library" or "system"
	code  string              // the problem code for an unknown group
	list  []string            // the names
	names map[string]struct{} // the names, for a long check; nil: look in list
}

func newCatalog(kind, code string, names []string, indexed bool) *catalog {
	if names == nil {
		return nil
	}
	c := &catalog{kind: kind, code: code, list: names}
	if indexed {
		c.names = make(map[string]struct{}, len(names))
		for _, n := range names {
			c.names[n] = struct{}{}
		}
	}
	return c
}

// check returns the message of v when it is not a group of the catalog.
func (c *catalog) check(v string) (msg string, ok bool) {
	if c.names != nil {
		_, ok = c.names[v]
	} else {
		ok = slices.Contains(c.list, v)
	}
	if ok {
		return "", true
	}
	if near, found := suggest.Nearest(v, c.list); found {
		return fmt.Sprintf("%s group %s is not defined in Infiniti; did you mean %s? Group names must match exactly", c.kind, quote(v), quote(near)), false
	}
	return fmt.Sprintf("%s group %s is not defined in Infiniti; create it in Infiniti first or correct the name", c.kind, quote(v)), false
}

// catalogs returns the group catalogs of the rules, by column; indexed
// ones for checking many rows.
func (r Rules) catalogs(indexed bool) [numColumns]*catalog {
	return [numColumns]*catalog{
		colLibraryGroup: newCatalog("library", CodeUnknownLibraryGroup, r.LibraryGroups, indexed),
		colSystemGroup:  newCatalog("system", CodeUnknownSystemGroup, r.SystemGroups, indexed),
	}
}

// checkUserGroup runs the checks of one user-groups row, v in canonical
// order, but for the duplicate check, which needs the rows before it.
func checkUserGroup(c *rowCheck, v *[numColumns]string, groups *[numColumns]*catalog) {
	for ci := range v {
		c.checkValue(columns[ci], v[ci], true)
	}
	c.checkUsername(v[colUsername])
	for _, ci := range [...]int{colLibraryGroup, colSystemGroup} {
		if cat := groups[ci]; cat != nil && v[ci] != "" {
			if msg, ok := cat.check(v[ci]); !ok {
				c.addRow(columns[ci], cat.code, SeverityError, msg)
			}
		}
	}
	if v[colLibraryGroup] == "" && v[colSystemGroup] == "" {
		c.addRow("", codeNoGroup, SeverityWarning, "the row names neither a library group nor a system group, so it changes nothing; fill in a group or remove the row")
	}
}

// Check reads a user-groups file and reports its problems, in one
// streaming pass. It counts every problem and keeps the first
// MaxProblemsPerCode problems of each code in the Report (to stream every
// problem, read the file with ReadRows and run Rules.CheckRow on each row). It takes the same
// options as NewReader.
//
// Memory does not grow with the size of the file, except by 16 to 32
// bytes per distinct row (to spot duplicates), and up to 48 for the moment
// that table doubles: the Report keeps at most MaxProblemsPerCode problems
// of each code, each message quotes at most 40 runes of a value, and a
// record over 1 MiB ends the check.
//
// Errors (SeverityError) are: a file in UTF-16 or UTF-32; lines that end
// in CR alone (Excel for Mac's "CSV (Macintosh)"); a header separated by
// semicolons, tabs or vertical bars (read it WithComma); every line
// enclosed in quotes; the header of a contacts file, in any case or
// spacing (one error naming the contacts import, not a missing column
// each); a missing, misspelt or repeated required column, or one behind a
// second byte order mark; a header-map name the file does not have; a
// record over 1 MiB (which ends the check); a
// row with the wrong number of fields; malformed quoting; a last row
// cut off (no line break, too few fields); a file that ends inside
// quotes; a row
// that repeats the header, spelt as it is or with another case, spacing or
// underscores; invalid UTF-8; control characters and line breaks (U+2028
// and U+2029 included) in a value; invisible characters in a username or
// group (Unicode format characters such as U+200B or U+202E,
// default-ignorable ones such as U+034F and the Hangul fillers, variation
// selectors, and the Braille blank U+2800); an empty username; a group not
// in rules (with a "did you mean" hint when only case or spacing differ).
// Warnings are: columns Infiniti does not read; a row whose fields are all
// empty (Excel leaves them below the data), which is checked no further;
// values with leading or trailing white space; a space other than U+0020
// (a no-break space, say) between the words of a username or group; a row
// with no group; a row that repeats an earlier one exactly. A row with the
// wrong number of fields or malformed quoting is reported once and not
// checked further, since its values cannot be told apart. A 0-byte file
// and a header-only file are valid, with 0 rows.
//
// When the header cannot be read (a wrong encoding, line ending, separator
// or quoting of whole lines, the other import's header, a missing column,
// a header-map name the file does not have, a malformed or too large
// header), Check reports the header's problems and nothing about the
// rows, which it cannot read against that header; it still counts them
// in Report.Rows, except after a wrong encoding or line ending, when it
// reads no further and Rows is 0.
//
// Check returns an error for an invalid option or when reading r fails.
func Check(r io.Reader, rules Rules, opts ...ReaderOption) (*Report, error) {
	t := newTable(r, userGroups, opts)
	groups := rules.catalogs(true)
	seen := dupFinder{code: codeDuplicateRow, format: "the row repeats row %d exactly; remove one of them"}
	var key []byte // the row's key, reused
	return runCheck(t, spaceFixName, func(c *run, v []string) {
		checkUserGroup(&c.rowCheck, (*[numColumns]string)(v), &groups)
		key = appendKey(key[:0], v...)
		seen.add(maphash.Bytes(rowSeed, key), c.row, c.line)
	}, &seen)
}

// The ends of the surrounding-space messages of each import.
const (
	spaceFixName    = "and Infiniti matches names exactly; trim it"
	spaceFixContact = "which may become part of the value in Infiniti; trim it"
)
