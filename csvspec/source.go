package csvspec

// A SourceRow is one row of an import as a source produced it: a line of a
// CSV export, a row the group rules made from a line of a Student
// Management System export, or a row a program built from its own data.
// The sync job takes SourceRows whatever produced them, and runs the same
// row checks on each.
type SourceRow struct {
	// Fields holds the row's values in the import's canonical column
	// order: Header() for user groups, ContactHeader() for contacts.
	Fields []string
	// Line is the 1-based line of the source where the row starts; 0 when
	// the source has no lines.
	Line int
	// Origin names what made the row from its source line, such as the
	// rule entry "rows[1]"; "" for a row read as it is.
	Origin string
	// Carry holds the values of the columns the caller asked to carry
	// along (a student's name, say), in the order it asked for them.
	Carry []string
	// Problems holds the row's problems, found by the source and by the
	// row checks. A problem of SeverityError holds the row's user back.
	Problems []Problem
}
