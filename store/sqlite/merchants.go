package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// merchantColumns leave out api_key_prefix and api_key_hash: a merchant's keys are in api_keys.
const merchantColumns = `id, name, livemode, webhook_url, webhook_secret,
	cid, subscription_cid, min_amount, max_amount, created_at, embed_origins`

// CreateMerchant inserts a merchant. The unused api_key_prefix column is NOT NULL UNIQUE, so it
// gets the merchant's id, which no key starts with (see the api_keys migration).
func (t txQueries) CreateMerchant(ctx context.Context, m *store.Merchant) error {
	_, err := t.exec(ctx, `INSERT INTO merchants (`+merchantColumns+`, api_key_prefix, api_key_hash) VALUES (`+placeholders(13)+`)`,
		m.ID, m.Name, m.Livemode, m.WebhookURL, m.WebhookSecret,
		m.CID, m.SubscriptionCID, m.MinAmount, m.MaxAmount, ms(m.CreatedAt), originsJSON(m.EmbedOrigins), m.ID, []byte{})
	return wrap("create merchant", err)
}

// UpdateMerchantEmbedOrigins writes the origins allowed to frame a merchant's checkouts.
func (t txQueries) UpdateMerchantEmbedOrigins(ctx context.Context, m *store.Merchant) error {
	res, err := t.exec(ctx, `UPDATE merchants SET embed_origins = ? WHERE id = ?`, originsJSON(m.EmbedOrigins), m.ID)
	return wrap("update merchant", oneRow(res, err))
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
	return q.merchantWhere(ctx, "id = ?", id)
}

// MerchantByName reads the oldest merchant with that display name.
func (q queries) MerchantByName(ctx context.Context, name string) (*store.Merchant, error) {
	return q.merchantWhere(ctx, "name = ? ORDER BY created_at LIMIT 1", name)
}

// MerchantIDsByName lists the ids of the merchants with that display name, oldest first.
func (q queries) MerchantIDsByName(ctx context.Context, name string) ([]string, error) {
	rows, err := q.query(ctx, `SELECT id FROM merchants WHERE name = ? ORDER BY created_at, id`, name)
	if err != nil {
		return nil, wrap("merchants by name", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("merchants by name", err)
		}
		ids = append(ids, id)
	}
	return ids, wrap("merchants by name", rows.Err())
}

func (q queries) merchantWhere(ctx context.Context, where string, arg any) (*store.Merchant, error) {
	var m store.Merchant
	var created int64
	var origins string
	err := q.queryRow(ctx, `SELECT `+merchantColumns+` FROM merchants WHERE `+where, arg).Scan(
		&m.ID, &m.Name, &m.Livemode, &m.WebhookURL, &m.WebhookSecret,
		&m.CID, &m.SubscriptionCID, &m.MinAmount, &m.MaxAmount, &created, &origins)
	if err != nil {
		return nil, wrap("merchant", err)
	}
	if err := json.Unmarshal([]byte(origins), &m.EmbedOrigins); err != nil {
		return nil, fmt.Errorf("store: embed origins of %s: %w", m.ID, err)
	}
	m.CreatedAt = fromMS(created)
	return &m, nil
}

// ms stores times as Unix milliseconds, the same in both backends.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// msOrZero stores an unset time as 0.
func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

// UpdateMerchantSettings writes a merchant's display name and amount limits.
func (t txQueries) UpdateMerchantSettings(ctx context.Context, m *store.Merchant) error {
	res, err := t.exec(ctx, `UPDATE merchants SET name = ?, min_amount = ?, max_amount = ? WHERE id = ?`, m.Name, m.MinAmount, m.MaxAmount, m.ID)
	return wrap("update merchant settings", oneRow(res, err))
}
