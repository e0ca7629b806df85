package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// The browser tests drive Debian's Chromium (never a downloaded browser) through chromedp. Each
// test starts one Chromium with a fresh profile; each shopper is a tab in its own browser context
// (its own cookies and cache), with the User-Agent, viewport and touch of the device it plays.

// chromiumPath is Debian's Chromium; KPCHECKOUT_CHROMIUM may name another build of it.
func chromiumPath() string {
	if p := os.Getenv("KPCHECKOUT_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// actionTimeout bounds one browser step; waits say their own limit.
const actionTimeout = 15 * time.Second

// chrome is one headless Chromium for one test.
type chrome struct {
	t   *testing.T
	ctx context.Context
}

// newChrome starts Chromium with a fresh profile. A missing browser fails the test: `make test`
// installs it, and a browser test that skips proves nothing.
func newChrome(t *testing.T) *chrome {
	t.Helper()
	path := chromiumPath()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("Chromium is missing (%v): run `make test`, which installs it (apt-get install chromium fonts-nanum)", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		// Several shoppers' windows run at once: none may have its timers slowed down.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("force-color-profile", "srgb"),
	}
	// This test's screenshots from an earlier run would mislead.
	old, _ := filepath.Glob(filepath.Join(handlerstest.RepoRoot(t), "test-output", "screenshots", unsafeName.ReplaceAllString(t.Name(), "_")+"-*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); acancel() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium %s: %v (run `make test`, which installs it)", path, err)
	}
	return &chrome{t: t, ctx: ctx}
}

// shopperDevice is what a tab plays: a User-Agent, a viewport and touch.
type shopperDevice struct {
	name          string
	ua            string
	platform      string // navigator.platform
	width, height int64
	scale         float64
	mobile        bool // mobile viewport and touch
	// hints are the User-Agent client hints the browser sends; nil sends none (Safari, KakaoTalk
	// on iOS).
	hints *emulation.UserAgentMetadata
}

var (
	desktopDevice = shopperDevice{name: "desktop", ua: handlerstest.UADesktop, platform: "Win32", width: 1366, height: 768, scale: 1,
		hints: &emulation.UserAgentMetadata{Platform: "Windows", PlatformVersion: "15.0.0", Architecture: "x86", Bitness: "64",
			Brands: []*emulation.UserAgentBrandVersion{{Brand: "Chromium", Version: "126"}, {Brand: "Google Chrome", Version: "126"}}}}
	iPhoneDevice = shopperDevice{name: "iphone", ua: handlerstest.UAIPhone, platform: "iPhone", width: 390, height: 844, scale: 2, mobile: true}
	// androidDevice is a Galaxy S24 in Chrome, which says it is mobile in Sec-CH-UA-Mobile too.
	androidDevice = shopperDevice{name: "android", ua: handlerstest.UAAndroid, platform: "Linux armv8l", width: 384, height: 832, scale: 2, mobile: true,
		hints: &emulation.UserAgentMetadata{Platform: "Android", PlatformVersion: "14.0.0", Model: "SM-S921N", Mobile: true,
			Brands: []*emulation.UserAgentBrandVersion{{Brand: "Chromium", Version: "126"}, {Brand: "Google Chrome", Version: "126"}}}}
	kakaoTalkDevice = shopperDevice{name: "kakaotalk", ua: handlerstest.UAKakaoTalk, platform: "iPhone", width: 390, height: 844, scale: 2, mobile: true}
	// smallPhone is an iPhone SE (1st generation): the smallest screen we support.
	smallPhone = shopperDevice{name: "small-phone", ua: strings.Replace(handlerstest.UAIPhone, "17_5", "15_8", 1), platform: "iPhone",
		width: 320, height: 568, scale: 2, mobile: true}
)

// tabOptions change how a tab's browser behaves.
type tabOptions struct {
	noJS    bool              // JavaScript disabled
	dark    bool              // prefers-color-scheme: dark
	headers map[string]string // sent with every request (X-Sandbox-KakaoTalk: absent)
	lang    string            // the browser's languages ("en-US,en"); Korean by default
}

// tab is one shopper's browser window. It records every console error, uncaught exception and
// failed request; the test fails on any of them when it ends.
type tab struct {
	t    *testing.T
	name string
	dev  shopperDevice
	ctx  context.Context

	mu       sync.Mutex
	problems []string
	reqs     map[network.RequestID]*request
	expected map[int64]int // error statuses of pages the test means to reach, by count left
	ignored  []string      // problems the test provokes on purpose (expectProblem)
}

// expectProblem tells the tab that console errors and failed requests holding part are what the
// test provokes (a frame the page refuses), not problems.
func (tb *tab) expectProblem(part string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.ignored = append(tb.ignored, part)
}

// expectErrorPage tells the tab that the next page it loads answers status on purpose: an error
// page is then what is tested, not a problem.
func (tb *tab) expectErrorPage(status int64) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.expected == nil {
		tb.expected = map[int64]int{}
	}
	tb.expected[status]++
}

// request is what a tab saw of one HTTP request.
type request struct {
	url      string
	kind     network.ResourceType
	status   int64
	size     float64 // bytes transferred, headers included
	finished bool
}

// newTab opens a shopper's window in a browser context of its own.
func (c *chrome) newTab(name string, dev shopperDevice, o tabOptions) *tab {
	c.t.Helper()
	tb := &tab{t: c.t, name: name, dev: dev, reqs: map[network.RequestID]*request{}}
	ctx, cancel := chromedp.NewContext(c.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(tb.listen))
	tb.ctx = ctx
	c.t.Cleanup(tb.checkClean) // runs after the tab closed (cleanups run last first)
	c.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		c.t.Fatalf("opening tab %s: %v", name, err)
	}
	lang := o.lang
	if lang == "" {
		lang = "ko-KR,ko"
	}
	steps := []chromedp.Action[chromedp.Void]{
		call(emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
			UserAgent: dev.ua, AcceptLanguage: lang, Platform: dev.platform, UserAgentMetadata: dev.hints}),
		call(emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: dev.width, Height: dev.height, DeviceScaleFactor: dev.scale, Mobile: dev.mobile,
			ScreenOrientation: &emulation.ScreenOrientation{Type: emulation.ScreenOrientationTypePortraitPrimary}}),
		call(emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{Enabled: dev.mobile, MaxTouchPoints: 5}),
	}
	if o.dark {
		steps = append(steps, call(emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}))
	}
	if o.noJS {
		steps = append(steps, call(emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}))
	}
	if len(o.headers) > 0 {
		h := network.Headers{}
		for k, v := range o.headers {
			h[k] = v
		}
		steps = append(steps, call(network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: h}))
	}
	tb.do("set up the device", steps...)
	return tb
}

// call makes a protocol command an action.
func call[P, R any](cmd cdp.Command[P, R], params P) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cmd, params)
		return err
	})
}

// listen records what the tab's page does; it runs in chromedp's event loop, so it only records.
func (tb *tab) listen(ev any) {
	if os.Getenv("KPCHECKOUT_BROWSER_DEBUG") == "1" { // to see what a failing flow did
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			fmt.Fprintf(os.Stderr, "DEBUG %s req %s %s %s %s\n", tb.name, ev.RequestID, ev.Type, ev.Request.Method, ev.Request.URL)
		case *network.EventResponseReceived:
			fmt.Fprintf(os.Stderr, "DEBUG %s resp %s %d\n", tb.name, ev.RequestID, ev.Response.Status)
		case *network.EventLoadingFailed:
			fmt.Fprintf(os.Stderr, "DEBUG %s failed %s %s %v %s\n", tb.name, ev.RequestID, ev.ErrorText, ev.Canceled, ev.BlockedReason)
		case *cdplog.EventEntryAdded:
			fmt.Fprintf(os.Stderr, "DEBUG %s log %s %s %s\n", tb.name, ev.Entry.Level, ev.Entry.Source, ev.Entry.Text)
		case *runtime.EventConsoleAPICalled:
			fmt.Fprintf(os.Stderr, "DEBUG %s console %s\n", tb.name, ev.Type)
		}
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	req := func(id network.RequestID) *request {
		r := tb.reqs[id]
		if r == nil {
			r = &request{}
			tb.reqs[id] = r
		}
		return r
	}
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		r := req(ev.RequestID)
		r.url, r.kind = ev.Request.URL, ev.Type
	case *network.EventResponseReceived:
		r := req(ev.RequestID)
		r.status = ev.Response.Status
		switch {
		case ev.Response.Status >= 400 && ev.Type == network.ResourceTypeDocument && tb.expected[ev.Response.Status] > 0:
			tb.expected[ev.Response.Status]--
		case ev.Response.Status >= 400:
			tb.problems = append(tb.problems, fmt.Sprintf("HTTP %d for %s %s", ev.Response.Status, ev.Type, ev.Response.URL))
		}
	case *network.EventLoadingFinished:
		r := req(ev.RequestID)
		r.size, r.finished = ev.EncodedDataLength, true
	case *network.EventLoadingFailed:
		r := req(ev.RequestID)
		// A navigation cancels what the page was loading (the status long-poll); the sandbox
		// playing a phone without KakaoTalk answers 204, which leaves the browser where it was; a
		// tab attached while its first load was under way (pressForNewTab) hears of that load
		// only as it is replaced (ERR_CACHE_MISS), never of its sending.
		if ev.Canceled || r.status == 204 || r.url == "" {
			return
		}
		tb.problems = append(tb.problems, fmt.Sprintf("request failed: %s %s: %s %s", ev.Type, r.url, ev.ErrorText, ev.BlockedReason))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				if a.Value != nil {
					args = append(args, string(a.Value))
				} else {
					args = append(args, a.Description)
				}
			}
			tb.problems = append(tb.problems, "console."+string(ev.Type)+": "+strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		tb.problems = append(tb.problems, fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, text))
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		if e.Level != cdplog.EntryLevelError {
			return
		}
		// Chrome logs each HTTP error status too; the response event above reports it once.
		if e.Source == cdplog.EntrySourceNetwork && strings.HasPrefix(e.Text, "Failed to load resource: the server responded with a status of") {
			return
		}
		tb.problems = append(tb.problems, fmt.Sprintf("console (%s): %s %s", e.Source, e.Text, e.URL))
	}
}

// checkClean fails the test on every console error, exception or failed request the tab saw.
func (tb *tab) checkClean() {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, p := range tb.problems {
		if !slices.ContainsFunc(tb.ignored, func(part string) bool { return strings.Contains(p, part) }) {
			tb.t.Errorf("%s: %s", tb.name, p)
		}
	}
	tb.problems = nil
}

// do runs steps, failing the test (with a screenshot of the moment) when one fails.
func (tb *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.fail("%s: %v", what, err)
	}
}

// fail saves a screenshot of the tab for the post-mortem and stops the test.
func (tb *tab) fail(format string, args ...any) {
	tb.t.Helper()
	msg := fmt.Sprintf(format, args...)
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	if buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		tb.save("FAILED", buf)
	}
	if href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`)); err == nil {
		msg += " (at " + href + ")"
	}
	tb.t.Fatalf("%s: %s", tb.name, msg)
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.fail("evaluating %s: %v", expr, err)
	}
	return v
}

// js quotes s as a JavaScript string.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// navigate opens url and waits for the page to load.
func (tb *tab) navigate(url string) {
	tb.t.Helper()
	tb.do("open "+url, chromedp.Navigate(url))
}

// reload reloads the page and waits for it.
func (tb *tab) reload() {
	tb.t.Helper()
	tb.do("reload", chromedp.Reload())
}

// waitFor polls a JavaScript condition until it holds, for at most timeout. It survives the
// navigations in between (each check is a fresh evaluation).
func (tb *tab) waitFor(what, cond string, timeout time.Duration) {
	tb.t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+cond+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			tb.fail("waited %v for %s (last error: %v)", timeout, what, last)
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// visibleJS is true when the element exists and takes space on the page.
func visibleJS(sel string) string {
	return `(function(){var e=document.querySelector(` + js(sel) + `);if(!e)return false;` +
		`var r=e.getBoundingClientRect(),s=getComputedStyle(e);` +
		`return r.width>0&&r.height>0&&s.visibility!=="hidden"&&s.display!=="none"})()`
}

// waitVisible waits for the element to show.
func (tb *tab) waitVisible(sel string) {
	tb.t.Helper()
	tb.waitFor(sel+" to show", visibleJS(sel), 10*time.Second)
}

// waitText waits for the element's text to contain want. (After a live update the page empties
// its status region and fills it again, so that screen readers announce it.)
func (tb *tab) waitText(sel, want string) {
	tb.t.Helper()
	tb.waitFor(fmt.Sprintf("%s to say %q", sel, want), `(function(){var e=document.querySelector(`+js(sel)+`);`+
		`return e!==null&&e.textContent.replace(/\s+/g," ").indexOf(`+js(want)+`)>=0})()`, 10*time.Second)
}

// waitURL waits for the tab to be at a URL that starts with prefix.
func (tb *tab) waitURL(prefix string, timeout time.Duration) {
	tb.t.Helper()
	tb.waitFor("the page at "+prefix, `document.readyState!=="loading"&&location.href.startsWith(`+js(prefix)+`)`, timeout)
}

// location is the page's URL.
func (tb *tab) location() string {
	tb.t.Helper()
	return eval[string](tb, `location.href`)
}

// text is the trimmed, whitespace-folded text of the first element that matches sel ("" when
// there is none).
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return eval[string](tb, `(function(){var e=document.querySelector(`+js(sel)+`);return e?e.textContent.replace(/\s+/g," ").trim():""})()`)
}

// has tells whether an element matches sel.
func (tb *tab) has(sel string) bool {
	tb.t.Helper()
	return eval[bool](tb, `document.querySelector(`+js(sel)+`)!==null`)
}

// press presses the element as the device's user would: a tap on a phone, a click elsewhere.
// It does not wait for what follows.
func (tb *tab) press(sel string) {
	tb.t.Helper()
	tb.waitVisible(sel)
	if tb.dev.mobile {
		tb.do("tap "+sel, chromedp.Tap(chromedp.CSS(sel)))
	} else {
		tb.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
	}
}

// pressForNewTab presses a link that opens a new tab (target=_blank) and returns that tab, seen
// as a shopper's window like the others, with the same device.
func (tb *tab) pressForNewTab(sel, name string) *tab {
	tb.t.Helper()
	opened := chromedp.WaitNewTarget(tb.ctx, func(info *target.Info) bool { return info.Type == "page" })
	tb.press(sel)
	var id target.ID
	select {
	case id = <-opened:
	case <-time.After(actionTimeout):
	}
	if id == "" {
		tb.fail("pressing %s opened no new tab", sel)
	}
	nt := &tab{t: tb.t, name: name, dev: tb.dev, reqs: map[network.RequestID]*request{}}
	ctx, cancel := chromedp.NewContext(tb.ctx, chromedp.WithTargetID(id), chromedp.WithListener(nt.listen))
	nt.ctx = ctx
	tb.t.Cleanup(nt.checkClean)
	tb.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		tb.fail("attaching to the tab %s opened: %v", sel, err)
	}
	return nt
}

// pressAndLoad presses the element and waits for the page it leads to; it returns that page's
// HTTP status (after redirects).
func (tb *tab) pressAndLoad(sel string) int64 {
	tb.t.Helper()
	tb.waitVisible(sel)
	act := chromedp.Click(chromedp.CSS(sel))
	if tb.dev.mobile {
		act = chromedp.Tap(chromedp.CSS(sel))
	}
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, act)
	if err != nil {
		tb.fail("press %s: %v", sel, err)
	}
	return res.Status
}

// keyboardTo presses Tab until the element that matches sel has the focus.
func (tb *tab) keyboardTo(sel string) {
	tb.t.Helper()
	for range 25 {
		tb.do("press Tab", chromedp.KeyEvent("\t"))
		if eval[bool](tb, `document.activeElement!==null&&document.activeElement.matches(`+js(sel)+`)`) {
			return
		}
	}
	tb.fail("25 presses of Tab never reached %s", sel)
}

// enterKey presses Enter once, as a keyboard does: chromedp's KeyEvent("\r") sends a keyDown that
// carries the text and a char event too, which activates a button twice.
var enterKey = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	for _, p := range []input.DispatchKeyEventParams{
		{Type: input.DispatchKeyEventTypeRawKeyDown, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13},
		{Type: input.DispatchKeyEventTypeChar, Key: "Enter", Code: "Enter", Text: "\r", UnmodifiedText: "\r", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13},
		{Type: input.DispatchKeyEventTypeKeyUp, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13},
	} {
		if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, p); err != nil {
			return err
		}
	}
	return nil
})

// enterAndLoad presses Enter on the focused control and waits for the page it leads to.
func (tb *tab) enterAndLoad() int64 {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, enterKey)
	if err != nil {
		tb.fail("press Enter: %v", err)
	}
	return res.Status
}

// rect is an element's box in CSS pixels, relative to the viewport.
type rect struct {
	Left, Top, Right, Bottom float64
}

func (tb *tab) rect(sel string) rect {
	tb.t.Helper()
	return eval[rect](tb, `(function(){var r=document.querySelector(`+js(sel)+`).getBoundingClientRect();`+
		`return {Left:r.left,Top:r.top,Right:r.right,Bottom:r.bottom}})()`)
}

// inViewport tells whether the whole element shows without scrolling.
func (tb *tab) inViewport(sel string) (rect, bool) {
	tb.t.Helper()
	r := tb.rect(sel)
	return r, r.Top >= 0 && r.Left >= 0 && r.Bottom <= float64(tb.dev.height) && r.Right <= float64(tb.dev.width)
}

// screenshot captures the viewport and saves it under test-output/screenshots.
func (tb *tab) screenshot(name string) []byte {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.fail("screenshot %s: %v", name, err)
	}
	tb.save(name, buf)
	return buf
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func (tb *tab) save(name string, png []byte) {
	dir := filepath.Join(handlerstest.RepoRoot(tb.t), "test-output", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.t.Errorf("screenshots: %v", err)
		return
	}
	file := unsafeName.ReplaceAllString(tb.t.Name()+"-"+tb.name+"-"+name, "_") + ".png"
	if err := os.WriteFile(filepath.Join(dir, file), png, 0o644); err != nil {
		tb.t.Errorf("screenshots: %v", err)
	}
}

// updateDocs writes a commit-ready screenshot under docs/ when KPCHECKOUT_UPDATE_DOCS=1.
func updateDocs(t *testing.T, file string, png []byte) {
	t.Helper()
	if os.Getenv("KPCHECKOUT_UPDATE_DOCS") != "1" {
		return
	}
	dir := filepath.Join(handlerstest.RepoRoot(t), "docs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote docs/%s", file)
}

// writeOutput writes a file under test-output/.
func writeOutput(t *testing.T, file, content string) {
	t.Helper()
	dir := filepath.Join(handlerstest.RepoRoot(t), "test-output")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// scanQR reads the QR code on the tab's screen as a phone's camera would: it takes a screenshot
// (saved as name), frames the code with its white surround, as a shopper aims the camera, and
// decodes it with a QR reader that knows nothing of how the page made it.
func (tb *tab) scanQR(name string) (text string, screenshot []byte) {
	tb.t.Helper()
	tb.waitVisible(`[data-testid="qr"]`)
	// A loaded machine may paint the image a few frames after it is laid out: look again, as a
	// phone's camera would, before calling the code unreadable.
	var err error
	for range 25 {
		before := tb.rect(".qr-frame")
		shot := tb.screenshot(name)
		r := tb.rect(".qr-frame")
		if r != before { // the layout moved while the picture was taken
			time.Sleep(200 * time.Millisecond)
			continue
		}
		frame := crop(tb.t, shot, rect{r.Left - 8, r.Top - 8, r.Right + 8, r.Bottom + 8}, tb.dev.scale)
		if text, err = readQR(tb.t, frame); err == nil {
			return text, shot
		}
		// gozxing's finder misses about one clean code in 150; the image alone (the code and its
		// quiet zone, nothing else) read as a pure barcode never does.
		if text, err = readPureQR(tb.t, crop(tb.t, shot, tb.rect(`[data-testid="qr"]`), tb.dev.scale)); err == nil {
			return text, shot
		}
		var buf bytes.Buffer
		png.Encode(&buf, frame)
		tb.save(name+"-unreadable", buf.Bytes())
		time.Sleep(200 * time.Millisecond)
	}
	tb.t.Fatalf("no QR code could be read off the screen: %v", err)
	return "", nil
}

// readQR finds and decodes the one QR code in an image, or says why it cannot.
func readQR(t *testing.T, img image.Image) (string, error) {
	return decodeQR(t, img, gozxing.DecodeHintType_TRY_HARDER)
}

// readPureQR decodes an image that is a QR code and its quiet zone only.
func readPureQR(t *testing.T, img image.Image) (string, error) {
	return decodeQR(t, img, gozxing.DecodeHintType_PURE_BARCODE)
}

// decodeQR decodes the QR code in img with hint set, or says why it cannot.
func decodeQR(t *testing.T, img image.Image, hint gozxing.DecodeHintType) (string, error) {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{hint: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// crop cuts a CSS-pixel rectangle out of a screenshot taken at the device's scale.
func crop(t *testing.T, pngData []byte, r rect, scale float64) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatal(err)
	}
	box := image.Rect(int(r.Left*scale), int(r.Top*scale), int(r.Right*scale), int(r.Bottom*scale)).Intersect(img.Bounds())
	out := image.NewRGBA(image.Rect(0, 0, box.Dx(), box.Dy()))
	for y := range box.Dy() {
		for x := range box.Dx() {
			out.Set(x, y, img.At(box.Min.X+x, box.Min.Y+y))
		}
	}
	return out
}

// nonWhite counts the pixels of img that are not (nearly) white.
func nonWhite(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			if c.R < 240 || c.G < 240 || c.B < 240 {
				n++
			}
		}
	}
	return n
}

// The axe-core accessibility checker, installed by `npm ci` from the project's package.json.
var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

// axeViolation is the part of axe-core's result the tests print.
type axeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  string `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

// axe runs axe-core on the page and fails on every violation of impact serious or critical; the
// lesser ones are logged.
func (tb *tab) axe(page string) {
	tb.t.Helper()
	axeOnce.Do(func() {
		var b []byte
		b, axeErr = os.ReadFile(filepath.Join(handlerstest.RepoRoot(tb.t), "node_modules", "axe-core", "axe.min.js"))
		axeSource = string(b)
	})
	if axeErr != nil {
		tb.t.Fatalf("axe-core is not installed (%v): run `make test` (or `npm ci`) in the repository first", axeErr)
	}
	// Evaluated through the DevTools protocol, the script is not subject to the page's CSP.
	if !eval[bool](tb, `typeof window.axe==="object"`) {
		tb.do("inject axe-core", chromedp.Evaluate[chromedp.Void](axeSource+";void 0"))
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document,{resultTypes:["violations"]}).then(function(r){`+
		`return r.violations.map(function(v){return {id:v.id,impact:v.impact||"",help:v.help,helpUrl:v.helpUrl,`+
		`nodes:v.nodes.map(function(n){return {target:n.target.join(" "),html:n.html,summary:n.failureSummary||""}})}})})`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		tb.fail("axe-core on %s: %v", page, err)
	}
	for _, v := range vs {
		var b strings.Builder
		fmt.Fprintf(&b, "axe-core on %s (%s): %s [%s] %s (%s)", page, tb.name, v.ID, v.Impact, v.Help, v.HelpURL)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "\n    at %s: %s\n      %s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n      "))
		}
		if slices.Contains([]string{"serious", "critical"}, v.Impact) {
			tb.t.Error(b.String())
		} else {
			tb.t.Log(b.String())
		}
	}
}

// requested returns the first URL the tab asked for that contains part, or "".
func (tb *tab) requested(part string) string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, r := range tb.reqs {
		if strings.Contains(r.url, part) {
			return r.url
		}
	}
	return ""
}

// finishedRequests lists the requests that finished loading, in no particular order.
func (tb *tab) finishedRequests() []request {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var out []request
	for _, r := range tb.reqs {
		if r.finished {
			out = append(out, *r)
		}
	}
	return out
}
