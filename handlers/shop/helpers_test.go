package shop_test

import (
	"net/url"
	"testing"
)

// setQueryParam returns raw with the query parameter k set to v (removed when v is empty).
func setQueryParam(t *testing.T, raw, k, v string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if v == "" {
		q.Del(k)
	} else {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
