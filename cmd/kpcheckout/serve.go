package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"syscall"
	"time"

	"github.com/gorilla/sessions"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/app"
	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/kakaopay/sandbox"
	"github.com/kpcheckout/kpcheckout/locales"
	"github.com/kpcheckout/kpcheckout/static"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/webhook"
)

// demoMerchantName names the merchant seeded in sandbox mode.
const demoMerchantName = "kpcheckout 데모 상점"

// serve runs the HTTP server until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, cfg *Config, stdout io.Writer, log *slog.Logger) error {
	// The addresses first: a port in use stops the start before anything is opened or written.
	fr, err := openFront(cfg, log)
	if err != nil {
		return err
	}
	defer fr.close()
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	logMigrated(log, db)
	bundle, err := locales.Bundle()
	if err != nil {
		return err
	}
	assets, err := static.Load("/static/")
	if err != nil {
		return err
	}
	secret := cfg.KakaoPaySecretKey
	var sb http.Handler
	if cfg.Sandbox() {
		secret = sandboxSecretKey
		// The sandbox takes any key, so that a KakaoPay client with its own DEV key works against it.
		s, err := sandbox.New(sandbox.Options{BaseURL: cfg.BaseURL + "/sandbox", ReturnHosts: cfg.SandboxReturnHosts, Bundle: bundle, Logger: log})
		if err != nil {
			return err
		}
		sb = s
	}
	metrics := web.NewMetrics()
	// Every KakaoPay call under way keeps its connection for the next one: Go's default keeps 2
	// idle per host, so 16 shoppers paying at once dialled (and, with KakaoPay, shook hands
	// again) for nearly every call.
	kpTransport := http.DefaultTransport.(*http.Transport).Clone()
	kpTransport.MaxIdleConnsPerHost = 64
	kp, err := kakaopay.New(kakaopay.Options{BaseURL: cfg.KakaoPayAPIBase, SecretKey: secret, Logger: log,
		HTTPClient: &http.Client{Timeout: cfg.KakaoPayTimeout, Transport: kpTransport}, Observe: metrics.ObserveKakaoPay})
	if err != nil {
		return err
	}
	svc, err := app.New(app.Config{Store: db, KakaoPay: kp, ReturnURL: web.ReturnURL(cfg.BaseURL), PageURL: web.PageURL(cfg.BaseURL), Logger: log,
		SettleAfter: cfg.SettleAfter, ApproveTimeout: cfg.KakaoPayTimeout, ConfirmGrace: cfg.ConfirmGrace,
		OrderLookups: cfg.OrderLookups, WebhookAllowPrivate: cfg.webhookAllowPrivate(), Sandbox: cfg.Sandbox(),
		RetainEvents: cfg.RetainEvents})
	if err != nil {
		return err
	}
	// Webhooks go out from the outbox, here and on every other instance over the same database.
	deliverer := webhook.NewDeliverer(webhook.Config{Store: db, AllowPrivate: cfg.webhookAllowPrivate(),
		Timeout: cfg.WebhookTimeout, Logger: log})
	sess, err := sessionStore(ctx, cfg, svc, log)
	if err != nil {
		return err
	}
	h, err := handlers.New(handlers.Config{
		Services: svc, Bundle: bundle, Assets: assets, Sessions: sess,
		BaseURL: cfg.BaseURL, TestMode: cfg.Sandbox(), Sandbox: sb, Ready: db.Ping, Logger: log,
		MaxWaiting: cfg.MaxWaiting, MaxWaitingPerIP: cfg.MaxWaitingPerIP, Proxies: cfg.proxies, Metrics: metrics, Deliveries: deliverer,
		MetricsNetworks:        cfg.metricsNetworks,
		LinkCheckoutsPerMinute: cfg.LinkCheckoutsPerMinute, PaymentStartsPerMinute: cfg.PaymentStartsPerMinute,
	})
	if err != nil {
		return err
	}
	// A body dripped slowly is cut within ReadTimeout; WriteTimeout leaves room for a 30 s long-poll.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	srv.RegisterOnShutdown(svc.Checkouts.Notifier().Close) // answer waiting long-polls at once
	errc := make(chan error, fr.servers())
	fr.start(srv, errc)
	if cfg.PprofAddr != "" {
		go servePprof(cfg.PprofAddr, log)
	}
	log.Info("kpcheckout listening", "addr", fr.ln.Addr().String(), "base_url", cfg.BaseURL, "sandbox", cfg.Sandbox())
	go fr.obtain(log)

	if cfg.Sandbox() {
		if err := seedDemo(ctx, svc, cfg, stdout); err != nil {
			log.Error("seeding the demo merchant", "err", err)
		}
	}
	go sweep(ctx, svc, cfg.ExpirySweep, log)
	go svc.Checkouts.FollowChanges(ctx) // on PostgreSQL, other instances' changes wake this one's long-polls
	// On the way out the POSTs under way end and are recorded before the database closes
	// (defers run last first).
	dctx, stopDelivering := context.WithCancel(ctx)
	delivering := make(chan struct{})
	go func() { defer close(delivering); deliverer.Run(dctx) }()
	defer func() { stopDelivering(); <-delivering }()
	defer startBackups(ctx, cfg, log)()

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := fr.shutdown(sctx, srv); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	// Parked long-polls are not net/http's to wait for: they are answered before the store closes.
	if err := svc.Checkouts.WaitParked(sctx); err != nil {
		return fmt.Errorf("shutdown: answering the waiting long-polls: %w", err)
	}
	for range fr.servers() {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	return nil
}

// listen listens on addr, the value of the variable name, saying in words what to change when
// it cannot.
func listen(addr, name string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("the address %s is already in use: stop what uses it, or choose another with %s (e.g. %[2]s=%s make run)", addr, name, freeAddrHint(addr))
	case errors.Is(err, syscall.EACCES):
		return nil, fmt.Errorf("not allowed to listen on %s (ports below 1024 need privileges: CAP_NET_BIND_SERVICE, which the systemd unit grants): choose another with %s", addr, name)
	case err != nil:
		return nil, fmt.Errorf("cannot listen on %s: %w (set %s to host:port)", addr, err, name)
	}
	return ln, nil
}

// freeAddrHint is an address to suggest instead of addr: its host with a port free now, other
// than 8081, which the example shop and the two-instance setup take.
func freeAddrHint(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		host = "127.0.0.1"
	}
	for _, port := range []string{"8090", "8180", "8880", "9090"} {
		if ln, err := net.Listen("tcp", net.JoinHostPort(host, port)); err == nil {
			ln.Close()
			return net.JoinHostPort(host, port)
		}
	}
	return net.JoinHostPort(host, "PORT")
}

// servePprof serves Go's profiles on their own listener, never on the public one.
func servePprof(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Info("profiles served", "addr", addr)
	if err := srv.ListenAndServe(); err != nil {
		log.Error("profiles", "err", err)
	}
}

// sessionStore is the cookie store of shopper and dashboard sessions, keyed by
// KPCHECKOUT_SESSION_KEY or, when it is unset, by a random key made once and kept in the
// database: a restart, and every other instance over the database, keeps people signed in.
func sessionStore(ctx context.Context, cfg *Config, svc *app.Services, log *slog.Logger) (sessions.Store, error) {
	if cfg.SessionKey != "" {
		return web.NewSessions([]byte(cfg.SessionKey), cfg.BaseURL), nil
	}
	secret, err := svc.Users.SharedSecret(ctx, "session")
	if err != nil {
		return nil, err
	}
	log.Info("no KPCHECKOUT_SESSION_KEY: sessions use a key kept in the database")
	return web.NewSessions(secret, cfg.BaseURL), nil
}

// sweep expires overdue checkouts and reconciles with KakaoPay until ctx ends.
func sweep(ctx context.Context, svc *app.Services, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := svc.Checkouts.ExpireDue(ctx); err != nil {
				log.Error("expiring checkouts", "err", err)
			} else if n > 0 {
				log.Info("expired checkouts", "count", n)
			}
			if err := svc.Reconcile(ctx); err != nil {
				log.Error("reconciling with KakaoPay", "err", err)
			}
		}
	}
}

// seedDemo makes sure the demo merchant exists, gives it a fresh test key, and prints the key
// and a ready checkout URL.
func seedDemo(ctx context.Context, svc *app.Services, cfg *Config, stdout io.Writer) error {
	m, err := svc.Merchants.ByName(ctx, demoMerchantName)
	var key string
	switch {
	case errors.Is(err, store.ErrNotFound):
		cm, err := svc.Merchants.Create(ctx, accounts.MerchantParams{Name: demoMerchantName})
		if err != nil {
			return err
		}
		m, key = cm.Merchant, cm.APIKey
	case err != nil:
		return err
	default:
		if key, err = svc.Merchants.RotateAPIKeys(ctx, m); err != nil {
			return err
		}
	}
	c, err := svc.Checkouts.Create(ctx, m, checkout.CreateParams{
		Amount: 11000, Reference: "DEMO-" + time.Now().Format("20060102-150405"),
		Items:      []store.Item{{Name: "아메리카노", Quantity: 2, UnitPrice: 4500}, {Name: "크루아상", Quantity: 1, UnitPrice: 2000}},
		SuccessURL: cfg.BaseURL + "/c/{CHECKOUT_ID}", FailureURL: cfg.BaseURL + "/c/{CHECKOUT_ID}",
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nkpcheckout is running in SANDBOX mode at %s\n", cfg.BaseURL)
	fmt.Fprintf(stdout, "  demo merchant:  %s (%s)\n", m.Name, m.ID)
	fmt.Fprintf(stdout, "  test API key:   %s\n", key)
	fmt.Fprintf(stdout, "  demo checkout:  %s/c/%s\n\n", cfg.BaseURL, c.ID)
	if web.IsLoopback(cfg.BaseURL) {
		fmt.Fprintf(stdout, "  Phones cannot open %s. The checkout page's \"테스트 지갑 열기\" pays without one;\n", cfg.BaseURL)
		if ip := lanAddress(); ip != "" {
			_, port, _ := net.SplitHostPort(cfg.Addr)
			fmt.Fprintf(stdout, "  to scan the QR code with a phone on this network, start it with:\n")
			fmt.Fprintf(stdout, "    KPCHECKOUT_ADDR=0.0.0.0:%s KPCHECKOUT_BASE_URL=http://%s make run\n\n", port, net.JoinHostPort(ip, port))
		} else {
			fmt.Fprintf(stdout, "  to use a phone, start it with KPCHECKOUT_ADDR=0.0.0.0:PORT and KPCHECKOUT_BASE_URL=http://<this computer's address>:PORT.\n\n")
		}
	}
	return nil
}

// lanAddress is this computer's first private IPv4 address on an interface that is up, or "".
func lanAddress() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsPrivate() {
			return n.IP.String()
		}
	}
	return ""
}
