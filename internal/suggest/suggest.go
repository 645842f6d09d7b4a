// Package suggest finds the name a user most likely meant: the one
// "did you mean" of the project, for group names, rules tables and
// header names alike.
package suggest

import (
	"strings"
	"unicode"
)

// Nearest returns the candidate that name most likely means, and true; or
// "" and false when no candidate is near, or when two are equally near.
//
// Names are compared folded: in lower case, without white space, and with
// the leading zeros of each run of digits dropped, so that "year07" is
// "Year 7". A candidate is near when its folded form is within an edit
// distance (insertions, deletions, substitutions and swaps of two
// neighbouring runes) of 2 of the folded name, or of 1 when the folded
// name has 4 runes or fewer. The nearest wins when it is the only one at
// its distance; candidates that fold alike count as one.
func Nearest(name string, candidates []string) (string, bool) {
	n := fold(name)
	limit := 2
	if len(n) <= 4 {
		limit = 1
	}
	best, bestDist, tie := "", limit+1, false
	var bestFold []rune
	for _, c := range candidates {
		f := fold(c)
		d := distance(n, f, bestDist+1)
		switch {
		case d < bestDist:
			best, bestDist, bestFold, tie = c, d, f, false
		case d == bestDist && d <= limit && string(f) != string(bestFold):
			tie = true
		}
	}
	if bestDist > limit || tie {
		return "", false
	}
	return best, true
}

// fold returns s folded as Nearest says.
func fold(s string) []rune {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
	return []rune(NoZeros(s))
}

// NoZeros returns s with the leading zeros of every run of ASCII digits
// dropped, keeping one zero of a run of zeros alone: "07" is "7", "Year
// 07" is "Year 7", "00" is "0".
func NoZeros(s string) string {
	var b []byte  // nil until a zero is dropped
	start := true // s[i] starts a run of digits, or follows its dropped zeros
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '0' && start && i+1 < len(s) && isDigit(s[i+1]) {
			if b == nil {
				b = append(make([]byte, 0, len(s)), s[:i]...)
			}
			continue
		}
		start = !isDigit(c)
		if b != nil {
			b = append(b, c)
		}
	}
	if b == nil {
		return s
	}
	return string(b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// distance returns the optimal string alignment distance of a and b (the
// edits of Nearest), or limit when it is sure to be limit or more.
func distance(a, b []rune, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	// Three rows of the table: two back, one back, and this one.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, prev2[j-2]+1)
			}
			cur[j] = d
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], limit)
}
