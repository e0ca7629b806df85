package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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
	_, err = t.exec(ctx, `INSERT INTO checkouts (`+checkoutColumns+`) VALUES (`+placeholders(20)+`)`,
		c.ID, c.MerchantID, c.Mode, c.Status, c.Amount, c.TaxFreeAmount, c.Currency, c.Reference,
		c.Description, items, c.CustomerName, c.CustomerEmail, c.SuccessURL, c.FailureURL, c.Locale, meta,
		ms(c.ExpiresAt), ms(c.CreatedAt), ms(c.UpdatedAt), c.LinkID)
	return wrap("create checkout", err)
}

// UpdateCheckout writes a checkout's status and updated_at.
func (t txQueries) UpdateCheckout(ctx context.Context, c *store.Checkout) error {
	res, err := t.exec(ctx, `UPDATE checkouts SET status = ?, expires_at = ?, updated_at = ? WHERE id = ?`,
		c.Status, ms(c.ExpiresAt), ms(c.UpdatedAt), c.ID)
	return wrap("update checkout", oneRow(res, err))
}

// Checkout reads a checkout by id.
func (q queries) Checkout(ctx context.Context, id string) (*store.Checkout, error) {
	c, err := scanCheckout(q.queryRow(ctx, `SELECT `+checkoutColumns+` FROM checkouts WHERE id = ?`, id))
	return c, wrap("checkout", err)
}

// ListCheckouts lists a merchant's checkouts, newest first.
func (q queries) ListCheckouts(ctx context.Context, p store.ListCheckouts) ([]*store.Checkout, error) {
	where := []string{"merchant_id = ?"}
	args := []any{p.MerchantID}
	if p.Status != "" {
		where = append(where, "status = ?")
		args = append(args, p.Status)
	}
	if p.Search != "" {
		where = append(where, `(id = ? OR reference LIKE ? ESCAPE '\' OR lower(customer_email) = lower(?))`)
		args = append(args, p.Search, likePrefix(p.Search), p.Search)
	}
	if !p.CreatedFrom.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, ms(p.CreatedFrom))
	}
	if !p.CreatedBefore.IsZero() {
		where = append(where, "created_at < ?")
		args = append(args, ms(p.CreatedBefore))
	}
	if p.StartingAfter != "" {
		where = append(where, `(created_at, id) < (SELECT created_at, id FROM checkouts WHERE id = ? AND merchant_id = ?)`)
		args = append(args, p.StartingAfter, p.MerchantID)
	}
	args = append(args, p.Limit)
	rows, err := q.query(ctx, `SELECT `+checkoutColumns+` FROM checkouts WHERE `+strings.Join(where, " AND ")+
		` ORDER BY created_at DESC, id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, wrap("list checkouts", err)
	}
	defer rows.Close()
	var list []*store.Checkout
	for rows.Next() {
		c, err := scanCheckout(rows)
		if err != nil {
			return nil, wrap("list checkouts", err)
		}
		list = append(list, c)
	}
	return list, wrap("list checkouts", rows.Err())
}

// likePrefix is a LIKE pattern for values that start with s, its wildcards escaped.
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// DueCheckouts lists open checkouts whose expiry has passed.
func (q queries) DueCheckouts(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := q.query(ctx, `SELECT id FROM checkouts WHERE status = 'open' AND expires_at <= ? -- held by an approval being confirmed: it does not expire yet
		AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.checkout_id = checkouts.id AND a.pg_token IS NOT NULL
			AND a.status IN ('ready', 'authenticating'))
		ORDER BY expires_at LIMIT ?`, ms(now), limit)
	if err != nil {
		return nil, wrap("due checkouts", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("due checkouts", err)
		}
		ids = append(ids, id)
	}
	return ids, wrap("due checkouts", rows.Err())
}

type scanner interface{ Scan(dest ...any) error }

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

// oneRow turns an update that matched no row into sql.ErrNoRows.
func oneRow(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// guarded turns a guarded update that matched no row into store.ErrConflict: the row is no
// longer in the state the update was guarded on.
func guarded(res sql.Result, err error) error {
	if err := oneRow(res, err); errors.Is(err, sql.ErrNoRows) {
		return store.ErrConflict
	} else if err != nil {
		return err
	}
	return nil
}
