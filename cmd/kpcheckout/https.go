package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// hsts tells browsers to come back over HTTPS only, for a year. Not includeSubDomains: the
// operator's other hosts under the domain are not ours to bind.
const hsts = "max-age=31536000"

// tlsOn reports whether serve terminates TLS itself.
func (c *Config) tlsOn() bool { return c.TLSDomain != "" || c.TLSCert != "" || c.TLSKey != "" }

// validateTLS checks the HTTPS settings and fills in what they imply: the listen address :443
// and, with --tls-domain, the base URL https://DOMAIN, so that links and Secure cookies agree
// with what the server serves.
func (c *Config) validateTLS() error {
	switch {
	case c.TLSDomain != "" && (c.TLSCert != "" || c.TLSKey != ""):
		return errors.New("set KPCHECKOUT_TLS_DOMAIN (certificates from an ACME CA) or KPCHECKOUT_TLS_CERT and KPCHECKOUT_TLS_KEY (certificates you have), not both")
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return errors.New("KPCHECKOUT_TLS_CERT and KPCHECKOUT_TLS_KEY go together: set both")
	case c.TLSDomain != "" && (strings.ContainsAny(c.TLSDomain, ":/ ") || !strings.Contains(c.TLSDomain, ".")):
		return fmt.Errorf("KPCHECKOUT_TLS_DOMAIN=%q: give the host name alone, such as pay.example.kr", c.TLSDomain)
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
		if c.tlsOn() {
			c.Addr = ":443"
		}
	}
	if !c.tlsOn() {
		return nil
	}
	if c.TLSDomain != "" && c.BaseURL == "" {
		c.BaseURL = "https://" + c.TLSDomain
		if _, port, err := net.SplitHostPort(c.Addr); err == nil && port != "443" {
			c.BaseURL = "https://" + net.JoinHostPort(c.TLSDomain, port)
		}
	}
	u, err := url.Parse(c.BaseURL)
	switch {
	case c.BaseURL == "":
		return errors.New("KPCHECKOUT_TLS_CERT needs KPCHECKOUT_BASE_URL: the https:// address of the certificate's name, such as https://pay.example.kr")
	case err != nil || u.Scheme != "https":
		return fmt.Errorf("KPCHECKOUT_BASE_URL=%s: with TLS on it must be the https:// address shoppers open", c.BaseURL)
	case c.TLSDomain != "" && !strings.EqualFold(u.Hostname(), c.TLSDomain):
		return fmt.Errorf("KPCHECKOUT_BASE_URL=%s names another host than KPCHECKOUT_TLS_DOMAIN=%s, the only one with a certificate", c.BaseURL, c.TLSDomain)
	}
	return nil
}

// acmeCacheDir is where the ACME account key and certificates are kept: --acme-cache-dir, or a
// folder "certs" beside the SQLite file, so that one state directory holds all there is.
func (c *Config) acmeCacheDir() (string, error) {
	if c.ACMECacheDir != "" {
		return c.ACMECacheDir, nil
	}
	backend, path, err := c.database()
	if err != nil {
		return "", err
	}
	if backend != backendSQLite {
		return "", errors.New("with a PostgreSQL database, set KPCHECKOUT_ACME_CACHE_DIR to a directory that keeps the ACME account and certificates")
	}
	return filepath.Join(filepath.Dir(path), "certs"), nil
}

// front is where serve listens: the main listener (HTTPS when TLS is on) and, with TLS, the
// plain-HTTP one that redirects to HTTPS and answers ACME's HTTP-01 challenges.
type front struct {
	ln, plainLn net.Listener
	tls         *tls.Config // nil: plain HTTP on ln
	plain       *http.Server
	acme        *autocert.Manager // with --tls-domain
	domain      string
}

// openFront listens on --addr and, with TLS, on --http-addr, and loads what TLS needs. It opens
// nothing else: a port in use or a bad certificate stops the start before the database is touched.
func openFront(cfg *Config, log *slog.Logger) (*front, error) {
	ln, err := listen(cfg.Addr, "KPCHECKOUT_ADDR")
	if err != nil {
		return nil, err
	}
	f := &front{ln: ln, domain: cfg.TLSDomain}
	if !cfg.tlsOn() {
		return f, nil
	}
	if err := f.openTLS(cfg, log); err != nil {
		f.close()
		return nil, err
	}
	return f, nil
}

// openTLS loads the certificate source and listens on --http-addr.
func (f *front) openTLS(cfg *Config, log *slog.Logger) error {
	redirect := redirectTo(cfg.BaseURL)
	if cfg.TLSDomain != "" {
		dir, err := cfg.acmeCacheDir()
		if err != nil {
			return err
		}
		// Made now, so that an unwritable place stops the start instead of every issuance.
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("cannot make the certificate cache: %w (set KPCHECKOUT_ACME_CACHE_DIR to a writable directory)", err)
		}
		f.acme = &autocert.Manager{Prompt: autocert.AcceptTOS, Cache: autocert.DirCache(dir),
			HostPolicy: autocert.HostWhitelist(cfg.TLSDomain),
			Client:     &acme.Client{DirectoryURL: cfg.ACMEDirectory, UserAgent: "kpcheckout/" + buildVersion()}}
		f.tls = f.acme.TLSConfig()
		redirect = withoutPort(f.acme.HTTPHandler(redirect)) // sets up HTTP-01 before the first certificate is asked for
		log.Info("TLS certificates from ACME", "domain", cfg.TLSDomain, "directory", cfg.ACMEDirectory, "cache", dir)
	} else {
		certs, err := loadCertFiles(cfg.TLSCert, cfg.TLSKey, log)
		if err != nil {
			return err
		}
		f.tls = &tls.Config{GetCertificate: certs.get}
	}
	f.tls.MinVersion = tls.VersionTLS12
	var err error
	if f.plainLn, err = listen(cfg.HTTPAddr, "KPCHECKOUT_HTTP_ADDR"); err != nil {
		return err
	}
	f.plain = &http.Server{Handler: redirect, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	return nil
}

// redirectTo sends every plain-HTTP request to the same path and query at base.
func redirectTo(base string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, base+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
}

// withoutPort drops the port from the request's Host: autocert checks the Host against the
// domain as it comes, and a CA that validates on another port than 80 sends one.
func withoutPort(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if host, _, err := net.SplitHostPort(r.Host); err == nil {
			r.Host = host
		}
		h.ServeHTTP(w, r)
	})
}

// servers is how many servers start runs, each sending one error when it ends.
func (f *front) servers() int {
	if f.plain != nil {
		return 2
	}
	return 1
}

// start serves srv on the main listener (over TLS, with HSTS, when TLS is on) and the plain-HTTP
// listener; each server's end is sent on errc.
func (f *front) start(srv *http.Server, errc chan<- error) {
	if f.tls == nil {
		go func() { errc <- srv.Serve(f.ln) }()
		return
	}
	h := srv.Handler
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", hsts)
		h.ServeHTTP(w, r)
	})
	srv.TLSConfig = f.tls
	go func() { errc <- srv.ServeTLS(f.ln, "", "") }()
	go func() { errc <- f.plain.Serve(f.plainLn) }()
}

// obtain asks for the ACME certificate at start rather than on the first visitor's handshake, so
// that a domain that does not reach this server shows in the log at once. Nothing without ACME.
func (f *front) obtain(log *slog.Logger) {
	if f.acme == nil {
		return
	}
	// A modern client's hello: autocert picks the ECDSA certificate for it.
	cert, err := f.acme.GetCertificate(&tls.ClientHelloInfo{ServerName: f.domain,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}})
	if err != nil {
		log.Error("no TLS certificate yet: the domain's DNS must point at this server and ports 80 and 443 must reach it; retried on the next connection",
			"domain", f.domain, "err", err)
		return
	}
	log.Info("TLS certificate ready", "domain", f.domain, "not_after", cert.Leaf.NotAfter)
}

// shutdown stops both servers gracefully.
func (f *front) shutdown(ctx context.Context, srv *http.Server) error {
	var plainErr error
	if f.plain != nil {
		plainErr = f.plain.Shutdown(ctx)
	}
	return errors.Join(srv.Shutdown(ctx), plainErr)
}

// close closes the listeners, for a start that failed before serving.
func (f *front) close() {
	f.ln.Close()
	if f.plainLn != nil {
		f.plainLn.Close()
	}
}

// certFiles serves the operator's certificate and reads its files again when they change: a
// renewed certificate is served from the next handshake on, with no restart.
type certFiles struct {
	certPath, keyPath string
	log               *slog.Logger

	mu    sync.Mutex
	cert  *tls.Certificate
	stamp [2]time.Time // the files' modification times when last read
}

// loadCertFiles reads the certificate and key files once, and fails if they do not make a pair.
func loadCertFiles(certPath, keyPath string, log *slog.Logger) (*certFiles, error) {
	c := &certFiles{certPath: certPath, keyPath: keyPath, log: log}
	stamp, err := c.stamps()
	if err != nil {
		return nil, fmt.Errorf("KPCHECKOUT_TLS_CERT, KPCHECKOUT_TLS_KEY: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return nil, fmt.Errorf("KPCHECKOUT_TLS_CERT=%s with KPCHECKOUT_TLS_KEY=%s: %w", certPath, keyPath, err)
	}
	c.cert, c.stamp = &cert, stamp
	log.Info("TLS certificate loaded", "names", cert.Leaf.DNSNames, "not_after", cert.Leaf.NotAfter)
	return c, nil
}

func (c *certFiles) stamps() ([2]time.Time, error) {
	var s [2]time.Time
	for i, p := range []string{c.certPath, c.keyPath} {
		fi, err := os.Stat(p)
		if err != nil {
			return s, err
		}
		s[i] = fi.ModTime()
	}
	return s, nil
}

// get is tls.Config.GetCertificate. Files that changed but do not load (a half-written renewal,
// say) leave the certificate before in place until they change again.
func (c *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	stamp, err := c.stamps()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || stamp == c.stamp {
		return c.cert, nil
	}
	c.stamp = stamp
	cert, err := tls.LoadX509KeyPair(c.certPath, c.keyPath)
	if err != nil {
		c.log.Warn("the TLS certificate files changed but do not load; serving the one before", "err", err)
		return c.cert, nil
	}
	c.cert = &cert
	c.log.Info("TLS certificate reloaded", "names", cert.Leaf.DNSNames, "not_after", cert.Leaf.NotAfter)
	return c.cert, nil
}
