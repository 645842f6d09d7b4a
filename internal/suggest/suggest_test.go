package suggest

import (
	"fmt"
	"testing"
)

func TestNearest(t *testing.T) {
	years := []string{"Year 7", "Year 8", "Year 9", "Year 10", "Staff", "Students"}
	tests := []struct {
		name       string
		candidates []string
		want       string // "" for no suggestion
	}{
		{"Year 07", years, "Year 7"},
		{"year7", years, "Year 7"},
		{" YEAR  7 ", years, "Year 7"},
		{"Year 010", years, "Year 10"},
		{"Staf", years, "Staff"},
		{"Yaer 8", years, "Year 8"},
		{"Year 5", years, ""},         // Year 7, 8 and 9 are as near: a tie
		{"Year 11", years, "Year 10"}, // the one nearest, though a new group may be meant
		{"Stuff", years, "Staff"},     // one substitution
		{"Stf", years, ""},            // two edits, but short: the limit is 1
		{"Studnets", years, "Students"},
		{"Librarians", years, ""}, // nothing near
		{"Gold", []string{"Gold", "Bold"}, "Gold"},
		{"Golf", []string{"Gold", "Wolf"}, ""},     // two at distance 1
		{"gold", []string{"Gold", "GOLD"}, "Gold"}, // both fold alike: one name
		{"Room 100", []string{"Room 10", "Room 1001"}, ""},
		{"Room 1001", []string{"Room 101", "Room 1001 "}, "Room 1001 "},
		{"Year 0", []string{"Year 00", "Year 8"}, "Year 00"}, // zeros alone are a zero
		{"Blue", nil, ""},
		{"", []string{"A"}, "A"}, // the empty name is 1 edit from a one-rune name
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Nearest(tt.name, tt.candidates)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("Nearest(%q) = %q, %v; want %q", tt.name, got, ok, tt.want)
			}
		})
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b  string
		limit int
		want  int
	}{
		{"year8", "yaer8", 5, 1},
		{"abc", "abc", 5, 0},
		{"abc", "", 5, 3},
		{"abcdef", "azcdxf", 5, 2},
		{"abcdef", "zzzzzz", 3, 3}, // capped at the limit
		{"a", "abcdef", 3, 3},
	}
	for _, tt := range tests {
		if got := distance([]rune(tt.a), []rune(tt.b), tt.limit); got != tt.want {
			t.Errorf("distance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
	}
}

func ExampleNearest() {
	groups := []string{"Year 7", "Year 8", "Staff"}
	for _, typed := range []string{"Year 07", "Staf", "Yaer 8", "Teachers"} {
		if near, ok := Nearest(typed, groups); ok {
			fmt.Printf("%s: did you mean %s?\n", typed, near)
		} else {
			fmt.Printf("%s: no suggestion\n", typed)
		}
	}
	// Output:
	// Year 07: did you mean Year 7?
	// Staf: did you mean Staff?
	// Yaer 8: did you mean Year 8?
	// Teachers: no suggestion
}

func TestNoZeros(t *testing.T) {
	tests := []struct{ in, want string }{
		{"07", "7"},
		{"Year 07", "Year 7"},
		{"00", "0"},
		{"0", "0"},
		{"100", "100"},
		{"a0b", "a0b"},
		{"007 and 0010", "7 and 10"},
		{"Room 0", "Room 0"},
		{"", ""},
		{"x07y00z", "x7y0z"},
	}
	for _, tt := range tests {
		if got := NoZeros(tt.in); got != tt.want {
			t.Errorf("NoZeros(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
