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
	if n := strings.Count(table, "\n| "); n != 9 {
		t.Errorf("%d rows in the table, want 9:\n%s", n, table)
	}
	// Create is read against a pgx insert loop on the same server in the same run.
	if line := tableLine(table, "| create ÷ pgx insert loop"); strings.Count(line, "×") < 2 {
		t.Errorf("no create ratio to the pgx insert loop for one and two instances: %q", line)
	}
	if line := tableLine(table, "| whole sandbox flows"); !strings.Contains(line, "≥ 800/s") {
		t.Errorf("the flows row has no target: %q", line)
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
