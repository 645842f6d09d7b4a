package csvspec

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDupFinder compares the repeats a dupFinder finds with those a plain
// map finds, in files of many sizes: past a chunk, with hashes that share
// a bit of the set but differ, and with rows skipped, as a Check skips the
// rows it cannot read.
func TestDupFinder(t *testing.T) {
	tests := []struct {
		name     string
		rows     int
		distinct uint64 // hashes are drawn from so many values
		spread   bool   // hashes differ only above the set's bits
	}{
		{name: "no rows", rows: 0, distinct: 1},
		{name: "one row", rows: 1, distinct: 1},
		{name: "two equal rows", rows: 2, distinct: 1},
		{name: "three rows", rows: 3, distinct: 2},
		{name: "all new", rows: 3000, distinct: 1 << 62},
		{name: "a few repeats", rows: 3000, distinct: 2500},
		{name: "many repeats", rows: 5000, distinct: 40},
		{name: "the same bit, different hashes", rows: 2100, distinct: 300, spread: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tt.rows)))
			var d dupFinder
			var want []dupHit
			first := make(map[uint64]int32)
			for row := 1; row <= tt.rows; row++ {
				if row%7 == 0 {
					continue // a row that was not checked
				}
				h := rng.Uint64N(tt.distinct)
				if tt.spread {
					h <<= 40 // the low bits, which pick a bit, are all 0
				}
				line := 2*row + 1
				d.add(h, row, line)
				if f, ok := first[h]; ok {
					want = append(want, dupHit{row: int32(row), line: int32(line), first: f, finder: 3})
				} else {
					first[h] = int32(row)
				}
			}
			got := d.repeats(nil, 3)
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(dupHit{})); diff != "" {
				t.Errorf("repeats (-want +got):\n%s", diff)
			}
		})
	}
}
