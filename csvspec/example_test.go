package csvspec_test

import (
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/autosync-go/autosync/csvspec"
)

// An SMS export with its own header names and column order, read with a
// header map.
func ExampleNewReader() {
	export := "\ufeffStudent Code,Surname,House,Year Level\r\nS1001,Nguyen,Blue House,Year 7\r\nS1002,Smith,,Year 8\r\n"
	r := csvspec.NewReader(strings.NewReader(export), csvspec.WithHeaderMap(map[string]string{
		"username":      "Student Code",
		"library-group": "House",
		"system-group":  "Year Level",
	}))
	for rec, err := range r.All() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("row %d (line %d): %s in %q and %q\n", rec.Row, rec.Line, rec.Username, rec.LibraryGroup, rec.SystemGroup)
	}
	// Output:
	// row 1 (line 2): S1001 in "Blue House" and "Year 7"
	// row 2 (line 3): S1002 in "" and "Year 8"
}

// The pre-flight a technician runs before posting a file.
func ExampleCheck() {
	file := "username,library-group,system-group\n" +
		"jsmith,Year 7,Students\n" +
		",Year 7,Students\n" +
		"mjones,year 7,Students\n" +
		"akhan,Year 7 ,Staff\n"
	rules := csvspec.Rules{
		LibraryGroups: []string{"Year 7", "Year 8"},
		SystemGroups:  []string{"Students", "Staff"},
	}
	rep, err := csvspec.Check(strings.NewReader(file), rules)
	if err != nil {
		log.Fatal(err) // reading the file failed
	}
	fmt.Print(rep)
	if rep.Err() != nil {
		fmt.Println("do not post this file")
	}
	// Output:
	// 4 rows, 3 errors, 1 warning
	// line 3 (row 2), username: error: the username is empty; every row needs the username of an existing Infiniti user, or remove the row [missing-username]
	// line 4 (row 3), library-group: error: library group "year 7" is not defined in Infiniti; did you mean "Year 7"? Group names must match exactly [unknown-library-group]
	// line 5 (row 4), library-group: warning: the value "Year 7 " starts or ends with white space, and Infiniti matches names exactly; trim it [surrounding-space]
	// line 5 (row 4), library-group: error: library group "Year 7 " is not defined in Infiniti; did you mean "Year 7"? Group names must match exactly [unknown-library-group]
	// do not post this file
}

func ExampleWriter() {
	w := csvspec.NewWriter(os.Stdout)
	for _, g := range []csvspec.UserGroup{
		{Username: "jsmith", LibraryGroup: "Year 7", SystemGroup: "Students"},
		{Username: "obrien", LibraryGroup: `Years 7, 8 "Juniors"`, SystemGroup: "Students"},
	} {
		if err := w.Write(g); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// username,library-group,system-group
	// jsmith,Year 7,Students
	// obrien,"Years 7, 8 ""Juniors""",Students
}
