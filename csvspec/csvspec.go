// Package csvspec is the CSV schema of the Infiniti autoSync user-groups
// and contacts imports: typed rows, streaming readers and writers, and the
// pre-flight checks that find the mistakes in a file before it is posted.
//
// An Infiniti user-groups file has a header naming exactly the columns
// username, library-group and system-group (in any order), then one data row
// per group membership. Infiniti numbers data rows from 1, header excluded;
// Record.Row and Problem.Row use the same numbers, so a row that Infiniti
// reports as failed can be joined back to the line of the file it came from.
//
// The Reader is lenient where that is safe (column order, a UTF-8 byte order
// mark, CRLF or LF line endings, a missing final newline, blank lines) and
// exact where Infiniti is (the header names). Two options read files as
// schools' systems save them: WithHeaderMap maps the header names of a
// Student Management System export onto the canonical ones, and WithComma
// reads a file separated by semicolons or tabs. Infiniti reads only the
// canonical form, so a file read with either option must be rewritten with
// a Writer before it is posted. A file in UTF-16 or UTF-32 (Excel's
// "Unicode Text") is refused with one clear error: decode it to UTF-8
// first. So is a file whose lines end in CR alone (Excel for Mac's "CSV
// (Macintosh)"), and one with every line enclosed in quotes. A row whose
// fields are all empty, as Excel leaves below the data, is read as a
// Record with Empty set, so that the caller can drop it.
//
// The Writer always produces the canonical form: the header
// "username,library-group,system-group" and RFC 4180 quoting.
//
// Check counts every problem, streams every problem to a callback
// (CheckEach), and keeps the first MaxProblemsPerCode problems of each code
// in its Report; a file of any size is checked in bounded memory, but for
// a few bytes per distinct row to spot duplicates.
//
// # Limits
//
// A record (the header or a row) may be at most MaxRecordBytes (1 MiB) as
// it is in the file. A larger record is an error naming the line where it
// begins, and ends the reading: an unbalanced quote, which makes the rest
// of a file one record, costs one error and about that much memory. A Report keeps at most
// MaxProblemsPerCode (1000) problems of each code and counts the rest
// exactly; values quoted in a Problem's message are cut to 40 runes.
//
// # Contacts
//
// A contacts file has the columns username, type, role, primary,
// addressee, contact, sms and scenarios, one email address or phone number
// per row. NewContactReader, NewContactWriter and CheckContacts do for it
// what NewReader, NewWriter and Check do for user groups, with the same
// options, header handling, row numbers, limits and Report. The
// ContactReader reads values as a school's export spells them (any case,
// booleans as yes/no, y/n or 1/0); CheckContacts warns about the spellings
// Infiniti may not read, and the ContactWriter writes the spelling of the
// one known field script (lower-case type and role, True and False,
// upper-case scenarios). Which spellings Infiniti itself accepts is not
// documented: post the file a ContactWriter rewrites. A contacts file given
// to a Reader or Check, or a user-groups file given to a ContactReader or
// CheckContacts, is one error (CodeWrongImport, ErrWrongImport) that names
// the import the file belongs to.
package csvspec

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

// Header returns the canonical header, in the order the Writer writes it.
// The slice is new on every call and may be modified by the caller.
func Header() []string {
	return []string{ColumnUsername, ColumnLibraryGroup, ColumnSystemGroup}
}

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
	Row  int // 1-based data row, header excluded: the number Infiniti uses in result details
	Line int // 1-based physical line where the record starts (header is line 1)

	// Empty is true for a row whose fields are all empty (",," or ",,,,"
	// as Excel leaves below the data); its UserGroup is then zero. A row
	// that has a value, even one of white space, is not Empty.
	Empty bool
}
