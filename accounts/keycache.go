package accounts

import (
	"sync"
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// KeyCacheFor bounds how long Authenticate answers from what it read of an API key and its
// merchant: a key revoked, or a merchant's settings changed, through another instance over the
// same database (or another process on the same SQLite file) take effect here within it. A
// change made through this instance takes effect here at once.
const KeyCacheFor = 2 * time.Second

// maxCachedKeys bounds the cache; past it, it starts again empty.
const maxCachedKeys = 10_000

// keyCache remembers authenticated keys by prefix: two reads per API call become none while a
// merchant keeps calling (they were a tenth of creating a checkout's CPU).
type keyCache struct {
	mu      sync.Mutex
	byKey   map[string]cachedKey // by the key's prefix
	version uint64               // grows at every change made here; a read begun before one is not kept
}

type cachedKey struct {
	key      store.APIKey
	merchant *store.Merchant // never handed out: get copies it
	read     time.Time
}

// get answers the cached key and merchant for prefix when they were read less than KeyCacheFor
// before now, and the version to hand put after reading them afresh otherwise.
func (c *keyCache) get(prefix string, now time.Time) (*store.APIKey, *store.Merchant, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[prefix]
	if !ok || now.Sub(e.read) >= KeyCacheFor || now.Before(e.read) {
		return nil, nil, c.version
	}
	// Copies: callers change what they are given (SetEmbedOrigins sets the merchant's origins).
	k, m := e.key, *e.merchant
	return &k, &m, c.version
}

// put remembers a key and its merchant read at now, unless a change was made here since the
// read began (version).
func (c *keyCache) put(k *store.APIKey, m *store.Merchant, now time.Time, version uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if version != c.version {
		return
	}
	if c.byKey == nil || len(c.byKey) >= maxCachedKeys {
		c.byKey = map[string]cachedKey{}
	}
	mc := *m
	c.byKey[k.Prefix] = cachedKey{key: *k, merchant: &mc, read: now}
}

// used records a key's last use in its entry, so that touchKey writes once a minute.
func (c *keyCache) used(prefix string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[prefix]; ok {
		e.key.LastUsedAt = at
		c.byKey[prefix] = e
	}
}

// forget drops everything: a key was revoked or a merchant changed through this instance. Both
// are rare; dropping all is simpler than finding what they touch.
func (c *keyCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version++
	clear(c.byKey)
}
