package sqlstore

import (
	"context"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// Lease reads a named lease.
func (q leaseReads) Lease(ctx context.Context, name string) (*store.Lease, error) {
	return one(ctx, q.runner, "lease", func(s Row) (*store.Lease, error) {
		l := &store.Lease{Name: name}
		var exp int64
		err := s.Scan(&l.Holder, &exp)
		l.ExpiresAt = fromMS(exp)
		return l, err
	}, `SELECT holder, expires_at FROM leases WHERE name = ?`, name)
}

// TakeLease takes a lease that is free, lapsed or already l.Holder's (see store.Tx). In
// PostgreSQL two instances taking one name at once: the transaction is SERIALIZABLE, so one of
// them waits on the row and then finds it held, or loses the race and runs again.
func (t leaseWrites) TakeLease(ctx context.Context, l *store.Lease, now time.Time) (bool, error) {
	n, err := t.count(ctx, "take lease", `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.expires_at <= ? OR leases.holder = excluded.holder`, l.Name, l.Holder, ms(l.ExpiresAt), ms(now))
	return n == 1, err
}

// ReleaseLease gives up holder's lease of name.
func (t leaseWrites) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := t.conn.Exec(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder)
	return t.wrap("release lease", err)
}

// DropLapsedLeases forgets the leases lapsed before before.
func (t leaseWrites) DropLapsedLeases(ctx context.Context, before time.Time) (int, error) {
	return t.count(ctx, "drop lapsed leases", `DELETE FROM leases WHERE expires_at < ?`, ms(before))
}
