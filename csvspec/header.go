package csvspec

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ReaderOption configures a Reader (and Check, which reads with the same
// options). An option given bad input makes the first Read return an error.
type ReaderOption func(*readerConfig) error

type readerConfig struct {
	// source holds, for each canonical column, the header name it is read
	// from: the canonical name itself unless WithHeaderMap maps it.
	source [numColumns]string
	mapped [numColumns]bool
}

func newReaderConfig(opts []ReaderOption) (readerConfig, error) {
	var c readerConfig
	c.source = columns
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&c); err != nil {
			return c, err
		}
	}
	return c, nil
}

// WithHeaderMap reads the canonical columns from columns with other header
// names, as a Student Management System export names them. The map goes from
// the canonical name ("username", "library-group" or "system-group") to the
// header name in the file, for example
//
//	csvspec.WithHeaderMap(map[string]string{"username": "Student Code", "library-group": "House"})
//
// Columns not in the map are still read by their canonical names. Header
// names in the file are matched exactly. A key that is not a canonical name,
// an empty header name, or two columns mapped to the same header name is an
// error, returned by the first Read.
func WithHeaderMap(canonicalToSource map[string]string) ReaderOption {
	return func(c *readerConfig) error {
		used := make(map[string]string, len(canonicalToSource))
		for _, canonical := range slices.Sorted(maps.Keys(canonicalToSource)) {
			src := canonicalToSource[canonical]
			i := columnIndex(canonical)
			if i < 0 {
				return fmt.Errorf("csvspec: WithHeaderMap: %q is not a column of a user-groups file; use one of %q, %q, %q as the key",
					canonical, ColumnUsername, ColumnLibraryGroup, ColumnSystemGroup)
			}
			if src == "" {
				return fmt.Errorf("csvspec: WithHeaderMap: the header name for %q is empty; give the name the column has in your file", canonical)
			}
			if other, dup := used[src]; dup {
				return fmt.Errorf("csvspec: WithHeaderMap: %q and %q are both mapped to the header %q; map each column to its own header", other, canonical, src)
			}
			used[src] = canonical
			c.source[i] = src
			c.mapped[i] = src != canonical
		}
		return nil
	}
}

func columnIndex(name string) int {
	for i, c := range columns {
		if c == name {
			return i
		}
	}
	return -1
}

// looseName folds a header name for spotting near misses such as "Username",
// "library_group" or " System Group": lower case, spaces and underscores
// become hyphens, surrounding space is dropped.
func looseName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '_' {
			return '-'
		}
		return r
	}, s)
}

// header is the outcome of reading a header record.
type header struct {
	index    [numColumns]int // index of each canonical column in a record; -1 if absent
	nfields  int
	problems []Problem // every header problem, errors and warnings
}

// parseHeader resolves the canonical columns in a header record and lists
// every problem with it. line is the physical line of the header.
func parseHeader(fields []string, cfg *readerConfig, line int) header {
	h := header{nfields: len(fields)}
	for i := range h.index {
		h.index[i] = -1
	}
	claimed := make([]bool, len(fields))
	add := func(col int, code, msg string, sev Severity) {
		name := ""
		if col >= 0 {
			name = columns[col]
		}
		h.problems = append(h.problems, Problem{Line: line, Column: name, Code: code, Severity: sev, Message: msg})
	}
	// Exact names first.
	for fi, name := range fields {
		for ci := range columns {
			if name != cfg.source[ci] {
				continue
			}
			claimed[fi] = true
			if h.index[ci] >= 0 {
				add(ci, CodeDuplicateColumn, fmt.Sprintf("header column %d %q repeats column %d; remove one of them so that Infiniti knows which to read",
					fi+1, name, h.index[ci]+1), SeverityError)
				continue
			}
			h.index[ci] = fi
		}
	}
	// Then near misses of the canonical names.
	for fi, name := range fields {
		if claimed[fi] {
			continue
		}
		loose := looseName(name)
		ci := -1
		for i := range columns {
			if loose == looseName(cfg.source[i]) || (!cfg.mapped[i] && loose == columns[i]) {
				ci = i
				break
			}
		}
		if ci < 0 {
			add(-1, CodeExtraColumn, fmt.Sprintf("header column %d %q is not a user-groups column; Infiniti ignores it (remove it, or map it onto a user-groups column if it holds one)", fi+1, name), SeverityWarning)
			continue
		}
		claimed[fi] = true
		if h.index[ci] >= 0 {
			add(ci, CodeDuplicateColumn, fmt.Sprintf("header column %d %q is another %q column (column %d); remove one of them",
				fi+1, name, cfg.source[ci], h.index[ci]+1), SeverityError)
			continue
		}
		h.index[ci] = fi
		add(ci, CodeHeaderName, fmt.Sprintf("header column %d is %q but Infiniti requires exactly %q; rename it to %q",
			fi+1, name, cfg.source[ci], cfg.source[ci]), SeverityError)
	}
	for ci := range columns {
		if h.index[ci] >= 0 {
			continue
		}
		msg := fmt.Sprintf("the header has no %q column; add it (Infiniti requires username, library-group and system-group, even when empty)", columns[ci])
		if cfg.mapped[ci] {
			msg = fmt.Sprintf("the header has no %q column, which the header map names as the %q column; check the header map against the file", cfg.source[ci], columns[ci])
		}
		add(ci, CodeMissingColumn, msg, SeverityError)
	}
	return h
}

// firstError returns the first error-severity problem of the header as a
// *ParseError, or nil.
func (h *header) firstError() error {
	for _, p := range h.problems {
		if p.Severity == SeverityError {
			return &ParseError{Line: p.Line, Column: p.Column, Err: codeErr(p.Code), msg: p.Message}
		}
	}
	return nil
}
