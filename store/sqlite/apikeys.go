package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

const apiKeyColumns = `id, merchant_id, prefix, hash, last4, label, create_token, created_at, last_used_at, revoked_at`

// CreateAPIKey inserts a merchant's API key.
func (t txQueries) CreateAPIKey(ctx context.Context, k *store.APIKey) error {
	_, err := t.exec(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES (`+placeholders(10)+`)`,
		k.ID, k.MerchantID, k.Prefix, k.Hash, k.Last4, k.Label, k.CreateToken, ms(k.CreatedAt),
		nullMS(k.LastUsedAt), nullMS(k.RevokedAt))
	return wrap("create api key", err)
}

// RevokeAPIKey marks a key revoked; a second revocation keeps the first time.
func (t txQueries) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	res, err := t.exec(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, ms(at), id)
	return wrap("revoke api key", oneRow(res, err))
}

// TouchAPIKey records a key's use unless one at or after notBefore is recorded already.
func (t txQueries) TouchAPIKey(ctx context.Context, id string, at, notBefore time.Time) error {
	_, err := t.exec(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
		ms(at), id, ms(notBefore))
	return wrap("touch api key", err)
}

// APIKey reads a key by id.
func (q queries) APIKey(ctx context.Context, id string) (*store.APIKey, error) {
	return scanAPIKey(q.queryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = ?`, id))
}

// APIKeyByPrefix reads the key whose secret starts with prefix.
func (q queries) APIKeyByPrefix(ctx context.Context, prefix string) (*store.APIKey, error) {
	return scanAPIKey(q.queryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE prefix = ?`, prefix))
}

// APIKeys lists a merchant's keys, newest first.
func (q queries) APIKeys(ctx context.Context, merchantID string) ([]*store.APIKey, error) {
	rows, err := q.query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE merchant_id = ? ORDER BY created_at DESC, id DESC`, merchantID)
	if err != nil {
		return nil, wrap("api keys", err)
	}
	defer rows.Close()
	var keys []*store.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, wrap("api keys", rows.Err())
}

func scanAPIKey(row scanner) (*store.APIKey, error) {
	var k store.APIKey
	var created int64
	var used, revoked sql.NullInt64
	err := row.Scan(&k.ID, &k.MerchantID, &k.Prefix, &k.Hash, &k.Last4, &k.Label, &k.CreateToken, &created, &used, &revoked)
	if err != nil {
		return nil, wrap("api key", err)
	}
	k.CreatedAt = fromMS(created)
	if used.Valid {
		k.LastUsedAt = fromMS(used.Int64)
	}
	if revoked.Valid {
		k.RevokedAt = fromMS(revoked.Int64)
	}
	return &k, nil
}

// nullMS stores an unset time as NULL.
func nullMS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ms(t), Valid: true}
}
