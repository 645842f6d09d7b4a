package oneroster_test

import (
	"fmt"
	"log"
	"os"

	"github.com/autosync-go/autosync/csvspec/mapping"
	"github.com/autosync-go/autosync/csvspec/oneroster"
)

// A OneRoster 1.1 package of three schools is read for one of them,
// HS-001, and its rows mapped by a rules file: a year group from the
// grade, a house from metadata.house, a roll class from the homeroom and
// staff for teachers; guardians are skipped.
func Example() {
	rules, err := os.ReadFile("testdata/rules.json")
	if err != nil {
		log.Fatal(err)
	}
	m, err := mapping.ParseMapping(rules)
	if err != nil {
		log.Fatal(err)
	}
	pkg, err := oneroster.Open("testdata/v1p1", oneroster.Options{Columns: m.Columns()})
	if err != nil {
		log.Fatal(err)
	}
	defer pkg.Close()
	hs, err := pkg.Select("HS-001")
	if err != nil {
		log.Fatal(err)
	}
	for row, err := range m.Rows(hs.Header(), hs.Rows()) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("users.csv line %d %s %q\n", row.Line, row.Origin, row.Fields)
	}
	// Output:
	// users.csv line 2 rows[1] ["ana.k" "Year 7" "Students"]
	// users.csv line 2 rows[2] ["ana.k" "Red House" "Students"]
	// users.csv line 2 rows[3] ["ana.k" "Roll 7A" "Students"]
	// users.csv line 3 rows[1] ["ben.l" "Year 8" "Students"]
	// users.csv line 3 rows[2] ["ben.l" "Blue House" "Students"]
	// users.csv line 4 rows[4] ["cy.m" "Staff" "Staff"]
}

// A TASS school's nightly School Data Sync v2.1 export: the grade comes
// from roles.csv, and the house, which SDS has no column for, from a
// table of the rules keyed on the student's sourcedId.
func ExampleOpen_sds() {
	rules, err := os.ReadFile("testdata/tass_rules.json")
	if err != nil {
		log.Fatal(err)
	}
	m, err := mapping.ParseMapping(rules)
	if err != nil {
		log.Fatal(err)
	}
	pkg, err := oneroster.Open("testdata/sds", oneroster.Options{SDS: true, Columns: m.Columns()})
	if err != nil {
		log.Fatal(err)
	}
	defer pkg.Close()
	school, err := pkg.Select("o1")
	if err != nil {
		log.Fatal(err)
	}
	for row, err := range m.Rows(school.Header(), school.Rows()) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%q\n", row.Fields)
	}
	// Output:
	// ["ana.k@example.edu" "Year 7" "Students"]
	// ["ana.k@example.edu" "Red House" "Students"]
	// ["ben.l@example.edu" "Year 8" "Students"]
	// ["ben.l@example.edu" "Blue House" "Students"]
	// ["cy.m@example.edu" "Staff" "Staff"]
}
