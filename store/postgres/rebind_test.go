package postgres

import "testing"

func TestRebind(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`UPDATE t SET a = ?, b = ? WHERE id = ?`, `UPDATE t SET a = $1, b = $2 WHERE id = $3`},
		{`SELECT ?1, ?2, ?1, ?12`, `SELECT $1, $2, $1, $12`},
		{`x LIKE ? ESCAPE '\' AND y = '?' AND "a?b" = ?`, `x LIKE $1 ESCAPE '\' AND y = '?' AND "a?b" = $2`},
		{"a = ? -- why? because\nAND b = ?", "a = $1 -- why? because\nAND b = $2"},
		{`a = 'it''s?' AND b = ?`, `a = 'it''s?' AND b = $1`},
		{`WHERE a = $1 AND b = $2`, `WHERE a = $1 AND b = $2`},
		{`a = ? AND b = 'open`, `a = $1 AND b = 'open`},
		{"a = ? --", "a = $1 --"},
		{`a IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, `a IN ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`},
	} {
		if got := rebind(tc.in); got != tc.want {
			t.Errorf("rebind(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	var r rebinder
	for range 2 {
		if got := r.rebind(`a = ?`); got != `a = $1` {
			t.Errorf("cached: %q", got)
		}
	}
}
