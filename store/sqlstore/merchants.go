package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kpcheckout/kpcheckout/store"
)

// merchantColumns leave out api_key_prefix and api_key_hash: a merchant's keys are in api_keys.
const merchantColumns = `id, name, livemode, webhook_url, webhook_secret,
	cid, subscription_cid, min_amount, max_amount, created_at, embed_origins`

// CreateMerchant inserts a merchant. The unused api_key_prefix column is NOT NULL UNIQUE, so it
// gets the merchant's id, which no key starts with (see the api_keys migration).
func (t accountWrites) CreateMerchant(ctx context.Context, m *store.Merchant) error {
	_, err := t.conn.Exec(ctx, `INSERT INTO merchants (`+merchantColumns+`, api_key_prefix, api_key_hash) VALUES (`+placeholders(13)+`)`,
		m.ID, m.Name, m.Livemode, m.WebhookURL, m.WebhookSecret,
		m.CID, m.SubscriptionCID, m.MinAmount, m.MaxAmount, ms(m.CreatedAt), originsJSON(m.EmbedOrigins), m.ID, []byte{})
	return t.wrap("create merchant", err)
}

// UpdateMerchantEmbedOrigins writes the origins allowed to frame a merchant's checkouts.
func (t accountWrites) UpdateMerchantEmbedOrigins(ctx context.Context, m *store.Merchant) error {
	return t.exec(ctx, "update merchant", `UPDATE merchants SET embed_origins = ? WHERE id = ?`, originsJSON(m.EmbedOrigins), m.ID)
}

// UpdateMerchantSettings writes a merchant's display name and amount limits.
func (t accountWrites) UpdateMerchantSettings(ctx context.Context, m *store.Merchant) error {
	return t.exec(ctx, "update merchant settings", `UPDATE merchants SET name = ?, min_amount = ?, max_amount = ? WHERE id = ?`,
		m.Name, m.MinAmount, m.MaxAmount, m.ID)
}

// originsJSON encodes a merchant's embed origins: [] when there are none.
func originsJSON(origins []string) string {
	if origins == nil {
		origins = []string{}
	}
	return stringsJSON(origins)
}

// Merchant reads a merchant by id.
func (q accountReads) Merchant(ctx context.Context, id string) (*store.Merchant, error) {
	return one(ctx, q.runner, "merchant", scanMerchant, `SELECT `+merchantColumns+` FROM merchants WHERE id = ?`, id)
}

// MerchantByName reads the oldest merchant with that display name.
func (q accountReads) MerchantByName(ctx context.Context, name string) (*store.Merchant, error) {
	return one(ctx, q.runner, "merchant", scanMerchant, `SELECT `+merchantColumns+` FROM merchants WHERE name = ? ORDER BY created_at LIMIT 1`, name)
}

// MerchantIDsByName lists the ids of the merchants with that display name, oldest first.
func (q accountReads) MerchantIDsByName(ctx context.Context, name string) ([]string, error) {
	return list(ctx, q.runner, "merchants by name", scanValue[string], `SELECT id FROM merchants WHERE name = ? ORDER BY created_at, id`, name)
}

func scanMerchant(s Row) (*store.Merchant, error) {
	var m store.Merchant
	var created int64
	var origins string
	err := s.Scan(&m.ID, &m.Name, &m.Livemode, &m.WebhookURL, &m.WebhookSecret,
		&m.CID, &m.SubscriptionCID, &m.MinAmount, &m.MaxAmount, &created, &origins)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(origins), &m.EmbedOrigins); err != nil {
		return nil, fmt.Errorf("embed origins of %s: %w", m.ID, err)
	}
	m.CreatedAt = fromMS(created)
	return &m, nil
}
