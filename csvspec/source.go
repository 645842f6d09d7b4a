package csvspec

// A SourceRow is one row of an import, whatever produced it: a line of an
// export, a row group rules made, or a row a program built.
type SourceRow struct {
	Fields   []string  // the values, in the order of Header() or ContactHeader()
	Line     int       // the 1-based line where the row starts; 0 if none
	Origin   string    // what made the row from its line, such as the rule "rows[1]"; "" if read as it is
	Carry    []string  // the values of the columns the caller asked to carry, in its order
	Problems []Problem // the row's problems; an error holds the row's user back
}
