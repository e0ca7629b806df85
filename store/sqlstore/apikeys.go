package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

const apiKeyColumns = `id, merchant_id, prefix, hash, last4, label, create_token, created_at, last_used_at, revoked_at`

// CreateAPIKey inserts a merchant's API key.
func (t accountWrites) CreateAPIKey(ctx context.Context, k *store.APIKey) error {
	_, err := t.conn.Exec(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES (`+placeholders(10)+`)`,
		k.ID, k.MerchantID, k.Prefix, k.Hash, k.Last4, k.Label, k.CreateToken, ms(k.CreatedAt),
		nullMS(k.LastUsedAt), nullMS(k.RevokedAt))
	return t.wrap("create api key", err)
}

// RevokeAPIKey marks a key revoked; a second revocation keeps the first time.
func (t accountWrites) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	return t.exec(ctx, "revoke api key", `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, ms(at), id)
}

// TouchAPIKey records a key's use unless one at or after notBefore is recorded already.
func (t accountWrites) TouchAPIKey(ctx context.Context, id string, at, notBefore time.Time) error {
	_, err := t.conn.Exec(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
		ms(at), id, ms(notBefore))
	return t.wrap("touch api key", err)
}

// APIKey reads a key by id.
func (q accountReads) APIKey(ctx context.Context, id string) (*store.APIKey, error) {
	return one(ctx, q.runner, "api key", scanAPIKey, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = ?`, id)
}

// APIKeyByPrefix reads the key whose secret starts with prefix.
func (q accountReads) APIKeyByPrefix(ctx context.Context, prefix string) (*store.APIKey, error) {
	return one(ctx, q.runner, "api key", scanAPIKey, `SELECT `+apiKeyColumns+` FROM api_keys WHERE prefix = ?`, prefix)
}

// APIKeys lists a merchant's keys, newest first.
func (q accountReads) APIKeys(ctx context.Context, merchantID string) ([]*store.APIKey, error) {
	return list(ctx, q.runner, "api keys", scanAPIKey, `SELECT `+apiKeyColumns+` FROM api_keys WHERE merchant_id = ? ORDER BY created_at DESC, id DESC`, merchantID)
}

func scanAPIKey(s Row) (*store.APIKey, error) {
	var k store.APIKey
	var created int64
	var used, revoked sql.NullInt64
	if err := s.Scan(&k.ID, &k.MerchantID, &k.Prefix, &k.Hash, &k.Last4, &k.Label, &k.CreateToken, &created, &used, &revoked); err != nil {
		return nil, err
	}
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = fromMS(created), fromNullMS(used), fromNullMS(revoked)
	return &k, nil
}
