package csvspec

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/autosync-go/autosync/internal/benchtest"
)

const benchRows = 200_000

var benchFile = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, g := range benchGroups() {
		if err := w.Write(g); err != nil {
			panic(err)
		}
	}
	if err := w.Flush(); err != nil {
		panic(err)
	}
	return buf.Bytes()
})

// benchGroups generates rows that look like a school's: usernames, 200
// library groups, a handful of system groups, some values needing quotes.
func benchGroups() []UserGroup {
	sys := []string{"Students", "Staff", "Parents", "Alumni", "Relief Teachers"}
	rows := make([]UserGroup, benchRows)
	for i := range rows {
		rows[i] = UserGroup{
			Username:     fmt.Sprintf("s%07d", i),
			LibraryGroup: benchCatalog()[i%200],
			SystemGroup:  sys[i%len(sys)],
		}
		if i%97 == 0 {
			rows[i].LibraryGroup = "Year 7, Blue \"House\""
		}
	}
	return rows
}

var benchCatalog = sync.OnceValue(func() []string {
	c := make([]string, 200)
	for i := range c {
		c[i] = fmt.Sprintf("Year %d %s House", 7+i%6, []string{"Blue", "Red", "Green", "Gold"}[i%4]) + fmt.Sprint(i)
	}
	c[0] = "Year 7, Blue \"House\""
	return c
})

var (
	sink        Record
	contactSink contactRecord
	rowSink     SourceRow
)

// bareRead is a bare encoding/csv loop with ReuseRecord over data, calling
// row with each record after the header and its line: the floor the
// readers and checks are measured against.
func bareRead(b *testing.B, data []byte, row func(f []string, row, line int)) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.ReuseRecord = true
	if _, err := cr.Read(); err != nil {
		b.Fatal(err)
	}
	n := 0
	for {
		f, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
		line, _ := cr.FieldPos(0)
		row(f, n, line)
	}
	if n != benchRows {
		b.Fatalf("%d rows", n)
	}
}

func bareGroups(b *testing.B) {
	bareRead(b, benchFile(), func(f []string, row, line int) {
		sink = Record{UserGroup: UserGroup{f[0], f[1], f[2]}, Row: row, Line: line}
	})
}

func bareContacts(b *testing.B) {
	bareRead(b, benchContactFile(), func(f []string, row, line int) {
		contactSink = contactRecord{Contact: Contact{Username: f[0], Type: ContactType(f[1]), Role: ContactRole(f[2]), Addressee: f[4], Address: f[5]}, Row: row, Line: line}
	})
}

func BenchmarkReader(b *testing.B) {
	benchtest.VsBaseline(b, len(benchFile()), bareGroups, func(b *testing.B) {
		n := 0
		for rec, err := range NewReader(bytes.NewReader(benchFile())).All() {
			if err != nil {
				b.Fatal(err)
			}
			sink = rec
			n++
		}
		if n != benchRows {
			b.Fatalf("%d rows", n)
		}
	})
}

func BenchmarkReadRows(b *testing.B) {
	benchtest.VsBaseline(b, len(benchFile()), bareGroups, func(b *testing.B) {
		n := 0
		for row, err := range ReadRows(bytes.NewReader(benchFile()), Header(), nil) {
			if err != nil {
				b.Fatal(err)
			}
			rowSink = row
			n++
		}
		if n != benchRows {
			b.Fatalf("%d rows", n)
		}
	})
}

func BenchmarkCheck(b *testing.B) {
	rules := Rules{LibraryGroups: benchCatalog(), SystemGroups: []string{"Students", "Staff", "Parents", "Alumni", "Relief Teachers"}}
	benchtest.VsBaseline(b, len(benchFile()), bareGroups, func(b *testing.B) {
		rep, err := Check(bytes.NewReader(benchFile()), rules)
		if err != nil {
			b.Fatal(err)
		}
		if rep.Rows != benchRows || len(rep.Problems) != 0 {
			b.Fatalf("%d rows, %d problems: %v", rep.Rows, len(rep.Problems), rep.Problems[0])
		}
	})
}

// BenchmarkWriter measures the Writer against a bare csv.Writer writing
// the same rows.
func BenchmarkWriter(b *testing.B) {
	rows := benchGroups()
	benchtest.VsBaseline(b, len(benchFile()), func(b *testing.B) {
		cw := csv.NewWriter(io.Discard)
		rec := make([]string, 3)
		_ = cw.Write(Header())
		for _, g := range rows {
			rec[0], rec[1], rec[2] = g.Username, g.LibraryGroup, g.SystemGroup
			if err := cw.Write(rec); err != nil {
				b.Fatal(err)
			}
		}
		cw.Flush()
	}, func(b *testing.B) {
		w := NewWriter(io.Discard)
		for _, g := range rows {
			if err := w.Write(g); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	})
}

// benchContacts generates contact rows that look like a school's: for each
// of 50,000 students a patron email and mobile, a guardian email and home
// phone.
var benchContacts = sync.OnceValue(func() []Contact {
	overdue := []Scenario{ScenarioOverdue, ScenarioOverdueEscalationOne, ScenarioOverdueEscalationTwo, ScenarioOverdueEscalationThree}
	rows := make([]Contact, 0, benchRows)
	for i := 0; len(rows) < benchRows; i++ {
		user := fmt.Sprintf("s%07d", i)
		name := fmt.Sprintf("Student %d", i)
		guardian := fmt.Sprintf("Mr and Mrs Family%d", i)
		if i%97 == 0 {
			guardian = fmt.Sprintf("Smith, Jo \"Family%d\"", i)
		}
		rows = append(rows,
			Contact{Username: user, Type: ContactEmail, Role: RolePatron, Primary: true, Addressee: name, Address: user + "@students.example.edu.au", Scenarios: []Scenario{ScenarioAny}},
			Contact{Username: user, Type: ContactPhone, Role: RolePatron, Primary: true, Addressee: name, Address: fmt.Sprintf("(M1) 0400 %03d %03d", i/1000%1000, i%1000), SMS: BoolTrue, Scenarios: []Scenario{ScenarioNone}},
			Contact{Username: user, Type: ContactEmail, Role: RoleGuardian, Primary: true, Addressee: guardian, Address: fmt.Sprintf("family%d@example.com", i), Scenarios: overdue},
			Contact{Username: user, Type: ContactPhone, Role: RoleGuardian, Addressee: guardian, Address: fmt.Sprintf("(H) 07 5555 %04d", i%10000), SMS: BoolFalse, Scenarios: []Scenario{ScenarioNone}},
		)
	}
	return rows[:benchRows]
})

var benchContactFile = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	w := NewContactWriter(&buf)
	for _, c := range benchContacts() {
		if err := w.Write(c); err != nil {
			panic(err)
		}
	}
	if err := w.Flush(); err != nil {
		panic(err)
	}
	return buf.Bytes()
})

func BenchmarkContactReader(b *testing.B) {
	benchtest.VsBaseline(b, len(benchContactFile()), bareContacts, func(b *testing.B) {
		n := 0
		for rec, err := range newContactReader(bytes.NewReader(benchContactFile())).All() {
			if err != nil {
				b.Fatal(err)
			}
			contactSink = rec
			n++
		}
		if n != benchRows {
			b.Fatalf("%d rows", n)
		}
	})
}

func BenchmarkCheckContacts(b *testing.B) {
	benchtest.VsBaseline(b, len(benchContactFile()), bareContacts, func(b *testing.B) {
		rep, err := CheckContacts(bytes.NewReader(benchContactFile()))
		if err != nil {
			b.Fatal(err)
		}
		if rep.Rows != benchRows || len(rep.Problems) != 0 {
			b.Fatalf("%d rows, %d problems: %v", rep.Rows, len(rep.Problems), rep.Problems[0])
		}
	})
}

// BenchmarkCheckTypos measures Check on a file in which every tenth row
// names a library group with a typo, each typo on many rows, as when one
// class is spelt wrong: each needs a "did you mean".
func BenchmarkCheckTypos(b *testing.B) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for i, g := range benchGroups() {
		if i%10 == 0 {
			g.LibraryGroup = "Yaer " + g.LibraryGroup
		}
		if err := w.Write(g); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	file := buf.Bytes()
	rules := Rules{LibraryGroups: benchCatalog(), SystemGroups: []string{"Students", "Staff", "Parents", "Alumni", "Relief Teachers"}}
	benchtest.VsBaseline(b, len(file), bareGroups, func(b *testing.B) {
		rep, err := Check(bytes.NewReader(file), rules)
		if err != nil {
			b.Fatal(err)
		}
		if rep.Rows != benchRows || len(rep.Problems) != MaxProblemsPerCode {
			b.Fatalf("%d rows, %d problems", rep.Rows, len(rep.Problems))
		}
	})
}
