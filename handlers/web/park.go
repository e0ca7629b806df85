package web

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Parked is a request whose connection was taken from net/http (hijacked) so that it can wait
// for its answer holding no goroutine: a long-poll that waits in net/http's hands holds a
// goroutine's stack, the connection's read and write buffers and the request, 30 kB or so,
// and 10,000 shoppers whose pages wait for their payments would hold 300 MB. Parked, it holds
// the socket, its headers so far and a few hundred bytes. Its answer closes the connection; the
// page's next poll opens another.
type Parked struct {
	lot    *Parking
	conn   net.Conn
	header http.Header
	ctx    context.Context
	path   string
	finish func(status int)

	mu      sync.Mutex
	left    bool   // the client closed its connection
	done    bool   // answered or closed
	onLeave func() // what the waiter set for a client that leaves
}

// Parking holds a server's parked requests, and looks every few seconds whether their clients
// are still there, which nothing else would notice while no goroutine reads their sockets.
type Parking struct {
	every time.Duration
	log   *slog.Logger

	mu       sync.Mutex
	parked   map[*Parked]struct{}
	sweeping bool
}

// NewParking returns an empty Parking that looks for clients that left every 5 seconds: for
// 10,000 parked requests a look costs 10,000 system calls. log gets the panics of answers.
func NewParking(log *slog.Logger) *Parking {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Parking{every: 5 * time.Second, log: log, parked: make(map[*Parked]struct{})}
}

// Park takes the connection of r from net/http, with the headers set on w so far, or reports
// false when it cannot (HTTP/2, a writer in a test): then the caller answers through w as
// usual. Once parked, w and r must not be used; Answer or Close must be called once.
func (lot *Parking) Park(w http.ResponseWriter, r *http.Request) (*Parked, bool) {
	if r.ProtoMajor != 1 {
		return nil, false
	}
	header := w.Header().Clone()
	// net/http's buffers go back to the collector: a pipelined request behind this one, read
	// into them already, is dropped, and the closing connection tells its client so.
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, false
	}
	p := &Parked{lot: lot, conn: conn, header: header, ctx: context.WithoutCancel(r.Context()), path: r.URL.Path, finish: func(int) {}}
	for u := w; u != nil; {
		if rec, ok := u.(*statusRecorder); ok {
			p.finish = rec.detach(r)
			break
		}
		uw, ok := u.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		u = uw.Unwrap()
	}
	lot.mu.Lock()
	lot.parked[p] = struct{}{}
	if !lot.sweeping {
		lot.sweeping = true
		time.AfterFunc(lot.every, lot.sweep)
	}
	lot.mu.Unlock()
	return p, true
}

// sweep tells the waiters of the clients that left. It runs every few seconds while anything
// is parked.
func (lot *Parking) sweep() {
	lot.mu.Lock()
	ps := make([]*Parked, 0, len(lot.parked))
	for p := range lot.parked {
		ps = append(ps, p)
	}
	lot.mu.Unlock()
	for _, p := range ps {
		if !peerClosed(p.conn) {
			continue
		}
		p.mu.Lock()
		fn := p.onLeave
		first := !p.left && !p.done
		p.left = true
		p.mu.Unlock()
		if first && fn != nil {
			fn()
		}
	}
	lot.mu.Lock()
	defer lot.mu.Unlock()
	if len(lot.parked) == 0 {
		lot.sweeping = false
		return
	}
	time.AfterFunc(lot.every, lot.sweep)
}

// OnLeave sets what to do when the client leaves before its answer (at once if it has): the
// waiter stops waiting, and then closes p (Close).
func (p *Parked) OnLeave(fn func()) {
	p.mu.Lock()
	p.onLeave = fn
	now := p.left && !p.done
	p.mu.Unlock()
	if now {
		fn()
	}
}

// Left reports whether the client closed its connection while it waited.
func (p *Parked) Left() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.left
}

// Close closes the connection of a client that left, without an answer: its request is
// logged and counted as 499, as net/http's would be.
func (p *Parked) Close() {
	if p.end() {
		p.conn.Close()
		p.finish(StatusClientClosed)
	}
}

// end marks p answered and takes it out of the lot, once: it reports whether this call did.
func (p *Parked) end() bool {
	p.mu.Lock()
	first := !p.done
	p.done = true
	p.mu.Unlock()
	if first {
		p.lot.mu.Lock()
		delete(p.lot.parked, p)
		p.lot.mu.Unlock()
	}
	return first
}

// Context is the request's context, without its end: the request has ended for net/http.
func (p *Parked) Context() context.Context { return p.ctx }

// Answer has write answer into memory as a handler would, given a GET of the request's path with
// its context (only GETs are parked), and sends that on the parked connection, which it then
// closes.
func (p *Parked) Answer(write func(w http.ResponseWriter, r *http.Request)) {
	if !p.end() {
		return
	}
	r := (&http.Request{Method: http.MethodGet, URL: &url.URL{Path: p.path}, Header: http.Header{}, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}).WithContext(p.ctx)
	m := p.render(write, r)
	h := m.header
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	h.Set("Content-Length", strconv.Itoa(m.body.Len()))
	h.Set("Connection", "close")
	var out bytes.Buffer
	out.Grow(512 + m.body.Len())
	out.WriteString("HTTP/1.1 " + strconv.Itoa(m.status) + " " + http.StatusText(m.status) + "\r\n")
	h.Write(&out)
	out.WriteString("\r\n")
	out.Write(m.body.Bytes())
	p.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	p.conn.Write(out.Bytes()) // a client that left is told nothing; its socket closes below
	p.closeAfterWrite()
	p.finish(m.status)
}

// render runs write into memory; a panic there is answered as the middleware answers one, a
// 500, since the middleware's recover is not on this goroutine.
func (p *Parked) render(write func(w http.ResponseWriter, r *http.Request), r *http.Request) (m *memResponse) {
	m = &memResponse{header: p.header.Clone(), status: http.StatusOK}
	defer func() {
		if v := recover(); v != nil {
			p.lot.log.ErrorContext(p.ctx, "panic", "path", p.path, "panic", v, "stack", string(debug.Stack()))
			m = &memResponse{header: p.header, status: http.StatusOK}
			WriteError(m, r, slog.New(slog.DiscardHandler), fmt.Errorf("panic: %v", v))
		}
	}()
	write(m, r)
	return m
}

// closeAfterWrite ends the connection as net/http does after a response it closes: the write
// side first, the socket half a second later, so that a request the client pipelined behind
// this one, unread, does not make the kernel reset the connection before the answer is read.
func (p *Parked) closeAfterWrite() {
	if cw, ok := p.conn.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		time.AfterFunc(500*time.Millisecond, func() { p.conn.Close() })
		return
	}
	p.conn.Close()
}

// memResponse is a ResponseWriter into memory, for a parked answer.
type memResponse struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (m *memResponse) Header() http.Header { return m.header }

func (m *memResponse) WriteHeader(code int) {
	if !m.wrote {
		m.status, m.wrote = code, true
	}
}

func (m *memResponse) Write(b []byte) (int, error) {
	m.wrote = true
	return m.body.Write(b)
}

// peerClosed reports whether the client of conn left, by a look at its socket that does not wait
// (fdClosed, per system). A connection without a socket to look at counts as still there.
func peerClosed(conn net.Conn) bool {
	if tc, ok := conn.(interface{ NetConn() net.Conn }); ok { // TLS: the socket beneath
		conn = tc.NetConn()
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true // closed already
	}
	closed := false
	if err := rc.Control(func(fd uintptr) { closed = fdClosed(fd) }); err != nil {
		return true
	}
	return closed
}
