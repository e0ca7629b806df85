// Package static serves kpcheckout's CSS and JavaScript, embedded, under names that carry a
// hash of their content so that browsers may cache them for good.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed *.css *.js
var files embed.FS

// Assets maps each file to its cache-busted name.
type Assets struct {
	prefix string
	urls   map[string]string // "checkout.css" → "/static/checkout.1a2b3c4d.css"
	byName map[string][]byte // "checkout.1a2b3c4d.css" → content
	plain  map[string][]byte // "embed.js" → content: the names merchants' pages load
}

// Load reads the embedded files; prefix is the URL path they are served under ("/static/").
func Load(prefix string) (*Assets, error) {
	a := &Assets{prefix: prefix, urls: map[string]string{}, byName: map[string][]byte{}, plain: map[string][]byte{}}
	names, err := fs.Glob(files, "*.*")
	if err != nil {
		return nil, fmt.Errorf("static: %w", err)
	}
	for _, name := range names {
		if strings.HasSuffix(name, ".go") {
			continue
		}
		b, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("static: %w", err)
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:4]) + ext
		a.urls[name] = prefix + hashed
		a.byName[hashed] = b
		a.plain[name] = b
	}
	return a, nil
}

// URL returns the cache-busted URL of a file, such as "/static/checkout.1a2b3c4d.css".
func (a *Assets) URL(name string) string { return a.urls[name] }

// ServeHTTP serves a file by its cache-busted name, cached for a year, or by its plain name (the
// embed script a merchant's page loads as /static/embed.js), cached for 5 minutes.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, a.prefix)
	cache := "public, max-age=31536000, immutable"
	b, ok := a.byName[name]
	if !ok {
		b, ok = a.plain[name]
		cache = "public, max-age=300"
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	w.Header().Set("Cache-Control", cache)
	w.Header().Set("Access-Control-Allow-Origin", "*") // a merchant's page may load it from anywhere
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(b)
}
