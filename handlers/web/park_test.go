package web

import (
	"bufio"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// connPair is both ends of one loopback TCP connection, or of one TLS connection over it.
func connPair(t *testing.T, useTLS bool) (server, client net.Conn) {
	t.Helper()
	var ln net.Listener
	var cfg *tls.Config
	if useTLS {
		srv := httptest.NewUnstartedServer(nil)
		srv.StartTLS() // for its certificate
		t.Cleanup(srv.Close)
		cfg = srv.TLS
		l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
		if err != nil {
			t.Fatal(err)
		}
		ln = l
	} else {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln = l
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		if tc, ok := c.(*tls.Conn); ok {
			tc.Handshake()
		}
		accepted <- c
	}()
	var err error
	if useTLS {
		client, err = tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	} else {
		client, err = net.Dial("tcp", ln.Addr().String())
	}
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

// The sweep tells a client that left from one that waits, over TCP and TLS, whatever it sent
// unread before: a pipelined request, or TLS's close_notify on the way out.
func TestPeerClosedSeesClientsThatLeft(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		for _, pipelined := range []bool{false, true} {
			server, client := connPair(t, useTLS)
			if pipelined {
				io.WriteString(client, "GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
			}
			deadline := time.Now().Add(5 * time.Second)
			time.Sleep(50 * time.Millisecond) // what it sent, there to be read
			if peerClosed(server) {
				t.Errorf("tls %v, pipelined %v: a client still there is taken for gone", useTLS, pipelined)
			}
			client.Close()
			for !peerClosed(server) {
				if time.Now().After(deadline) {
					t.Fatalf("tls %v, pipelined %v: a client that closed is not seen", useTLS, pipelined)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
}

// A parked answer that panics is a 500 with the API's error object, logged, and the server
// goes on: the middleware's recover is not on the goroutine that answers.
func TestParkedAnswerThatPanicsIsA500(t *testing.T) {
	var log strings.Builder
	lot := NewParking(slog.New(slog.NewTextHandler(&log, nil)))
	srv := httptest.NewServer(Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := lot.Park(w, r)
		if !ok {
			t.Error("not parked")
			return
		}
		go p.Answer(func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	}), slog.New(slog.DiscardHandler), NewMetrics()))
	defer srv.Close()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 500 || !strings.Contains(string(body), `"type":"api_error"`) || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("answered %d %q %v", res.StatusCode, body, res.Header)
	}
	if !strings.Contains(log.String(), "boom") {
		t.Errorf("the panic is not logged: %q", log.String())
	}
}
