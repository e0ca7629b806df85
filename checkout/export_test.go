package checkout

// Following tells whether s's FollowChanges hears the other instances now, for tests that
// change a checkout through another instance.
func Following(s *Service) bool { return s.following.Load() }
