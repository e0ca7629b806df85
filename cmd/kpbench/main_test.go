package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain lets the test binary play the bare baseline server, as kpbench re-runs itself for it.
func TestMain(m *testing.M) {
	for i, a := range os.Args {
		if a == "-bare" && i+1 < len(os.Args) {
			if err := serveBare(context.Background(), os.Args[i+1], os.Stdout); err != nil {
				os.Exit(1)
			}
			os.Exit(0)
		}
	}
	os.Exit(m.Run())
}

// TestBenchSmoke runs every scenario briefly against the real server: the table must be whole
// and nothing may fail. It asserts no speed; make bench measures that.
func TestBenchSmoke(t *testing.T) {
	bin := buildServer(t)
	var out bytes.Buffer
	err := run(context.Background(), []string{"-server", bin, "-duration", "300ms", "-waiters", "50", "-approvals", "10", "-settle", "200ms",
		"-out", filepath.Join(t.TempDir(), "bench.md")}, &out)
	if err != nil {
		t.Fatal(err)
	}
	table := out.String()
	if n := strings.Count(table, "\n| "); n != 11 {
		t.Errorf("%d rows in the table, want 11:\n%s", n, table)
	}
	// The waits' live heap is read from both processes, so that their RSS can be read against it.
	if line := tableLine(table, "| live heap"); !strings.Contains(line, "bare: ") || !strings.Contains(line, "×") {
		t.Errorf("no live heap of both servers: %s", line)
	}
	if strings.Contains(table, "failed") || strings.Contains(table, "woke)") {
		t.Errorf("a scenario failed:\n%s", table)
	}
	// Both pages are read against a bare net/http server sending the same bytes, in the same run.
	for _, page := range []string{"| desktop page", "| phone page"} {
		if line := tableLine(table, page); !strings.Contains(line, "bare net/http HTML page") || !strings.Contains(line, "×") {
			t.Errorf("the %s row has no bare page baseline and ratio: %q", page, line)
		}
	}
	if line := tableLine(table, "| whole sandbox flows"); !strings.Contains(line, "≥ 800/s") {
		t.Errorf("the flows row has no target: %q", line)
	}

	// A second run keeps the report's earlier runs, written below their heading.
	report := filepath.Join(t.TempDir(), "bench.md")
	if err := os.WriteFile(report, []byte("old table\n\n## Earlier runs\n\nrun 1: 5/s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := options{out: report, load: "1.00"}
	if err := writeReport(o, nil, table); err != nil {
		t.Fatal(err)
	}
	written, _ := os.ReadFile(report)
	if !strings.Contains(string(written), table+"\n## Earlier runs\n\nrun 1: 5/s\n") || strings.Contains(string(written), "old table") ||
		!strings.Contains(string(written), "load average (1 min) as the run began, other jobs included: 1.00") {
		t.Errorf("the report after a second run:\n%s", written)
	}
}

// tableLine is the line of table that starts with prefix, or "".
func tableLine(table, prefix string) string {
	for _, line := range strings.Split(table, "\n") {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}

// buildServer builds the kpcheckout binary into a temporary folder.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kpcheckout")
	if out, err := exec.Command("go", "build", "-o", bin, "../kpcheckout").CombinedOutput(); err != nil {
		t.Fatalf("building the server: %v\n%s", err, out)
	}
	return bin
}
