package checkout

// Following tells whether s's FollowChanges hears the other instances now, for tests that
// change a checkout through another instance.
func Following(s *Service) bool { return s.following.Load() }

// SetPruneBatches sets how many rows one retention transaction deletes and how many of them
// one pass makes per table, so that a test makes a backlog larger than one pass cheaply.
func SetPruneBatches(s *Service, rows, batches int) {
	s.retention.batch, s.retention.batches = rows, batches
}
