// Package csvspec is the CSV schema of the Infiniti autoSync user-groups
// and contacts imports: typed rows, streaming readers and writers, and the
// checks that find a file's mistakes before it is posted.
//
// A user-groups file has a header naming exactly the columns username,
// library-group and system-group, in any order, then one row per group
// membership; a contacts file has the eight columns of ContactHeader. Rows
// are numbered from 1, header excluded, as Infiniti numbers them in its
// results. Infiniti reads only the canonical form the Writers write: a file
// read with WithHeaderMap or WithComma must be rewritten before it is
// posted.
//
// A message quotes at most 40 runes of a value.
//
// # Problems
//
// Every problem has a stable code, which programs may rely on (messages may
// change), and one severity. The Code constants name the codes programs
// most often act on; these are the others. Errors of the file or its
// header, after which its rows cannot be read:
//
//	cr-line-endings        lines end in CR alone, Excel for Mac's "CSV (Macintosh)"
//	quoted-lines           every line is enclosed in one pair of quotes
//	non-canonical-header   a header name is not exactly the canonical one
//	duplicate-column       the header has a column twice
//	record-too-large       a record (the header or a row) is over 1 MiB; it ends the reading
//
// Errors of a record, a value or a row:
//
//	malformed-quoting      a record's quoting is malformed
//	repeated-header        a row repeats the header, in any case or spacing
//	format-character       a name holds an invisible character (format, default-ignorable, variation selector, U+2800)
//	invalid-boolean        primary, or a non-empty sms, is not a boolean
//	phone-without-digits   a phone contact has no digit 0 to 9 outside a leading label such as "(H)"
//
// Warnings:
//
//	surrounding-space      a value starts or ends with white space
//	unusual-space          a name holds a space other than U+0020 between its words
//	no-group               a row names neither a library nor a system group
//	duplicate-row          a row repeats an earlier one (a contacts row: means the same)
//	sms-on-email           sms is true on an email contact
//	scenario-combination   ANY or NONE combined with other scenarios
//	multiple-primary       a second primary contact of one username, type and role (and guardian)
//	guardian-without-addressee  a guardian's contact has no addressee
package csvspec

import "slices"

// The canonical column names of a user-groups file, exactly as Infiniti
// requires them in the header.
const (
	ColumnUsername     = "username"      // the matching key of an existing Infiniti user
	ColumnLibraryGroup = "library-group" // the name of a library group defined in Infiniti, or empty
	ColumnSystemGroup  = "system-group"  // the name of a system group defined in Infiniti, or empty
)

// columns lists the canonical columns in the order the Writer writes them.
var columns = [numColumns]string{ColumnUsername, ColumnLibraryGroup, ColumnSystemGroup}

const (
	colUsername = iota
	colLibraryGroup
	colSystemGroup
	numColumns
)

// Header returns the canonical header of a user-groups file, in a new slice.
func Header() []string { return slices.Clone(columns[:]) }

// UserGroup is one row of a user-groups file: a user's membership of a
// library group and a system group. Either group may be empty.
type UserGroup struct {
	Username     string // the matching key of an existing Infiniti user
	LibraryGroup string // the exact name of a library group defined in Infiniti
	SystemGroup  string // the exact name of a system group defined in Infiniti
}

// Record is a UserGroup read from a file, with its position in the file.
type Record struct {
	UserGroup
	Row   int  // 1-based data row, header excluded: the number Infiniti uses in result details
	Line  int  // 1-based physical line where the record starts (header is line 1)
	Empty bool // the row's fields are all empty (",,"); UserGroup is zero
}
