package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchPostgresSmoke runs the PostgreSQL scenarios briefly with one and two instances on a
// private server: the table and the report must be whole and no request may fail.
func TestBenchPostgresSmoke(t *testing.T) {
	bin := buildServer(t)
	report := filepath.Join(t.TempDir(), "bench-postgres.md")
	var out bytes.Buffer
	err := run(context.Background(), []string{"-server", bin, "-db", "postgres", "-duration", "300ms", "-out", report}, &out)
	if err != nil {
		t.Fatal(err)
	}
	table := out.String()
	if n := strings.Count(table, "\n| "); n != 7 {
		t.Errorf("%d rows in the table, want 7:\n%s", n, table)
	}
	// A request that failed is counted and said; a 300 ms window on a busy machine may end
	// before one whole flow does, so a rate of 0/s alone is no failure.
	if strings.Contains(table, "failed") {
		t.Errorf("a scenario failed:\n%s", table)
	}
	written, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(written), "PostgreSQL 1") || !strings.Contains(string(written), table) {
		t.Errorf("the report lacks the server's version or the table:\n%s", written)
	}
}
