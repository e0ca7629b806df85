package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
	"github.com/kpcheckout/kpcheckout/store/storetest/internal/fixture"
)

func testSecrets(t *testing.T, s store.Store) {
	ctx := t.Context()
	if _, err := s.Secret(ctx, "session"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no secret yet: %v", err)
	}
	put := func(v string) error {
		return s.Transact(ctx, func(tx store.Tx) error { return tx.CreateSecret(ctx, "session", []byte(v)) })
	}
	if err := put("first"); err != nil {
		t.Fatal(err)
	}
	if err := put("second"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a second secret of one name: %v", err)
	}
	if v, err := s.Secret(ctx, "session"); err != nil || string(v) != "first" {
		t.Errorf("secret: %q %v", v, err)
	}
}

func testLoginFailures(t *testing.T, s store.Store) {
	ctx := t.Context()
	if f, err := s.LoginFailures(ctx, "ip:127.0.0.1"); err != nil || f.Count != 0 {
		t.Fatalf("none yet: %+v %v", f, err)
	}
	put := func(key string, f store.LoginFailures) {
		t.Helper()
		if err := s.Transact(ctx, func(tx store.Tx) error { return tx.PutLoginFailures(ctx, key, f) }); err != nil {
			t.Fatal(err)
		}
	}
	put("ip:127.0.0.1", store.LoginFailures{Count: 1, Last: fixture.T0})
	put("ip:127.0.0.1", store.LoginFailures{Count: 2, Last: fixture.T0.Add(time.Minute)})
	put("email:a@b.example", store.LoginFailures{Count: 1, Last: fixture.T0})
	if f, err := s.LoginFailures(ctx, "ip:127.0.0.1"); err != nil || f.Count != 2 || !f.Last.Equal(fixture.T0.Add(time.Minute)) {
		t.Errorf("after two: %+v %v", f, err)
	}
	put("ip:127.0.0.1", store.LoginFailures{})
	if f, _ := s.LoginFailures(ctx, "ip:127.0.0.1"); f.Count != 0 {
		t.Errorf("forgotten: %+v", f)
	}
	if f, _ := s.LoginFailures(ctx, "email:a@b.example"); f.Count != 1 {
		t.Errorf("another key: %+v", f)
	}
	put("ip:192.0.2.1", store.LoginFailures{Count: 3, Last: fixture.T0.Add(time.Hour)})
	var n int
	err := s.Transact(ctx, func(tx store.Tx) (err error) {
		n, err = tx.ForgetLoginFailures(ctx, fixture.T0.Add(time.Minute))
		return err
	})
	if err != nil || n != 1 {
		t.Errorf("forgetting the old ones: %d %v", n, err)
	}
	if f, _ := s.LoginFailures(ctx, "email:a@b.example"); f.Count != 0 {
		t.Errorf("an old count stayed: %+v", f)
	}
	if f, _ := s.LoginFailures(ctx, "ip:192.0.2.1"); f.Count != 3 {
		t.Errorf("a recent count went: %+v", f)
	}
}
