package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kpcheckout/kpcheckout/store"
)

const merchantColumns = `id, name, api_key_prefix, api_key_hash, livemode, webhook_url, webhook_secret,
	cid, subscription_cid, min_amount, max_amount, created_at, embed_origins`

// CreateMerchant inserts a merchant.
func (t txQueries) CreateMerchant(ctx context.Context, m *store.Merchant) error {
	_, err := t.db.Exec(ctx, `INSERT INTO merchants (`+merchantColumns+`) VALUES (`+placeholders(13)+`)`,
		m.ID, m.Name, m.APIKeyPrefix, m.APIKeyHash, m.Livemode, m.WebhookURL, m.WebhookSecret,
		m.CID, m.SubscriptionCID, m.MinAmount, m.MaxAmount, ms(m.CreatedAt), originsJSON(m.EmbedOrigins))
	return t.wrap("create merchant", err)
}

// UpdateMerchantEmbedOrigins writes the origins allowed to frame a merchant's checkouts.
func (t txQueries) UpdateMerchantEmbedOrigins(ctx context.Context, m *store.Merchant) error {
	tag, err := t.db.Exec(ctx, `UPDATE merchants SET embed_origins = $1 WHERE id = $2`, originsJSON(m.EmbedOrigins), m.ID)
	return t.wrap("update merchant", oneRow(tag, err))
}

// UpdateMerchantKey replaces a merchant's API key prefix and hash.
func (t txQueries) UpdateMerchantKey(ctx context.Context, m *store.Merchant) error {
	tag, err := t.db.Exec(ctx, `UPDATE merchants SET api_key_prefix = $1, api_key_hash = $2 WHERE id = $3`, m.APIKeyPrefix, m.APIKeyHash, m.ID)
	return t.wrap("update merchant key", oneRow(tag, err))
}

func originsJSON(origins []string) string {
	if origins == nil {
		origins = []string{}
	}
	b, _ := json.Marshal(origins) // a list of strings always encodes
	return string(b)
}

// Merchant reads a merchant by id.
func (q queries) Merchant(ctx context.Context, id string) (*store.Merchant, error) {
	return q.merchantWhere(ctx, "id = $1", id)
}

// MerchantByKeyPrefix reads the merchant whose API key starts with prefix.
func (q queries) MerchantByKeyPrefix(ctx context.Context, prefix string) (*store.Merchant, error) {
	return q.merchantWhere(ctx, "api_key_prefix = $1", prefix)
}

// MerchantByName reads the oldest merchant with that display name.
func (q queries) MerchantByName(ctx context.Context, name string) (*store.Merchant, error) {
	return q.merchantWhere(ctx, "name = $1 ORDER BY created_at LIMIT 1", name)
}

func (q queries) merchantWhere(ctx context.Context, where string, arg any) (*store.Merchant, error) {
	var m store.Merchant
	var created int64
	var origins string
	err := q.db.QueryRow(ctx, `SELECT `+merchantColumns+` FROM merchants WHERE `+where, arg).Scan(
		&m.ID, &m.Name, &m.APIKeyPrefix, &m.APIKeyHash, &m.Livemode, &m.WebhookURL, &m.WebhookSecret,
		&m.CID, &m.SubscriptionCID, &m.MinAmount, &m.MaxAmount, &created, &origins)
	if err != nil {
		return nil, q.wrap("merchant", err)
	}
	if err := json.Unmarshal([]byte(origins), &m.EmbedOrigins); err != nil {
		return nil, fmt.Errorf("store: embed origins of %s: %w", m.ID, err)
	}
	m.CreatedAt = fromMS(created)
	return &m, nil
}
