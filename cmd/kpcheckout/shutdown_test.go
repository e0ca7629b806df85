package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A shopper's page that is waiting for its payment when the server is told to stop gets the
// state then, not a dropped connection: the waiting poll is parked outside net/http, which does
// not wait for it, so the shutdown answers it before the database closes.
func TestShutdownAnswersWaitingLongPolls(t *testing.T) {
	r := newCrashRig(t)
	r.start("")
	var c struct{ ID string }
	if code := r.api("POST", "/v1/checkouts", `{"amount":5000,"success_url":"https://shop.example/ok","failure_url":"https://shop.example/no"}`, &c); code != 201 {
		t.Fatalf("create: %d", code)
	}
	status := func(query string) (int, map[string]any) {
		res, err := http.Get("http://" + r.addr + "/c/" + c.ID + "/status" + query)
		if err != nil {
			return 0, nil
		}
		defer res.Body.Close()
		var st map[string]any
		json.NewDecoder(res.Body).Decode(&st)
		return res.StatusCode, st
	}
	_, st := status("")
	known, _ := st["state"].(string)
	type answer struct {
		code int
		st   map[string]any
	}
	answered := make(chan answer, 1)
	go func() {
		code, st := status("?wait=30&known=" + url.QueryEscape(known))
		answered <- answer{code, st}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(r.metrics(), "\nkpcheckout_status_waiting 1\n") {
		if time.Now().After(deadline) {
			t.Fatal("the poll never waited")
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.proc.Process.Signal(syscall.SIGTERM)
	select {
	case a := <-answered:
		if a.code != 200 || a.st["state"] != known {
			t.Errorf("at shutdown the waiting poll got %d %v", a.code, a.st)
		}
	case <-time.After(10 * time.Second): // its wait was 30 s, begun just before
		t.Fatal("the waiting poll was not answered at shutdown")
	}
	select {
	case err := <-r.exited:
		if err != nil {
			t.Errorf("serve exited with %v:\n%s", err, r.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Error("serve did not stop")
	}
	r.proc = nil
}

// metrics is the server's /metrics text, or "".
func (r *crashRig) metrics() string {
	res, err := http.Get("http://" + r.addr + "/metrics")
	if err != nil {
		return ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}
