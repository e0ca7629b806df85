package sqlite_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/sqlite"
)

// A backup of a database in use is a single file that opens as a database with what was
// committed; it refuses to overwrite a file unless asked, to copy the database onto itself, and
// says why a place cannot hold it.
func TestBackup(t *testing.T) {
	ctx := context.Background()
	db, src := openTemp(t)
	dir := filepath.Dir(src)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	err := db.Transact(ctx, func(tx store.Tx) error {
		if err := tx.CreateMerchant(ctx, &store.Merchant{ID: "mer_1", Name: "카페", CreatedAt: now}); err != nil {
			return err
		}
		return tx.CreateCheckout(ctx, &store.Checkout{ID: "cs_1", MerchantID: "mer_1", Mode: "payment", Status: "open",
			Amount: 1000, Currency: "KRW", ExpiresAt: now, CreatedAt: now, UpdatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(dir, "backups", "kp-1.db")
	if err := os.Mkdir(filepath.Dir(dest), 0o755); err != nil {
		t.Fatal(err)
	}
	info, err := sqlite.Backup(ctx, src, dest, false)
	if err != nil {
		t.Fatal(err)
	}
	if info.Path != dest || info.Version != len(sqlite.Migrations()) || info.Merchants != 1 || info.Checkouts != 1 ||
		info.Payments != 0 || info.Size == 0 {
		t.Errorf("backup info %+v", info)
	}
	if entries, _ := os.ReadDir(filepath.Dir(dest)); len(entries) != 1 {
		t.Errorf("the backup's directory holds %d files, want the backup alone", len(entries))
	}
	copied, err := sqlite.Open(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := copied.Checkout(ctx, "cs_1"); err != nil || c.MerchantID != "mer_1" {
		t.Errorf("the copy's checkout: %+v %v", c, err)
	}
	copied.Close()
	if _, err := sqlite.Backup(ctx, src, dest, false); !errors.Is(err, fs.ErrExist) {
		t.Errorf("a second backup to the same file: %v", err)
	}
	if _, err := sqlite.Backup(ctx, src, dest, true); err != nil {
		t.Errorf("replacing the backup: %v", err)
	}
	for _, tc := range []struct{ src, dest, want string }{
		{src, src, "is the database itself"},
		{filepath.Join(dir, "none.db"), filepath.Join(dir, "x.db"), "there is no database"},
		{src, filepath.Join(dir, "missing", "x.db"), "does not exist"},
		{src, filepath.Join(src, "x.db"), "is not a directory"},
	} {
		if _, err := sqlite.Backup(ctx, tc.src, tc.dest, false); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("backup of %s to %s: %v, want %q", tc.src, tc.dest, err, tc.want)
		}
	}
}
