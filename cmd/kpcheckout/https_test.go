package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
	"github.com/miekg/dns"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// TestServeHTTPS runs the built binary as an operator runs it on one box: with --tls-domain it
// gets its certificate from a real ACME server (Pebble) through HTTP-01 on its plain-HTTP
// listener; with --tls-cert/--tls-key it serves the operator's certificate and picks up a new one
// when the files change. Either way plain HTTP redirects to HTTPS, HSTS is on and the dashboard's
// cookie is Secure, and SIGTERM stops both listeners.
func TestServeHTTPS(t *testing.T) {
	bin := binary(t)
	t.Run("ACME", func(t *testing.T) { testServeACME(t, bin) })
	t.Run("own certificate", func(t *testing.T) { testServeOwnCertificate(t, bin) })
}

func testServeACME(t *testing.T, bin string) {
	const domain = "pay.kpcheckout.test"
	dir := t.TempDir()
	httpsAddr, httpAddr := freeAddr(t), freeAddr(t)
	// Pebble tries TLS-ALPN-01 on a port that hangs up, so the certificate can only come through
	// HTTP-01 on kpcheckout's --http-addr, which the name resolves to.
	acme := startPebble(t, port(t, httpAddr), port(t, refuseTLS(t)), startDNS(t, domain, "127.0.0.1"))
	srv := startHTTPS(t, bin, "KPCHECKOUT_TLS_DOMAIN="+domain, "KPCHECKOUT_ADDR="+httpsAddr,
		"KPCHECKOUT_HTTP_ADDR="+httpAddr, "KPCHECKOUT_ACME_DIRECTORY="+acme.directory,
		"KPCHECKOUT_DATABASE_URL=sqlite:"+filepath.Join(dir, "kp.db"), "SSL_CERT_FILE="+acme.serverCA)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Pebble said:\n%s", acme.log)
		}
	})
	if srv.waitLog(t, "TLS certificate ready", "no TLS certificate yet") != "TLS certificate ready" {
		t.Fatal("serve could not get its certificate")
	}
	if !strings.Contains(acme.log.String(), "Attempting to validate w/ HTTP: http://"+domain+":"+strconv.Itoa(port(t, httpAddr))) {
		t.Errorf("Pebble did not validate through HTTP-01 on --http-addr:\n%s", acme.log)
	}

	base := "https://" + domain + ":" + strconv.Itoa(port(t, httpsAddr))
	client := boxClient(acme.roots)
	res := get(t, client, base+"/healthz")
	if names := res.TLS.PeerCertificates[0].DNSNames; !slices.Equal(names, []string{domain}) {
		t.Errorf("the certificate is for %v, want %s", names, domain)
	}
	checkHSTS(t, res)
	if _, err := os.Stat(filepath.Join(dir, "certs", domain)); err != nil {
		t.Errorf("the certificate is not kept beside the database: %v", err)
	}
	checkRedirect(t, client, "http://"+domain+":"+strconv.Itoa(port(t, httpAddr)), base)
	checkSecureCookie(t, bin, client, base, filepath.Join(dir, "kp.db"))
	srv.stop(t)
}

func testServeOwnCertificate(t *testing.T, bin string) {
	const domain = "shop.kpcheckout.test"
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	first := writeCertificate(t, domain, certFile, keyFile)
	httpsAddr, httpAddr := freeAddr(t), freeAddr(t)
	base := "https://" + domain + ":" + strconv.Itoa(port(t, httpsAddr))
	srv := startHTTPS(t, bin, "KPCHECKOUT_TLS_CERT="+certFile, "KPCHECKOUT_TLS_KEY="+keyFile, "KPCHECKOUT_BASE_URL="+base,
		"KPCHECKOUT_ADDR="+httpsAddr, "KPCHECKOUT_HTTP_ADDR="+httpAddr, "KPCHECKOUT_DATABASE_URL=sqlite:"+filepath.Join(dir, "kp.db"))
	srv.waitLog(t, "kpcheckout listening")

	roots := x509.NewCertPool()
	roots.AddCert(first)
	client := boxClient(roots)
	res := get(t, client, base+"/healthz")
	if got := res.TLS.PeerCertificates[0]; !got.Equal(first) {
		t.Errorf("served %v, want the operator's certificate", got.Subject)
	}
	checkHSTS(t, res)
	checkRedirect(t, client, "http://"+domain+":"+strconv.Itoa(port(t, httpAddr)), base)
	checkSecureCookie(t, bin, client, base, filepath.Join(dir, "kp.db"))

	// A renewed certificate is written over the files: the next connection gets it, no restart.
	second := writeCertificate(t, domain, certFile, keyFile)
	later := time.Now().Add(time.Minute) // a change the file's clock cannot miss
	for _, f := range []string{certFile, keyFile} {
		if err := os.Chtimes(f, later, later); err != nil {
			t.Fatal(err)
		}
	}
	roots.AddCert(second)
	client.CloseIdleConnections()
	if got := get(t, client, base+"/healthz").TLS.PeerCertificates[0]; !got.Equal(second) {
		t.Errorf("after the files changed, served serial %v, want the new certificate's %v", got.SerialNumber, second.SerialNumber)
	}
	srv.stop(t)
}

// TestTLSSettings checks what the HTTPS settings imply and refuse: --tls-domain alone listens on
// :443 with the base URL https://DOMAIN (so cookies are Secure), and every setting that could not
// serve what shoppers open stops the start with a sentence.
func TestTLSSettings(t *testing.T) {
	for _, tc := range []struct {
		name          string
		vars          map[string]string
		addr, baseURL string // what the configuration becomes
		err           string // or the error it is refused with
	}{
		{"plain", nil, "127.0.0.1:8080", "http://127.0.0.1:8080", ""},
		{"domain", map[string]string{"KPCHECKOUT_TLS_DOMAIN": "pay.example.kr"}, ":443", "https://pay.example.kr", ""},
		{"domain on another port", map[string]string{"KPCHECKOUT_TLS_DOMAIN": "pay.example.kr", "KPCHECKOUT_ADDR": "127.0.0.1:8443"},
			"127.0.0.1:8443", "https://pay.example.kr:8443", ""},
		{"own certificate", map[string]string{"KPCHECKOUT_TLS_CERT": "c.pem", "KPCHECKOUT_TLS_KEY": "k.pem", "KPCHECKOUT_BASE_URL": "https://pay.example.kr"},
			":443", "https://pay.example.kr", ""},
		{"both", map[string]string{"KPCHECKOUT_TLS_DOMAIN": "pay.example.kr", "KPCHECKOUT_TLS_CERT": "c.pem", "KPCHECKOUT_TLS_KEY": "k.pem"}, "", "", "not both"},
		{"certificate without key", map[string]string{"KPCHECKOUT_TLS_CERT": "c.pem", "KPCHECKOUT_BASE_URL": "https://pay.example.kr"}, "", "", "set both"},
		{"certificate without base URL", map[string]string{"KPCHECKOUT_TLS_CERT": "c.pem", "KPCHECKOUT_TLS_KEY": "k.pem"}, "", "", "needs KPCHECKOUT_BASE_URL"},
		{"http base URL", map[string]string{"KPCHECKOUT_TLS_DOMAIN": "pay.example.kr", "KPCHECKOUT_BASE_URL": "http://pay.example.kr"}, "", "", "https://"},
		{"another host", map[string]string{"KPCHECKOUT_TLS_DOMAIN": "pay.example.kr", "KPCHECKOUT_BASE_URL": "https://shop.example.kr"}, "", "", "another host"},
		{"a URL for a domain", map[string]string{"KPCHECKOUT_TLS_DOMAIN": "https://pay.example.kr"}, "", "", "host name alone"},
	} {
		cfg, _, err := parseConfig("serve", nil, env(tc.vars), io.Discard)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err == "" && (cfg.Addr != tc.addr || cfg.BaseURL != tc.baseURL):
			t.Errorf("%s: listens on %q with base URL %q, want %q and %q", tc.name, cfg.Addr, cfg.BaseURL, tc.addr, tc.baseURL)
		}
	}
	cfg, _, err := parseConfig("serve", nil, env(map[string]string{"KPCHECKOUT_DATABASE_URL": "sqlite:/var/lib/kpcheckout/kp.db"}), io.Discard)
	if dir, _ := cfg.acmeCacheDir(); err != nil || dir != "/var/lib/kpcheckout/certs" {
		t.Errorf("the certificate cache is %q (%v), want certs beside the database", dir, err)
	}
	cfg.DatabaseURL = "postgres://db.internal/kp"
	if _, err := cfg.acmeCacheDir(); err == nil || !strings.Contains(err.Error(), "KPCHECKOUT_ACME_CACHE_DIR") {
		t.Errorf("with PostgreSQL and no cache directory: %v", err)
	}
}

// TestSystemdUnit reads packaging/systemd/kpcheckout.service as systemd would and wants what
// docs/operations.md says of it: serve started as it is, under a user of its own, the system read-only but
// for the state directory, which holds every file serve writes, and ports 80 and 443 allowed.
// Every variable it sets is one serve knows, and docs/operations.md shows the unit as it is.
func TestSystemdUnit(t *testing.T) {
	raw, err := os.ReadFile("../../packaging/systemd/kpcheckout.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := map[string][]string{} // "Section.Key": values
	section := ""
	for i, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("line %d is not KEY=VALUE in a section: %q", i+1, line)
			}
			unit[section+"."+k] = append(unit[section+"."+k], v)
		}
	}
	for key, want := range map[string]string{"Service.DynamicUser": "yes", "Service.StateDirectory": "kpcheckout",
		"Service.ProtectSystem": "strict", "Service.AmbientCapabilities": "CAP_NET_BIND_SERVICE"} {
		if got := unit[key]; !slices.Equal(got, []string{want}) {
			t.Errorf("%s=%v, want %s", key, got, want)
		}
	}
	state := "/var/lib/" + unit["Service.StateDirectory"][0] + "/"
	start := strings.Fields(unit["Service.ExecStart"][0])
	if len(start) < 2 || start[1] != "serve" {
		t.Fatalf("ExecStart=%v does not run serve", start)
	}

	// The unit's variables and the environment file docs/operations.md tells the operator to write.
	known := map[string]bool{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	newConfig(fs, env(nil))
	fs.VisitAll(func(f *flag.Flag) { known[envName(f.Name)] = true })
	vars := map[string]string{"KPCHECKOUT_TLS_DOMAIN": "pay.example.kr", "KPCHECKOUT_KAKAOPAY_SECRET_KEY": "DEV0123456789"}
	for _, kv := range unit["Service.Environment"] {
		k, v, _ := strings.Cut(kv, "=")
		if !known[k] {
			t.Errorf("Environment=%s: serve knows no %s", kv, k)
		}
		vars[k] = v
	}
	cfg, _, err := parseConfig("serve", start[2:], env(vars), io.Discard)
	if err != nil {
		t.Fatalf("serve under the unit: %v", err)
	}
	backend, dbFile, _ := cfg.database()
	cache, _ := cfg.acmeCacheDir()
	if backend != backendSQLite || !strings.HasPrefix(dbFile, state) || !strings.HasPrefix(cache, state) {
		t.Errorf("serve writes %s %s and %s, not all under %s", backend, dbFile, cache, state)
	}
	if cfg.Addr != ":443" || cfg.HTTPAddr != ":80" || cfg.BaseURL != "https://pay.example.kr" {
		t.Errorf("serve listens on %s and %s for %s", cfg.Addr, cfg.HTTPAddr, cfg.BaseURL)
	}
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```ini\n"+string(raw)+"```") {
		t.Error("docs/operations.md does not show packaging/systemd/kpcheckout.service as it is")
	}
}

// boxClient is a browser that trusts roots and finds every test domain on 127.0.0.1; it does not
// follow redirects and keeps cookies to itself.
func boxClient(roots *x509.CertPool) *http.Client {
	dial := &net.Dialer{}
	return &http.Client{
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots},
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				_, p, _ := net.SplitHostPort(addr)
				return dial.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", p))
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// get GETs u and wants 200.
func get(t *testing.T, c *http.Client, u string) *http.Response {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, res.Status)
	}
	return res
}

func checkHSTS(t *testing.T, res *http.Response) {
	t.Helper()
	if h := res.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(h, "max-age=") {
		t.Errorf("Strict-Transport-Security: %q", h)
	}
}

// checkRedirect asks the plain-HTTP listener at plain for a page and wants to be sent to the same
// page at base.
func checkRedirect(t *testing.T, c *http.Client, plain, base string) {
	t.Helper()
	res, err := c.Get(plain + "/dashboard/login?next=%2Fdashboard")
	if err != nil {
		t.Fatalf("plain HTTP: %v", err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode/100 != 3 || loc != base+"/dashboard/login?next=%2Fdashboard" {
		t.Errorf("plain HTTP answered %s to %q, want a redirect to %s", res.Status, loc, base)
	}
}

// checkSecureCookie makes a dashboard user with the binary, signs in over HTTPS and wants every
// cookie the sign-in sets Secure.
func checkSecureCookie(t *testing.T, bin string, c *http.Client, base, dbFile string) {
	t.Helper()
	cli := func(args ...string) []byte {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "KPCHECKOUT_DATABASE_URL=sqlite:"+dbFile)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("kpcheckout %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	cli("merchant", "create", "--name", "HTTPS 상점")
	var u struct{ Password string }
	if err := json.Unmarshal(cli("user", "create", "--merchant", "HTTPS 상점", "--email", "owner@https.example"), &u); err != nil {
		t.Fatal(err)
	}
	res, err := c.PostForm(base+"/dashboard/login", url.Values{"email": {"owner@https.example"}, "password": {u.Password}})
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || len(res.Cookies()) == 0 {
		t.Fatalf("sign in: %s with cookies %v", res.Status, res.Cookies())
	}
	for _, ck := range res.Cookies() {
		if !ck.Secure {
			t.Errorf("cookie %s is not Secure", ck.Name)
		}
	}
}

// httpsServe is a `kpcheckout serve` process and what it logged.
type httpsServe struct {
	proc   *exec.Cmd
	exited chan error
	logs   *handlerstest.LogBuffer
	logged chan struct{} // a token after each line logged
}

// startHTTPS runs bin serve with the environment variables vars added.
func startHTTPS(t *testing.T, bin string, vars ...string) *httpsServe {
	t.Helper()
	s := &httpsServe{proc: exec.Command(bin, "serve"), exited: make(chan error, 1), logs: &handlerstest.LogBuffer{}, logged: make(chan struct{}, 1)}
	s.proc.Env = append(os.Environ(), vars...)
	stderr, err := s.proc.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.proc.Start(); err != nil {
		t.Fatal(err)
	}
	scanned := make(chan struct{})
	go func() {
		for sc := bufio.NewScanner(stderr); sc.Scan(); {
			s.logs.Write([]byte(sc.Text() + "\n"))
			select {
			case s.logged <- struct{}{}:
			default:
			}
		}
		close(scanned)
	}()
	go func() { <-scanned; s.exited <- s.proc.Wait() }()
	t.Cleanup(func() {
		s.proc.Process.Kill()
		if t.Failed() {
			t.Logf("kpcheckout serve said:\n%s", s.logs)
		}
	})
	return s
}

// waitLog waits for a log line that holds one of msgs, and is that one; it fails when the server
// exits first.
func (s *httpsServe) waitLog(t *testing.T, msgs ...string) string {
	t.Helper()
	timeout := time.After(2 * time.Minute) // only a hang ends here
	for {
		for _, m := range msgs {
			if strings.Contains(s.logs.String(), m) {
				return m
			}
		}
		select {
		case <-s.logged:
		case err := <-s.exited:
			t.Fatalf("serve exited (%v) before logging %q:\n%s", err, msgs, s.logs)
		case <-timeout:
			t.Fatalf("serve never logged %q:\n%s", msgs, s.logs)
		}
	}
}

// stop sends SIGTERM and wants a clean exit.
func (s *httpsServe) stop(t *testing.T) {
	t.Helper()
	s.proc.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exited:
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM:\n%s", err, s.logs)
		}
	case <-time.After(time.Minute):
		t.Errorf("serve did not stop on SIGTERM")
	}
}

// pebble is a Pebble ACME server running in this test.
type pebble struct {
	directory string         // the ACME directory URL
	serverCA  string         // a PEM file with the certificate of the ACME server's own HTTPS
	roots     *x509.CertPool // the root of the certificates it issues
	log       *handlerstest.LogBuffer
}

// startPebble runs Pebble's CA, VA and web front end, validating HTTP-01 on httpPort and
// TLS-ALPN-01 on tlsPort of the address that resolver (a DNS server over TCP) gives a name.
func startPebble(t *testing.T, httpPort, tlsPort int, resolver string) *pebble {
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")      // validate at once, not after up to 15 s
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0") // no random badNonce answers
	p := &pebble{log: &handlerstest.LogBuffer{}}
	logger := log.New(p.log, "pebble ", log.LstdFlags)
	store := db.NewMemoryStore()
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "kpcheckout's tests"}})
	validator := va.New(logger, httpPort, tlsPort, false, resolver, store)
	front := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	srv := httptest.NewTLSServer(front.Handler())
	t.Cleanup(srv.Close)
	p.directory = srv.URL + wfe.DirectoryPath
	p.serverCA = filepath.Join(t.TempDir(), "acme-server.pem")
	if err := os.WriteFile(p.serverCA, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	p.roots = x509.NewCertPool()
	if !p.roots.AppendCertsFromPEM(authority.GetRootCert(0).PEM()) {
		t.Fatal("Pebble's root does not parse")
	}
	return p
}

// startDNS answers name's A queries with ip, over TCP as Pebble asks, and is its address.
func startDNS(t *testing.T, name, ip string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{Listener: ln, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		for _, q := range r.Question {
			if q.Qtype == dns.TypeA && strings.EqualFold(q.Name, dns.Fqdn(name)) {
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.ParseIP(ip)})
			}
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return ln.Addr().String()
}

// refuseTLS listens on a free loopback port and closes every connection at once; it is its address.
func refuseTLS(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}

func port(t *testing.T, addr string) int {
	_, p, err := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	if err != nil || n == 0 {
		t.Fatalf("no port in %q", addr)
	}
	return n
}

// writeCertificate writes a new self-signed certificate for domain and its key, and returns it.
func writeCertificate(t *testing.T, domain, certFile, keyFile string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: domain}, DNSNames: []string{domain},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
