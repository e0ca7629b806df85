package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kpcheckout/kpcheckout/store"
)

const linkColumns = `id, slug, merchant_id, amount, items, description, success_url, failure_url, reusable, max_uses,
	active, expires_at, metadata, created_at, updated_at`

// CreateLink inserts a payment link.
func (t txQueries) CreateLink(ctx context.Context, l *store.Link) error {
	items, meta, err := checkoutJSON(&store.Checkout{Items: l.Items, Metadata: l.Metadata})
	if err != nil {
		return err
	}
	_, err = t.db.Exec(ctx, `INSERT INTO links (`+linkColumns+`) VALUES (`+placeholders(15)+`)`,
		l.ID, l.Slug, l.MerchantID, l.Amount, items, l.Description, l.SuccessURL, l.FailureURL, l.Reusable, l.MaxUses,
		l.Active, msOrZero(l.ExpiresAt), meta, ms(l.CreatedAt), ms(l.UpdatedAt))
	return t.wrap("create link", err)
}

// UpdateLink writes a link's active flag.
func (t txQueries) UpdateLink(ctx context.Context, l *store.Link) error {
	tag, err := t.db.Exec(ctx, `UPDATE links SET active = $1, updated_at = $2 WHERE id = $3`, l.Active, ms(l.UpdatedAt), l.ID)
	return t.wrap("update link", oneRow(tag, err))
}

// Link reads a link by id.
func (q queries) Link(ctx context.Context, id string) (*store.Link, error) {
	return q.oneLink(ctx, `SELECT `+linkColumns+` FROM links WHERE id = $1`, id)
}

// LinkBySlug reads a link by its public slug.
func (q queries) LinkBySlug(ctx context.Context, slug string) (*store.Link, error) {
	return q.oneLink(ctx, `SELECT `+linkColumns+` FROM links WHERE slug = $1`, slug)
}

func (q queries) oneLink(ctx context.Context, query string, arg string) (*store.Link, error) {
	rows, err := q.db.Query(ctx, query, arg)
	list, err := q.links(rows, err)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, store.ErrNotFound
	}
	return list[0], nil
}

// Links lists a merchant's links, newest first.
func (q queries) Links(ctx context.Context, merchantID string, limit int) ([]*store.Link, error) {
	rows, err := q.db.Query(ctx, `SELECT `+linkColumns+` FROM links WHERE merchant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
		merchantID, limit)
	return q.links(rows, err)
}

// LinkPaidCount counts a link's paid checkouts.
func (q queries) LinkPaidCount(ctx context.Context, linkID string) (int, error) {
	var n int
	err := q.db.QueryRow(ctx, `SELECT COUNT(*) FROM checkouts WHERE link_id = $1 AND status = 'paid'`, linkID).Scan(&n)
	return n, q.wrap("link paid count", err)
}

// LinkUses counts a link's checkouts, but for one, that are paid or whose approval is being
// confirmed.
func (q queries) LinkUses(ctx context.Context, linkID, exceptCheckoutID string) (int, error) {
	var n int
	err := q.db.QueryRow(ctx, `SELECT COUNT(*) FROM checkouts c WHERE c.link_id = $1 AND c.id <> $2 AND (c.status = 'paid'
		OR (c.status = 'open' AND EXISTS (SELECT 1 FROM attempts a WHERE a.checkout_id = c.id AND a.pg_token IS NOT NULL
			AND a.status IN ('ready', 'authenticating'))))`, linkID, exceptCheckoutID).Scan(&n)
	return n, q.wrap("link uses", err)
}

func (q queries) links(rows pgx.Rows, err error) ([]*store.Link, error) {
	if err != nil {
		return nil, q.wrap("links", err)
	}
	defer rows.Close()
	var list []*store.Link
	for rows.Next() {
		var l store.Link
		var items, meta string
		var expires, created, updated int64
		if err := rows.Scan(&l.ID, &l.Slug, &l.MerchantID, &l.Amount, &items, &l.Description, &l.SuccessURL, &l.FailureURL,
			&l.Reusable, &l.MaxUses, &l.Active, &expires, &meta, &created, &updated); err != nil {
			return nil, q.wrap("links", err)
		}
		var err error
		if l.Items, l.Metadata, err = decodeItemsAndMeta(l.ID, items, meta); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		if expires > 0 {
			l.ExpiresAt = fromMS(expires)
		}
		l.CreatedAt, l.UpdatedAt = fromMS(created), fromMS(updated)
		list = append(list, &l)
	}
	return list, q.wrap("links", rows.Err())
}
