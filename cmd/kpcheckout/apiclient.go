package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/kpcheckout/kpcheckout/cmd/kpcheckout/devclient"
)

// defaultURL is where the API commands look for a server when neither --url nor KPCHECKOUT_URL
// says.
const defaultURL = "http://127.0.0.1:8080"

// apiTarget is the server and the key an API command calls, as --url and --api-key say.
type apiTarget struct {
	base   string
	key    string
	envKey string
}

// apiFlags is the flag set of the API command name (newFlagSet, printing on c's stdout) with
// --url and --api-key, their defaults from KPCHECKOUT_URL and KPCHECKOUT_API_KEY; the target's
// client checks them once the set is parsed.
func apiFlags(name string, c *cli) (*flag.FlagSet, *apiTarget) {
	fs := newFlagSet(name, c.stdout)
	t := &apiTarget{}
	base := c.getenv("KPCHECKOUT_URL")
	if base == "" {
		base = defaultURL
	}
	fs.StringVar(&t.base, "url", base, "the kpcheckout server (KPCHECKOUT_URL)")
	fs.StringVar(&t.key, "api-key", "", "the merchant's API key, sk_test_… (default: KPCHECKOUT_API_KEY)")
	t.envKey = c.getenv("KPCHECKOUT_API_KEY") // not the flag's default: help would show it
	return fs, t
}

// client checks the flags (a key is needed) and makes the client that calls the server.
func (t *apiTarget) client() (*devclient.Client, error) {
	base := strings.TrimRight(t.base, "/")
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, fmt.Errorf("--url %q: give the server's http(s) address, e.g. %s", base, defaultURL)
	}
	key := t.key
	if key == "" {
		key = t.envKey
	}
	if key == "" {
		return nil, errors.New("--api-key is required (or KPCHECKOUT_API_KEY): the test key kpcheckout serve printed, or one made on the dashboard's API keys page")
	}
	return devclient.New(base, key), nil
}
