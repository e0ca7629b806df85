package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

const checkoutColumns = `id, merchant_id, mode, status, amount, tax_free_amount, currency, reference,
	description, items, customer_name, customer_email, success_url, failure_url, locale, metadata,
	expires_at, created_at, updated_at, link_id`

// CreateCheckout inserts a checkout.
func (t checkoutWrites) CreateCheckout(ctx context.Context, c *store.Checkout) error {
	items, meta := itemsAndMetaJSON(c.Items, c.Metadata)
	_, err := t.conn.Exec(ctx, `INSERT INTO checkouts (`+checkoutColumns+`) VALUES (`+placeholders(20)+`)`,
		c.ID, c.MerchantID, c.Mode, c.Status, c.Amount, c.TaxFreeAmount, c.Currency, c.Reference,
		c.Description, items, c.CustomerName, c.CustomerEmail, c.SuccessURL, c.FailureURL, c.Locale, meta,
		ms(c.ExpiresAt), ms(c.CreatedAt), ms(c.UpdatedAt), c.LinkID)
	return t.wrap("create checkout", err)
}

// UpdateCheckout writes a checkout's status, expiry and updated_at.
func (t checkoutWrites) UpdateCheckout(ctx context.Context, c *store.Checkout) error {
	t.touch(c.ID)
	return t.exec(ctx, "update checkout", `UPDATE checkouts SET status = ?, expires_at = ?, updated_at = ? WHERE id = ?`,
		c.Status, ms(c.ExpiresAt), ms(c.UpdatedAt), c.ID)
}

// LockCheckout reads a checkout and holds it against concurrent writers until the transaction
// ends.
func (t checkoutWrites) LockCheckout(ctx context.Context, id string) (*store.Checkout, error) {
	return one(ctx, t.runner, "lock checkout", scanCheckout, `SELECT `+checkoutColumns+` FROM checkouts WHERE id = ?`+t.dialect.ForUpdate, id)
}

// Checkout reads a checkout by id.
func (q checkoutReads) Checkout(ctx context.Context, id string) (*store.Checkout, error) {
	return one(ctx, q.runner, "checkout", scanCheckout, `SELECT `+checkoutColumns+` FROM checkouts WHERE id = ?`, id)
}

// ListCheckouts lists a merchant's checkouts, newest first.
func (q checkoutReads) ListCheckouts(ctx context.Context, p store.ListCheckouts) ([]*store.Checkout, error) {
	var w where
	w.and(true, "merchant_id = ?", p.MerchantID)
	w.and(p.Status != "", "status = ?", p.Status)
	w.and(p.Search != "", `(id = ? OR reference `+q.dialect.Like+` ? ESCAPE '\' OR lower(customer_email) = lower(?))`,
		p.Search, likePrefix(p.Search), p.Search)
	w.and(!p.CreatedFrom.IsZero(), "created_at >= ?", ms(p.CreatedFrom))
	w.and(!p.CreatedBefore.IsZero(), "created_at < ?", ms(p.CreatedBefore))
	query, args := w.newestFirst("checkouts", "id", p.StartingAfter, p.MerchantID, p.Limit)
	return list(ctx, q.runner, "list checkouts", scanCheckout, `SELECT `+checkoutColumns+` FROM checkouts `+query, args...)
}

// likePrefix is a LIKE pattern for values that start with s, its wildcards escaped.
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// DueCheckouts lists open checkouts whose expiry has passed.
func (q checkoutReads) DueCheckouts(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return list(ctx, q.runner, "due checkouts", scanValue[string], `SELECT id FROM checkouts WHERE status = 'open' AND expires_at <= ? -- held by an approval being confirmed: it does not expire yet
		AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.checkout_id = checkouts.id AND a.pg_token IS NOT NULL
			AND a.status IN ('ready', 'authenticating'))
		ORDER BY expires_at LIMIT ?`, ms(now), limit)
}

func scanCheckout(s Row) (*store.Checkout, error) {
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
