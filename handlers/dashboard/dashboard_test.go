package dashboard

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/sessions"

	"github.com/kpcheckout/kpcheckout/app"
)

func TestDashboardCookieIsSecureOverHTTPS(t *testing.T) {
	for base, secure := range map[string]bool{"https://pay.example": true, "http://127.0.0.1:8080": false} {
		cs := sessions.NewCookieStore([]byte("0123456789abcdef0123456789abcdef"))
		h := New(Config{Services: &app.Services{}, BaseURL: base, Sessions: cs, Logger: slog.New(slog.DiscardHandler)})
		rec := httptest.NewRecorder()
		s := sessions.NewSession(cs, dashSessionName)
		s.Values[dashSessionKey] = "token"
		h.save(rec, httptest.NewRequest("GET", "/dashboard", nil), s)
		c := rec.Result().Cookies()
		if len(c) != 1 || c[0].Secure != secure || !c[0].HttpOnly || c[0].SameSite != http.SameSiteLaxMode || c[0].Path != "/dashboard" {
			t.Errorf("%s: cookies %+v", base, c)
		}
	}
}
