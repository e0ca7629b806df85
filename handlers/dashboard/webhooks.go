package dashboard

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/views"
	"github.com/kpcheckout/kpcheckout/webhook"
)

// endpointDeliveries is how many of an endpoint's latest deliveries its page lists.
const endpointDeliveries = 50

// webhookNotices are the notices a page shows after an action redirected to it (?done=…).
var webhookNotices = []string{"test", "redeliver", "enabled", "disabled", "deleted", "secret_gone"}

// ListWebhooks serves GET /dashboard/webhooks: the merchant's endpoints and the form that adds one.
func (h *Webhooks) ListWebhooks(w http.ResponseWriter, r *http.Request, u *User) error {
	form := views.DashEndpointForm{Events: []string{"*"}, Token: rand.Text()}
	return h.showWebhooks(w, r, u, http.StatusOK, form)
}

// showWebhooks answers the list of endpoints with form, in status.
func (h *Handler) showWebhooks(w http.ResponseWriter, r *http.Request, u *User, status int, form views.DashEndpointForm) error {
	list, err := h.endpoints.Endpoints(r.Context(), u.Merchant)
	if err != nil {
		return err
	}
	form.EventTypes = webhook.EndpointEventTypes()
	p := views.DashWebhooksModel{Nav: h.webhooksNav(w, r, u, "/dashboard/webhooks"), Notice: webhookNotice(r), Form: form}
	for _, ep := range list {
		p.Endpoints = append(p.Endpoints, endpointRow(ep))
	}
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, status, views.DashWebhooks(p))
	return nil
}

// CreateWebhook serves POST /dashboard/webhooks: it adds an endpoint and shows its secret once.
// Refused input shows the form again, with what was typed and why beside the field (400).
func (h *Webhooks) CreateWebhook(w http.ResponseWriter, r *http.Request, u *User) error {
	if err := r.ParseForm(); err != nil {
		return web.UnreadableBody(err)
	}
	form := views.DashEndpointForm{URL: strings.TrimSpace(r.PostForm.Get("url")),
		Description: strings.TrimSpace(r.PostForm.Get("description")), Events: r.PostForm["events"], Token: r.PostForm.Get("token")}
	// No box ticked is an empty list, which the service refuses, rather than nil ("all events").
	p := webhook.EndpointParams{Description: &form.Description, EnabledEvents: append([]string{}, form.Events...)}
	if form.URL != "" {
		p.URL = &form.URL
	}
	if slices.Contains(p.EnabledEvents, "*") {
		p.EnabledEvents = []string{"*"}
	}
	content := form.URL + "\n" + form.Description + "\n" + strings.Join(p.EnabledEvents, ",")
	done, err := h.once(r, u.Merchant, "create", "", content, func() (string, error) {
		ce, err := h.endpoints.Create(r.Context(), u.Merchant, p)
		if err != nil {
			return "", err
		}
		return ce.Endpoint.ID + " " + secretSum(ce.Secret), nil
	})
	if err != nil {
		he := web.AsError(err)
		if he.Status() != http.StatusBadRequest || he.Param() == "token" {
			return err
		}
		ctx, _ := h.pageContext(w, r)
		form.ErrorField, form.Error = endpointField(he.Param()), webhookMessage(views.L(ctx), he.Code())
		return h.showWebhooks(w, r, u, http.StatusBadRequest, form)
	}
	id, sum, _ := strings.Cut(done, " ")
	return h.showSecret(w, r, u, id, sum, false)
}

// showSecret shows endpoint id's secret when it is still the one whose sum is sum (a resent form
// shows what the first send showed); once it has been replaced, the endpoint's page says so.
func (h *Handler) showSecret(w http.ResponseWriter, r *http.Request, u *User, id, sum string, rotated bool) error {
	ep, err := h.endpoints.Endpoint(r.Context(), u.Merchant, id)
	if err != nil {
		return err
	}
	if secretSum(ep.Secret) != sum {
		http.Redirect(w, r, "/dashboard/webhooks/"+id+"?done=secret_gone", http.StatusSeeOther)
		return nil
	}
	p := views.DashEndpointSecretModel{Nav: h.webhooksNav(w, r, u, "/dashboard/webhooks/"+id), EndpointID: id, URL: ep.URL, Secret: ep.Secret}
	if rotated {
		p.PreviousSecretUntil = ep.PreviousSecretExpiresAt
	}
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashEndpointSecret(p))
	return nil
}

// ShowWebhook serves GET /dashboard/webhooks/{endpointID}: one endpoint, its actions and its
// latest deliveries.
func (h *Webhooks) ShowWebhook(w http.ResponseWriter, r *http.Request, u *User) error {
	id := r.PathValue("endpointID")
	ep, err := h.endpoints.Endpoint(r.Context(), u.Merchant, id)
	if err != nil {
		return err
	}
	list, err := h.endpoints.Deliveries(r.Context(), u.Merchant, id, endpointDeliveries)
	if err != nil {
		return err
	}
	p := views.DashEndpointModel{Nav: h.webhooksNav(w, r, u, ""), Endpoint: endpointRow(ep), Notice: webhookNotice(r), Token: rand.Text()}
	if ep.PreviousSecret != "" && ep.PreviousSecretExpiresAt.After(h.clock.Now()) {
		p.PreviousSecretUntil = ep.PreviousSecretExpiresAt
	}
	for _, d := range list {
		row := views.DashDelivery{EventID: d.EventID, EventType: d.Event.Type, Status: d.Status, Attempts: d.Delivery.Delivery.Attempts,
			CreatedAt: d.CreatedAt, Waiting: d.Waiting}
		if d.Retrying() {
			row.NextAttemptAt = d.NextAttemptAt
		}
		if n := len(d.Delivery.Attempts); n > 0 {
			last := d.Delivery.Attempts[n-1]
			row.StatusCode, row.Error, row.Latency = last.StatusCode, last.Error, last.Latency
		}
		p.Deliveries = append(p.Deliveries, row)
	}
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashEndpoint(p))
	return nil
}

// SetWebhookDisabled serves POST /dashboard/webhooks/{endpointID}/enable and …/disable; sent
// twice, the endpoint simply stays as asked.
func (h *Webhooks) SetWebhookDisabled(disabled bool) dashHandler {
	return func(w http.ResponseWriter, r *http.Request, u *User) error {
		id := r.PathValue("endpointID")
		if _, err := h.endpoints.Update(r.Context(), u.Merchant, id, webhook.EndpointParams{Disabled: &disabled}); err != nil {
			return err
		}
		done := "enabled"
		if disabled {
			done = "disabled"
		}
		http.Redirect(w, r, "/dashboard/webhooks/"+id+"?done="+done, http.StatusSeeOther)
		return nil
	}
}

// TestWebhook serves POST /dashboard/webhooks/{endpointID}/test: a ping to the endpoint, sent
// once per form.
func (h *Webhooks) TestWebhook(w http.ResponseWriter, r *http.Request, u *User) error {
	id := r.PathValue("endpointID")
	return h.deliverOnce(w, r, u, id, id, "test", func() error {
		_, err := h.endpoints.Ping(r.Context(), u.Merchant, id, nil)
		return err
	})
}

// RotateWebhookSecret serves POST /dashboard/webhooks/{endpointID}/rotate: a new secret, shown
// once; the old one signs beside it for 24 hours. A resent form rotates once and shows the same
// new secret.
func (h *Webhooks) RotateWebhookSecret(w http.ResponseWriter, r *http.Request, u *User) error {
	id := r.PathValue("endpointID")
	sum, err := h.once(r, u.Merchant, "rotate", id, "", func() (string, error) {
		ce, err := h.endpoints.RotateSecret(r.Context(), u.Merchant, id, nil)
		if err != nil {
			return "", err
		}
		return secretSum(ce.Secret), nil
	})
	if err != nil {
		return err
	}
	return h.showSecret(w, r, u, id, sum, true)
}

// RedeliverWebhook serves POST /dashboard/webhooks/{endpointID}/events/{eventID}/redeliver: the
// event sent to this endpoint again, once per form.
func (h *Webhooks) RedeliverWebhook(w http.ResponseWriter, r *http.Request, u *User) error {
	id, eventID := r.PathValue("endpointID"), r.PathValue("eventID")
	return h.deliverOnce(w, r, u, id, id+"-"+eventID, "redeliver", func() error {
		_, err := h.events.Redeliver(r.Context(), u.Merchant, eventID, id, nil)
		return err
	})
}

// deliverOnce does action, a form's that queues a delivery to endpoint id (a test event, a
// redelivery), once per form (see once; target is what it acts on), wakes the deliverer so that
// it goes out now, and shows the endpoint's page saying it was done.
func (h *Webhooks) deliverOnce(w http.ResponseWriter, r *http.Request, u *User, id, target, action string, queue func() error) error {
	if _, err := h.once(r, u.Merchant, action, target, "", func() (string, error) { return "", queue() }); err != nil {
		return err
	}
	h.deliveries.Wake()
	http.Redirect(w, r, "/dashboard/webhooks/"+id+"?done="+action, http.StatusSeeOther)
	return nil
}

// ConfirmDeleteWebhook serves GET /dashboard/webhooks/{endpointID}/delete: the question before
// an endpoint is deleted.
func (h *Webhooks) ConfirmDeleteWebhook(w http.ResponseWriter, r *http.Request, u *User) error {
	ep, err := h.endpoints.Endpoint(r.Context(), u.Merchant, r.PathValue("endpointID"))
	if err != nil {
		return err
	}
	p := views.DashEndpointDeleteModel{Nav: h.webhooksNav(w, r, u, ""), Endpoint: endpointRow(ep), Token: rand.Text()}
	ctx, _ := h.pageContext(w, r)
	h.pages.Render(w, r, ctx, http.StatusOK, views.DashEndpointDelete(p))
	return nil
}

// DeleteWebhook serves POST /dashboard/webhooks/{endpointID}/delete: the confirmed deletion; a
// resent confirmation finds it done.
func (h *Webhooks) DeleteWebhook(w http.ResponseWriter, r *http.Request, u *User) error {
	id := r.PathValue("endpointID")
	_, err := h.once(r, u.Merchant, "delete", id, "", func() (string, error) {
		return "", h.endpoints.Delete(r.Context(), u.Merchant, id)
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/dashboard/webhooks?done=deleted", http.StatusSeeOther)
	return nil
}

// errWebhookFormBusy answers a resent webhook form whose first send is still running.
var errWebhookFormBusy = web.Conflict("webhook_form_busy", "this form was already sent and is still being handled")

// errWebhookFormReused answers a form's token sent again with other values.
var errWebhookFormReused = web.Conflict("webhook_form_reused", "this form was already sent with other values; open the page again")

// once does a webhook form's action at most once. The form's one-time token, with the action and
// its target, is an Idempotency-Key of the merchant: a double click or a resent form gets back
// what the first send's do returned, without doing it again. content is what else the form sent
// (the same token with other content is refused); a refused do frees the token for a retry.
func (h *Handler) once(r *http.Request, m *store.Merchant, action, target, content string, do func() (string, error)) (string, error) {
	if err := r.ParseForm(); err != nil {
		return "", web.UnreadableBody(err)
	}
	token := r.PostForm.Get("token")
	if len(token) < 16 || len(token) > 64 {
		return "", web.Invalid("parameter_invalid", "the form's token is missing: open the page again", "token")
	}
	sum := sha256.Sum256([]byte(action + "\n" + target + "\n" + content))
	at := sha256.Sum256([]byte(action + "\n" + target)) // the ids come from the path: any length
	held, prev, err := h.keys.Reserve(r.Context(), m.ID, "dashboard-webhook-"+hex.EncodeToString(at[:8])+"-"+token,
		hex.EncodeToString(sum[:]), 5*time.Second)
	switch {
	case errors.Is(err, domain.ErrKeyReused):
		return "", errWebhookFormReused
	case errors.Is(err, domain.ErrKeyBusy):
		return "", errWebhookFormBusy
	case err != nil:
		return "", err
	case prev != nil:
		return string(prev.Body), nil
	}
	result, err := do()
	if err != nil {
		if rerr := h.keys.Release(r.Context(), held); rerr != nil {
			h.log.ErrorContext(r.Context(), "releasing a dashboard webhook form's key", "err", rerr)
		}
		return "", err
	}
	if err := h.keys.Complete(r.Context(), held, http.StatusOK, []byte(result)); err != nil {
		h.log.ErrorContext(r.Context(), "completing a dashboard webhook form's key", "err", err)
	}
	return result, nil
}

// secretSum identifies a secret without keeping it: a resent form's answer is stored with the
// sum, and shows the secret only while the endpoint still has it.
func secretSum(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// endpointRow is an endpoint as the pages show it.
func endpointRow(ep *store.WebhookEndpoint) views.DashEndpointRow {
	return views.DashEndpointRow{ID: ep.ID, URL: ep.URL, Description: ep.Description, Disabled: ep.Disabled,
		Events: ep.EnabledEvents, CreatedAt: ep.CreatedAt}
}

// endpointField is the form field a refused parameter belongs to.
func endpointField(param string) string {
	switch {
	case param == "url", param == "description":
		return param
	case strings.HasPrefix(param, "enabled_events"):
		return "events"
	}
	return "url"
}

// webhookMessage is the message id that explains a refusal's code: the webhook pages' own, the
// dashboard's, or the default.
func webhookMessage(l *views.Localizer, code string) string {
	for _, id := range []string{"dash.webhooks.error." + code, "dash.error." + code} {
		if l.Has(id) {
			return id
		}
	}
	return "dash.error.default"
}

// webhookNotice is the message id of the notice ?done= asks for, or "".
func webhookNotice(r *http.Request) string {
	if done := r.URL.Query().Get("done"); slices.Contains(webhookNotices, done) {
		return "dash.webhooks.done." + done
	}
	return ""
}

// webhooksNav is the menu with webhooks current; a page answering a form switches language to
// path (a GET page) instead of the form's own address.
func (h *Handler) webhooksNav(w http.ResponseWriter, r *http.Request, u *User, path string) views.DashNav {
	nav := h.nav(w, r, u, "webhooks")
	if path != "" && r.Method == http.MethodPost {
		if switched, err := url.Parse(nav.LangURL); err == nil {
			nav.LangURL = path + "?" + url.Values{"lang": {switched.Query().Get("lang")}}.Encode()
		}
	}
	return nav
}
