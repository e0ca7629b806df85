package shop_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestStatusLongPollsAreCappedPerClient(t *testing.T) {
	e := handlerstest.NewWith(t, handlerstest.Options{WaitsPerIP: 2})
	c := e.CreateCheckout("")
	known := e.Status(c.ID, "").State
	woke := make(chan handlerstest.StatusObject, 2)
	for range 2 {
		go func() { woke <- e.Status(c.ID, "?wait=20&known="+known) }()
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.Checkouts.Notifier().Waiting() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the two polls never waited")
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now() // the third answers at once, not after its 20 s wait
	res, err := http.Get(e.URL + "/c/" + c.ID + "/status?wait=20&known=" + known)
	if err != nil {
		t.Fatal(err)
	}
	var third handlerstest.StatusObject
	json.NewDecoder(res.Body).Decode(&third)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Retry-After") != "5" || third.State != known || time.Since(start) > 10*time.Second {
		t.Errorf("a third poll over the cap: %d Retry-After %q %+v after %v", res.StatusCode, res.Header.Get("Retry-After"), third, time.Since(start))
	}
	if res := e.API("POST", "/v1/checkouts/"+c.ID+"/expire", "", nil); res.StatusCode != 200 {
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
