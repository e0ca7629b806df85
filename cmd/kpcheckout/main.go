// Command kpcheckout runs the hosted KakaoPay checkout (`kpcheckout serve`), manages its database
// (`migrate`, `backup`, `merchant`, `user`, `checkout create`, `webhook`), and talks to a running
// server over its API (`listen`, `trigger`, `events`, `checkout pay`); `kpcheckout help` lists them.
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
	c := &cli{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	if err := runWith(ctx, os.Args[1:], c); err != nil {
		fmt.Fprintln(os.Stderr, "kpcheckout:", err)
		os.Exit(1)
	}
}
