// Command kpcheckout runs the hosted KakaoPay checkout: `kpcheckout serve` (the default),
// `kpcheckout migrate`, `kpcheckout backup FILE`, `kpcheckout merchant create` and `kpcheckout version`.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "kpcheckout:", err)
		os.Exit(1)
	}
}
