package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/postgres"
)

// listening runs db's listener until the test ends and returns what it hears, once it listens.
func listening(t *testing.T, db *postgres.DB) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	heard, ready, done := make(chan string, 16), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- db.Listen(ctx, func() { close(ready) }, func(id string) { heard <- id })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Listen: %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Listen: %v", err)
	}
	return heard
}

// A checkout changed through one instance's store is heard by another's listener, once per
// transaction and only when it commits; an instance does not hear its own changes.
func TestListenHearsOtherInstancesCommits(t *testing.T) {
	ctx := context.Background()
	url := pg.Database(t)
	a, b := openURL(t, url), openURL(t, url)
	heardA, heardB := listening(t, a), listening(t, b)

	m := &store.Merchant{ID: "mer_1", Name: "상점", WebhookSecret: "whsec_x", CID: "TC0ONETIME", MinAmount: 100, MaxAmount: 2000000, CreatedAt: time.Now()}
	c := &store.Checkout{ID: "cs_1", MerchantID: m.ID, Mode: "payment", Status: "open", Amount: 11000, Currency: "KRW",
		ExpiresAt: time.Now().Add(time.Hour), CreatedAt: time.Now(), UpdatedAt: time.Now()}
	err := b.Transact(ctx, func(tx store.Tx) error {
		if err := tx.CreateMerchant(ctx, m); err != nil {
			return err
		}
		return tx.CreateCheckout(ctx, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	rollback := errors.New("changed my mind")
	if err := b.Transact(ctx, func(tx store.Tx) error {
		c.Status = "expired"
		if err := tx.UpdateCheckout(ctx, c); err != nil {
			return err
		}
		return rollback
	}); !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	if err := b.Transact(ctx, func(tx store.Tx) error {
		c.Status = "expired"
		if err := tx.UpdateCheckout(ctx, c); err != nil {
			return err
		}
		return tx.CreateEvent(ctx, &store.Event{ID: "evt_1", MerchantID: m.ID, Type: "checkout.expired", CheckoutID: c.ID, ObjectID: c.ID, Data: []byte("{}"), CreatedAt: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}

	select {
	case id := <-heardA:
		if id != c.ID {
			t.Fatalf("a heard %q, want %q", id, c.ID)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a heard nothing")
	}
	select {
	case id := <-heardA:
		t.Errorf("a heard %q again: the rolled-back try or a second announcement of one commit", id)
	case id := <-heardB:
		t.Errorf("b heard its own change of %q", id)
	case <-time.After(300 * time.Millisecond):
	}
}
