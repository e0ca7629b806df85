package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kpcheckout/kpcheckout/store"
)

// merchantColumns leave out api_key_prefix and api_key_hash: a merchant's keys are in api_keys.
const merchantColumns = `id, name, livemode, webhook_url, webhook_secret,
	cid, subscription_cid, min_amount, max_amount, created_at, embed_origins`

// CreateMerchant inserts a merchant. The unused api_key_prefix column is NOT NULL UNIQUE, so it
// gets the merchant's id, which no key starts with (see the api_keys migration).
func (t txQueries) CreateMerchant(ctx context.Context, m *store.Merchant) error {
	_, err := t.db.Exec(ctx, `INSERT INTO merchants (`+merchantColumns+`, api_key_prefix, api_key_hash) VALUES (`+placeholders(13)+`)`,
		m.ID, m.Name, m.Livemode, m.WebhookURL, m.WebhookSecret,
		m.CID, m.SubscriptionCID, m.MinAmount, m.MaxAmount, ms(m.CreatedAt), originsJSON(m.EmbedOrigins), m.ID, []byte{})
	return t.wrap("create merchant", err)
}

// UpdateMerchantEmbedOrigins writes the origins allowed to frame a merchant's checkouts.
func (t txQueries) UpdateMerchantEmbedOrigins(ctx context.Context, m *store.Merchant) error {
	tag, err := t.db.Exec(ctx, `UPDATE merchants SET embed_origins = $1 WHERE id = $2`, originsJSON(m.EmbedOrigins), m.ID)
	return t.wrap("update merchant", oneRow(tag, err))
}

// UpdateMerchantSettings writes a merchant's display name and amount limits.
func (t txQueries) UpdateMerchantSettings(ctx context.Context, m *store.Merchant) error {
	tag, err := t.db.Exec(ctx, `UPDATE merchants SET name = $1, min_amount = $2, max_amount = $3 WHERE id = $4`,
		m.Name, m.MinAmount, m.MaxAmount, m.ID)
	return t.wrap("update merchant settings", oneRow(tag, err))
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

// MerchantByName reads the oldest merchant with that display name.
func (q queries) MerchantByName(ctx context.Context, name string) (*store.Merchant, error) {
	return q.merchantWhere(ctx, "name = $1 ORDER BY created_at LIMIT 1", name)
}

// MerchantIDsByName lists the ids of the merchants with that display name, oldest first.
func (q queries) MerchantIDsByName(ctx context.Context, name string) ([]string, error) {
	rows, err := q.db.Query(ctx, `SELECT id FROM merchants WHERE name = $1 ORDER BY created_at, id`, name)
	if err != nil {
		return nil, q.wrap("merchants by name", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return ids, q.wrap("merchants by name", err)
}

func (q queries) merchantWhere(ctx context.Context, where string, arg any) (*store.Merchant, error) {
	var m store.Merchant
	var created int64
	var origins string
	err := q.db.QueryRow(ctx, `SELECT `+merchantColumns+` FROM merchants WHERE `+where, arg).Scan(
		&m.ID, &m.Name, &m.Livemode, &m.WebhookURL, &m.WebhookSecret,
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
