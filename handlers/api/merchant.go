package api

import (
	"net/http"

	"github.com/kpcheckout/kpcheckout/handlers/web"
	"github.com/kpcheckout/kpcheckout/store"
)

// merchantJSON is the merchant's own settings as the API shows them.
type merchantJSON struct {
	ID           string   `json:"id"`
	Object       string   `json:"object"`
	Name         string   `json:"name"`
	Livemode     bool     `json:"livemode"`
	EmbedOrigins []string `json:"embed_origins"`
}

func merchantObject(m *store.Merchant) merchantJSON {
	origins := m.EmbedOrigins
	if origins == nil {
		origins = []string{}
	}
	return merchantJSON{ID: m.ID, Object: "merchant", Name: m.Name, Livemode: m.Livemode, EmbedOrigins: origins}
}

// GetMerchant serves GET /v1/merchant: the calling merchant's settings.
func (a *Handler) GetMerchant(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	web.WriteJSON(w, http.StatusOK, merchantObject(m))
	return nil
}

// UpdateMerchant serves POST /v1/merchant {embed_origins}.
func (a *Handler) UpdateMerchant(w http.ResponseWriter, r *http.Request, m *store.Merchant) error {
	var req struct {
		EmbedOrigins *[]string `json:"embed_origins"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.EmbedOrigins != nil {
		var err error
		if m, err = a.merchants.SetEmbedOrigins(r.Context(), m, *req.EmbedOrigins, idempotencyKey(r)); err != nil {
			return err
		}
	}
	web.WriteJSON(w, http.StatusOK, merchantObject(m))
	return nil
}
