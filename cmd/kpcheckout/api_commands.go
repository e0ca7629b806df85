package main

import (
	"strings"

	"github.com/kpcheckout/kpcheckout/cmd/kpcheckout/devclient"
)

// apiCommands talk to a running server over its API, with --url and --api-key.
func apiCommands() []command {
	return []command{
		{name: "listen", summary: "forward the merchant's new events to a URL, signed as webhooks are",
			usage: "--forward-to URL [--events a,b] [--timeout 10s] [--url U] [--api-key K]", required: []string{"forward-to"},
			about: "It prints a whsec_ secret made for this session and signs each event with it (Kpcheckout-Signature\n" +
				"and the Standard Webhooks headers), one line per event with the receiver's answer. While the server\n" +
				"does not answer (a restart) it says so and goes on from the last event it forwarded; while the\n" +
				"receiver does not answer it says so and tries the same event again, the next ones after it, until\n" +
				"it answers. Any answer counts: a 500 is printed, not retried.",
			examples: []string{"kpcheckout listen --forward-to http://localhost:4242/hooks",
				"KPCHECKOUT_URL=https://pay-test.shop.example kpcheckout listen --api-key sk_test_… --forward-to http://localhost:4242/hooks --events checkout.paid,refund.succeeded"},
			run: listenCommand},
		{name: "trigger", summary: "make an event happen in test mode, through the sandbox's wallet",
			usage:    "EVENT [--url U] [--api-key K]",
			about:    "EVENT is one of: " + joinLines(devclient.Triggerable(), ", ", 100) + ".\nIt needs a test key and a server in sandbox mode.",
			examples: []string{"kpcheckout trigger checkout.paid", "kpcheckout trigger refund.succeeded --url http://127.0.0.1:8080 --api-key sk_test_…"},
			run:      triggerCommand},
		{name: "events", summary: "print the merchant's newest events, or follow them as they come",
			usage:    "[--follow] [--limit N] [--type T] [--checkout ID] [--json] [--url U] [--api-key K]",
			examples: []string{"kpcheckout events", "kpcheckout events --follow --type checkout.paid", "kpcheckout events --checkout cs_… --json"},
			run:      eventsCommand},
		{name: "checkout pay", summary: "pay a test checkout through the sandbox's wallet, or cancel or fail it there",
			usage:    "ID --approve|--cancel|--fail [--url U] [--api-key K]",
			examples: []string{"kpcheckout checkout pay cs_… --approve", "kpcheckout checkout pay cs_… --fail"},
			run:      checkoutPayCommand},
	}
}

// joinLines joins list with sep, breaking lines before width characters.
func joinLines(list []string, sep string, width int) string {
	out, line := "", ""
	for i, s := range list {
		if i < len(list)-1 {
			s += sep
		}
		if line != "" && len(line)+len(s) > width {
			out += strings.TrimSpace(line) + "\n"
			line = ""
		}
		line += s
	}
	return out + line
}
