package csvspec

// Regression tests for the final review fixes of csvspec.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// manyScenarios returns a scenarios value of n distinct unknown names,
// followed by the first of them again in lower case.
func manyScenarios(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "S%05x;", i)
	}
	b.WriteString("s00000")
	return b.String()
}

// A scenarios value of about 1 MiB of distinct names, within
// MaxRecordBytes, is read and checked in time linear in the names: each
// name once, the repeat in another case dropped (the ContactReader) or
// named (CheckContacts).
func TestManyScenarios(t *testing.T) {
	const n = 145_000
	in := chdr + "s1,phone,patron,False,,0400,," + manyScenarios(n) + "\n"
	if len(in) < 1<<20-1<<16 || len(in) > MaxRecordBytes {
		t.Fatalf("the file is %d bytes; want about 1 MiB, within MaxRecordBytes", len(in))
	}

	rec, err := NewContactReader(strings.NewReader(in)).Read()
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		N           int
		First, Last Scenario
	}
	got := outcome{N: len(rec.Scenarios)}
	if got.N > 0 {
		got.First, got.Last = rec.Scenarios[0], rec.Scenarios[got.N-1]
	}
	if diff := cmp.Diff(outcome{n, "S00000", Scenario(fmt.Sprintf("S%05x", n-1))}, got); diff != "" {
		t.Errorf("ContactReader scenarios (-want +got):\n%s", diff)
	}

	rep, err := CheckContacts(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{CodeUnknownScenario: 1, CodeScenarioFormat: 1}
	if diff := cmp.Diff(want, rep.Counts()); diff != "" {
		t.Errorf("CheckContacts counts (-want +got):\n%s", diff)
	}
	for _, p := range rep.Problems {
		if p.Code == CodeUnknownScenario && !strings.Contains(p.Message, fmt.Sprintf(`"S00000", "S00001", "S00002" and %d more are not`, n-3)) {
			t.Errorf("unknown-scenario message %q does not count the names", p.Message)
		}
		if p.Code == CodeScenarioFormat && !strings.Contains(p.Message, `name "s00000" more than once`) {
			t.Errorf("scenario-format message %q does not name the repeat", p.Message)
		}
	}
}

// foldKey tells names apart exactly as strings.EqualFold does, which
// parseScenarios and checkScenarios used to compare them with.
func TestFoldKeyIsEqualFold(t *testing.T) {
	names := []string{
		"", "OVERDUE", "overdue", "Overdue", "K", "k", "\u212a", "S", "s", "\u017f",
		"ß", "ẞ", "SS", "Σ", "σ", "ς", "İ", "i", "ı", "I", "Ǆ", "ǅ", "ǆ",
		"\xff", "\xfe", "\ufffd", "a\xffb", "A\ufffdB", "école", "ÉCOLE", "e\u0301cole",
	}
	for _, a := range names {
		for _, b := range names {
			if got, want := foldKey(a) == foldKey(b), strings.EqualFold(a, b); got != want {
				t.Errorf("foldKey(%q) == foldKey(%q) is %v; strings.EqualFold says %v", a, b, got, want)
			}
		}
	}
}
