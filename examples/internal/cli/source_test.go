package cli

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosync-go/autosync/csvspec/mapping"
)

func TestSourceCheck(t *testing.T) {
	tests := []struct {
		src  Source
		want string // the error, "" for none
	}{
		{Source{Type: "oneroster", Package: "p"}, ""},
		{Source{Type: "sds", Package: "p", DisabledUsers: "leaver", Roles: "all"}, ""},
		{Source{Type: "csv", Package: "p"}, `-source: "csv" is not one of oneroster, sds`},
		{Source{Type: "sds", Package: "p", DisabledUsers: "drop"}, `-disabled-users: "drop" is not one of keep, leaver`},
		{Source{Type: "sds", Package: "p", Roles: "some"}, `-roles: "some" is not one of primary, all`},
		{Source{Type: "sds"}, "lacks -file: the package's folder or zip"},
	}
	for _, tt := range tests {
		got := ""
		if err := tt.src.Check(Flags); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%+v: Check = %q, want %q", tt.src, got, tt.want)
		}
	}
}

// TestSourceRows: the rules' rows of one org, each carrying the columns
// carry names; a column the package lacks ends the rows with an error.
func TestSourceRows(t *testing.T) {
	b, err := os.ReadFile("../../../csvspec/oneroster/testdata/rules.json")
	if err != nil {
		t.Fatal(err)
	}
	m, err := mapping.ParseMapping(b)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		carry   []string
		want    []string // each row's fields and carry
		wantErr string
	}{
		{carry: []string{"givenName", "familyName"}, want: []string{
			"[cy.m Staff Staff] [Cy Moss]", "[di.n Year 3 Students] [Di Ng]", "[di.n Green House Students] [Di Ng]", "[di.n Roll 3B Students] [Di Ng]",
			"[ed.o Year 4 Students] [Ed Ott]", "[ed.o Red House Students] [Ed Ott]",
		}},
		{carry: []string{"Given Name"}, wantErr: `carry: the package has no column "Given Name"; its columns are [`},
	}
	for _, tt := range tests {
		all, err := Source{Type: "oneroster", Package: "../../../csvspec/oneroster/testdata/v1p1"}.Open(append(m.Columns(), tt.carry...))
		if err != nil {
			t.Fatal(err)
		}
		defer all.Close()
		org, err := all.Select("PS-002")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		gotErr := ""
		for row, err := range SourceRows(m, org.Header(), org.Rows(), tt.carry) {
			if err != nil {
				gotErr = err.Error()
				if !strings.HasPrefix(gotErr, tt.wantErr) || tt.wantErr == "" {
					t.Errorf("carry %q: error %v, want %q", tt.carry, err, tt.wantErr)
				}
				break
			}
			got = append(got, fmt.Sprint(row.Fields, " ", row.Carry))
		}
		if tt.wantErr != "" && gotErr == "" {
			t.Errorf("carry %q: no error, want %q", tt.carry, tt.wantErr)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("carry %q: rows (-want +got):\n%s", tt.carry, diff)
		}
	}
}
