package checkout

// TaxFreeShare lets the table test in refund_test.go (package checkout_test) reach the tax-free
// rule directly, beside the service tests that see it through refunds.
var TaxFreeShare = taxFreeShare

// Following tells whether s's FollowChanges hears the other instances now, for tests that
// change a checkout through another instance.
func Following(s *Service) bool { return s.following.Load() }
