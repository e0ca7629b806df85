package domain

// SetPruneBatches sets how many rows one retention transaction deletes and how many of them
// one pass makes per table, so that a test makes a backlog larger than one pass cheaply.
func SetPruneBatches(r *Retention, rows, batches int) {
	r.batch, r.batches = rows, batches
}
