package postgres

import (
	"context"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

const apiKeyColumns = `id, merchant_id, prefix, hash, last4, label, create_token, created_at, last_used_at, revoked_at`

// CreateAPIKey inserts a merchant's API key.
func (t txQueries) CreateAPIKey(ctx context.Context, k *store.APIKey) error {
	_, err := t.db.Exec(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES (`+placeholders(10)+`)`,
		k.ID, k.MerchantID, k.Prefix, k.Hash, k.Last4, k.Label, k.CreateToken, ms(k.CreatedAt),
		nullMS(k.LastUsedAt), nullMS(k.RevokedAt))
	return t.wrap("create api key", err)
}

// RevokeAPIKey marks a key revoked; a second revocation keeps the first time.
func (t txQueries) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	tag, err := t.db.Exec(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, ms(at), id)
	return t.wrap("revoke api key", oneRow(tag, err))
}

// TouchAPIKey records a key's use unless one at or after notBefore is recorded already.
func (t txQueries) TouchAPIKey(ctx context.Context, id string, at, notBefore time.Time) error {
	_, err := t.db.Exec(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)`,
		ms(at), id, ms(notBefore))
	return t.wrap("touch api key", err)
}

// APIKey reads a key by id.
func (q queries) APIKey(ctx context.Context, id string) (*store.APIKey, error) {
	k, err := scanAPIKey(q.db.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = $1`, id))
	return k, q.wrap("api key", err)
}

// APIKeyByPrefix reads the key whose secret starts with prefix.
func (q queries) APIKeyByPrefix(ctx context.Context, prefix string) (*store.APIKey, error) {
	k, err := scanAPIKey(q.db.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE prefix = $1`, prefix))
	return k, q.wrap("api key", err)
}

// APIKeys lists a merchant's keys, newest first.
func (q queries) APIKeys(ctx context.Context, merchantID string) ([]*store.APIKey, error) {
	rows, err := q.db.Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE merchant_id = $1 ORDER BY created_at DESC, id DESC`, merchantID)
	if err != nil {
		return nil, q.wrap("api keys", err)
	}
	defer rows.Close()
	var keys []*store.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, q.wrap("api keys", err)
		}
		keys = append(keys, k)
	}
	return keys, q.wrap("api keys", rows.Err())
}

func scanAPIKey(s scanner) (*store.APIKey, error) {
	var k store.APIKey
	var created int64
	var used, revoked *int64
	if err := s.Scan(&k.ID, &k.MerchantID, &k.Prefix, &k.Hash, &k.Last4, &k.Label, &k.CreateToken, &created, &used, &revoked); err != nil {
		return nil, err
	}
	k.CreatedAt = fromMS(created)
	if used != nil {
		k.LastUsedAt = fromMS(*used)
	}
	if revoked != nil {
		k.RevokedAt = fromMS(*revoked)
	}
	return &k, nil
}

// nullMS stores an unset time as NULL.
func nullMS(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	v := ms(t)
	return &v
}
