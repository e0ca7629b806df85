package pgtest

import (
	"context"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Proxy stands between a test's clients and one database of the server, and takes it away and
// brings it back as a restart of the server looks to them: Down ends the database's sessions
// with PostgreSQL's own "terminating connection due to administrator command" (57P01), cuts
// every connection and refuses new ones; Up takes connections again.
type Proxy struct {
	t       testing.TB
	target  string // the database's URL
	network string // how the server is reached: tcp, or unix for a socket's directory
	server  string // the server's address on network
	addr    string // where the proxy listens

	mu    sync.Mutex
	ln    net.Listener // nil while down
	conns map[net.Conn]bool
}

// NewProxy starts a proxy in front of the database at dbURL (one from Database); it stops
// when the test ends.
func NewProxy(t testing.TB, dbURL string) *Proxy {
	t.Helper()
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatalf("pgtest: proxy: %v", err)
	}
	p := &Proxy{t: t, target: dbURL, network: "tcp", server: net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), conns: map[net.Conn]bool{}}
	if strings.HasPrefix(cfg.Host, "/") {
		p.network, p.server = "unix", filepath.Join(cfg.Host, ".s.PGSQL."+strconv.Itoa(int(cfg.Port)))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pgtest: proxy: %v", err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

// URL is the database's URL through the proxy.
func (p *Proxy) URL() string {
	u, err := url.Parse(p.target)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		host, port, _ := net.SplitHostPort(p.addr)
		return p.target + " host=" + host + " port=" + port // the last of each counts
	}
	u.Host = p.addr
	return u.String()
}

// Down ends the database's sessions (57P01 to whatever they were doing), then cuts every
// connection through the proxy and refuses new ones until Up.
func (p *Proxy) Down() {
	p.t.Helper()
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	p.mu.Unlock()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, p.target)
	if err != nil {
		p.t.Fatalf("pgtest: proxy down: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
		p.t.Fatalf("pgtest: proxy down: %v", err)
	}
	p.cut()
}

// Up takes connections again, on the same address.
func (p *Proxy) Up() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("pgtest: proxy up: %v", err)
	}
	p.serve(ln)
}

// cut stops listening and closes every relayed connection.
func (p *Proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.relay(c)
		}
	}()
}

// relay copies both ways between a client and the server until either side ends.
func (p *Proxy) relay(client net.Conn) {
	server, err := net.Dial(p.network, p.server)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // went down while this one was being accepted
		p.mu.Unlock()
		client.Close()
		server.Close()
		return
	}
	p.conns[client], p.conns[server] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(server, client); done <- struct{}{} }()
	go func() { io.Copy(client, server); done <- struct{}{} }()
	<-done
	client.Close()
	server.Close()
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
}
