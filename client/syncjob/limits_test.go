package syncjob

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseLimit(t *testing.T) {
	tests := []struct {
		in        string
		want      string // String of the limit
		isPercent bool
		max100    int // Max(100)
		max1000   int // Max(1000)
		wantErr   string
	}{
		{in: "0", want: "0", max100: 0, max1000: 0},
		{in: "25", want: "25", max100: 25, max1000: 25},
		{in: " 7 ", want: "7", max100: 7, max1000: 7},
		{in: "10%", want: "10%", isPercent: true, max100: 10, max1000: 100},
		{in: "2.5%", want: "2.5%", isPercent: true, max100: 5, max1000: 25},
		{in: "0%", want: "0%", isPercent: true, max100: 5, max1000: 5},
		{in: "100%", want: "100%", isPercent: true, max100: 100, max1000: 1000},
		{in: "3%", want: "3%", isPercent: true, max100: 5, max1000: 30},
		{in: "", wantErr: "is neither a count nor a percentage"},
		{in: "-1", wantErr: "is negative"},
		{in: "ten", wantErr: "is neither a count nor a percentage"},
		{in: "%", wantErr: "is not a percentage"},
		{in: "101%", wantErr: "from 0% to 100%"},
		{in: "-5%", wantErr: "is not a percentage"},
		{in: "NaN%", wantErr: "is not a percentage"},
		{in: "1.5", wantErr: "is neither a count nor a percentage"},
		{in: " 10 % ", want: "10%", isPercent: true, max100: 10, max1000: 100},
		// Only decimal digits: no sign, exponent, base prefix or other
		// digits.
		{in: "+5", wantErr: "is neither a count nor a percentage"},
		{in: "+5%", wantErr: "is not a percentage"},
		{in: "1e1%", wantErr: "is not a percentage"},
		{in: "1e1", wantErr: "is neither a count nor a percentage"},
		{in: "0x10", wantErr: "is neither a count nor a percentage"},
		{in: "-0%", wantErr: "is not a percentage"},
		{in: "Inf%", wantErr: "is not a percentage"},
		{in: "5.%", wantErr: "is not a percentage"},
		{in: ".5%", wantErr: "is not a percentage"},
		{in: "1_0", wantErr: "is neither a count nor a percentage"},
		{in: "\uff11\uff10", wantErr: "is neither a count nor a percentage"},
		{in: "99999999999999999999", wantErr: "is too large"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			l, err := ParseLimit(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "10%") {
					t.Fatalf("error %v, want one containing %q and the accepted forms", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []any{l.String(), l.IsPercent(), l.Max(100), l.Max(1000)}
			if diff := cmp.Diff([]any{tt.want, tt.isPercent, tt.max100, tt.max1000}, got); diff != "" {
				t.Errorf("String, IsPercent, Max(100), Max(1000) (-want +got):\n%s", diff)
			}
			// The text form round-trips, as in a JSON configuration.
			var back struct{ L Limit }
			b, _ := json.Marshal(struct{ L Limit }{l})
			if err := json.Unmarshal(b, &back); err != nil || back.L != l {
				t.Errorf("JSON %s read back as %v, %v", b, back.L, err)
			}
		})
	}
	var zero Limit
	if zero.String() != "10%" || zero.Max(1000) != 100 || zero.Max(20) != 5 {
		t.Errorf("zero Limit: %s, Max(1000) %d, Max(20) %d; want the default 10%% with the floor of 5", zero, zero.Max(1000), zero.Max(20))
	}
}

func TestPlanCheck(t *testing.T) {
	// last: 100 users a00..a99, each in Red; helpers also in Helpers.
	var last []string
	for i := range 100 {
		last = append(last, "u"+itoa(100+i)+",Red,")
	}
	users := func(from, to int, group string) []string {
		var out []string
		for i := from; i < to; i++ {
			out = append(out, "u"+itoa(100+i)+","+group+",")
		}
		return out
	}
	tests := []struct {
		name  string
		next  []string
		limit string
		want  *LimitError
	}{
		{name: "nothing lost", next: users(0, 100, "Red")},
		{name: "10 gone, at the default", next: users(10, 100, "Red")},
		{name: "11 gone, over the default", next: users(11, 100, "Red"),
			want: &LimitError{Allowed: 10, Losing: 11, Gone: 11, LastUsers: 100}},
		{name: "11 losing a group", next: append(users(0, 11, "Blue"), users(11, 100, "Red")...),
			want: &LimitError{Allowed: 10, Losing: 11, Shrinking: 11, LastUsers: 100}},
		{name: "gaining a group loses nothing", next: append(append(users(0, 50, "Red"), users(0, 50, "Blue")...), users(50, 100, "Red")...)},
		{name: "count 0", next: users(1, 100, "Red"), limit: "0", want: &LimitError{Allowed: 0, Losing: 1, Gone: 1, LastUsers: 100}},
		{name: "count 50", next: users(50, 100, "Red"), limit: "50"},
		{name: "3% of 100 is under the floor", next: users(5, 100, "Red"), limit: "3%"},
		{name: "6 is over 3% and the floor", next: users(6, 100, "Red"), limit: "3%", want: &LimitError{Allowed: 5, Losing: 6, Gone: 6, LastUsers: 100}},
		{name: "empty is always refused", next: nil, limit: "100%", want: &LimitError{Empty: true, Allowed: 100, Losing: 100, Gone: 100, LastUsers: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var limits Limits
			if tt.limit != "" {
				l, err := ParseLimit(tt.limit)
				if err != nil {
					t.Fatal(err)
				}
				limits.MaxRemovals = l
			}
			err := diffPlan(snap(t, last...), snap(t, tt.next...)).Check(limits)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var le *LimitError
			if !errors.As(err, &le) {
				t.Fatalf("error %v, want a *LimitError", err)
			}
			tt.want.Limit, tt.want.noun = limits.MaxRemovals, "membership"
			if diff := cmp.Diff(tt.want, le, cmp.AllowUnexported(Limit{}, LimitError{})); diff != "" {
				t.Errorf("LimitError (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLimitErrorMessage(t *testing.T) {
	tests := []struct {
		err  *LimitError
		want string
	}{
		{&LimitError{Limit: PercentLimit(10), Allowed: 200, Losing: 1000, Gone: 990, Shrinking: 10, LastUsers: 2000},
			"syncjob: refused: 1,000 of the 2,000 users Infiniti last accepted (50.0%) would lose something (990 gone from the export, 10 losing a membership), more than the limit of 10% (at most 200 users). Nothing was sent. Check the export; if the change is intended, run once with force or raise the limit"},
		{&LimitError{Limit: PercentLimit(10), Allowed: 5, Losing: 8, Gone: 6, Shrinking: 2, LastUsers: 40, Held: 8, Sent: 3},
			"syncjob: held 8 users who would lose something (6 gone from the export, 2 losing a membership), more than the limit of 10% (at most 5 users), and sent 3 users who took nothing away; the held keep their last accepted state. Run once with force, or raise the limit, to release them"},
		{&LimitError{Limit: CountLimit(0), Losing: 1, Gone: 1, LastUsers: 40, Held: 1},
			"syncjob: held 1 user who would lose something (1 gone from the export, 0 losing a membership), more than the limit of 0 (at most 0 users); the held keep their last accepted state. Run once with force, or raise the limit, to release them"},
		{&LimitError{Empty: true, LastUsers: 1},
			"syncjob: refused: the export has no rows, but Infiniti last accepted 1 user; this is usually a broken export. Nothing was sent, and force does not go past it. Check the export"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.err.Error()); diff != "" {
			t.Errorf("message (-want +got):\n%s", diff)
		}
	}
}
