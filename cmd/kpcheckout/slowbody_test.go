package main

import (
	"fmt"
	"net"
	"testing"
	"time"
)

// A client that drips its request body a byte a second is cut off within 30 s, instead of
// holding a connection (and a goroutine) for as long as it likes.
func TestSlowBodyIsCutWithin30s(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 30 s")
	}
	t.Parallel()
	r := newCrashRig(t)
	r.start("")
	conn, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST /v1/checkouts HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", r.addr, r.key)
	cut := make(chan time.Duration, 1)
	go func() {
		buf := make([]byte, 512)
		for {
			if _, err := conn.Read(buf); err != nil {
				cut <- time.Since(start)
				return
			}
		}
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case d := <-cut:
			if d < 25*time.Second {
				t.Errorf("cut after %v: a slow but live client deserves its 30 s", d)
			}
			t.Logf("the server closed the connection after %v", d.Round(100*time.Millisecond))
			// The server still answers everybody else.
			if code := r.api("GET", "/v1/checkouts?limit=1", "", nil); code != 200 {
				t.Errorf("after the cut the API answered %d", code)
			}
			return
		case <-tick.C:
			if time.Since(start) > 35*time.Second {
				t.Fatal("a body dripped a byte a second still holds its connection after 35 s")
			}
			conn.Write([]byte(" "))
		}
	}
}
