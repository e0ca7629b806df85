package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// Group commit must leave SQLite's automatic checkpoints working: the WAL stays bounded under a
// stream of concurrent writes. (Checkpointing beside the writer with PASSIVE let it reach 171 MB.)
func TestWALStaysBounded(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	mustDo(t, createMerchant(ctx, db, "mer_1"))
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1500 {
				id := fmt.Sprintf("cs_%d_%05d", w, i)
				err := db.Transact(ctx, func(tx store.Tx) error {
					return tx.CreateCheckout(ctx, &store.Checkout{ID: id, MerchantID: "mer_1", Mode: "payment", Status: "open",
						Amount: 1000, Currency: "KRW", Reference: id, ExpiresAt: at, CreatedAt: at, UpdatedAt: at})
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	// 12,000 checkouts are some 2,000 pages of table and index; SQLite's own default
	// checkpoints every 1,000 pages (4 MB).
	if fi.Size() > 16<<20 {
		t.Errorf("WAL grew to %d MB after 12,000 commits", fi.Size()>>20)
	}
	t.Logf("WAL %d KB", fi.Size()>>10)
}
