package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// row is one line of the table.
type row struct{ scenario, figure, baseline, ratio, target string }

func renderTable(rows []row) string {
	var b strings.Builder
	b.WriteString("| scenario | kpcheckout | baseline (same run) | ratio | target |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.scenario, r.figure, r.baseline, r.ratio, r.target)
	}
	return b.String()
}

// writeReport writes the table with how it was made to path.
func writeReport(o options, args []string, table string) error {
	var b strings.Builder
	b.WriteString("# Benchmarks\n\nThe latest `make bench` on the development machine. Every ratio compares with a baseline measured in\n" +
		"the same run on the same machine, so the ratios travel better than the absolute figures.\n\n")
	fmt.Fprintf(&b, "- command: `make bench` (`go run ./cmd/kpbench %s`)\n", strings.Join(args, " "))
	fmt.Fprintf(&b, "- machine: %s, %d cores, %s, %s\n", cpuModel(), runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format("2006-01-02"))
	b.WriteString("- server: `kpcheckout serve` in sandbox mode on loopback, SQLite in WAL mode with `synchronous=NORMAL`, log level warn;\n" +
		"  the load generator runs on the same machine and takes its share of the 2 cores\n\n")
	b.WriteString(table)
	return os.WriteFile(o.out, []byte(b.String()), 0o644)
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return runtime.GOARCH
}

func perSec(r result) string {
	s := fmt.Sprintf("%.0f/s", r.rate())
	if r.failed > 0 {
		s += fmt.Sprintf(" (%d failed)", r.failed)
	}
	return s
}

func ratio(a, b float64) string {
	if b == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func mb(n int64) string { return fmt.Sprintf("%.0f MB", float64(n)/(1<<20)) }
