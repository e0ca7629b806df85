package api

import (
	"fmt"
	"net/http"

	"github.com/kpcheckout/kpcheckout/checkout"
	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/objects"
	"github.com/kpcheckout/kpcheckout/store"
)

// answerBound answers a retry whose Idempotency-Key is bound to what its first request did, when
// that request never stored its answer (it crashed, the database failed that write, or it is
// still running): the object as it is now, with the status and shape the first request answered.
func (a *Handler) answerBound(w http.ResponseWriter, r *http.Request, m *store.Merchant, k *store.IdempotencyKey) error {
	ctx, id := r.Context(), k.ObjectID
	switch k.ObjectType {
	case domain.BoundRefund:
		ref, err := a.payments.RefundOutcome(ctx, id)
		return a.answerRefund(w, r, m, ref, err)
	case domain.BoundCharge:
		ch, err := a.payments.ChargeOutcome(ctx, id)
		return answerMade(w, ch, err, checkout.ChargeOpen, objects.NewCharge)
	case domain.BoundDeactivation:
		ag, err := a.payments.DeactivationOutcome(ctx, id)
		return answer(w, ag, err, objects.NewAgreement)
	case domain.BoundCheckout, domain.BoundExpiry:
		return a.replayCheckout(w, r, m, id, k.ObjectType == domain.BoundCheckout)
	case domain.BoundAttempt:
		return a.replayAttempt(w, r, m, id)
	case domain.BoundLink, domain.BoundLinkDeactivation:
		return a.replayLink(w, r, m, id, k.ObjectType == domain.BoundLink)
	case domain.BoundEndpoint, domain.BoundEndpointUpdate, domain.BoundSecretRotation:
		return a.replayEndpoint(w, r, m, id, k.ObjectType)
	case domain.BoundPing:
		return a.answerEvent(w, r, m, id, http.StatusCreated)
	case domain.BoundRedelivery:
		return a.answerEvent(w, r, m, id, http.StatusOK)
	case domain.BoundMerchantUpdate:
		web.WriteJSON(w, http.StatusOK, merchantObject(m)) // m was read after the first request committed
		return nil
	}
	return fmt.Errorf("idempotency key bound to an unknown object %q %q", k.ObjectType, id)
}

// replayCheckout answers a checkout the key created (201) or expired (200).
func (a *Handler) replayCheckout(w http.ResponseWriter, r *http.Request, m *store.Merchant, id string, created bool) error {
	st, err := a.checkouts.Checkout(r.Context(), m, id)
	if err != nil {
		return err
	}
	web.WriteJSON(w, replayStatus(w, created, "/v1/checkouts/"+id), a.checkoutObject(st))
	return nil
}

// replayAttempt answers the attempt the key started (201), found among the attempts of the
// checkout in the request's path.
func (a *Handler) replayAttempt(w http.ResponseWriter, r *http.Request, m *store.Merchant, id string) error {
	st, err := a.checkouts.Checkout(r.Context(), m, r.PathValue("id"))
	if err != nil {
		return err
	}
	for _, at := range st.Attempts {
		if at.ID == id {
			obj, err := a.attemptObject(at)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, obj)
			return nil
		}
	}
	return fmt.Errorf("idempotency key bound to attempt %s, not one of checkout %s", id, st.Checkout.ID)
}

// replayLink answers a link the key created (201) or deactivated (200).
func (a *Handler) replayLink(w http.ResponseWriter, r *http.Request, m *store.Merchant, id string, created bool) error {
	l, err := a.links.Link(r.Context(), m, id)
	if err != nil {
		return err
	}
	return a.answerLink(w, r, l, replayStatus(w, created, "/v1/links/"+id))
}

// replayEndpoint answers an endpoint the key created (201, with its secret), changed (200) or
// gave a new secret (200, with it).
func (a *Handler) replayEndpoint(w http.ResponseWriter, r *http.Request, m *store.Merchant, id, kind string) error {
	ep, err := a.endpoints.Endpoint(r.Context(), m, id)
	if err != nil {
		return err
	}
	status, secret := http.StatusOK, ""
	if kind != domain.BoundEndpointUpdate {
		secret = ep.Secret
	}
	if kind == domain.BoundEndpoint {
		w.Header().Set("Location", "/v1/webhook_endpoints/"+id)
		status = http.StatusCreated
	}
	web.WriteJSON(w, status, objects.NewEndpoint(ep, secret))
	return nil
}

// replayStatus is the status a replayed request first answered: 201 with the Location of what it
// created, or 200 for a change.
func replayStatus(w http.ResponseWriter, created bool, location string) int {
	if !created {
		return http.StatusOK
	}
	w.Header().Set("Location", location)
	return http.StatusCreated
}
