package fleet

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNightJobs(t *testing.T) {
	tests := []struct {
		name string
		ids  []string
		want []SchoolArgs
	}{
		{"none", nil, []SchoolArgs{}},
		{"in ID order", []string{"s2", "s1"}, []SchoolArgs{{School: "s1", Night: "n"}, {School: "s2", Night: "n"}}},
		{"a school once", []string{"s1", "s2", "s1"}, []SchoolArgs{{School: "s1", Night: "n"}, {School: "s2", Night: "n"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := []SchoolArgs{}
			for _, p := range NightJobs(tt.ids, "n") {
				got = append(got, p.Args.(SchoolArgs))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("NightJobs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNightlyNext(t *testing.T) {
	at := func(day, h, m int) time.Time { return time.Date(2026, 12, day, h, m, 0, 0, time.UTC) }
	tests := []struct {
		name string
		s    Nightly
		t    time.Time
		want time.Time
	}{
		{"before the time", Nightly{At: time.Hour, Every: 24 * time.Hour}, at(8, 0, 30), at(8, 1, 0)},
		{"at the time: the next day", Nightly{At: time.Hour, Every: 24 * time.Hour}, at(8, 1, 0), at(9, 1, 0)},
		{"after it", Nightly{At: time.Hour, Every: 24 * time.Hour}, at(8, 23, 0), at(9, 1, 0)},
		{"every 6h from 01:00", Nightly{At: time.Hour, Every: 6 * time.Hour}, at(8, 8, 0), at(8, 13, 0)},
		{"every 6h, before the first of the day", Nightly{At: 19 * time.Hour, Every: 6 * time.Hour}, at(8, 0, 0), at(8, 1, 0)},
		{"no interval: daily", Nightly{At: 2 * time.Hour}, at(8, 3, 0), at(9, 2, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.Next(tt.t); !got.Equal(tt.want) {
				t.Errorf("Next(%v) = %v, want %v", tt.t, got, tt.want)
			}
		})
	}
}

func TestNightOf(t *testing.T) {
	at := time.Date(2026, 12, 8, 1, 30, 0, 0, time.Local)
	got := []string{NightOf(at, 0), NightOf(at, 24*time.Hour), NightOf(at, 6*time.Hour)}
	if diff := cmp.Diff([]string{"2026-12-08", "2026-12-08", "2026-12-08T01:30"}, got); diff != "" {
		t.Errorf("NightOf (-want +got):\n%s", diff)
	}
}
