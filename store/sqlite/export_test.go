package sqlite

// Wrap is wrap, for tests of how driver errors are told apart.
var Wrap = wrap

// Moved is db.moved, for its benchmark.
func (db *DB) Moved() error { return db.moved() }
