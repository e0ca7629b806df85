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
		"  the load generator runs on the same machine and takes its share of the 2 cores\n")
	fmt.Fprintf(&b, "- load average (1 min) as the run began, other jobs included: %s; µs CPU each is the server process's\n"+
		"  CPU time over the scenario divided by the operations, which other jobs on the machine disturb less than rates\n", o.load)
	b.WriteString("- what the figures mean for several instances and bigger shops: [scaling.md](scaling.md)\n\n")
	b.WriteString(table)
	b.WriteString(earlierRuns(o.out))
	return os.WriteFile(o.out, []byte(b.String()), 0o644)
}

// earlierRunsHeading starts the part of the report a new run keeps: notes and tables of earlier
// runs, written by hand.
const earlierRunsHeading = "\n## Earlier runs"

// earlierRuns is what the report at path holds from earlierRunsHeading on, or "".
func earlierRuns(path string) string {
	old, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if i := strings.Index(string(old), earlierRunsHeading); i >= 0 {
		return string(old[i:])
	}
	return ""
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

// cpuEach is the server's CPU time per operation, when it was measured.
func cpuEach(r result) string {
	if r.cpu == 0 || r.n == 0 {
		return ""
	}
	return fmt.Sprintf(", %.0f µs CPU each", float64(r.cpu)/float64(r.n)/float64(time.Microsecond))
}

func ratio(a, b float64) string {
	if b == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func mb(n int64) string { return fmt.Sprintf("%.0f MB", float64(n)/(1<<20)) }
