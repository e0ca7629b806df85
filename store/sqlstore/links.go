package sqlstore

import (
	"context"

	"github.com/kpcheckout/kpcheckout/store"
)

const linkColumns = `id, slug, merchant_id, amount, items, description, success_url, failure_url, reusable, max_uses,
	active, expires_at, metadata, created_at, updated_at`

// CreateLink inserts a payment link.
func (t linkWrites) CreateLink(ctx context.Context, l *store.Link) error {
	items, meta := itemsAndMetaJSON(l.Items, l.Metadata)
	_, err := t.conn.Exec(ctx, `INSERT INTO links (`+linkColumns+`) VALUES (`+placeholders(15)+`)`,
		l.ID, l.Slug, l.MerchantID, l.Amount, items, l.Description, l.SuccessURL, l.FailureURL, l.Reusable, l.MaxUses,
		l.Active, msOrZero(l.ExpiresAt), meta, ms(l.CreatedAt), ms(l.UpdatedAt))
	return t.wrap("create link", err)
}

// UpdateLink writes a link's active flag.
func (t linkWrites) UpdateLink(ctx context.Context, l *store.Link) error {
	return t.exec(ctx, "update link", `UPDATE links SET active = ?, updated_at = ? WHERE id = ?`, l.Active, ms(l.UpdatedAt), l.ID)
}

// Link reads a link by id.
func (q linkReads) Link(ctx context.Context, id string) (*store.Link, error) {
	return one(ctx, q.runner, "link", scanLink, `SELECT `+linkColumns+` FROM links WHERE id = ?`, id)
}

// LinkBySlug reads a link by its public slug.
func (q linkReads) LinkBySlug(ctx context.Context, slug string) (*store.Link, error) {
	return one(ctx, q.runner, "link", scanLink, `SELECT `+linkColumns+` FROM links WHERE slug = ?`, slug)
}

// Links lists a merchant's links, newest first.
func (q linkReads) Links(ctx context.Context, merchantID string, limit int) ([]*store.Link, error) {
	return list(ctx, q.runner, "links", scanLink, `SELECT `+linkColumns+` FROM links WHERE merchant_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`,
		merchantID, limit)
}

// LinkPaidCount counts a link's paid checkouts.
func (q linkReads) LinkPaidCount(ctx context.Context, linkID string) (int, error) {
	return one(ctx, q.runner, "link paid count", scanValue[int], `SELECT COUNT(*) FROM checkouts WHERE link_id = ? AND status = 'paid'`, linkID)
}

// LinkUses counts a link's checkouts, but for one, that are paid or whose approval is being
// confirmed.
func (q linkReads) LinkUses(ctx context.Context, linkID, exceptCheckoutID string) (int, error) {
	return one(ctx, q.runner, "link uses", scanValue[int], `SELECT COUNT(*) FROM checkouts c WHERE c.link_id = ? AND c.id <> ? AND (c.status = 'paid'
		OR (c.status = 'open' AND EXISTS (SELECT 1 FROM attempts a WHERE a.checkout_id = c.id AND a.pg_token IS NOT NULL
			AND a.status IN ('ready', 'authenticating'))))`, linkID, exceptCheckoutID)
}

func scanLink(s Row) (*store.Link, error) {
	var l store.Link
	var items, meta string
	var expires, created, updated int64
	if err := s.Scan(&l.ID, &l.Slug, &l.MerchantID, &l.Amount, &items, &l.Description, &l.SuccessURL, &l.FailureURL,
		&l.Reusable, &l.MaxUses, &l.Active, &expires, &meta, &created, &updated); err != nil {
		return nil, err
	}
	var err error
	if l.Items, l.Metadata, err = decodeItemsAndMeta(l.ID, items, meta); err != nil {
		return nil, err
	}
	l.ExpiresAt, l.CreatedAt, l.UpdatedAt = fromMSOrZero(expires), fromMS(created), fromMS(updated)
	return &l, nil
}
