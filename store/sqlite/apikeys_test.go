package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kpcheckout/kpcheckout/store/storetest"
)

// A merchant's one API key from before api_keys moves there unchanged, so it keeps working.
func TestMigrationMovesTheMerchantKey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kp.db")
	const before = 6 // the schema up to the users table
	err := MigrateTo(ctx, path, before, func(exec func(query string, args ...any) error) error {
		return exec(`INSERT INTO merchants (id, name, api_key_prefix, api_key_hash, livemode, webhook_url,
		webhook_secret, cid, subscription_cid, min_amount, max_amount, created_at) VALUES
		('mer_old', '오래된 상점', 'sk_test_OLDOLDOL', x'0102', 0, '', 'whsec_x', 'TC0ONETIME', 'TCSUBSCRIP', 100, 2000000, 1764147600000)`)
	})
	if err != nil {
		t.Fatal(err)
	}

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.CheckMovedMerchantKey(t, db)
}
