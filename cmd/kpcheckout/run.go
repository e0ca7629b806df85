package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/app"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/postgres"
	"github.com/kpcheckout/kpcheckout/store/sqlite"
	"github.com/kpcheckout/kpcheckout/webhook"
)

// version is set by the build (-ldflags "-X main.version=…").
var version = "dev"

// sandboxSecretKey is what kpcheckout's own client sends to the built-in sandbox, which takes any
// key.
const sandboxSecretKey = "kpcheckout-sandbox-secret-key"

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// openStore opens the database the configuration names, bringing its schema up to date.
func openStore(ctx context.Context, cfg *Config) (store.Store, error) {
	backend, target, err := cfg.database()
	if err != nil {
		return nil, err
	}
	if backend == backendPostgres {
		db, err := postgres.Open(ctx, target)
		if err != nil {
			return nil, fmt.Errorf("%w (KPCHECKOUT_DATABASE_URL=%s)", err, cfg.databaseName())
		}
		return db, nil
	}
	db, err := sqlite.Open(ctx, target)
	if newer := (*store.NewerSchemaError)(nil); errors.As(err, &newer) {
		return nil, err // the place is right: the advice below would mislead
	}
	if err != nil {
		return nil, fmt.Errorf("%w (KPCHECKOUT_DATABASE_URL=sqlite:PATH keeps it elsewhere)", err)
	}
	return db, nil
}

// createMerchant serves `kpcheckout merchant create`, printing {"id","api_key","webhook_secret"}.
func createMerchant(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("merchant create", stdout)
	name := fs.String("name", "", "the merchant's display name, shown to shoppers (required)")
	webhook := fs.String("webhook-url", "", "where events are POSTed")
	cid := fs.String("cid", kakaopay.TestCID, "KakaoPay CID for one-time payments")
	subCID := fs.String("subscription-cid", kakaopay.TestSubscriptionCID, "KakaoPay CID for recurring payments")
	live := fs.Bool("live", false, "issue a live key (sk_live_…) for use with real KakaoPay credentials")
	svc, done, err := offline(ctx, fs, newConfig(fs, getenv), args)
	if err != nil {
		return err
	}
	defer done()
	twins, err := svc.Merchants.IDsByName(ctx, strings.TrimSpace(*name))
	if err != nil {
		return err
	}
	cm, err := svc.Merchants.Create(ctx, accounts.MerchantParams{Name: *name, WebhookURL: *webhook, CID: *cid, SubscriptionCID: *subCID, Livemode: *live})
	if err != nil {
		return cliError(err)
	}
	if len(twins) > 0 {
		others := "another merchant is"
		if len(twins) > 1 {
			others = fmt.Sprintf("%d other merchants are", len(twins))
		}
		fmt.Fprintf(stderr, "note: %s named %q too (%s): --merchant needs this one's id, %s\n",
			others, cm.Merchant.Name, strings.Join(twins, ", "), cm.Merchant.ID)
	}
	return printJSON(stdout, map[string]string{"id": cm.Merchant.ID, "api_key": cm.APIKey, "webhook_secret": cm.WebhookSecret})
}

// updateMerchant serves `kpcheckout merchant update`: the origins whose pages may frame the
// merchant's checkouts (an empty --embed-origins lets none).
func updateMerchant(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("merchant update", stdout)
	merchant := fs.String("merchant", demoMerchantName, "the merchant's name or id")
	var origins *[]string
	fs.Func("embed-origins", "comma-separated origins (https://shop.example) whose pages may frame the merchant's checkouts", func(v string) error {
		list := []string{}
		for o := range strings.SplitSeq(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				list = append(list, o)
			}
		}
		origins = &list
		return nil
	})
	svc, m, done, err := offlineMerchant(ctx, fs, newConfig(fs, getenv), args, merchant)
	if err != nil {
		return err
	}
	defer done()
	if origins != nil {
		if m, err = svc.Merchants.SetEmbedOrigins(ctx, m, *origins, nil); err != nil {
			return cliError(err)
		}
	}
	return printJSON(stdout, map[string]any{"id": m.ID, "name": m.Name, "embed_origins": m.EmbedOrigins})
}

// createCheckout serves `kpcheckout checkout create`: a checkout for the demo merchant (or the one
// named), printed as its URL, so that a first try needs no API call.
func createCheckout(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("checkout create", stdout)
	amount := fs.Int64("amount", 0, "the amount in won (default: what the items add up to)")
	var items []store.Item
	fs.Func("item", `an order line "name:quantity:unit_price", e.g. "아메리카노:2:4500" (repeatable)`, func(v string) error {
		it, err := parseItem(v)
		if err == nil {
			items = append(items, it)
		}
		return err
	})
	mode := fs.String("mode", checkout.ModePayment, "payment, or subscription (sets up recurring payments)")
	merchant := fs.String("merchant", demoMerchantName, "the merchant's name or id")
	reference := fs.String("reference", "", "the order number (default CLI-<time>)")
	locale := fs.String("locale", "", "the page's language: ko or en (default: the shopper's)")
	cfg := newConfig(fs, getenv)
	svc, done, err := offline(ctx, fs, cfg, args)
	if err != nil {
		return err
	}
	defer done()
	if *amount == 0 {
		for _, it := range items {
			*amount += it.Quantity * it.UnitPrice
		}
	}
	if *reference == "" {
		*reference = "CLI-" + time.Now().Format("20060102-150405")
	}
	m, err := findMerchant(ctx, svc, *merchant)
	if err != nil && *merchant == demoMerchantName {
		return fmt.Errorf("no merchant named %q in %s: start kpcheckout serve once (it makes the demo merchant) or create one with kpcheckout merchant create", *merchant, cfg.databaseName())
	}
	if err != nil {
		return err
	}
	c, err := svc.Checkouts.Create(ctx, m, checkout.CreateParams{
		Amount: *amount, Items: items, Mode: *mode, Reference: *reference, Locale: *locale,
		SuccessURL: cfg.BaseURL + "/c/{CHECKOUT_ID}", FailureURL: cfg.BaseURL + "/c/{CHECKOUT_ID}",
	})
	if err != nil {
		return cliError(err)
	}
	fmt.Fprintf(stdout, "%s/c/%s\n", cfg.BaseURL, c.ID)
	return nil
}

// parseItem reads "name:quantity:unit_price"; the name may hold colons itself.
func parseItem(v string) (store.Item, error) {
	i := strings.LastIndex(v, ":")
	j := strings.LastIndex(v[:max(i, 0)], ":")
	if i < 0 || j < 0 {
		return store.Item{}, fmt.Errorf("%q is not name:quantity:unit_price", v)
	}
	qty, err1 := strconv.ParseInt(v[j+1:i], 10, 64)
	price, err2 := strconv.ParseInt(v[i+1:], 10, 64)
	if err1 != nil || err2 != nil || v[:j] == "" {
		return store.Item{}, fmt.Errorf("%q is not name:quantity:unit_price with whole numbers", v)
	}
	return store.Item{Name: v[:j], Quantity: qty, UnitPrice: price}, nil
}

// webhookCommand serves `kpcheckout webhook create|list|update|delete`, printing JSON as the API
// answers it (the secret only when created).
func webhookCommand(ctx context.Context, verb string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("webhook "+verb, stdout)
	merchant := fs.String("merchant", demoMerchantName, "the merchant's name or id")
	var p webhook.EndpointParams
	if verb == "create" || verb == "update" {
		endpointFlags(fs, &p, verb == "update")
	}
	var id string
	if (verb == "update" || verb == "delete") && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if id == "" && (verb == "update" || verb == "delete") && !slices.ContainsFunc(args, isHelpFlag) {
		return fmt.Errorf("which endpoint? kpcheckout webhook %s we_… --merchant M (kpcheckout webhook list shows their ids)", verb)
	}
	svc, m, done, err := offlineMerchant(ctx, fs, newConfig(fs, getenv), args, merchant)
	if err != nil {
		return err
	}
	defer done()
	var out any
	switch verb {
	case "create":
		var ce *webhook.CreatedEndpoint
		if ce, err = svc.Endpoints.Create(ctx, m, p); err == nil {
			out = endpointOut(ce.Endpoint, ce.Secret)
		}
	case "list":
		var list []*store.WebhookEndpoint
		if list, err = svc.Endpoints.Endpoints(ctx, m); err == nil {
			all := []any{}
			for _, ep := range list {
				all = append(all, endpointOut(ep, ""))
			}
			out = all
		}
	case "update":
		var ep *store.WebhookEndpoint
		if ep, err = svc.Endpoints.Update(ctx, m, id, p); err == nil {
			out = endpointOut(ep, "")
		}
	case "delete":
		if err = svc.Endpoints.Delete(ctx, m, id); err == nil {
			out = map[string]any{"id": id, "deleted": true}
		}
	default:
		return fmt.Errorf("unknown command webhook %s", verb)
	}
	if err != nil {
		return cliError(err)
	}
	return printJSON(stdout, out)
}

// endpointFlags defines the flags that set an endpoint's fields; --disabled only for update.
func endpointFlags(fs *flag.FlagSet, p *webhook.EndpointParams, update bool) {
	fs.Func("url", "where events are POSTed: https (in sandbox mode also http, on this computer or a private network)", func(v string) error { p.URL = &v; return nil })
	fs.Func("description", "a note for you", func(v string) error { p.Description = &v; return nil })
	fs.Func("events", `event types, comma-separated, or "*" for all`, func(v string) error {
		p.EnabledEvents = strings.Split(v, ",")
		return nil
	})
	if update {
		fs.Func("disabled", "true stops deliveries to the endpoint (its events wait, up to 3 days), false sends what waited and resumes them", func(v string) error {
			b, err := strconv.ParseBool(v)
			p.Disabled = &b
			return err
		})
	}
}

func endpointOut(ep *store.WebhookEndpoint, secret string) map[string]any {
	out := map[string]any{"id": ep.ID, "url": ep.URL, "description": ep.Description, "enabled_events": ep.EnabledEvents,
		"disabled": ep.Disabled, "created_at": ep.CreatedAt}
	if secret != "" {
		out["secret"] = secret
	}
	return out
}

// offline parses a command's flags and opens the store and a service that never calls KakaoPay,
// for the commands that only read and write the database; done closes them.
func offline(ctx context.Context, fs *flag.FlagSet, cfg *Config, args []string) (svc *app.Services, done func(), err error) {
	if err := parseFlags(fs, args); err != nil {
		return nil, nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, nil, err
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	svc, err = app.New(app.Config{Store: db, KakaoPay: noKakaoPay{}, ReturnURL: web.ReturnURL(cfg.BaseURL), PageURL: web.PageURL(cfg.BaseURL),
		WebhookAllowPrivate: cfg.webhookAllowPrivate(), Sandbox: cfg.Sandbox()})
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return svc, func() { db.Close() }, nil
}

// offlineMerchant is offline for a command about one merchant, named (or identified) by the
// flag *merchant once the flags are parsed.
func offlineMerchant(ctx context.Context, fs *flag.FlagSet, cfg *Config, args []string, merchant *string) (*app.Services, *store.Merchant, func(), error) {
	svc, done, err := offline(ctx, fs, cfg, args)
	if err != nil {
		return nil, nil, nil, err
	}
	m, err := findMerchant(ctx, svc, *merchant)
	if err != nil {
		done()
		return nil, nil, nil, err
	}
	return svc, m, done, nil
}

// findMerchant finds a merchant by its id or, failing that, its display name, refusing a name
// that several merchants have.
func findMerchant(ctx context.Context, svc *app.Services, nameOrID string) (*store.Merchant, error) {
	m, err := svc.Merchants.Merchant(ctx, nameOrID)
	if !errors.Is(err, store.ErrNotFound) {
		return m, err
	}
	ids, err := svc.Merchants.IDsByName(ctx, nameOrID)
	switch {
	case err != nil:
		return nil, err
	case len(ids) == 0:
		return nil, fmt.Errorf("no merchant %q: give its name or id (mer_…)", nameOrID)
	case len(ids) > 1:
		return nil, fmt.Errorf("%d merchants are named %q: give the id of the one you mean (--merchant %s)", len(ids), nameOrID, strings.Join(ids, ", "))
	}
	return svc.Merchants.Merchant(ctx, ids[0])
}

// printJSON writes a command's answer as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// cliError words a refusal of the domain for the command line: "param: message".
func cliError(err error) error {
	var ce *domain.Error
	if !errors.As(err, &ce) {
		return err
	}
	if ce.Param != "" {
		return fmt.Errorf("%s: %s", ce.Param, ce.Message)
	}
	return errors.New(ce.Message)
}

// noKakaoPay stands in for KakaoPay in commands that never pay.
type noKakaoPay struct{ app.KakaoPay }
