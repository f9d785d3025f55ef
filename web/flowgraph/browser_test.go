package flowgraph

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// TestBrowserZoomAndPan drives flowgraph.js in headless Chromium, on a page served with the
// console's Content-Security-Policy, so an inline script or style would show up as an error.
func TestBrowserZoomAndPan(t *testing.T) {
	chromium := "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not found: install Debian's chromium package")
		}
		t.Skip("chromium not found")
	}
	page := demoPage(t, "/static")
	mux := http.NewServeMux()
	mux.Handle("/static/", http.StripPrefix("/static/", http.FileServer(http.Dir("../static"))))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900))
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(alloc)
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	var mu sync.Mutex
	var problems []string
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				problems = append(problems, m.String())
				mu.Unlock()
			}
		}
	}()

	const svg = `document.querySelector('svg[data-flowgraph]')`
	viewBox := func() []float64 {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](svg+`.getAttribute('viewBox').split(' ').map(Number)`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL), chromedp.WaitVisible(`[data-flowgraph-zoom="in"]`)); err != nil {
		t.Fatalf("the zoom buttons did not show: %v", err)
	}
	home := viewBox()

	if err := chromedp.Do(ctx, chromedp.Click(`[data-flowgraph-zoom="in"]`)); err != nil {
		t.Fatal(err)
	}
	if v := viewBox(); !(v[2] < home[2]*0.9) {
		t.Errorf("zoom in: viewBox %v, home %v", v, home)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`[data-flowgraph-zoom="reset"]`)); err != nil {
		t.Fatal(err)
	}
	if v := viewBox(); v[2] != home[2] || v[0] != home[0] {
		t.Errorf("fit: viewBox %v, want %v", v, home)
	}

	rect, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(r => [r.x + r.width/2, r.y + r.height/2])(`+svg+`.getBoundingClientRect())`))
	if err != nil {
		t.Fatal(err)
	}
	x, y := rect[0], rect[1]
	// CDP wants both deltas, and a zero one is left out of the request.
	const ctrl = 2 // CDP's bit for the Ctrl key
	wheel := func(modifiers int64) chromedp.Action[chromedp.Void] {
		return chromedp.MouseEvent(chromedp.MouseWheel, x, y, func(p *input.DispatchMouseEventParams) {
			p.DeltaX, p.DeltaY, p.Modifiers = 0.001, -300, modifiers
		})
	}
	if err := chromedp.Do(ctx, wheel(0)); err != nil {
		t.Fatal(err)
	}
	if v := viewBox(); v[2] != home[2] {
		t.Errorf("the wheel alone should scroll the page, not zoom: viewBox %v, home %v", v, home)
	}
	if err := chromedp.Do(ctx, wheel(ctrl)); err != nil {
		t.Fatal(err)
	}
	zoomed := viewBox()
	if !(zoomed[2] < home[2]*0.8) {
		t.Errorf("ctrl and wheel: viewBox %v, home %v", zoomed, home)
	}

	held := func(p *input.DispatchMouseEventParams) {
		p.Button, p.Buttons, p.ClickCount = input.MouseButtonLeft, 1, 1
	}
	if err := chromedp.Do(ctx,
		chromedp.MouseEvent(chromedp.MousePressed, x, y, held),
		chromedp.MouseEvent(chromedp.MouseMoved, x+20, y+5, held),
		chromedp.MouseEvent(chromedp.MouseMoved, x+60, y+20, held),
		chromedp.MouseEvent(chromedp.MouseReleased, x+60, y+20, held),
	); err != nil {
		t.Fatal(err)
	}
	if v := viewBox(); !(v[0] < zoomed[0]-1 && v[1] < zoomed[1]-1 && v[2] == zoomed[2]) {
		t.Errorf("drag right and down: viewBox %v, before %v", v, zoomed)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`)); loc != "/" {
		t.Errorf("a drag followed a link to %s", loc)
	}

	// The larger estate is far wider than its frame: it is not shrunk but fills the frame's
	// width at 1:1, its text as large as the page's, and pans; Fit shows all of it.
	const estate = `document.querySelectorAll('svg[data-flowgraph]')[2]`
	type size struct{ Width, Frame, Font, Body, ViewWidth float64 }
	measure := func() size {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[size](`(svg => {
			const text = svg.querySelector('.fg-edge-label text'), fig = svg.closest('figure'), cs = getComputedStyle(fig);
			return {
				width: svg.getBoundingClientRect().width,
				frame: fig.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight),
				font: parseFloat(getComputedStyle(text).fontSize) * text.getBoundingClientRect().height / text.getBBox().height,
				body: parseFloat(getComputedStyle(document.body).fontSize),
				viewWidth: Number(svg.getAttribute('viewBox').split(' ')[2]),
			};
		})(`+estate+`)`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	big := measure()
	if big.Width > big.Frame+0.5 || big.Width < big.Frame-0.5 || big.ViewWidth < 2*big.Frame {
		t.Errorf("the larger estate: %.0fpx wide in a %.0fpx frame, drawing %.0f wide; want it to fill the frame", big.Width, big.Frame, big.ViewWidth)
	}
	if big.Font < big.Body-0.01 {
		t.Errorf("the larger estate's labels are %.1fpx, smaller than the page's %.1fpx", big.Font, big.Body)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`[data-testid="flow-graph"]:nth-of-type(3) [data-flowgraph-zoom="reset"]`)); err != nil {
		t.Fatal(err)
	}
	if fit := measure(); fit.Font > big.Font*big.Frame/big.ViewWidth*1.01 {
		t.Errorf("fit the larger estate: labels %.1fpx, want at most %.1fpx to show all %.0f units in %.0fpx", fit.Font, big.Font*big.Frame/big.ViewWidth, big.ViewWidth, big.Frame)
	}

	// htmx swaps graphs in: a graph added after load zooms too.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('main').insertAdjacentHTML('afterbegin', document.querySelector('figure.flowgraph').outerHTML.replaceAll('data-testid="flow-graph"', 'data-testid="swapped"')) || true`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`[data-testid="swapped"] [data-flowgraph-zoom="out"]`)); err != nil {
		t.Fatal(err)
	}
	swapped, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`document.querySelector('[data-testid="swapped"] svg').getAttribute('viewBox').split(' ').map(Number)`))
	if err != nil {
		t.Fatal(err)
	}
	if !(swapped[2] > zoomed[2]) {
		t.Errorf("zoom out on a swapped-in graph: viewBox %v", swapped)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(problems, "\n"))
	}
}
