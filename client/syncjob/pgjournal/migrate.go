package pgjournal

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations are the schema's versions, applied in the order of their
// names, each numbered by the digits its name starts with.
//
//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings the journal's tables in the database of pool up to date:
// it applies, in one transaction, the migrations not yet applied, and
// records them in autosync_migrations. Processes that migrate at once take
// turns. It fails if the database has a newer schema than the package
// knows.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgjournal: migrating: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var have int
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, 0)`, LockClass); err != nil {
		return fmt.Errorf("pgjournal: migrating: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS autosync_migrations (
		version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("pgjournal: migrating: %w", err)
	}
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM autosync_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("pgjournal: migrating: %w", err)
	}
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	known := 0
	for _, name := range names {
		v, _ := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if known = v; v <= have {
			continue
		}
		sql, _ := migrations.ReadFile(name)
		if _, err := tx.Exec(ctx, string(sql)); err != nil {
			return fmt.Errorf("pgjournal: applying %s: %w", name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO autosync_migrations (version) VALUES ($1)`, v); err != nil {
			return fmt.Errorf("pgjournal: applying %s: %w", name, err)
		}
	}
	if have > known {
		return fmt.Errorf("pgjournal: the database has schema version %d, newer than this package's %d", have, known)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgjournal: migrating: %w", err)
	}
	return nil
}
