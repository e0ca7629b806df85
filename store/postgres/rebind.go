package postgres

import (
	"strconv"
	"strings"
	"sync"
)

// maxRebound bounds a rebinder's cache; queries beyond it are rewritten on every call.
const maxRebound = 1024

// rebinder rewrites the ? placeholders of the shared queries (store/sqlstore) as PostgreSQL's
// $1, $2, … once per query text, and keeps the result.
type rebinder struct {
	mu   sync.RWMutex
	done map[string]string
}

// rebind answers query with its placeholders rewritten (see rebind).
func (r *rebinder) rebind(query string) string {
	r.mu.RLock()
	q, ok := r.done[query]
	r.mu.RUnlock()
	if ok {
		return q
	}
	q = rebind(query)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done == nil {
		r.done = map[string]string{}
	}
	if len(r.done) < maxRebound {
		r.done[query] = q
	}
	return q
}

// rebind rewrites each ? of query as $1, $2, … in turn, and each ?N as $N; a ? inside quotes
// or a -- comment stays. A query written with $N already is left as it is, so long as it uses
// no ? operator (PostgreSQL's jsonb ? is jsonb_exists) and no $$ quotes holding one.
func rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		switch c := query[i]; {
		case c == '\'' || c == '"':
			end := strings.IndexByte(query[i+1:], c)
			if end < 0 {
				end = len(query) - i - 2
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				end = len(query) - i
			}
			b.WriteString(query[i : i+end])
			i += end - 1
		case c == '?':
			digits := i + 1
			for digits < len(query) && query[digits] >= '0' && query[digits] <= '9' {
				digits++
			}
			b.WriteByte('$')
			if digits > i+1 {
				b.WriteString(query[i+1 : digits])
				i = digits - 1
			} else {
				n++
				b.WriteString(strconv.Itoa(n))
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
