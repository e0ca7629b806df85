package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/storetest/internal/fixture"
)

// OldSchema is the schema version FillOldSchema writes for: the first one, as kpcheckout's
// first release left a database.
const OldSchema = 1

// oldRows are one of each record of schema version OldSchema, in that version's columns, with
// ? for each argument.
var oldRows = []struct {
	query string
	args  []any
}{
	{`INSERT INTO merchants (id, name, api_key_prefix, api_key_hash, livemode, webhook_url, webhook_secret, cid,
		subscription_cid, min_amount, max_amount, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		[]any{"mer_old", "오래된 상점", "sk_test_OLDOLDOL", []byte{1, 2}, false, "https://shop.example/hooks", "whsec_old",
			"TC0ONETIME", "TCSUBSCRIP", int64(100), int64(2000000), oldMS}},
	{`INSERT INTO checkouts (id, merchant_id, mode, status, amount, tax_free_amount, currency, reference, description,
		items, customer_name, customer_email, success_url, failure_url, locale, metadata, expires_at, created_at,
		updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		[]any{"cs_old", "mer_old", "payment", "paid", int64(11000), int64(0), "KRW", "ORDER-1", "커피",
			`[{"name":"아메리카노","quantity":2,"unit_price":5500}]`, "김민지", "minji@example.kr",
			"https://shop.example/ok", "https://shop.example/no", "ko", `{"order":"1"}`, oldMS + 3600000, oldMS, oldMS + 60000}},
	{`INSERT INTO attempts (id, checkout_id, tid, status, device, pc_url, mobile_url, app_url, android_app_scheme,
		ios_app_scheme, pg_token, aid, method, failure_code, failure_message, expires_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		[]any{"att_old", "cs_old", "T_OLD", "approved", "pc", "https://pc.example", "https://m.example", "", "", "",
			"pgt_old", "A_OLD", "MONEY", "", "", oldMS + 900000, oldMS + 1000, oldMS + 60000}},
	{`INSERT INTO payments (id, checkout_id, attempt_id, agreement_id, merchant_id, cid, amount, tax_free_amount,
		refunded_amount, method, tid, aid, approved_at, created_at) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		[]any{"pay_old", "cs_old", "att_old", "mer_old", "TC0ONETIME", int64(11000), int64(0), int64(1000), "MONEY",
			"T_OLD", "A_OLD", oldMS + 60000, oldMS + 60000}},
	{`INSERT INTO refunds (id, payment_id, merchant_id, amount, tax_free_amount, reason, status, failure_code,
		failure_message, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		[]any{"re_old", "pay_old", "mer_old", int64(1000), int64(0), "품절", "succeeded", "", "", oldMS + 120000, oldMS + 120000}},
	{`INSERT INTO checkouts (id, merchant_id, mode, status, amount, tax_free_amount, currency, reference, description,
		items, customer_name, customer_email, success_url, failure_url, locale, metadata, expires_at, created_at,
		updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		[]any{"cs_sub", "mer_old", "subscription", "paid", int64(9900), int64(0), "KRW", "SUB-1", "", `[]`, "", "",
			"https://shop.example/ok", "https://shop.example/no", "", `{}`, oldMS + 3600000, oldMS, oldMS + 60000}},
	{`INSERT INTO agreements (id, merchant_id, checkout_id, cid, sid, partner_user_id, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		[]any{"agr_old", "mer_old", "cs_sub", "TCSUBSCRIP", "S_OLD", "user-1", "active", oldMS + 60000, oldMS + 60000}},
	{`INSERT INTO payments (id, checkout_id, attempt_id, agreement_id, merchant_id, cid, amount, tax_free_amount,
		refunded_amount, method, tid, aid, approved_at, created_at) VALUES (?, NULL, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		[]any{"pay_charge", "agr_old", "mer_old", "TCSUBSCRIP", int64(9900), int64(0), int64(0), "CARD", "T_CH", "A_CH",
			oldMS + 86400000, oldMS + 86400000}},
	{`INSERT INTO charges (id, agreement_id, merchant_id, amount, reference, status, payment_id, failure_code,
		failure_message, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		[]any{"ch_old", "agr_old", "mer_old", int64(9900), "MONTH-2", "succeeded", "pay_charge", "", "", oldMS + 86400000, oldMS + 86400000}},
	{`INSERT INTO events (id, merchant_id, type, checkout_id, object_id, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		[]any{"evt_old", "mer_old", "checkout.paid", "cs_old", "cs_old", `{"id":"cs_old","status":"paid"}`, oldMS + 60000}},
	{`INSERT INTO idempotency_keys (merchant_id, key, request_hash, status_code, body, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		[]any{"mer_old", "refund-1", "h1", 201, []byte(`{"id":"re_old"}`), oldMS + 120000}},
}

// oldMS is when the old records were made, in the Unix milliseconds the columns keep.
const oldMS = int64(1764147600000)

// FillOldSchema writes one of each record into a database at schema version OldSchema through
// exec, which takes ? placeholders.
func FillOldSchema(exec func(query string, args ...any) error) error {
	for _, r := range oldRows {
		if err := exec(r.query, r.args...); err != nil {
			return fmt.Errorf("%w: %s", err, r.query)
		}
	}
	return nil
}

// CheckUpgradeFromOldSchema is a backend's upgrade test: old writes a database at schema
// OldSchema with one of each record in it (through FillOldSchema), and open opens it as
// kpcheckout does, migrating it to the newest schema; every record must then read back.
func CheckUpgradeFromOldSchema(t *testing.T, old func(context.Context) error, open func(context.Context) (store.Store, error)) {
	t.Helper()
	ctx := t.Context()
	if err := old(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	CheckUpgraded(t, s)
}

// Migrator is a store that tells which migration steps opening it applied.
type Migrator interface {
	store.Store
	Migrated() []store.Migration
}

// CheckPendingAndMigrated is a backend's test of its migration steps, known, over a database
// with no schema: pending lists them all; the first open applies them and says so, after which
// pending lists none and another open applies none.
func CheckPendingAndMigrated(t *testing.T, known []store.Migration, pending func(context.Context) ([]store.Migration, error), open func(context.Context) (Migrator, error)) {
	t.Helper()
	ctx := t.Context()
	if todo, err := pending(ctx); err != nil || len(todo) != len(known) {
		t.Fatalf("pending of a database with no schema: %d %v", len(todo), err)
	}
	for i, want := range []int{len(known), 0} {
		db, err := open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := db.Migrated()
		db.Close()
		if len(got) != want || want > 0 && got[0] != known[0] {
			t.Errorf("open %d applied %d steps, want %d", i+1, len(got), want)
		}
		if todo, err := pending(ctx); err != nil || len(todo) != 0 {
			t.Errorf("pending after open %d: %v %v", i+1, todo, err)
		}
	}
}

// CheckNewerRefused opens through open a database that a newer kpcheckout migrated one step past
// known, the last version this one knows: it must be refused, saying both versions and what to
// do.
func CheckNewerRefused(t *testing.T, known int, open func(context.Context) (store.Store, error)) {
	t.Helper()
	s, err := open(t.Context())
	if err == nil {
		s.Close()
		t.Fatal("a database newer than this kpcheckout was opened")
	}
	for _, want := range []string{fmt.Sprintf("version %d", known+1), fmt.Sprintf("up to %d", known), "newer kpcheckout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal %q does not say %q", err, want)
		}
	}
}

// CheckUpgraded reads every record FillOldSchema wrote through s, a store opened over that
// database (and so migrated to the newest schema), and writes a new checkout beside them.
func CheckUpgraded(t *testing.T, s store.Store) {
	t.Helper()
	ctx := t.Context()
	at := func(offset int64) time.Time { return time.UnixMilli(oldMS + offset) }
	m, err := s.Merchant(ctx, "mer_old")
	if err != nil || m.Name != "오래된 상점" || m.WebhookSecret != "whsec_old" || m.Livemode || m.MaxAmount != 2000000 ||
		len(m.EmbedOrigins) != 0 || !m.CreatedAt.Equal(at(0)) {
		t.Errorf("merchant: %+v %v", m, err)
	}
	if k, err := s.APIKeyByPrefix(ctx, "sk_test_OLDOLDOL"); err != nil || k.MerchantID != "mer_old" || string(k.Hash) != "\x01\x02" || !k.RevokedAt.IsZero() {
		t.Errorf("the merchant's API key: %+v %v", k, err)
	}
	c, err := s.Checkout(ctx, "cs_old")
	if err != nil || c.Status != "paid" || c.Amount != 11000 || len(c.Items) != 1 || c.Items[0].Name != "아메리카노" ||
		c.Items[0].UnitPrice != 5500 || c.Metadata["order"] != "1" || c.CustomerEmail != "minji@example.kr" || c.LinkID != "" ||
		!c.ExpiresAt.Equal(at(3600000)) {
		t.Errorf("checkout: %+v %v", c, err)
	}
	if as, err := s.AttemptsByCheckout(ctx, "cs_old"); err != nil || len(as) != 1 || as[0].TID != "T_OLD" || as[0].PGToken != "pgt_old" ||
		as[0].Status != "approved" || as[0].VoidStatus != "" || !as[0].ApproveSentAt.IsZero() {
		t.Errorf("attempts: %v %v", as, err)
	}
	p, err := s.PaymentByCheckout(ctx, "cs_old")
	if err != nil || p.ID != "pay_old" || p.RefundedAmount != 1000 || p.AgreementID != "" || !p.ApprovedAt.Equal(at(60000)) {
		t.Errorf("payment: %+v %v", p, err)
	}
	if rs, err := s.RefundsByPayment(ctx, "pay_old"); err != nil || len(rs) != 1 || rs[0].Reason != "품절" || rs[0].Status != "succeeded" {
		t.Errorf("refunds: %v %v", rs, err)
	}
	if a, err := s.AgreementByCheckout(ctx, "cs_sub"); err != nil || a.ID != "agr_old" || a.SID != "S_OLD" || a.Status != "active" ||
		!a.DeactivateRequestedAt.IsZero() {
		t.Errorf("agreement: %+v %v", a, err)
	}
	if ch, err := s.Charge(ctx, "ch_old"); err != nil || ch.PaymentID != "pay_charge" || ch.Status != "succeeded" {
		t.Errorf("charge: %+v %v", ch, err)
	}
	if p, err := s.Payment(ctx, "pay_charge"); err != nil || p.AgreementID != "agr_old" || p.CheckoutID != "" {
		t.Errorf("the charge's payment: %+v %v", p, err)
	}
	if e, err := s.Event(ctx, "evt_old"); err != nil || e.Type != "checkout.paid" || string(e.Data) != `{"id":"cs_old","status":"paid"}` {
		t.Errorf("event: %+v %v", e, err)
	}
	if k, err := s.IdempotencyKey(ctx, "mer_old", "refund-1"); err != nil || k.StatusCode != 201 || string(k.Body) != `{"id":"re_old"}` || k.Owner != "" {
		t.Errorf("idempotency key: %+v %v", k, err)
	}
	// The upgraded schema takes today's writes beside the old rows.
	fixture.NewCheckout(t, s, m, "cs_new", time.Now())
	if list, err := s.ListCheckouts(ctx, store.ListCheckouts{MerchantID: "mer_old", Limit: 10}); err != nil || len(list) != 3 {
		t.Errorf("the merchant's checkouts: %d %v", len(list), err)
	}
}

// CheckMovedMerchantKey checks, through s opened on a database where merchant mer_old had the
// one API key of the schema before api_keys (prefix sk_test_OLDOLDOL, hash 01 02, made at
// oldMS), that the migration moved the key there unchanged, so that it keeps working.
func CheckMovedMerchantKey(t *testing.T, s store.Store) {
	t.Helper()
	ctx := t.Context()
	k, err := s.APIKeyByPrefix(ctx, "sk_test_OLDOLDOL")
	if err != nil || k.MerchantID != "mer_old" || string(k.Hash) != "\x01\x02" || k.Last4 != "" || k.Label != "" ||
		k.CreatedAt.UnixMilli() != oldMS || !k.LastUsedAt.IsZero() || !k.RevokedAt.IsZero() || len(k.ID) != len("key_")+26 {
		t.Fatalf("the old key after the migration: %+v %v", k, err)
	}
	if keys, err := s.APIKeys(ctx, "mer_old"); err != nil || len(keys) != 1 {
		t.Errorf("the old merchant's keys: %d %v", len(keys), err)
	}
}
