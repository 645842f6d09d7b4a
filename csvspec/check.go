package csvspec

import (
	"fmt"
	"hash/maphash"
	"io"

	"github.com/autosync-go/autosync/internal/suggest"
)

// Rules are the groups defined in the school's Infiniti. A nil list is not
// checked; an empty one means no group of that kind is defined.
type Rules struct {
	LibraryGroups []string // names of the library groups defined in Infiniti
	SystemGroups  []string // names of the system groups defined in Infiniti
}

// catalog is one kind of group of Rules, ready for lookups.
type catalog struct {
	kind, code string // "library" or "system", and the problem code for an unknown group
	list       []string
	clean      map[string]bool   // each name, and whether checkValue finds nothing in it
	unknowns   map[string]string // the messages of the first values not in list
}

func newCatalog(kind, code string, names []string) *catalog {
	if names == nil {
		return nil
	}
	c := &catalog{kind: kind, code: code, list: names, clean: make(map[string]bool, len(names)), unknowns: make(map[string]string)}
	for _, n := range names {
		var rc rowCheck
		rc.checkValue("", n, true)
		c.clean[n] = len(rc.ps) == 0
	}
	return c
}

// unknown returns the message of v, which is not a group of the catalog.
// A typo repeats on many rows, and its suggestion is slow to find, so the
// messages of the first MaxProblemsPerCode values are kept.
func (c *catalog) unknown(v string) string {
	if msg, ok := c.unknowns[v]; ok {
		return msg
	}
	msg := fmt.Sprintf("%s group %s is not defined in Infiniti", c.kind, quote(v))
	if near, found := suggest.Nearest(v, c.list); found {
		msg += "; did you mean " + quote(near) + "?"
	}
	if len(c.unknowns) < MaxProblemsPerCode {
		c.unknowns[v] = msg
	}
	return msg
}

// catalogs returns the group catalogs of the rules, by column.
func (r Rules) catalogs() [numColumns]*catalog {
	return [numColumns]*catalog{
		colLibraryGroup: newCatalog("library", CodeUnknownLibraryGroup, r.LibraryGroups),
		colSystemGroup:  newCatalog("system", CodeUnknownSystemGroup, r.SystemGroups),
	}
}

// checkUserGroup checks one user-groups row but for repeats.
func checkUserGroup(c *rowCheck, v *[numColumns]string, groups *[numColumns]*catalog) {
	var defined [numColumns]bool
	for ci := range v {
		clean := false
		if cat := groups[ci]; cat != nil && v[ci] != "" {
			clean, defined[ci] = cat.clean[v[ci]]
		}
		if !clean { // a defined group's own problems are known
			c.checkValue(columns[ci], v[ci], true)
		}
	}
	c.checkUsername(v[colUsername])
	for ci, cat := range groups {
		if cat != nil && v[ci] != "" && !defined[ci] {
			c.addRow(columns[ci], cat.code, SeverityError, cat.unknown(v[ci]))
		}
	}
	if v[colLibraryGroup] == "" && v[colSystemGroup] == "" {
		c.addRow("", "no-group", SeverityWarning, "the row names neither a library group nor a system group")
	}
}

// Check reads a user-groups file, taking the options of NewReader, and
// reports its problems (see the package documentation) in one streaming
// pass. Memory grows only by about 16 bytes a row, to find repeats. When
// the header cannot be read, Check reports its problems and counts the
// rows (none after a wrong encoding or line ending) without checking them.
// A row with the wrong number of fields or malformed quoting is reported
// once and checked no further; an empty row is a warning and nothing more.
// Check returns an error for an invalid option or when reading r fails.
func Check(r io.Reader, rules Rules, opts ...ReaderOption) (*Report, error) {
	t := newTable(r, userGroups, opts)
	groups := rules.catalogs()
	seen := dupFinder{code: "duplicate-row", format: "the row repeats row %d exactly"}
	return runCheck(t, func(c *run, v []string) {
		checkUserGroup(&c.rowCheck, (*[numColumns]string)(v), &groups)
		seen.add(maphash.Comparable(rowSeed, [numColumns]string(v)), c.row, c.line)
	}, &seen)
}
