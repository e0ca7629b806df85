package postgres

import (
	"context"

	"github.com/kpcheckout/kpcheckout/store"
)

// Raise runs a statement in tx that fails with the SQLSTATE code, as PostgreSQL fails one.
func Raise(ctx context.Context, tx store.Tx, code string) error {
	t := tx.(txQueries)
	_, err := t.db.Exec(ctx, `DO $$ BEGIN RAISE EXCEPTION 'raised by a test' USING ERRCODE = '`+code+`'; END $$`)
	return t.wrap("raise", err)
}
