package handlers_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestStatusLongPollsAreCappedPerClient(t *testing.T) {
	e := newEnvWith(t, envOptions{waitsPerIP: 2})
	c := e.createCheckout("")
	known := e.status(c.ID, "").State
	woke := make(chan statusObj, 2)
	for range 2 {
		go func() { woke <- e.status(c.ID, "?wait=20&known="+known) }()
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.svc.Notifier().Waiting() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the two polls never waited")
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	res, err := http.Get(e.base + "/c/" + c.ID + "/status?wait=20&known=" + known)
	if err != nil {
		t.Fatal(err)
	}
	var third statusObj
	json.NewDecoder(res.Body).Decode(&third)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Retry-After") != "5" || third.State != known || time.Since(start) > 2*time.Second {
		t.Errorf("a third poll over the cap: %d Retry-After %q %+v after %v", res.StatusCode, res.Header.Get("Retry-After"), third, time.Since(start))
	}
	if res := e.api("POST", "/v1/checkouts/"+c.ID+"/expire", "", nil); res.StatusCode != 200 {
		t.Fatalf("expire: %d", res.StatusCode)
	}
	for range 2 {
		select {
		case st := <-woke:
			if st.Status != "expired" || st.RedirectURL == nil {
				t.Errorf("a waiting poll answered %+v", st)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("a waiting poll did not wake")
		}
	}
}

func TestStatusOfUnknownCheckoutIs404(t *testing.T) {
	e := newEnv(t)
	for _, q := range []string{"", "?wait=5", "?wait=5&known=open"} {
		start := time.Now()
		res, err := http.Get(e.base + "/c/cs_doesnotexist/status" + q)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 404 || time.Since(start) > time.Second {
			t.Errorf("status%s of an unknown checkout: %d after %v", q, res.StatusCode, time.Since(start))
		}
	}
}

func TestStatusWaitBeyondRangeIsClamped(t *testing.T) {
	e := newEnv(t)
	c := e.createCheckout("")
	known := e.status(c.ID, "").State
	woke := make(chan statusObj, 2)
	// 18446744074 s overflowed to a 0.29 s wait once it was multiplied into a time.Duration; a
	// number past uint64 is as good as "as long as allowed" too.
	for _, wait := range []string{"18446744074", "99999999999999999999"} {
		go func() { woke <- e.status(c.ID, "?wait="+wait+"&known="+known) }()
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.svc.Notifier().Waiting() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the polls never waited")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(time.Second)
	select {
	case st := <-woke:
		t.Fatalf("a poll answered early: %+v", st)
	default:
	}
	if res := e.api("POST", "/v1/checkouts/"+c.ID+"/expire", "", nil); res.StatusCode != 200 {
		t.Fatalf("expire: %d", res.StatusCode)
	}
	for range 2 {
		select {
		case st := <-woke:
			if st.Status != "expired" {
				t.Errorf("a waiting poll answered %+v", st)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("a waiting poll did not wake")
		}
	}
}
