package shop

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/handlers/web"
)

// statusJSON is what the status endpoint answers.
type statusJSON struct {
	ID            string  `json:"id"`
	Status        string  `json:"status"`
	AttemptStatus *string `json:"attempt_status"`
	RedirectURL   *string `json:"redirect_url"`
	ExpiresAt     string  `json:"expires_at"`
	State         string  `json:"state"`
}

// maxWait bounds a long-poll.
const maxWait = 30 * time.Second

// ShowStatus answers the checkout's status; with ?wait=N it waits up to N seconds (at most 30)
// for the state to differ from ?known= (or from what it is now).
func (h *Handler) ShowStatus(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	q := r.URL.Query()
	var wait time.Duration
	if v := q.Get("wait"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return web.Invalid("parameter_invalid", "wait must be a whole number of seconds", "wait")
		}
		// Clamped before it becomes a duration: a huge wait must not overflow into a short one.
		wait = time.Duration(min(n, uint64(maxWait/time.Second))) * time.Second
	}
	known := q.Get("known")
	if wait > 0 && known == "" {
		st, err := h.checkouts.Snapshot(r.Context(), id)
		if err != nil {
			return err
		}
		known = st.Key()
	}
	if wait > 0 {
		release := h.waits.Acquire(h.proxies.Client(r))
		if release == nil {
			// Too many waiting polls: answer now, and ask the page to come back a little later.
			w.Header().Set("Retry-After", "5")
			wait = 0
		} else if parked := h.park(w, r, id, known, wait, release); parked {
			return nil
		} else {
			defer release()
		}
	}
	st, err := h.checkouts.Wait(r.Context(), id, known, wait)
	h.writeStatus(w, r, st, err)
	return nil
}

// park parks the poll (see web.Parked): its wait holds no goroutine, no buffers and not the
// request. It reports false when the connection cannot be parked (HTTP/2, HEAD), and the caller
// waits as usual.
func (h *Handler) park(w http.ResponseWriter, r *http.Request, id, known string, wait time.Duration, release func()) bool {
	if r.Method != http.MethodGet {
		return false
	}
	// Counted before the connection leaves net/http, whose shutdown stops seeing it then.
	res := h.checkouts.Reserve()
	p, ok := h.parking.Park(w, r)
	if !ok {
		res.Cancel()
		return false
	}
	p.OnLeave(res.Park(p.Context(), id, known, wait, func(st *checkout.State, err error) {
		release()
		if p.Left() {
			p.Close()
			return
		}
		p.Answer(func(w http.ResponseWriter, r *http.Request) { h.writeStatus(w, r, st, err) })
	}))
	return true
}

// writeStatus answers the status (or err) that a poll found.
func (h *Handler) writeStatus(w http.ResponseWriter, r *http.Request, st *checkout.State, err error) {
	if err != nil {
		web.WriteError(w, r, h.log, err)
		return
	}
	out := statusJSON{ID: st.Checkout.ID, Status: st.Checkout.Status, ExpiresAt: st.Checkout.ExpiresAt.Format(time.RFC3339), State: st.Key()}
	if a := st.Latest(); a != nil {
		out.AttemptStatus = &a.Status
	}
	switch {
	case st.Paid():
		u := successURL(st.Checkout.SuccessURL, st.Checkout.ID)
		out.RedirectURL = &u
	case st.Expired() || st.Canceled():
		u := failureURL(st.Checkout.FailureURL, st.Checkout.ID)
		out.RedirectURL = &u
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, out)
}
