package domain

import (
	"strings"
	"testing"
	"time"
)

func TestIDsSortAsTheyWereMade(t *testing.T) {
	start := time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC)
	prev := ""
	for i := range 2000 {
		// Several ids in one millisecond, then the next: each sorts after every earlier
		// millisecond's, whatever its random part.
		id := newID("cs", start.Add(time.Duration(i/4)*time.Millisecond))
		if len(id) != len("cs_")+26 {
			t.Fatalf("%s: %d characters, want 3 + 26", id, len(id))
		}
		if strings.Trim(id[3:], idDigits) != "" {
			t.Fatalf("%s: characters outside crypto/rand.Text's alphabet", id)
		}
		if i%4 == 0 && id <= prev {
			t.Fatalf("%s sorts before %s, made a millisecond earlier", id, prev)
		}
		prev = id
	}
	if a, b := NewID("evt"), NewID("evt"); a == b || a[4:14] > b[4:14] {
		t.Fatalf("two fresh ids %s, %s: want distinct, in the order made", a, b)
	}
}
