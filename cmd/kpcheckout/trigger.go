package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kpcheckout/kpcheckout/cmd/kpcheckout/devclient"
)

// triggerCommand serves `kpcheckout trigger EVENT`: it makes the event happen in test mode,
// through the API and the sandbox's wallet, as a shopper and a merchant would.
func triggerCommand(ctx context.Context, c *cli, args []string) error {
	fs, flags := apiFlags("trigger", c)
	event, args := leadingArg(args)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if event == "" && fs.NArg() > 0 {
		event = fs.Arg(0)
	}
	if event == "" {
		return fmt.Errorf("which event? kpcheckout trigger EVENT, one of: %s", strings.Join(devclient.Triggerable(), ", "))
	}
	if !slices.Contains(devclient.Triggerable(), event) {
		if why, known := devclient.NotTriggered()[event]; known {
			return fmt.Errorf("trigger cannot make %s: %s", event, why)
		}
		return unknown("event", event, append(devclient.Triggerable(), slices.Collect(maps.Keys(devclient.NotTriggered()))...), "kpcheckout help trigger")
	}
	api, err := flags.client()
	if err != nil {
		return err
	}
	if err := api.TestMerchant(ctx, "trigger"); err != nil {
		return err
	}
	did, err := api.Trigger(ctx, event)
	if err != nil {
		return fmt.Errorf("trigger %s: %w", event, err)
	}
	fmt.Fprintf(c.stdout, "Triggered %s: %s\n", event, did)
	return nil
}

// checkoutPayCommand serves `kpcheckout checkout pay ID --approve|--cancel|--fail`: the
// sandbox's wallet acts on a test checkout as a shopper would.
func checkoutPayCommand(ctx context.Context, c *cli, args []string) error {
	fs, flags := apiFlags("checkout pay", c)
	approve := fs.Bool("approve", false, "the shopper approves: the checkout is paid")
	cancel := fs.Bool("cancel", false, "the shopper closes the wallet: the attempt ends canceled, the checkout stays open")
	fail := fs.Bool("fail", false, "the wallet fails: the attempt ends failed, the checkout stays open")
	id, args := leadingArg(args)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if id == "" && fs.NArg() > 0 {
		id = fs.Arg(0)
	}
	actions := map[string]bool{"approve": *approve, "cancel": *cancel, "fail": *fail}
	var action string
	for name, on := range actions {
		if on {
			if action != "" {
				return errors.New("give one of --approve, --cancel and --fail")
			}
			action = name
		}
	}
	switch {
	case id == "":
		return errors.New("which checkout? kpcheckout checkout pay cs_… --approve")
	case action == "":
		return errors.New("what does the shopper do? give --approve, --cancel or --fail")
	}
	api, err := flags.client()
	if err != nil {
		return err
	}
	if err := api.TestMerchant(ctx, "checkout pay"); err != nil {
		return err
	}
	did, err := api.Pay(ctx, id, action)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, did)
	return nil
}

// leadingArg splits off a first argument that is not a flag (EVENT, ID).
func leadingArg(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}
