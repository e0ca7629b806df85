package sqlite

import (
	"context"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// Lease reads a named lease.
func (q queries) Lease(ctx context.Context, name string) (*store.Lease, error) {
	l := &store.Lease{Name: name}
	var exp int64
	if err := q.queryRow(ctx, `SELECT holder, expires_at FROM leases WHERE name = ?`, name).Scan(&l.Holder, &exp); err != nil {
		return nil, wrap("lease", err)
	}
	l.ExpiresAt = fromMS(exp)
	return l, nil
}

// TakeLease takes a lease that is free, lapsed or already l.Holder's (see store.Tx).
func (t txQueries) TakeLease(ctx context.Context, l *store.Lease, now time.Time) (bool, error) {
	res, err := t.exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.expires_at <= ? OR leases.holder = excluded.holder`, l.Name, l.Holder, ms(l.ExpiresAt), ms(now))
	if err != nil {
		return false, wrap("take lease", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap("take lease", err)
}

// ReleaseLease gives up holder's lease of name.
func (t txQueries) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := t.exec(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder)
	return wrap("release lease", err)
}

// DropLapsedLeases forgets the leases lapsed before before.
func (t txQueries) DropLapsedLeases(ctx context.Context, before time.Time) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM leases WHERE expires_at < ?`, ms(before))
	if err != nil {
		return 0, wrap("drop lapsed leases", err)
	}
	n, err := res.RowsAffected()
	return int(n), wrap("drop lapsed leases", err)
}
