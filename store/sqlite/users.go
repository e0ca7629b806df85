package sqlite

import (
	"context"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

const userColumns = `id, merchant_id, email, password_hash, role, created_at, password_changed_at`

// CreateUser inserts a dashboard user.
func (t txQueries) CreateUser(ctx context.Context, u *store.User) error {
	_, err := t.exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES (`+placeholders(7)+`)`,
		u.ID, u.MerchantID, u.Email, u.PasswordHash, u.Role, ms(u.CreatedAt), ms(u.PasswordChangedAt))
	return wrap("create user", err)
}

// LockUsers lists a merchant's users; the immediate transaction already holds SQLite's write lock.
func (t txQueries) LockUsers(ctx context.Context, merchantID string) ([]*store.User, error) {
	return t.Users(ctx, merchantID)
}

// UpdateUser writes a user's password hash, password change time and role.
func (t txQueries) UpdateUser(ctx context.Context, u *store.User) error {
	res, err := t.exec(ctx, `UPDATE users SET password_hash = ?, password_changed_at = ?, role = ? WHERE id = ?`,
		u.PasswordHash, ms(u.PasswordChangedAt), u.Role, u.ID)
	return wrap("update user", oneRow(res, err))
}

// DeleteUser removes a user.
func (t txQueries) DeleteUser(ctx context.Context, id string) error {
	res, err := t.exec(ctx, `DELETE FROM users WHERE id = ?`, id)
	return wrap("delete user", oneRow(res, err))
}

// Users lists a merchant's users, oldest first.
func (q queries) Users(ctx context.Context, merchantID string) ([]*store.User, error) {
	return q.users(ctx, "users", `SELECT `+userColumns+` FROM users WHERE merchant_id = ? ORDER BY created_at, id`, merchantID)
}

func (q queries) users(ctx context.Context, op, query string, args ...any) ([]*store.User, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var list []*store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		list = append(list, u)
	}
	return list, wrap(op, rows.Err())
}

// User reads a user by id.
func (q queries) User(ctx context.Context, id string) (*store.User, error) {
	return q.userWhere(ctx, "id = ?", id)
}

// UsersByEmail lists the users with an e-mail, whatever its case, at every merchant, oldest first.
func (q queries) UsersByEmail(ctx context.Context, email string) ([]*store.User, error) {
	return q.users(ctx, "users by email", `SELECT `+userColumns+` FROM users WHERE lower(email) = lower(?) ORDER BY created_at, id`, email)
}

func (q queries) userWhere(ctx context.Context, where string, arg any) (*store.User, error) {
	u, err := scanUser(q.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg))
	return u, wrap("user", err)
}

// scanUser reads a row of userColumns.
func scanUser(row interface{ Scan(...any) error }) (*store.User, error) {
	var u store.User
	var created, changed int64
	if err := row.Scan(&u.ID, &u.MerchantID, &u.Email, &u.PasswordHash, &u.Role, &created, &changed); err != nil {
		return nil, err
	}
	u.CreatedAt, u.PasswordChangedAt = fromMS(created), fromMS(changed)
	return &u, nil
}

// DailyTotals adds up a merchant's checkouts, payments and succeeded refunds by day in loc. The
// rows are few (a merchant's days), so they are read by time and put into days in Go, where loc's
// calendar is.
func (q queries) DailyTotals(ctx context.Context, merchantID string, from, to time.Time, loc *time.Location) ([]store.DayTotals, error) {
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
		rows, err := q.query(ctx, query, merchantID, ms(first), ms(end))
		if err != nil {
			return wrap(op, err)
		}
		defer rows.Close()
		for rows.Next() {
			var at, amount int64
			if err := rows.Scan(&at, &amount); err != nil {
				return wrap(op, err)
			}
			if i := index(fromMS(at)); i >= 0 {
				fn(i, amount)
			}
		}
		return wrap(op, rows.Err())
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

// dayOf is the midnight in loc that starts t's day.
func dayOf(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}
