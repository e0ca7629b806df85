package postgres

import (
	"context"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// Lease reads a named lease.
func (q queries) Lease(ctx context.Context, name string) (*store.Lease, error) {
	l := &store.Lease{Name: name}
	var exp int64
	if err := q.db.QueryRow(ctx, `SELECT holder, expires_at FROM leases WHERE name = $1`, name).Scan(&l.Holder, &exp); err != nil {
		return nil, q.wrap("lease", err)
	}
	l.ExpiresAt = fromMS(exp)
	return l, nil
}

// TakeLease takes a lease that is free, lapsed or already l.Holder's (see store.Tx). Two
// instances taking one name at once: the transaction is SERIALIZABLE, so one of them waits on
// the row and then finds it held, or loses the race and runs again.
func (t txQueries) TakeLease(ctx context.Context, l *store.Lease, now time.Time) (bool, error) {
	tag, err := t.db.Exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.expires_at <= $4 OR leases.holder = excluded.holder`, l.Name, l.Holder, ms(l.ExpiresAt), ms(now))
	if err != nil {
		return false, t.wrap("take lease", err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseLease gives up holder's lease of name.
func (t txQueries) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := t.db.Exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder)
	return t.wrap("release lease", err)
}

// DropLapsedLeases forgets the leases lapsed before before.
func (t txQueries) DropLapsedLeases(ctx context.Context, before time.Time) (int, error) {
	tag, err := t.db.Exec(ctx, `DELETE FROM leases WHERE expires_at < $1`, ms(before))
	if err != nil {
		return 0, t.wrap("drop lapsed leases", err)
	}
	return int(tag.RowsAffected()), nil
}
