package sqlstore

import (
	"context"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

const userColumns = `id, merchant_id, email, password_hash, role, created_at, password_changed_at`

// CreateUser inserts a dashboard user.
func (t Tx) CreateUser(ctx context.Context, u *store.User) error {
	_, err := t.conn.Exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES (`+placeholders(7)+`)`,
		u.ID, u.MerchantID, u.Email, u.PasswordHash, u.Role, ms(u.CreatedAt), ms(u.PasswordChangedAt))
	return t.wrap("create user", err)
}

// LockUsers lists a merchant's users and holds them until the transaction ends. In PostgreSQL
// a second transaction locking them waits, then loses the serialization race and runs again on
// what the first wrote.
func (t Tx) LockUsers(ctx context.Context, merchantID string) ([]*store.User, error) {
	return list(ctx, t.Queries, "lock users", scanUser, `SELECT `+userColumns+` FROM users WHERE merchant_id = ? ORDER BY created_at, id`+
		t.dialect.ForUpdate, merchantID)
}

// UpdateUser writes a user's password hash, password change time and role.
func (t Tx) UpdateUser(ctx context.Context, u *store.User) error {
	return t.exec(ctx, "update user", `UPDATE users SET password_hash = ?, password_changed_at = ?, role = ? WHERE id = ?`,
		u.PasswordHash, ms(u.PasswordChangedAt), u.Role, u.ID)
}

// DeleteUser removes a user.
func (t Tx) DeleteUser(ctx context.Context, id string) error {
	return t.exec(ctx, "delete user", `DELETE FROM users WHERE id = ?`, id)
}

// Users lists a merchant's users, oldest first.
func (q Queries) Users(ctx context.Context, merchantID string) ([]*store.User, error) {
	return list(ctx, q, "users", scanUser, `SELECT `+userColumns+` FROM users WHERE merchant_id = ? ORDER BY created_at, id`, merchantID)
}

// User reads a user by id.
func (q Queries) User(ctx context.Context, id string) (*store.User, error) {
	return one(ctx, q, "user", scanUser, `SELECT `+userColumns+` FROM users WHERE id = ?`, id)
}

// UsersByEmail lists the users with an e-mail, whatever its case, at every merchant, oldest first.
func (q Queries) UsersByEmail(ctx context.Context, email string) ([]*store.User, error) {
	return list(ctx, q, "users by email", scanUser, `SELECT `+userColumns+` FROM users WHERE lower(email) = lower(?) ORDER BY created_at, id`, email)
}

func scanUser(s Row) (*store.User, error) {
	var u store.User
	var created, changed int64
	if err := s.Scan(&u.ID, &u.MerchantID, &u.Email, &u.PasswordHash, &u.Role, &created, &changed); err != nil {
		return nil, err
	}
	u.CreatedAt, u.PasswordChangedAt = fromMS(created), fromMS(changed)
	return &u, nil
}

// DailyTotals adds up a merchant's checkouts, payments and succeeded refunds by day in loc. The
// rows are few (a merchant's days), so they are read by time and put into days in Go, where loc's
// calendar is.
func (q Queries) DailyTotals(ctx context.Context, merchantID string, from, to time.Time, loc *time.Location) ([]store.DayTotals, error) {
	first := dayOf(from, loc)
	end := dayOf(to, loc).AddDate(0, 0, 1)
	var days []store.DayTotals
	for d := first; d.Before(end); d = d.AddDate(0, 0, 1) {
		days = append(days, store.DayTotals{Day: d})
	}
	index := func(t time.Time) int {
		d := dayOf(t, loc)
		for i := range days {
			if days[i].Day.Equal(d) {
				return i
			}
		}
		return -1
	}
	add := func(op, query string, fn func(i int, amount int64)) error {
		rows, err := list(ctx, q, op, scanAmountAt, query, merchantID, ms(first), ms(end))
		for _, r := range rows {
			if i := index(fromMS(r[0])); i >= 0 {
				fn(i, r[1])
			}
		}
		return err
	}
	err := add("daily opened", `SELECT created_at, amount FROM checkouts WHERE merchant_id = ? AND created_at >= ? AND created_at < ?`,
		func(i int, _ int64) { days[i].Opened++ })
	if err == nil {
		err = add("daily paid", `SELECT approved_at, amount FROM payments WHERE merchant_id = ? AND approved_at >= ? AND approved_at < ?`,
			func(i int, a int64) { days[i].Paid++; days[i].PaidAmount += a })
	}
	if err == nil {
		err = add("daily refunded", `SELECT created_at, amount FROM refunds WHERE merchant_id = ? AND status = 'succeeded' AND created_at >= ? AND created_at < ?`,
			func(i int, a int64) { days[i].RefundedAmount += a })
	}
	if err != nil {
		return nil, err
	}
	return days, nil
}

// scanAmountAt reads a row of a time and an amount.
func scanAmountAt(s Row) ([2]int64, error) {
	var r [2]int64
	err := s.Scan(&r[0], &r[1])
	return r, err
}

// dayOf is the midnight in loc that starts t's day.
func dayOf(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}
