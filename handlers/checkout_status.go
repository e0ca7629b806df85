package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/kpcheckout/kpcheckout/checkout"
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

// showStatus answers the checkout's status; with ?wait=N it waits up to N seconds (at most 30)
// for the state to differ from ?known= (or from what it is now).
func (h *Shopper) showStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	q := r.URL.Query()
	var wait time.Duration
	if v := q.Get("wait"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeJSONError(w, http.StatusBadRequest, "invalid_request_error", "parameter_invalid", "wait must be a whole number of seconds", "wait")
			return
		}
		wait = min(time.Duration(n)*time.Second, maxWait)
	}
	known := q.Get("known")
	if wait > 0 && known == "" {
		st, err := h.svc.Snapshot(r.Context(), id)
		if err != nil {
			h.statusError(w, err)
			return
		}
		known = st.Key()
	}
	if wait > 0 {
		if release := h.waits.acquire(r); release != nil {
			defer release()
		} else {
			// Too many waiting polls: answer now, and ask the page to come back a little later.
			w.Header().Set("Retry-After", "5")
			wait = 0
		}
	}
	st, err := h.svc.Wait(r.Context(), id, known, wait)
	if err != nil {
		h.statusError(w, err)
		return
	}
	out := statusJSON{ID: st.Checkout.ID, Status: st.Checkout.Status, ExpiresAt: st.Checkout.ExpiresAt.Format(time.RFC3339), State: st.Key()}
	if a := st.Latest(); a != nil {
		out.AttemptStatus = &a.Status
	}
	switch st.Checkout.Status {
	case checkout.StatusPaid:
		u := successURL(st.Checkout.SuccessURL, st.Checkout.ID)
		out.RedirectURL = &u
	case checkout.StatusExpired, checkout.StatusCanceled:
		u := failureURL(st.Checkout.FailureURL, st.Checkout.ID)
		out.RedirectURL = &u
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

func (h *Shopper) statusError(w http.ResponseWriter, err error) {
	var ce *checkout.Error
	if errors.As(err, &ce) {
		writeJSONError(w, statusOf(ce.Kind), errorType(ce.Kind), ce.Code, ce.Message, ce.Param)
		return
	}
	h.log.Error("status", "err", err)
	writeJSONError(w, http.StatusInternalServerError, "api_error", "internal", "internal error", "")
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"type":"api_error","code":"internal","message":"encoding failed","param":null}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
