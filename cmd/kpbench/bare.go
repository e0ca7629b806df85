package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"
)

// bareStatus is the status answer the bare server gives from memory, the size of kpcheckout's.
var bareStatus = []byte(`{"id":"cs_4kqXbTnE2mYpR8sLwV9hZc","status":"open","attempt_status":"ready","redirect_url":null,` +
	`"expires_at":"2026-11-28T12:00:00Z","state":"open.att_7QmZpL2vXn9sRt4wKc8yHb.ready"}` + "\n")

// serveBare is the baseline: a bare net/http server that answers the status JSON and the pages
// from memory and holds long-polls on a channel, as a server doing nothing else would.
func serveBare(ctx context.Context, addr string, stdout io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	waits := map[string]chan struct{}{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(bareStatus)
	})
	mux.HandleFunc("GET /wait", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		mu.Lock()
		ch, ok := waits[id]
		if !ok {
			ch = make(chan struct{})
			waits[id] = ch
		}
		mu.Unlock()
		select {
		case <-ch:
		case <-time.After(30 * time.Second):
		case <-r.Context().Done():
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(bareStatus)
	})
	// The page baseline: kpbench puts kpcheckout's own page here, and the bare server sends those
	// bytes from memory, so the ratio is what rendering and the middleware cost.
	var pages sync.Map // name → []byte
	mux.HandleFunc("PUT /page/{name}", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		pages.Store(r.PathValue("name"), body)
	})
	mux.HandleFunc("GET /page/{name}", func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages.Load(r.PathValue("name"))
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(body.([]byte))
	})
	mux.HandleFunc("POST /wake", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		mu.Lock()
		ch, ok := waits[id]
		delete(waits, id)
		mu.Unlock()
		if ok {
			close(ch)
		}
	})
	// Its heap, for kpbench -pprof to compare with the server's; the bare server is on loopback.
	mux.Handle("GET /debug/pprof/heap", pprof.Handler("heap"))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "listening %s\n", ln.Addr())
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
