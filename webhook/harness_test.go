package webhook_test

import (
	"testing"

	"github.com/kpcheckout/kpcheckout/app/apptest"
)

// harness is apptest's, with the helpers of this package's tests.
type harness struct{ *apptest.Harness }

func newHarness(t *testing.T) *harness {
	t.Helper()
	return &harness{apptest.New(t)}
}

func newHarnessWith(t *testing.T, o apptest.Options) *harness {
	t.Helper()
	return &harness{apptest.NewWith(t, o)}
}
