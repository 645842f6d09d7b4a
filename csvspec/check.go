package csvspec

import (
	"fmt"
	"hash/maphash"
	"io"
	"strings"

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
	groups     []group           // of each name in list
	names      map[string]group  // each name in list, the first if it repeats
	unknowns   map[string]string // the messages of the first values not in list
}

// A group is a name of a catalog.
type group struct {
	id    uint64 // 1 + its index in the list, to stand for it in a row's hash
	clean bool   // checkValue finds nothing in it
}

func newCatalog(kind, code string, names []string) *catalog {
	if names == nil {
		return nil
	}
	c := &catalog{kind: kind, code: code, list: names, names: make(map[string]group, len(names)), unknowns: make(map[string]string)}
	all := strings.Join(names, "") // the map's keys side by side, so that a lookup touches less memory
	for i, n := range names {
		n, all = all[:len(n)], all[len(n):]
		var rc rowCheck
		rc.checkValue("", n, true)
		c.groups = append(c.groups, group{id: uint64(i) + 1, clean: len(rc.ps) == 0})
		if _, ok := c.names[n]; !ok {
			c.names[n] = c.groups[i]
		}
	}
	return c
}

// lookup returns the group named s, if the catalog has it.
func (c *catalog) lookup(s string) (group, bool) {
	if len(c.list) <= 8 { // as a handful of system groups: faster in order
		for i, n := range c.list {
			if n == s {
				return c.groups[i], true
			}
		}
		return group{}, false
	}
	g, ok := c.names[s]
	return g, ok
}

// unknown returns the message of v, which is not a group of the catalog.
// A typo repeats on many rows, and its suggestion is slow to find, so the
// messages of the first 65,536 values are kept: about 10 MB for names of
// usual length.
func (c *catalog) unknown(v string) string {
	if msg, ok := c.unknowns[v]; ok {
		return msg
	}
	msg := fmt.Sprintf("%s group %s is not defined in Infiniti", c.kind, quote(v))
	if near, found := suggest.Nearest(v, c.list); found {
		msg += "; did you mean " + quote(near) + "?"
	}
	if len(c.unknowns) < 1<<16 {
		c.unknowns[strings.Clone(v)] = msg // not the record it is part of
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

// checkUserGroup checks one user-groups row but for repeats, and returns
// its hash, which stands for a group of the rules by its id.
func checkUserGroup(c *rowCheck, v *[numColumns]string, groups *[numColumns]*catalog) uint64 {
	var key [numColumns]uint64
	var defined [numColumns]bool
	for ci, s := range v {
		var g group
		if cat := groups[ci]; cat != nil && s != "" {
			g, defined[ci] = cat.lookup(s)
		}
		if !g.clean { // a defined group's own problems are known
			c.checkValue(columns[ci], s, true)
		}
		if key[ci] = g.id; !defined[ci] && s != "" {
			key[ci] = maphash.String(rowSeed, s)
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
	if key[colLibraryGroup] < 1<<32 && key[colSystemGroup] < 1<<32 {
		// The groups' ids, which fit 32 bits each, make one 64-bit value;
		// rows of one user differ in it, and so in their hash.
		return key[colUsername] ^ (key[colLibraryGroup]<<32 | key[colSystemGroup])
	}
	return maphash.Comparable(rowSeed, key)
}

// Check reads a user-groups file, taking the options of NewReader, and
// reports its problems (see the package documentation) in one streaming
// pass. Memory grows only by about 20 bytes a row, to find repeats. When
// the header cannot be read, Check reports its problems and counts the
// rows (none after a wrong encoding or line ending) without checking them.
// A row with the wrong number of fields or malformed quoting is reported
// once and checked no further; an empty row is a warning and nothing more.
// Check returns an error for an invalid option or when reading r fails.
func Check(r io.Reader, rules Rules, opts ...ReaderOption) (*Report, error) {
	groups := rules.catalogs()
	seen := dupFinder{code: "duplicate-row", format: "the row repeats row %d exactly"}
	return runCheck(newTable(r, userGroups, opts), func(c *run, v []string) {
		seen.add(checkUserGroup(&c.rowCheck, (*[numColumns]string)(v), &groups), c.row, c.line)
	}, &seen)
}
