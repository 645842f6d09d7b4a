package mapping_test

import (
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/autosync-go/autosync/csvspec/mapping"
)

// A rules file that names an unknown pipe is refused with the place of
// the mistake and what is allowed there.
func ExampleParseMapping() {
	_, err := mapping.ParseMapping([]byte(`{
		"import": "user-groups",
		"username": "{Student Code}",
		"rows": [
			{"when": {"Role": "Student"}, "library-group": "Year {Year Level|nozero}"}
		]
	}`))
	fmt.Println(err)
	// Output:
	// mapping: rows[0].library-group: unknown pipe |nozero; the pipes are nozeros, upper, lower, trim, map:TABLE and split:SEP
}

// An SMS export, one row per student or teacher, becomes the memberships
// the school wants; a house code the rules do not know holds that
// student, with a "did you mean".
func ExampleMapping_ReadRows() {
	rules, err := os.ReadFile("testdata/school.json")
	if err != nil {
		log.Fatal(err)
	}
	m, err := mapping.ParseMapping(rules)
	if err != nil {
		log.Fatal(err)
	}
	export := "Student Code,Given Name,Year Level,House,Role\n" +
		"S1001,Ana,07,RED,Student\n" +
		"T0001,Ben,,,Teacher\n" +
		"S1002,Cy,08,PUR,Student\n" +
		"P0001,Di,,,Parent\n"
	for row, err := range m.ReadRows(strings.NewReader(export), 0, []string{"Given Name"}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("line %d %s %q %s\n", row.Line, row.Origin, row.Fields, row.Carry)
		for _, p := range row.Problems {
			fmt.Println("  ", p.Code+":", p.Message)
		}
	}
	// Output:
	// line 2 rows[1] ["S1001" "Year 7" "Students"] [Ana]
	// line 2 rows[2] ["S1001" "Red House" "Students"] [Ana]
	// line 3 rows[3] ["T0001" "Staff" "Staff"] [Ben]
	// line 4 rows[2] ["S1002" "" "Students"] [Cy]
	//    unmapped-value: rows[2].library-group: House "PUR" is not in table "houses", which has no "*"; did you mean "PURP"?
}
