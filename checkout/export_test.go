package checkout

import (
	"testing"
	"time"
)

// Following tells whether s's FollowChanges hears the other instances now, for tests that
// change a checkout through another instance.
func Following(s *Service) bool { return s.following.Load() }

// WaitFor polls cond in real time until it holds, and fails the test after 5 seconds: for what
// happens on its own, in this package's tests and the external ones (a watcher's poll, a
// listener, a delayed approve at the sandbox).
func WaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s never happened", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
