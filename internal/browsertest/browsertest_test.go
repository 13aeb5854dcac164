package browsertest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// htmlFile writes an HTML file into a temporary directory and returns its path.
func htmlFile(t *testing.T, html string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "page.html")
	if err := os.WriteFile(path, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// external lists the requests for anything but the file itself.
func external(reqs []Request, self string) []Request {
	var out []Request
	for _, r := range reqs {
		if r.URL != self {
			out = append(out, r)
		}
	}
	return out
}

// The harness itself: a page that references an external image and a loopback one,
// logs an error, throws, and becomes ready late. Each is seen, so the tests built on
// the harness can fail.
func TestHarnessRecords(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/gif")
		// A 1x1 transparent GIF.
		w.Write([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"))
	}))
	defer srv.Close()
	file := htmlFile(t, `<!doctype html><html><head><title>harness</title></head><body>
<p id="p">waiting</p><div id="pad" style="width:200px;height:100px;background:#ccc"></div><select id="s"><option value="a">a</option><option value="b">b</option></select>
<img src="http://palisade.invalid/pixel.png"><img src="`+srv.URL+`/local.gif">
<script>
console.error('logged on purpose');
document.getElementById('s').addEventListener('change', e => { document.getElementById('p').textContent = 'chose ' + e.target.value; });
document.getElementById('p').addEventListener('click', () => { document.getElementById('p').textContent = 'clicked'; });
const pad = document.getElementById('pad');
pad.addEventListener('wheel', e => { e.preventDefault(); pad.dataset.wheel = e.deltaY; }, {passive: false});
let down = null;
pad.addEventListener('mousedown', e => { down = [e.clientX, e.clientY]; });
window.addEventListener('mouseup', e => { if (down) pad.dataset.drag = (e.clientX - down[0]) + ',' + (e.clientY - down[1]); down = null; });
setTimeout(() => { document.body.dataset.ready = 'true'; }, 150);
setTimeout(() => { throw new Error('thrown on purpose'); }, 0);
</script></body></html>`)

	b := New(t)
	p := b.NewPage()
	start := time.Now()
	p.OpenFile(file)
	ready := p.WaitReady()
	if ready < 150*time.Millisecond || ready > time.Since(start) {
		t.Errorf("ready after %v (page's measure), want at least the page's 150 ms and at most the %v waited", ready, time.Since(start))
	}

	var sawExternal, sawLocal bool
	for _, r := range external(p.Requests(), FileURL(file)) {
		switch {
		case strings.HasPrefix(r.URL, "http://palisade.invalid/"):
			sawExternal = true
			if r.Failed == "" {
				t.Errorf("request %s loaded: it should go to the closed proxy and fail", r.URL)
			}
		case strings.HasPrefix(r.URL, srv.URL):
			sawLocal = true
			if r.Failed != "" {
				t.Errorf("loopback request %s failed: %s", r.URL, r.Failed)
			}
		}
	}
	if !sawExternal || !sawLocal {
		t.Errorf("requests %+v: want the external and the loopback image", p.Requests())
	}

	errs := strings.Join(p.Errors(), "\n")
	for _, want := range []string{"thrown on purpose", "logged on purpose"} {
		if !strings.Contains(errs, want) {
			t.Errorf("errors %q lack %q", errs, want)
		}
	}

	Select(p, "#s", "b")
	if got := Eval[string](p, `document.getElementById('p').textContent`); got != "chose b" {
		t.Errorf("after Select: %q", got)
	}
	Click(p, "#p")
	if got := Eval[string](p, `document.getElementById('p').textContent`); got != "clicked" {
		t.Errorf("after Click: %q", got)
	}
	if n := Count(p, "img"); n != 2 {
		t.Errorf("Count(img) = %d", n)
	}

	pad := BoundingRect(p, "#pad")
	if pad.Width != 200 || pad.Height != 100 {
		t.Errorf("BoundingRect(#pad) = %+v", pad)
	}
	x, y := pad.Center()
	Wheel(p, x, y, -240)
	if got := Eval[string](p, `document.getElementById('pad').dataset.wheel`); got != "-240" {
		t.Errorf("after Wheel: deltaY %q", got)
	}
	Drag(p, x-50, y, x+30, y+20)
	if got := Eval[string](p, `document.getElementById('pad').dataset.drag`); got != "80,20" {
		t.Errorf("after Drag: moved %q, want 80,20", got)
	}

	shot := p.Screenshot("harness", false)
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("%s is not a PNG", shot)
	}
}

// A Content Security Policy that refuses every fetch: the refused image is still
// seen (blocked, or as a CSP error), and with the policy bypassed it is requested.
func TestHarnessCSP(t *testing.T) {
	file := htmlFile(t, `<!doctype html><html><head>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'">
</head><body><img src="http://palisade.invalid/pixel.png">
<script>document.body.dataset.ready = 'true';</script></body></html>`)
	b := New(t)

	p := b.NewPage()
	p.OpenFile(file)
	p.WaitReady()
	blocked := false
	for _, r := range external(p.Requests(), FileURL(file)) {
		blocked = blocked || strings.HasPrefix(r.URL, "http://palisade.invalid/") && r.Blocked == "csp"
	}
	if !blocked {
		t.Errorf("the image the CSP refused is not a blocked request: %+v", p.Requests())
	}
	if !strings.Contains(strings.Join(p.Errors(), "\n"), "Content Security Policy") {
		t.Errorf("no CSP error among %q", p.Errors())
	}

	q := b.NewPage()
	q.BypassCSP()
	q.OpenFile(file)
	q.WaitReady()
	found := false
	for _, r := range external(q.Requests(), FileURL(file)) {
		found = found || strings.HasPrefix(r.URL, "http://palisade.invalid/")
	}
	if !found {
		t.Errorf("CSP bypassed: requests %+v lack the image", q.Requests())
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"TestX/sub case": "TestX_sub_case",
		"../../etc":      "etc",
		"":               "unnamed",
		"a.b-c_d":        "a.b-c_d",
	} {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFileURL(t *testing.T) {
	if got := FileURL("/tmp/a b#c.html"); got != "file:///tmp/a%20b%23c.html" {
		t.Errorf("FileURL = %q", got)
	}
}
