package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/kpcheckout/kpcheckout/store/storetest"
)

// A merchant's one API key from before api_keys moves there unchanged, so it keeps working.
func TestMigrationMovesTheMerchantKey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kp.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	const before = 6 // the schema up to the users table
	for i, m := range migrations[:before] {
		if _, err := migrateOne(ctx, raw, i+1, m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := raw.ExecContext(ctx, `INSERT INTO merchants (id, name, api_key_prefix, api_key_hash, livemode, webhook_url,
		webhook_secret, cid, subscription_cid, min_amount, max_amount, created_at) VALUES
		('mer_old', '오래된 상점', 'sk_test_OLDOLDOL', x'0102', 0, '', 'whsec_x', 'TC0ONETIME', 'TCSUBSCRIP', 100, 2000000, 1764147600000)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.CheckMovedMerchantKey(t, db)
}
