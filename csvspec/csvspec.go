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
// Check counts every problem and keeps the first MaxProblemsPerCode
// problems of each code in its Report (ReadRows with Rules.CheckRow
// streams every one); a file of any size is checked in bounded memory, but for
// a few bytes per distinct row to spot duplicates.
//
// ReadRows reads an export once for a sync job: it yields each row with
// the problems of reading it and ends with an error at the first problem
// of the file as a whole; Rules.CheckRow and CheckContactRow run the checks
// of one row on a SourceRow, whatever produced it.
//
// # Limits
//
// A record (the header or a row) may be at most 1 MiB as it is in the
// file. A larger record is an error naming the line where it begins, and
// ends the reading: an unbalanced quote, which makes the rest of a file one
// record, costs one error and about that much memory. A Report keeps at
// most MaxProblemsPerCode (1000) problems of each code and counts the rest
// exactly; values quoted in a Problem's message are cut to 40 runes.
//
// # Problems
//
// Every problem has a stable code, which programs may rely on (the
// messages may change), and one severity. The constants name the codes
// programs most often act on. Errors of the file or its header, after
// which its rows cannot be read:
//
//	wrong-encoding         UTF-16 or UTF-32 (or a NUL in the header), not UTF-8 (CodeEncoding)
//	cr-line-endings        lines end in CR alone, Excel for Mac's "CSV (Macintosh)"
//	wrong-separator        the header is separated by ';', a tab or '|' (CodeSeparator)
//	quoted-lines           every line is enclosed in one pair of quotes
//	wrong-import           the header is the other import's (CodeWrongImport)
//	missing-column         a required column is not in the header (CodeMissingColumn)
//	header-map-mismatch    a name the header map gives is not in the header (CodeHeaderMap)
//	non-canonical-header   a header name is not exactly the canonical one
//	duplicate-column       the header has a column twice
//	missing-carry-column   a column ReadRows is to carry is not in the header (CodeMissingCarry)
//	record-too-large       a record is over 1 MiB; it ends the reading
//
// Errors of a record, which a Reader returns and goes on after, but for
// the last two, which end the file (and a ReadRows ends with each of them,
// see there):
//
//	wrong-field-count      a row has more or fewer fields than the header (CodeFieldCount)
//	malformed-quoting      a record's quoting is malformed
//	repeated-header        a row repeats the header, as when two exports are joined
//	cut-off                the last record has no line break and too few fields (CodeCutOff)
//	unclosed-quote         the file ends inside a quoted field (CodeUnclosedQuote)
//
// Errors of a value or a row:
//
//	invalid-utf8           a value is not valid UTF-8 (CodeInvalidUTF8)
//	control-character      a value holds a control character or line break (CodeControlCharacter)
//	format-character       a name holds an invisible character (such as U+200B or U+2800)
//	missing-username       the username is empty (CodeMissingUsername)
//	unknown-library-group  a library group is not in Rules.LibraryGroups (CodeUnknownLibraryGroup)
//	unknown-system-group   a system group is not in Rules.SystemGroups (CodeUnknownSystemGroup)
//	unknown-contact-type   type is neither email nor phone (CodeUnknownContactType)
//	unknown-contact-role   role is neither patron nor guardian (CodeUnknownContactRole)
//	invalid-boolean        primary, or a non-empty sms, is not a boolean
//	missing-contact        the contact is empty (CodeMissingContact)
//	invalid-email          an email contact is not a single bare address (CodeInvalidEmail)
//	phone-without-digits   a phone contact has no digit 0 to 9
//	unknown-scenario       a scenario is not a known one (CodeUnknownScenario)
//
// Warnings:
//
//	extra-column           the header has columns Infiniti does not read (one warning for all)
//	empty-row              a row's fields are all empty, as Excel leaves below the data (CodeEmptyRow)
//	surrounding-space      a value starts or ends with white space
//	unusual-space          a name holds a space other than U+0020 between its words
//	no-group               a row names neither a library nor a system group
//	duplicate-row          a row repeats an earlier one (a contacts row: means the same)
//	boolean-spelling       a boolean spelt yes/no, y/n or 1/0 (CodeBooleanSpelling)
//	sms-on-email           sms is true on an email contact
//	scenario-combination   ANY or NONE combined with other scenarios
//	scenario-format        an empty scenario, one given twice, or spaces around ';' (CodeScenarioFormat)
//	multiple-primary       a second primary contact of one username, type and role
//	guardian-without-addressee  a guardian's contact has no addressee
//
// # Contacts
//
// A contacts file has the columns username, type, role, primary,
// addressee, contact, sms and scenarios, one email address or phone number
// per row. ReadRows (with ContactHeader()), NewContactWriter and
// CheckContacts do for it what NewReader, NewWriter and Check do for user
// groups, with the same options, header handling, row numbers, limits and
// Report. CheckContactRow reads values as a school's export spells them (any case,
// booleans as yes/no, y/n or 1/0); CheckContacts warns about the spellings
// Infiniti may not read, and the ContactWriter writes the spelling of the
// one known field script (lower-case type and role, True and False,
// upper-case scenarios). Which spellings Infiniti itself accepts is not
// documented: post the file a ContactWriter rewrites. A contacts file given
// to a Reader or Check, or a user-groups file given to CheckContacts, is one error (CodeWrongImport) that names
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
