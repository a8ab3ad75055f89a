package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/httpapi"
	"github.com/fieldwork-dev/fieldwork/internal/testdb"
)

// ownerToken is the Owner token of the test organization.
const ownerToken = "console-e2e-owner-token-0123456789abcdef"

// server is the real HTTP server (API and console) on a fresh SQLite store with one
// organization, "Acme", whose Owner is owner@acme.test with ownerToken.
type server struct {
	t   *testing.T
	URL string
}

func startServer(t *testing.T) *server {
	t.Helper()
	st := testdb.Open(t, testdb.SQLite)
	svc := fieldwork.NewService(st)
	if _, _, _, err := svc.CreateOrganization(context.Background(), "Acme", "owner@acme.test", ownerToken); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.NewServer(svc, slog.New(slog.NewTextHandler(io.Discard, nil)), ""))
	t.Cleanup(srv.Close)
	return &server{t: t, URL: srv.URL}
}

// api calls the API as the Owner and returns the decoded answer; a status other than want
// fails the test.
func (s *server) api(method, path string, body any, want int) map[string]any {
	s.t.Helper()
	var rdr io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rdr = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+"/api/v3"+path, rdr)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+ownerToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		s.t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, raw)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		s.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
	}
	return out
}

// signatureServer serves a drawn signature at <URL>/sig.png, so that signature values are
// real images the console can show (the browser has no network beyond loopback).
func signatureServer(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 240, 80))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	ink := color.RGBA{R: 0x1e, G: 0x3a, B: 0x8a, A: 0xff}
	for x := 20; x < 220; x++ {
		y := 40 + int(18*math.Sin(float64(x)/11)*math.Cos(float64(x)/37))
		for d := -1; d <= 1; d++ {
			img.Set(x, y+d, ink)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(buf.Bytes())
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/sig.png"
}

// chromium returns the path of Debian's chromium. Without one the browser tests skip, except
// under CI=true, where they fail (scripts/test.sh installs it when it can).
func chromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true but chromium is not installed: the web console's browser tests cannot run (apt-get install chromium)")
	}
	t.Skip("chromium not found: web console browser tests skipped (make test installs it when run as root)")
	return ""
}

// browser is a headless chromium tab at a laptop's screen size. Any uncaught exception or
// console.error of the page fails the test.
type browser struct {
	t     *testing.T
	ctx   context.Context
	shots string // FIELDWORK_SCREENSHOTS: where screenshots go ("" = none)

	mu         sync.Mutex
	pageErrors []string // exceptions and console errors of the page, so far
}

func newBrowser(t *testing.T, timeout time.Duration) *browser {
	t.Helper()
	path := chromium(t)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 768),
	)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	b := &browser{t: t, ctx: ctx, shots: os.Getenv("FIELDWORK_SCREENSHOTS")}
	var listeners sync.WaitGroup
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
		listeners.Wait()
		for _, e := range b.errors() {
			t.Error(e)
		}
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	console := chromedp.Events(ctx, runtime.ConsoleAPICalled)
	listeners.Add(2)
	go func() {
		defer listeners.Done()
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			d := ev.ExceptionDetails
			desc := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				desc = d.Exception.Description
			}
			b.pageError(fmt.Sprintf("page exception at %s:%d: %s", d.URL, d.LineNumber+1, desc))
		}
	}()
	go func() {
		defer listeners.Done()
		for ev, err := range console {
			if err != nil {
				return
			}
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
				}
				b.pageError("console.error: " + strings.Join(parts, " "))
			}
		}
	}()
	return b
}

func (b *browser) pageError(e string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pageErrors = append(b.pageErrors, e)
}

func (b *browser) errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.pageErrors...)
}

// do runs actions; an error fails the test with what was being done and the page's text.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v\npage:\n%s%s", what, err, b.pageText(), b.errorText())
	}
}

// eval evaluates a JavaScript expression whose value is a string.
func (b *browser) eval(expr string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor waits (up to 10 s) until a JavaScript expression is truthy.
func (b *browser) waitFor(what, expr string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		b.t.Fatalf("waiting for %s (%s): %v\npage:\n%s%s", what, expr, err, b.pageText(), b.errorText())
	}
}

// pageText is the visible text of the page, for failure messages.
func (b *browser) pageText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		return "(unavailable: " + err.Error() + ")"
	}
	return v
}

// errorText lists the page's errors so far, for failure messages.
func (b *browser) errorText() string {
	if errs := b.errors(); len(errs) > 0 {
		return "\npage errors:\n" + strings.Join(errs, "\n")
	}
	return ""
}

// click clicks the element of a CSS selector.
func (b *browser) click(what, css string) {
	b.t.Helper()
	b.do("click "+what, chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
}

// typeInto types text into the element of a CSS selector, key by key (input events fire).
func (b *browser) typeInto(css, text string) {
	b.t.Helper()
	b.do("type into "+css, chromedp.SendKeys(chromedp.CSS(css), text, chromedp.NodeVisible))
}

// clear empties an input as a user deleting its text does (an input event fires).
// (chromedp.Clear only resets the value attribute, not what was typed.)
func (b *browser) clear(css string) {
	b.t.Helper()
	b.eval(fmt.Sprintf(`(() => { const i = document.querySelector(%s); i.value = '';
		i.dispatchEvent(new Event('input', {bubbles: true})); return i.value; })()`, js(css)))
}

// choose selects an option of a <select> by value, as a user's choice does (change event).
func (b *browser) choose(css, value string) {
	b.t.Helper()
	got := b.eval(fmt.Sprintf(`(() => { const s = document.querySelector(%s); s.value = %s;
		s.dispatchEvent(new Event('change', {bubbles: true})); return s.value; })()`, js(css), js(value)))
	if got != value {
		b.t.Fatalf("%s has no option %q\npage:\n%s", css, value, b.pageText())
	}
}

// errorOf returns the error message shown for an input: the visible .field-error element
// that its aria-describedby names ("" when none).
func (b *browser) errorOf(css string) string {
	b.t.Helper()
	return b.eval(fmt.Sprintf(`(() => { const i = document.querySelector(%s); if (!i) return '';
		const ids = (i.getAttribute('aria-describedby') || '').split(' ');
		const e = ids.map((id) => document.getElementById(id)).find((x) => x && x.classList.contains('field-error') && !x.hidden);
		return e ? e.textContent : ''; })()`, js(css)))
}

// shot saves a full-page PNG screenshot as <FIELDWORK_SCREENSHOTS>/<name>.png.
func (b *browser) shot(name string) {
	b.t.Helper()
	if b.shots == "" {
		return
	}
	// The page alone: no passing message, and the last change painted.
	b.eval(`document.getElementById('toast').textContent = ''`)
	b.do("settle", chromedp.Sleep(150*time.Millisecond))
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(b.shots, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// js quotes a Go string as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
