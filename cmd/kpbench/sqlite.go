package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite"
)

// sqliteInserts is the create baseline: one goroutine inserting a checkout-sized row per
// transaction for d, with the pragmas kpcheckout's store uses. It answers inserts a second.
func sqliteInserts(ctx context.Context, path string, d time.Duration) (float64, error) {
	pragmas := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		pragmas.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+pragmas.Encode()+"&_txlock=immediate")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE checkouts (id TEXT PRIMARY KEY, merchant_id TEXT NOT NULL, mode TEXT NOT NULL,
		status TEXT NOT NULL, amount INTEGER NOT NULL, tax_free_amount INTEGER NOT NULL, currency TEXT NOT NULL, reference TEXT NOT NULL,
		description TEXT NOT NULL, items TEXT NOT NULL, customer_name TEXT NOT NULL, customer_email TEXT NOT NULL,
		success_url TEXT NOT NULL, failure_url TEXT NOT NULL, locale TEXT NOT NULL, metadata TEXT NOT NULL,
		expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`); err != nil {
		return 0, err
	}
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		now := time.Now().UnixMilli()
		_, err = tx.ExecContext(ctx, `INSERT INTO checkouts VALUES (?, ?, 'payment', 'open', 11000, 0, 'KRW', 'BENCH', '', '[]', '', '',
			'http://127.0.0.1/ok', 'http://127.0.0.1/no', 'ko', '{}', ?, ?, ?)`, fmt.Sprintf("cs_%022d", n), "mer_bench", now+3600000, now, now)
		if err != nil {
			tx.Rollback()
			return 0, err
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
