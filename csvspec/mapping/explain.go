package mapping

import (
	"iter"
	"slices"
	"strings"

	"github.com/autosync-go/autosync/csvspec"
)

// A Step is what one entry of the rules made of a source row.
type Step struct {
	Origin string // the entry, such as "rows[1]"
	Fired  bool   // its "when" holds
	Skip   bool   // it is a skip entry
	Why    string // each condition tested, the value, and whether it held, up to the first that failed
}

// An Explanation is what the rules made of one source row (see Explain).
type Explanation struct {
	Line   int                 // the source row's line
	Source []string            // its values, in the order of the header
	Steps  []Step              // the entries tried, in order, up to a skip that fired
	Rows   []csvspec.SourceRow // the rows it yields, with their problems
}

// Explain maps the source rows of the user username (compared trimmed,
// in any case) as Rows does, and yields, for each, what the rules made of
// it and why. It takes what Rows takes and ends with the same errors.
func (m *Mapping) Explain(header []string, src iter.Seq2[csvspec.SourceRow, error], username string) iter.Seq2[Explanation, error] {
	return func(yield func(Explanation, error) bool) {
		mp, err := m.newMapper(header)
		if err != nil {
			yield(Explanation{}, err)
			return
		}
		for row, err := range src {
			if err != nil {
				yield(Explanation{}, err)
				return
			}
			mp.load(row)
			if u, _ := mp.eval(m.username, "", 0); !strings.EqualFold(strings.TrimSpace(u), strings.TrimSpace(username)) {
				continue
			}
			ex := Explanation{Line: row.Line, Source: slices.Clone(row.Fields)}
			var rerr error
			mp.mapRow(row, func(r csvspec.SourceRow, err error) bool {
				if err != nil {
					rerr = err
					return false
				}
				ex.Rows = append(ex.Rows, r)
				return true
			}, &ex)
			if !yield(ex, rerr) || rerr != nil {
				return
			}
		}
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
