// Command worker syncs a fleet of schools to Infiniti with River workers
// on PostgreSQL: the vendor's part of a fleet, a fleet.SchoolSource over
// the table schools, and main. Run it with -h for its flags; the README
// of examples/fleet shows how to run two workers.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/autosync-go/autosync/client"
	"github.com/autosync-go/autosync/examples/fleet"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// schema is the vendor's table of schools, which -migrate creates.
const schema = `CREATE TABLE IF NOT EXISTS schools (
  id text PRIMARY KEY,
  url text NOT NULL,
  tenant text NOT NULL DEFAULT '',
  username text NOT NULL,
  password text NOT NULL,
  export_path text NOT NULL,
  applies text NOT NULL DEFAULT 'replace',
  enabled boolean NOT NULL DEFAULT true)`

// schools is a fleet.SchoolSource over the table schools.
type schools struct{ db *pgxpool.Pool }

// Tonight returns the enabled schools.
func (s schools) Tonight(ctx context.Context) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT id FROM schools WHERE enabled ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// School returns an enabled school; its password is read at each post.
func (s schools) School(ctx context.Context, id string) (fleet.School, error) {
	sc := fleet.School{ID: id}
	err := s.db.QueryRow(ctx, `SELECT url, tenant, export_path, applies FROM schools WHERE id = $1 AND enabled`, id).
		Scan(&sc.URL, &sc.Tenant, &sc.Export, &sc.Applies)
	if errors.Is(err, pgx.ErrNoRows) {
		return sc, fmt.Errorf("school %q: %w", id, fleet.ErrNoSchool)
	}
	sc.Credentials = func(ctx context.Context) (user, password string, err error) {
		err = s.db.QueryRow(ctx, `SELECT username, password FROM schools WHERE id = $1`, id).Scan(&user, &password)
		if errors.Is(err, pgx.ErrNoRows) {
			err = fmt.Errorf("school %q: %w", id, client.ErrNoCredentials)
		}
		return user, password, err
	}
	return sc, err
}

func main() {
	os.Exit(fleet.Main(os.Args[1:], schema, func(db *pgxpool.Pool) fleet.SchoolSource { return schools{db} }))
}
