// Package browsertest is test support for pages that people open in a browser (the
// HTML report): it starts a real, headless Chromium through the DevTools protocol
// (chromedp), opens a page in a tab, records every network request the page makes,
// its uncaught exceptions and console errors, waits for the page to say it is
// interactive, and saves screenshots as test artifacts.
//
// The browser is Debian's chromium, which hack/chromium.sh installs and whose path it
// prints: tests skip unless PALISADE_CHROMIUM names it, and fail instead when
// PALISADE_REQUIRE_BROWSER=1 (make test sets both). Nothing here downloads a browser.
//
// Chromium runs headless, without the sandbox (tests run as root in CI), without the
// GPU, with its own new profile directory, and with its background traffic turned off
// (component updates, sync, safe browsing, first-run pages): the machine's network is
// closed, and a test must not depend on it. Every request for a host other than the
// loopback goes to a proxy on a closed loopback port, so a page that references an
// external URL makes a request that the test sees (Page.Requests) and that never leaves
// the machine.
//
// Screenshots go to $PALISADE_ARTIFACTS when it is set, else to artifacts/browser/
// under the repository (gitignored), named after the test.
package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The environment the browser tests read.
const (
	// EnvChromium is the path of the Chromium executable (hack/chromium.sh prints it).
	EnvChromium = "PALISADE_CHROMIUM"
	// EnvRequire=1 turns a missing browser from a skip into a failure.
	EnvRequire = "PALISADE_REQUIRE_BROWSER"
	// EnvArtifacts is the directory screenshots are written to.
	EnvArtifacts = "PALISADE_ARTIFACTS"
)

// Timeout bounds each step a test runs on a page (a navigation, a click, an
// evaluation, a wait), so that a page that never becomes ready fails the test
// instead of hanging it.
const Timeout = 30 * time.Second

// deadProxy is a loopback address nothing listens on: requests for hosts other than
// the loopback are sent there and refused, without leaving the machine.
const deadProxy = "127.0.0.1:9"

// Required reports whether PALISADE_REQUIRE_BROWSER=1.
func Required() bool { return os.Getenv(EnvRequire) == "1" }

// Chromium returns the browser of PALISADE_CHROMIUM. It skips the test when the
// variable is unset (fails when PALISADE_REQUIRE_BROWSER=1) and under -short, and
// fails it when the variable names no executable.
func Chromium(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the browser tests start Chromium (make test runs them)")
	}
	path := os.Getenv(EnvChromium)
	if path == "" {
		msg := EnvChromium + " is not set"
		if Required() {
			t.Fatalf("%s (%s=1: the browser tests must run; run `make test`, which installs Chromium with hack/chromium.sh)", msg, EnvRequire)
		}
		t.Skipf("%s (run `make test`, or set %s=$(hack/chromium.sh))", msg, EnvChromium)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("%s=%s: %v", EnvChromium, path, err)
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("%s=%s is not an executable", EnvChromium, path)
	}
	return path
}

// Browser is one headless Chromium process, stopped when the test ends.
type Browser struct {
	t   testing.TB
	ctx context.Context // the allocator's context: a tab per NewPage
}

// Flags are the command-line flags Chromium runs with (beside
// --user-data-dir and the DevTools pipe chromedp adds).
func Flags() []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("safebrowsing-disable-auto-update", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider"),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		// Every request for a host that is not the loopback goes to a closed port.
		chromedp.ProxyServer("http://" + deadProxy),
		chromedp.WindowSize(1280, 900),
	}
}

// New starts Chromium (PALISADE_CHROMIUM; see Chromium for the skips) with a new,
// empty profile directory. The browser stops and the directory is removed when the
// test ends.
func New(t testing.TB) *Browser {
	t.Helper()
	exe := Chromium(t)
	// The profile directory is removed after the browser stopped (cleanups run last
	// registered first): its child processes may still write there for a moment.
	profile, err := os.MkdirTemp("", "palisade-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeAll(t, profile) })

	opts := append(Flags(), chromedp.ExecPath(exe), chromedp.UserDataDir(profile))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	// The browser context: the first Run on it starts the process.
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		done, stop := context.WithTimeout(ctx, 10*time.Second)
		defer stop()
		if err := chromedp.Cancel(done); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("browser: closing Chromium: %v", err)
		}
		cancel()
	})
	start := time.Now()
	version, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.userAgent`))
	if err != nil {
		t.Fatalf("browser: starting %s: %v", exe, err)
	}
	t.Logf("browser: %s started in %v (%s)", exe, time.Since(start).Round(time.Millisecond), version)
	return &Browser{t: t, ctx: ctx}
}

// removeAll removes dir, retrying while Chromium's last processes write there.
func removeAll(t testing.TB, dir string) {
	var err error
	for range 50 {
		if err = os.RemoveAll(dir); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("browser: removing %s: %v", dir, err)
}

// Request is one network request a page made.
type Request struct {
	URL  string
	Type string // the resource type: Document, Script, Image, Fetch, ...
	// Failed is the error of a request that did not load ("net::ERR_...") and
	// Blocked why the browser blocked it ("csp", "mixed-content", ...).
	Failed, Blocked string
}

// Page is one tab of the browser, with what it recorded since it opened.
type Page struct {
	t   testing.TB
	ctx context.Context

	mu         sync.Mutex
	requests   []Request
	byID       map[network.RequestID]int
	exceptions []string
	console    []string
}

// readyScript records, in every document the tab loads, the time from the start of
// the navigation (performance.now()) at which the body first carries
// data-ready="true": the page's own measure of when it became interactive.
const readyScript = `(() => {
  const mark = () => {
    if (window.__palisadeReadyAt === undefined && document.body && document.body.dataset.ready === 'true') {
      window.__palisadeReadyAt = performance.now();
    }
  };
  new MutationObserver(mark).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ['data-ready']});
})();`

// NewPage opens a tab. It records the tab's network requests, uncaught exceptions
// and console errors from now on.
func (b *Browser) NewPage() *Page {
	t := b.t
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	p := &Page{t: t, ctx: ctx, byID: map[network.RequestID]int{}}
	if err := chromedp.Listen(ctx, p.record); err != nil {
		t.Fatalf("browser: opening a tab: %v", err)
	}
	p.call(func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: readyScript})
		return err
	})
	return p
}

// record keeps the events the tests read. It runs on the tab's reading goroutine:
// it must return fast and run no command.
func (p *Page) record(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if ev.Request == nil {
			return
		}
		if i, ok := p.byID[ev.RequestID]; ok && ev.RedirectResponse != nil {
			// A redirect: the same request, to a new URL.
			p.requests[i].URL = ev.Request.URL
			return
		}
		p.byID[ev.RequestID] = len(p.requests)
		p.requests = append(p.requests, Request{URL: ev.Request.URL, Type: string(ev.Type)})
	case *network.EventLoadingFailed:
		if i, ok := p.byID[ev.RequestID]; ok {
			p.requests[i].Failed = ev.ErrorText
			p.requests[i].Blocked = string(ev.BlockedReason)
		} else {
			// A request blocked before it was sent (by the CSP, say) still counts.
			p.requests = append(p.requests, Request{URL: "(unknown: request " + string(ev.RequestID) + ")", Type: string(ev.Type), Failed: ev.ErrorText, Blocked: string(ev.BlockedReason)})
		}
	case *cdpruntime.EventExceptionThrown:
		if d := ev.ExceptionDetails; d != nil {
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg += " " + d.Exception.Description
			}
			p.exceptions = append(p.exceptions, fmt.Sprintf("%s (%s:%d:%d)", msg, d.URL, d.LineNumber+1, d.ColumnNumber+1))
		}
	case *cdplog.EventEntryAdded:
		if e := ev.Entry; e != nil && e.Level == cdplog.EntryLevelError {
			p.console = append(p.console, fmt.Sprintf("%s: %s (%s)", e.Source, e.Text, e.URL))
		}
	case *cdpruntime.EventConsoleAPICalled:
		if ev.Type == cdpruntime.ConsoleAPICalledTypeError || ev.Type == cdpruntime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				if a.Description != "" {
					parts = append(parts, a.Description)
				} else {
					parts = append(parts, string(a.Value))
				}
			}
			p.console = append(p.console, "console."+string(ev.Type)+": "+strings.Join(parts, " "))
		}
	}
}

// Context is the tab's chromedp context, for actions this package has no helper for
// (bound each with a timeout; see Do).
func (p *Page) Context() context.Context { return p.ctx }

// call runs f with a context bounded by Timeout, failing the test on an error.
func (p *Page) call(f func(ctx context.Context) error) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, Timeout)
	defer cancel()
	if err := f(ctx); err != nil {
		p.t.Fatalf("browser: %v", err)
	}
}

// Do runs the actions in order, each step bounded by Timeout, and fails the test on
// the first error.
func (p *Page) Do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	p.call(func(ctx context.Context) error { return chromedp.Do(ctx, actions...) })
}

// Run runs one action that returns a value, bounded by Timeout, and fails the test
// on an error.
func Run[T any](p *Page, a chromedp.Action[T]) T {
	p.t.Helper()
	var v T
	p.call(func(ctx context.Context) error {
		var err error
		v, err = chromedp.Run(ctx, a)
		return err
	})
	return v
}

// Eval evaluates a JavaScript expression in the page and decodes its value.
func Eval[T any](p *Page, expression string) T {
	p.t.Helper()
	return Run(p, chromedp.Evaluate[T](expression))
}

// FileURL is the file:// URL of a local file, as a person opening it gets.
func FileURL(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

// Open navigates the tab to the URL and waits for its load event.
func (p *Page) Open(u string) {
	p.t.Helper()
	p.Do(chromedp.Navigate(u))
}

// OpenFile opens a local file, as a person double-clicking it does.
func (p *Page) OpenFile(path string) {
	p.t.Helper()
	p.Open(FileURL(path))
}

// BypassCSP turns the page's Content Security Policy off for the documents the tab
// loads next: what the policy would block is then requested, and recorded.
func (p *Page) BypassCSP() {
	p.t.Helper()
	p.call(func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true})
		return err
	})
}

// WaitReady waits (up to Timeout) until the page's body carries data-ready="true",
// and returns the time from the start of the navigation at which it did, as the page
// measured it.
func (p *Page) WaitReady() time.Duration {
	p.t.Helper()
	ms := Run(p, chromedp.Poll[float64](
		`document.body && document.body.dataset.ready === 'true' && (window.__palisadeReadyAt ?? performance.now())`,
		chromedp.WithPollingInterval(10*time.Millisecond)))
	return time.Duration(ms * float64(time.Millisecond))
}

// Requests are the network requests the tab made, in order.
func (p *Page) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

// Errors are the page's uncaught exceptions and the errors it logged (console.error,
// and the browser's own: a resource the CSP refused, a failed load).
func (p *Page) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append(append([]string(nil), p.exceptions...), p.console...)
}

// Screenshot saves a PNG of the tab's viewport as NAME.png in the test's artifact
// directory and returns its path. full captures the whole page instead (bounded by
// Chromium's own limits).
func (p *Page) Screenshot(name string, full bool) string {
	p.t.Helper()
	var png []byte
	if full {
		png = Run(p, chromedp.FullScreenshot(100))
	} else {
		png = Run(p, chromedp.CaptureScreenshot())
	}
	path := filepath.Join(ArtifactDir(p.t), safeName(name)+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatalf("browser: saving the screenshot: %v", err)
	}
	p.t.Logf("browser: screenshot %s", path)
	return path
}

// ArtifactDir is the directory of the test's artifacts: $PALISADE_ARTIFACTS, else
// artifacts/browser under the repository, then the test's name.
func ArtifactDir(t testing.TB) string {
	t.Helper()
	root := os.Getenv(EnvArtifacts)
	if root == "" {
		root = filepath.Join(moduleRoot(), "artifacts", "browser")
	}
	dir := filepath.Join(root, safeName(t.Name()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("browser: artifact directory: %v", err)
	}
	return dir
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// safeName turns a test or step name into a file name.
func safeName(s string) string {
	s = strings.Trim(unsafeChars.ReplaceAllString(s, "_"), "_.")
	if s == "" {
		return "unnamed"
	}
	return s
}

// moduleRoot is the repository root, from this file's location.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Count counts the elements matching a CSS selector.
func Count(p *Page, selector string) int {
	p.t.Helper()
	return Eval[int](p, fmt.Sprintf(`document.querySelectorAll(%s).length`, JS(selector)))
}

// Click clicks the first element matching a CSS selector with the mouse, as a
// person does: scrolled to the middle of the viewport, at its centre. It fails the
// test when no element matches within Timeout, or when something else is drawn over
// the element's centre (a sticky bar, a panel), which would take the click.
func Click(p *Page, selector string) {
	p.t.Helper()
	p.Do(chromedp.WaitVisible(chromedp.CSS(selector)))
	// Scroll, then measure and hit-test in one evaluation, so the point clicked is
	// the point tested (chromedp's own node click measures before a scroll settles).
	// A scroll can move the element again one frame later: elements brought into view
	// with content-visibility: auto are laid out at their real size only then, which
	// shifts what follows them. So measure again after each frame until the element
	// stays where it is.
	type point struct {
		X, Y    float64
		Covered string
	}
	measure := fmt.Sprintf(`((scroll) => {
  const e = document.querySelector(%s);
  if (scroll) e.scrollIntoView({block: 'center', inline: 'center', behavior: 'instant'});
  const r = e.getBoundingClientRect();
  const x = r.x + r.width / 2, y = r.y + r.height / 2;
  const hit = document.elementFromPoint(x, y);
  let covered = '';
  if (!hit) covered = 'nothing';
  else if (hit !== e && !e.contains(hit)) covered = hit.tagName.toLowerCase() + (hit.id ? '#' + hit.id : '') +
    (typeof hit.className === 'string' && hit.className.trim() ? '.' + hit.className.trim().split(/\s+/).join('.') : '');
  return {X: x, Y: y, Covered: covered};
})`, JS(selector))
	// The browser decides what content-visibility shows in one frame and lays it out
	// in a later one (and scroll anchoring moves the page again), so the element must
	// stay put for three frames in a row.
	at := Eval[point](p, measure+"(true)")
	for still, frames := 0, 0; still < 3 && frames < 40; frames++ {
		NextFrame(p)
		again := Eval[point](p, measure+"(false)")
		if again == at {
			still++
			continue
		}
		still = 0
		at = Eval[point](p, measure+"(true)")
	}
	if at.Covered != "" {
		p.t.Fatalf("browser: click %s: %s is drawn over its centre", selector, at.Covered)
	}
	afterEvent(p, "click", chromedp.MouseClickXY(at.X, at.Y))
}

// afterEvent runs the action, which makes the page receive an event of type, and
// waits until the page handled it and drew a frame. The browser acknowledges input
// before the page handles it: without the wait, the next step could measure the page
// before the click (and the default action that runs in the same task, such as
// opening a <details>), and a click that follows could land on what moves then.
func afterEvent(p *Page, typ string, action chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	count := fmt.Sprintf(`((window.__browsertestEvents || {})[%s] || 0)`, JS(typ))
	before := Eval[int](p, fmt.Sprintf(`(() => {
  const seen = window.__browsertestEvents = window.__browsertestEvents || {};
  if (!(%[1]s in seen)) {
    seen[%[1]s] = 0;
    window.addEventListener(%[1]s, () => { seen[%[1]s]++; }, true);
  }
  return seen[%[1]s];
})()`, JS(typ)))
	p.Do(action)
	Run(p, chromedp.Poll[bool](fmt.Sprintf(`%s > %d`, count, before), chromedp.WithPollingInterval(5*time.Millisecond)))
	NextFrame(p)
}

// NextFrame waits until the page has drawn its next frame.
func NextFrame(p *Page) {
	p.t.Helper()
	Run(p, chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => r(true)))`, chromedp.EvalAwaitPromise))
}

// Type replaces the text of the input matching selector by typing text into it, key
// by key, as a person does (an empty text: the old one selected and deleted).
func Type(p *Page, selector, text string) {
	p.t.Helper()
	ok := Eval[bool](p, fmt.Sprintf(`(() => {
  const e = document.querySelector(%s);
  if (!(e instanceof HTMLInputElement || e instanceof HTMLTextAreaElement)) return false;
  e.focus();
  e.select();
  return true;
})()`, JS(selector)))
	if !ok {
		p.t.Fatalf("browser: no input matches %s", selector)
	}
	if text == "" {
		text = "\b" // Backspace deletes the selection
	}
	p.Do(chromedp.SendKeys(chromedp.CSS(selector), text))
}

// ScrollTo scrolls the first element matching selector to the middle of the
// viewport (or its top, when it is taller).
func ScrollTo(p *Page, selector string) {
	p.t.Helper()
	p.Do(chromedp.WaitReady(chromedp.CSS(selector)))
	Eval[bool](p, fmt.Sprintf(`(() => {
  const e = document.querySelector(%s);
  const tall = e.getBoundingClientRect().height > window.innerHeight;
  e.scrollIntoView({block: tall ? 'start' : 'center', inline: 'nearest'});
  return true;
})()`, JS(selector)))
}

// Select chooses the option of value in the <select> matching selector and fires
// the input and change events a person's choice fires. It fails the test when the
// select or the option is missing.
func Select(p *Page, selector, value string) {
	p.t.Helper()
	msg := Eval[string](p, fmt.Sprintf(`(() => {
  const s = document.querySelector(%s);
  if (!(s instanceof HTMLSelectElement)) return 'no <select> matches';
  const o = [...s.options].find(o => o.value === %s);
  if (!o) return 'no option of value ' + %s + ' (options: ' + [...s.options].map(o => o.value).join(', ') + ')';
  s.focus();
  s.value = o.value;
  s.dispatchEvent(new Event('input', {bubbles: true}));
  s.dispatchEvent(new Event('change', {bubbles: true}));
  return '';
})()`, JS(selector), JS(value), JS(value)))
	if msg != "" {
		p.t.Fatalf("browser: select %s = %q: %s", selector, value, msg)
	}
}

// Rect is an element's box in the viewport, in CSS pixels.
type Rect struct {
	X, Y, Width, Height float64
}

// Center is the rectangle's centre.
func (r Rect) Center() (x, y float64) { return r.X + r.Width/2, r.Y + r.Height/2 }

// BoundingRect is the viewport box (getBoundingClientRect) of the first element
// matching a CSS selector; it fails the test when none matches.
func BoundingRect(p *Page, selector string) Rect {
	p.t.Helper()
	r := Eval[*Rect](p, fmt.Sprintf(`(() => {
  const e = document.querySelector(%s);
  if (!e) return null;
  const r = e.getBoundingClientRect();
  return {X: r.x, Y: r.y, Width: r.width, Height: r.height};
})()`, JS(selector)))
	if r == nil {
		p.t.Fatalf("browser: no element matches %s", selector)
	}
	return *r
}

// Wheel turns the mouse wheel at (x, y) by deltaY CSS pixels (negative: away from
// the user, which zooms in on maps and graphs).
func Wheel(p *Page, x, y, deltaY float64) {
	p.t.Helper()
	p.Do(chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y))
	afterEvent(p, "wheel", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		// The protocol requires deltaX, which the typed parameters leave out when it
		// is zero.
		return t.Call(ctx, input.CommandDispatchMouseEvent, map[string]any{
			"type": input.DispatchMouseEventTypeMouseWheel, "x": x, "y": y, "deltaX": 0, "deltaY": deltaY,
		}, nil)
	}))
}

// Drag presses the left mouse button at (x1, y1), moves to (x2, y2) in steps and
// releases it there.
func Drag(p *Page, x1, y1, x2, y2 float64) {
	p.t.Helper()
	afterEvent(p, "mouseup", chromedp.DragAndDropXY(x1, y1, x2, y2, 8))
}

// JS quotes s as a JavaScript string literal (JSON is a subset of JavaScript).
func JS(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // a Go string always marshals
	}
	return string(b)
}
