package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/storetest/internal/fixture"
)

// The cases here race transactions that read, decide and write, as the checkout service's do.
// SQLite runs them one at a time; another backend must give the same outcomes, whatever its
// isolation (PostgreSQL's runs them SERIALIZABLE and tries a loser again).

var errNotOpen = errors.New("checkout is not open")

// testDuplicateApprove: many approvals of one checkout at once; one pays it, the others find it
// paid.
func testDuplicateApprove(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	fixture.NewCheckout(t, s, m, "cs_1", fixture.T0)
	const n = 12
	errs := fixture.Race(n, func(i int) error {
		return s.Transact(ctx, func(tx store.Tx) error {
			c, err := tx.LockCheckout(ctx, "cs_1")
			if err != nil {
				return err
			}
			if c.Status != "open" {
				return errNotOpen
			}
			a := fixture.Attempt(fmt.Sprintf("att_%d", i), c.ID, fmt.Sprintf("T%d", i))
			a.Status = "approved"
			if err := tx.CreateAttempt(ctx, a); err != nil {
				return err
			}
			p := &store.Payment{ID: fmt.Sprintf("pay_%d", i), CheckoutID: c.ID, AttemptID: a.ID, MerchantID: m.ID,
				Amount: c.Amount, Method: "MONEY", ApprovedAt: fixture.T0, CreatedAt: fixture.T0}
			if err := tx.CreatePayment(ctx, p); err != nil {
				return err
			}
			c.Status = "paid"
			if err := tx.UpdateCheckout(ctx, c); err != nil {
				return err
			}
			return tx.CreateEvent(ctx, &store.Event{ID: fmt.Sprintf("evt_%d", i), MerchantID: m.ID, Type: "checkout.paid",
				CheckoutID: c.ID, ObjectID: p.ID, Data: []byte("{}"), CreatedAt: fixture.T0})
		})
	})
	if paid := fixture.Won(t, errs, errNotOpen, "approval"); paid != 1 {
		t.Errorf("%d approvals paid the checkout", paid)
	}
	attempts, _ := s.AttemptsByCheckout(ctx, "cs_1")
	events, _ := s.Events(ctx, store.ListEvents{MerchantID: m.ID, Type: "checkout.paid", Limit: 100})
	if _, err := s.PaymentByCheckout(ctx, "cs_1"); err != nil || len(attempts) != 1 || len(events) != 1 {
		t.Errorf("payment: %v; %d attempts, %d checkout.paid events; want one of each", err, len(attempts), len(events))
	}
}

var errTooMuch = errors.New("more than is left")

// testRacingRefunds: refunds asked at once never add up to more than the payment, and each
// one's outcome, settled twice at once, counts once.
func testRacingRefunds(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	fixture.NewCheckout(t, s, m, "cs_1", fixture.T0)
	err := s.Transact(ctx, func(tx store.Tx) error {
		if err := tx.CreateAttempt(ctx, fixture.Attempt("att_1", "cs_1", "T1")); err != nil {
			return err
		}
		return tx.CreatePayment(ctx, &store.Payment{ID: "pay_1", CheckoutID: "cs_1", AttemptID: "att_1", MerchantID: m.ID,
			Amount: 10000, Method: "MONEY", ApprovedAt: fixture.T0, CreatedAt: fixture.T0})
	})
	if err != nil {
		t.Fatal(err)
	}
	const n, amount = 10, 1500
	// Ask: what is left is the amount less every refund not failed.
	asked := fixture.Race(n, func(i int) error {
		return s.Transact(ctx, func(tx store.Tx) error {
			p, err := tx.LockPayment(ctx, "pay_1")
			if err != nil {
				return err
			}
			refunds, err := tx.RefundsByPayment(ctx, p.ID)
			if err != nil {
				return err
			}
			left := p.Amount
			for _, r := range refunds {
				if r.Status != "failed" {
					left -= r.Amount
				}
			}
			if amount > left {
				return errTooMuch
			}
			return tx.CreateRefund(ctx, &store.Refund{ID: fmt.Sprintf("re_%d", i), PaymentID: p.ID, MerchantID: m.ID,
				Amount: amount, Status: "pending", CreatedAt: fixture.T0, UpdatedAt: fixture.T0})
		})
	})
	var made []string
	for i, err := range asked {
		switch {
		case err == nil:
			made = append(made, fmt.Sprintf("re_%d", i))
		case !errors.Is(err, errTooMuch):
			t.Errorf("refund %d: %v", i, err)
		}
	}
	if len(made) != 10000/amount {
		t.Errorf("%d refunds of %d made on 10000", len(made), amount)
	}
	// Settle: each refund twice at once, as two reconcilers would; the refund is read unlocked,
	// as finishRefund reads it.
	settled := fixture.Race(2*len(made), func(i int) error {
		return s.Transact(ctx, func(tx store.Tx) error {
			r, err := tx.Refund(ctx, made[i/2])
			if err != nil || r.Status != "pending" {
				return err
			}
			p, err := tx.LockPayment(ctx, r.PaymentID)
			if err != nil {
				return err
			}
			r.Status, r.UpdatedAt = "succeeded", fixture.T0.Add(time.Minute)
			if err := tx.UpdateRefund(ctx, r); err != nil {
				return err
			}
			p.RefundedAmount += r.Amount
			return tx.UpdatePayment(ctx, p)
		})
	})
	for i, err := range settled {
		if err != nil {
			t.Errorf("settling %s: %v", made[i/2], err)
		}
	}
	if p, err := s.Payment(ctx, "pay_1"); err != nil || p.RefundedAmount != int64(len(made)*amount) {
		t.Errorf("refunded %d (%v), want %d", p.RefundedAmount, err, len(made)*amount)
	}
}

// testConcurrentIdempotencyKeys: requests with one new Idempotency-Key at once, each reading
// the key and creating it when absent, as ReserveIdempotencyKey does: one holds it, the others
// read its row; none fails. Several keys, so that the race is run more than once.
func testConcurrentIdempotencyKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	const keys, n = 8, 8
	var mu sync.Mutex
	holders := map[string][]string{} // key: the owners that created it
	errs := fixture.Race(keys*n, func(i int) error {
		key, owner := fmt.Sprintf("k%d", i%keys), fmt.Sprintf("req_%d", i)
		var created bool
		err := s.Transact(ctx, func(tx store.Tx) error {
			_, err := tx.IdempotencyKey(ctx, m.ID, key)
			if created = errors.Is(err, store.ErrNotFound); !created {
				return err
			}
			return tx.CreateIdempotencyKey(ctx, &store.IdempotencyKey{MerchantID: m.ID, Key: key, RequestHash: "h", Owner: owner, CreatedAt: fixture.T0})
		})
		if err == nil && created {
			mu.Lock()
			holders[key] = append(holders[key], owner)
			mu.Unlock()
		}
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	for i := range keys {
		key := fmt.Sprintf("k%d", i)
		k, err := s.IdempotencyKey(ctx, m.ID, key)
		if err != nil || len(holders[key]) != 1 || holders[key][0] != k.Owner {
			t.Errorf("%s: created by %v; its owner %+v (%v); want one, the same", key, holders[key], k, err)
		}
	}
}

// testConcurrentClaims: workers claiming the outbox at once claim each due delivery once, and
// of a checkout's deliveries to an endpoint only the oldest pending one.
func testConcurrentClaims(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	err := s.Transact(ctx, func(tx store.Tx) error {
		err := tx.CreateWebhookEndpoint(ctx, &store.WebhookEndpoint{ID: "we_1", MerchantID: m.ID, URL: "https://shop.example/hook",
			EnabledEvents: []string{"*"}, Secret: "whsec_x", CreatedAt: fixture.T0, UpdatedAt: fixture.T0})
		if err != nil {
			return err
		}
		for i := range 33 {
			checkoutID := fmt.Sprintf("cs_%d", i)
			if i >= 30 {
				checkoutID = "cs_same" // three events of one checkout: the first goes alone
			}
			err := tx.CreateEvent(ctx, &store.Event{ID: fmt.Sprintf("evt_%02d", i), MerchantID: m.ID, Type: "checkout.created",
				CheckoutID: checkoutID, ObjectID: checkoutID, Data: []byte("{}"), CreatedAt: fixture.T0.Add(time.Duration(i) * time.Millisecond)})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	now := fixture.T0.Add(time.Minute)
	var mu sync.Mutex
	claimed := map[string]int{}
	errs := fixture.Race(6, func(int) error {
		for {
			var got []*store.Delivery
			err := s.Transact(ctx, func(tx store.Tx) (err error) {
				got, err = tx.ClaimDeliveries(ctx, now, time.Minute, 4, 100)
				return err
			})
			if err != nil || len(got) == 0 {
				return err
			}
			mu.Lock()
			for _, d := range got {
				claimed[d.EventID]++
			}
			mu.Unlock()
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
	if len(claimed) != 31 || claimed["evt_31"]+claimed["evt_32"] != 0 || claimed["evt_30"] != 1 {
		t.Errorf("%d deliveries claimed (%v), want 31: evt_00 to evt_30", len(claimed), claimed)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("%s claimed %d times", id, n)
		}
	}
}

var errLastOwner = errors.New("the last owner")

// testRacingOwnerRemovals: owners removed or made staff at once, each after checking on
// LockUsers that another owner stays, never leave a merchant without one.
func testRacingOwnerRemovals(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := fixture.Merchant(t, s, "mer_1")
	const n = 4
	for i := range n {
		u := &store.User{ID: fmt.Sprintf("usr_%d", i), MerchantID: m.ID, Email: fmt.Sprintf("owner%d@shop.example", i),
			PasswordHash: "$argon2id$x", Role: "owner", CreatedAt: fixture.T0, PasswordChangedAt: fixture.T0}
		fixture.Write(t, s, store.Tx.CreateUser, u)
	}
	errs := fixture.Race(n, func(i int) error {
		return s.Transact(ctx, func(tx store.Tx) error {
			users, err := tx.LockUsers(ctx, m.ID)
			if err != nil {
				return err
			}
			var me *store.User
			owners := 0
			for _, u := range users {
				if u.Role == "owner" {
					owners++
				}
				if u.ID == fmt.Sprintf("usr_%d", i) {
					me = u
				}
			}
			if me == nil || me.Role != "owner" || owners < 2 {
				return errLastOwner
			}
			if i%2 == 0 {
				return tx.DeleteUser(ctx, me.ID)
			}
			staff := *me
			staff.Role = "staff"
			return tx.UpdateUser(ctx, &staff)
		})
	})
	done := fixture.Won(t, errs, errLastOwner, "removal")
	users, err := s.Users(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	owners := 0
	for _, u := range users {
		if u.Role == "owner" {
			owners++
		}
	}
	if owners != 1 || done != n-1 {
		t.Errorf("%d owners left after %d of %d removals", owners, done, n)
	}
}
