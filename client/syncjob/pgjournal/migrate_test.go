package pgjournal_test

import (
	"context"
	"strings"
	"testing"

	"github.com/autosync-go/autosync/client/syncjob/pgjournal"
)

// TestMigrate: a second Migrate does nothing, and Migrate refuses a
// schema newer than the package's.
func TestMigrate(t *testing.T) {
	pool := newPool(t, newDatabase(t)) // migrated once
	ctx := context.Background()
	tests := []struct {
		name    string
		setup   string // SQL run before Migrate
		wantErr string // "" for none
	}{
		{"again", "", ""},
		{"newer schema", "INSERT INTO autosync_migrations (version) VALUES (999)", "schema version 999, newer than this package's 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != "" {
				if _, err := pool.Exec(ctx, tt.setup); err != nil {
					t.Fatal(err)
				}
			}
			err := pgjournal.Migrate(ctx, pool)
			if got := errText(err); tt.wantErr == "" && err != nil || !strings.Contains(got, tt.wantErr) {
				t.Fatalf("Migrate: %v, want an error containing %q", err, tt.wantErr)
			}
			var n int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM autosync_keys`).Scan(&n); err != nil {
				t.Fatalf("the schema is not there after Migrate: %v", err)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
