package sqlstore

import (
	"context"

	"github.com/kpcheckout/kpcheckout/store"
)

const userColumns = `id, merchant_id, email, password_hash, role, created_at, password_changed_at`

// CreateUser inserts a dashboard user.
func (t accountWrites) CreateUser(ctx context.Context, u *store.User) error {
	_, err := t.conn.Exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES (`+placeholders(7)+`)`,
		u.ID, u.MerchantID, u.Email, u.PasswordHash, u.Role, ms(u.CreatedAt), ms(u.PasswordChangedAt))
	return t.wrap("create user", err)
}

// LockUsers lists a merchant's users and holds them until the transaction ends. In PostgreSQL
// a second transaction locking them waits, then loses the serialization race and runs again on
// what the first wrote.
func (t accountWrites) LockUsers(ctx context.Context, merchantID string) ([]*store.User, error) {
	return list(ctx, t.runner, "lock users", scanUser, `SELECT `+userColumns+` FROM users WHERE merchant_id = ? ORDER BY created_at, id`+
		t.dialect.ForUpdate, merchantID)
}

// UpdateUser writes a user's password hash, password change time and role.
func (t accountWrites) UpdateUser(ctx context.Context, u *store.User) error {
	return t.exec(ctx, "update user", `UPDATE users SET password_hash = ?, password_changed_at = ?, role = ? WHERE id = ?`,
		u.PasswordHash, ms(u.PasswordChangedAt), u.Role, u.ID)
}

// DeleteUser removes a user.
func (t accountWrites) DeleteUser(ctx context.Context, id string) error {
	return t.exec(ctx, "delete user", `DELETE FROM users WHERE id = ?`, id)
}

// Users lists a merchant's users, oldest first.
func (q accountReads) Users(ctx context.Context, merchantID string) ([]*store.User, error) {
	return list(ctx, q.runner, "users", scanUser, `SELECT `+userColumns+` FROM users WHERE merchant_id = ? ORDER BY created_at, id`, merchantID)
}

// User reads a user by id.
func (q accountReads) User(ctx context.Context, id string) (*store.User, error) {
	return one(ctx, q.runner, "user", scanUser, `SELECT `+userColumns+` FROM users WHERE id = ?`, id)
}

// UsersByEmail lists the users with an e-mail, whatever its case, at every merchant, oldest first.
func (q accountReads) UsersByEmail(ctx context.Context, email string) ([]*store.User, error) {
	return list(ctx, q.runner, "users by email", scanUser, `SELECT `+userColumns+` FROM users WHERE lower(email) = lower(?) ORDER BY created_at, id`, email)
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
