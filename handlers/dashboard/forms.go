package dashboard

import (
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/store"
)

// A dashboard form that moves money (a refund, a charge, a deactivation) is confirmed first; the
// confirmation carries a one-time token that becomes the merchant's Idempotency-Key, bound to
// what the form does before KakaoPay is called, so that a double click or a resent form acts
// once. These are its steps.

// confirmationToken reads a confirmation step's one-time token.
func confirmationToken(r *http.Request) (string, error) {
	token := r.PostForm.Get("token")
	if len(token) < 16 || len(token) > 64 {
		return "", web.Invalid("parameter_invalid", "the confirmation is missing: start again from the checkout's page", "token")
	}
	return token, nil
}

// reserve claims a confirmation's Idempotency-Key: held, when this request is to act; done,
// when an earlier send of the same confirmation acted (or is acting) already. Another form
// with the key, or a first send still running after 15 seconds, is a 409 with code busy.
func (h *Handler) reserve(r *http.Request, m *store.Merchant, key string, hash []byte, busy string) (held *domain.Reservation, done bool, err error) {
	held, prev, err := h.keys.Reserve(r.Context(), m.ID, key, hex.EncodeToString(hash), 15*time.Second)
	switch {
	case errors.Is(err, domain.ErrKeyReused), errors.Is(err, domain.ErrKeyBusy):
		return nil, false, web.Conflict(busy, "this confirmation was already sent")
	case err != nil:
		return nil, false, err
	}
	return held, prev != nil, nil
}

// settleKey remembers a held key's request as done, or forgets it when the request failed
// before it bound the key to anything (a bound key is kept: KakaoPay may have been asked).
func (h *Handler) settleKey(r *http.Request, held *domain.Reservation, err error) {
	ctx := r.Context()
	if err != nil {
		if rerr := h.keys.Release(ctx, held); rerr != nil {
			h.log.ErrorContext(ctx, "releasing a dashboard confirmation's key", "err", rerr)
		}
		return
	}
	if cerr := h.keys.Complete(ctx, held, http.StatusSeeOther, nil); cerr != nil {
		h.log.ErrorContext(ctx, "completing a dashboard confirmation's key", "err", cerr)
	}
}

// redirectUnless answers err, or sends the browser to url.
func (h *Handler) redirectUnless(w http.ResponseWriter, r *http.Request, url string, err error) error {
	if err != nil {
		return err
	}
	http.Redirect(w, r, url, http.StatusSeeOther)
	return nil
}
