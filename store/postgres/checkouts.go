package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

const checkoutColumns = `id, merchant_id, mode, status, amount, tax_free_amount, currency, reference,
	description, items, customer_name, customer_email, success_url, failure_url, locale, metadata,
	expires_at, created_at, updated_at, link_id`

// CreateCheckout inserts a checkout.
func (t txQueries) CreateCheckout(ctx context.Context, c *store.Checkout) error {
	items, meta, err := checkoutJSON(c)
	if err != nil {
		return err
	}
	_, err = t.db.Exec(ctx, `INSERT INTO checkouts (`+checkoutColumns+`) VALUES (`+placeholders(20)+`)`,
		c.ID, c.MerchantID, c.Mode, c.Status, c.Amount, c.TaxFreeAmount, c.Currency, c.Reference,
		c.Description, items, c.CustomerName, c.CustomerEmail, c.SuccessURL, c.FailureURL, c.Locale, meta,
		ms(c.ExpiresAt), ms(c.CreatedAt), ms(c.UpdatedAt), c.LinkID)
	return t.wrap("create checkout", err)
}

// UpdateCheckout writes a checkout's status, expiry and updated_at.
func (t txQueries) UpdateCheckout(ctx context.Context, c *store.Checkout) error {
	t.touch(c.ID)
	tag, err := t.db.Exec(ctx, `UPDATE checkouts SET status = $1, expires_at = $2, updated_at = $3 WHERE id = $4`,
		c.Status, ms(c.ExpiresAt), ms(c.UpdatedAt), c.ID)
	return t.wrap("update checkout", oneRow(tag, err))
}

// Checkout reads a checkout by id.
func (q queries) Checkout(ctx context.Context, id string) (*store.Checkout, error) {
	c, err := scanCheckout(q.db.QueryRow(ctx, `SELECT `+checkoutColumns+` FROM checkouts WHERE id = $1`, id))
	return c, q.wrap("checkout", err)
}

// ListCheckouts lists a merchant's checkouts, newest first.
func (q queries) ListCheckouts(ctx context.Context, p store.ListCheckouts) ([]*store.Checkout, error) {
	var args params
	where := []string{"merchant_id = " + args.add(p.MerchantID)}
	if p.Status != "" {
		where = append(where, "status = "+args.add(p.Status))
	}
	if p.Search != "" {
		// ILIKE: SQLite's LIKE ignores the case of ASCII letters, and the search is the same in both.
		where = append(where, `(id = `+args.add(p.Search)+` OR reference ILIKE `+args.add(likePrefix(p.Search))+` ESCAPE '\'
			OR lower(customer_email) = lower(`+args.add(p.Search)+`))`)
	}
	if !p.CreatedFrom.IsZero() {
		where = append(where, "created_at >= "+args.add(ms(p.CreatedFrom)))
	}
	if !p.CreatedBefore.IsZero() {
		where = append(where, "created_at < "+args.add(ms(p.CreatedBefore)))
	}
	if p.StartingAfter != "" {
		where = append(where, `(created_at, id) < (SELECT created_at, id FROM checkouts WHERE id = `+args.add(p.StartingAfter)+
			` AND merchant_id = `+args.add(p.MerchantID)+`)`)
	}
	rows, err := q.db.Query(ctx, `SELECT `+checkoutColumns+` FROM checkouts WHERE `+strings.Join(where, " AND ")+
		` ORDER BY created_at DESC, id DESC LIMIT `+args.add(p.Limit), args...)
	if err != nil {
		return nil, q.wrap("list checkouts", err)
	}
	defer rows.Close()
	var list []*store.Checkout
	for rows.Next() {
		c, err := scanCheckout(rows)
		if err != nil {
			return nil, q.wrap("list checkouts", err)
		}
		list = append(list, c)
	}
	return list, q.wrap("list checkouts", rows.Err())
}

// likePrefix is a LIKE pattern for values that start with s, its wildcards escaped.
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// DueCheckouts lists open checkouts whose expiry has passed.
func (q queries) DueCheckouts(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := q.db.Query(ctx, `SELECT id FROM checkouts WHERE status = 'open' AND expires_at <= $1 -- held by an approval being confirmed: it does not expire yet
		AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.checkout_id = checkouts.id AND a.pg_token IS NOT NULL
			AND a.status IN ('ready', 'authenticating'))
		ORDER BY expires_at LIMIT $2`, ms(now), limit)
	if err != nil {
		return nil, q.wrap("due checkouts", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, q.wrap("due checkouts", err)
		}
		ids = append(ids, id)
	}
	return ids, q.wrap("due checkouts", rows.Err())
}

// decodeItemsAndMeta reads the items and metadata columns of a checkout or a link.
func decodeItemsAndMeta(id, items, meta string) ([]store.Item, map[string]string, error) {
	var rows []itemRow
	if err := json.Unmarshal([]byte(items), &rows); err != nil {
		return nil, nil, fmt.Errorf("items of %s: %w", id, err)
	}
	list := make([]store.Item, 0, len(rows))
	for _, it := range rows {
		list = append(list, store.Item(it))
	}
	var md map[string]string
	if err := json.Unmarshal([]byte(meta), &md); err != nil {
		return nil, nil, fmt.Errorf("metadata of %s: %w", id, err)
	}
	if len(list) == 0 {
		list = nil
	}
	return list, md, nil
}

// itemRow is how an item is kept in the checkouts.items column.
type itemRow struct {
	Name      string `json:"name"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
}

func scanCheckout(s scanner) (*store.Checkout, error) {
	var c store.Checkout
	var items, meta string
	var expires, created, updated int64
	err := s.Scan(&c.ID, &c.MerchantID, &c.Mode, &c.Status, &c.Amount, &c.TaxFreeAmount, &c.Currency, &c.Reference,
		&c.Description, &items, &c.CustomerName, &c.CustomerEmail, &c.SuccessURL, &c.FailureURL, &c.Locale, &meta,
		&expires, &created, &updated, &c.LinkID)
	if err != nil {
		return nil, err
	}
	if c.Items, c.Metadata, err = decodeItemsAndMeta(c.ID, items, meta); err != nil {
		return nil, err
	}
	c.ExpiresAt, c.CreatedAt, c.UpdatedAt = fromMS(expires), fromMS(created), fromMS(updated)
	return &c, nil
}

func checkoutJSON(c *store.Checkout) (items, meta string, err error) {
	it := make([]itemRow, 0, len(c.Items))
	for _, x := range c.Items {
		it = append(it, itemRow(x))
	}
	b, err := json.Marshal(it)
	if err != nil {
		return "", "", fmt.Errorf("store: items: %w", err)
	}
	md := c.Metadata
	if md == nil {
		md = map[string]string{}
	}
	m, err := json.Marshal(md)
	if err != nil {
		return "", "", fmt.Errorf("store: metadata: %w", err)
	}
	return string(b), string(m), nil
}
