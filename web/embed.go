// Package web is Fieldwork's web console for dispatchers: a few static pages (plain JavaScript
// modules, no framework and no build step) embedded in the binary. The console works only
// through the public HTTP API, with the token the user pastes when signing in; it never
// reaches the store, so it can do nothing an integrator could not.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// Paths of the console: its page is served at IndexPath, its other files under AssetPrefix
// (one flat folder, so that no path of the console needs a trailing slash, which the API's
// middleware strips).
const (
	IndexPath   = "/"
	AssetPrefix = "/console/"
)

// contentSecurityPolicy allows only the console's own scripts, styles and API calls. Images
// may come from anywhere: photo and signature values are URLs the tasks hold.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: https: http:; connect-src 'self'; frame-ancestors 'none'; " +
	"base-uri 'none'; form-action 'self'"

// asset is one embedded file with its validator.
type asset struct {
	body []byte
	etag string
}

// Handler serves the console: index.html at "/" and every other file of static/ at
// "/console/<name>". Files are revalidated on every load (ETag), so an upgraded binary is
// picked up at once.
func Handler() http.Handler {
	files, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded folder is fixed at build time
	}
	assets := map[string]asset{}
	err = fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		assets[name] = asset{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := "index.html"
		if r.URL.Path != IndexPath {
			name = strings.TrimPrefix(r.URL.Path, AssetPrefix)
		}
		a, ok := assets[name]
		if !ok || name == "index.html" && r.URL.Path != IndexPath {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("ETag", a.etag)
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
	})
}
