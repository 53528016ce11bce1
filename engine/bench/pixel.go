package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// browser is a headless Chromium signed in to the appliance as its
// administrator, who has the Desktop starter granted.
type browser struct {
	ctx    context.Context
	cancel func()
	token  string // the administrator's API token, to stop the desktop

	mu     sync.Mutex
	failed []string // loads that failed, for ERR_NETWORK_CHANGED

	net netLog // the network events of the desktop start being measured
}

func (b *browser) close() { b.cancel() }

// failures returns and forgets the failed loads.
func (b *browser) failures() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := strings.Join(b.failed, "; ")
	b.failed = nil
	return s
}

// leafSPKI is the base64 SHA-256 of the appliance certificate's public key,
// which Chromium is told to accept (a fresh profile cannot trust the local
// CA without tools; this trusts that one key only).
func leafSPKI(dataDir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dataDir, "caddy", "certificates", "local", "127.0.0.1", "127.0.0.1.crt"))
	if err != nil {
		return "", err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return "", errors.New("the appliance's certificate is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// startBrowser starts Chromium and signs in as the administrator.
func (r *rig) startBrowser(ctx context.Context) (*browser, error) {
	path, err := exec.LookPath("chromium")
	if err != nil {
		return nil, err
	}
	spki, err := leafSPKI(r.app.cfg.DataDir)
	if err != nil {
		return nil, err
	}
	profile, err := os.MkdirTemp(r.dir, "chromium-")
	if err != nil {
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("ignore-certificate-errors-spki-list", spki),
		chromedp.UserDataDir(profile),
		// Chromium's own temporary files (its singleton socket), left
		// behind when the bench ends it, go with the profile.
		chromedp.Env("TMPDIR="+profile),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelCtx := chromedp.NewContext(actx)
	b := &browser{ctx: bctx, cancel: func() { cancelCtx(); cancelAlloc() }}
	if err := chromedp.Do(bctx); err != nil {
		b.close()
		return nil, fmt.Errorf("starting Chromium: %w", err)
	}
	if err := chromedp.Listen(bctx, b.net.event); err != nil {
		b.close()
		return nil, err
	}
	if err := chromedp.Do(bctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: pixelWatch}); err != nil {
			return err
		}
		if r.opts.Latency <= 0 {
			return nil
		}
		_, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Latency: float64(r.opts.Latency.Milliseconds()), DownloadThroughput: -1, UploadThroughput: -1}},
		})
		return err
	})); err != nil {
		b.close()
		return nil, fmt.Errorf("preparing the browser (the pixel watch, the latency): %w", err)
	}
	go func() {
		for ev, err := range chromedp.Events(bctx, network.LoadingFailed) {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.failed = append(b.failed, ev.ErrorText)
			b.mu.Unlock()
		}
	}()
	tokens, _, err := r.app.users(ctx, []string{"admin"}, "")
	if err != nil {
		b.close()
		return nil, err
	}
	b.token = tokens[0]
	sctx, cancel := context.WithTimeout(bctx, time.Minute)
	defer cancel()
	err = chromedp.Do(sctx,
		chromedp.Navigate(r.app.httpsURL()+"/"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), r.app.cfg.AdminPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`ul.apps`)),
	)
	if err != nil {
		b.close()
		return nil, fmt.Errorf("signing in with Chromium: %w", err)
	}
	return b, nil
}

// pixelWatch runs in every page Chromium opens for the bench, before the
// page's own scripts. It looks at noVNC's canvas every 20 ms, in the frame
// of the session page a start opens (the bench runs in path mode, where the
// frame is of the page's own origin) or in the page itself, and once noVNC
// is connected and a pixel is not black, keeps the time (ms since the
// epoch) as window.firstPixelAt: measured in the page, whatever the
// bench's own checks from outside cost or miss. (It watches from the top
// page: Chromium does not run it again when a frame's first, empty
// document gives way to noVNC's page.)
const pixelWatch = `(() => {
	if (window !== window.top) return;
	const seen = () => {
		const frame = document.getElementById("session-frame");
		const doc = frame ? frame.contentDocument : document;
		const html = doc && doc.location.pathname.endsWith("/vnc.html") && doc.documentElement;
		const c = html && html.classList.contains("noVNC_connected") && (doc.querySelector("#noVNC_container canvas") || doc.querySelector("canvas"));
		if (!c || !c.width || !c.height) return false;
		const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		for (let i = 0; i < d.length; i += 4 * 61) {
			if (d[i] | d[i + 1] | d[i + 2]) return true;
		}
		return false;
	};
	const check = () => {
		try {
			if (seen()) {
				window.firstPixelAt = Date.now();
				return;
			}
		} catch (e) {} // a frame of another origin, or one going away
		setTimeout(check, 20);
	};
	check();
})()`

// firstPixel is pixelWatch's time in the page shown, or 0 before it.
const firstPixel = `window.firstPixelAt || 0`

var desktopPath = regexp.MustCompile(`/user/admin/containers/([0-9a-f]{32})/`)

// measurePixel clicks Start on the portal's Desktop card and waits for
// noVNC to show the desktop: the time a user waits for a desktop.
func (r *rig) measurePixel(ctx context.Context, res *Results, round int) error {
	if r.browser == nil {
		b, err := r.startBrowser(ctx)
		if err != nil {
			return err
		}
		r.browser = b
	}
	b := r.browser
	bctx, cancel := context.WithTimeout(b.ctx, 3*time.Minute)
	defer cancel()
	stopCtx := context.AfterFunc(ctx, cancel)
	defer stopCtx()
	start := chromedp.CSS(`li[data-name="Desktop"] form button[type="submit"]`)
	if err := chromedp.Do(bctx, chromedp.Navigate(r.app.httpsURL()+"/"), chromedp.WaitVisible(start)); err != nil {
		return fmt.Errorf("the portal: %w", err)
	}
	b.failures()
	b.net.start()
	defer b.net.stop()
	t0 := time.Now()
	if err := chromedp.Do(bctx, chromedp.Click(start)); err != nil {
		return fmt.Errorf("clicking Start: %w", err)
	}
	// Starting a container adds a network interface on this machine, and
	// Chromium aborts the loads in flight when it notices (with
	// net::ERR_NETWORK_CHANGED); a user's browser elsewhere never sees it.
	// A page caught by that is loaded again (as engine/e2e does), and the
	// reload counts in the time.
	//
	// The bench asks every 50 ms, each time the page shown then, for the
	// time pixelWatch saw the pixel at. (A check of chromedp.Poll's, left
	// running in one page, is lost when the page navigates, the portal's to
	// the starting page's to the session's: one caught that way said so
	// only when it timed out, 0.7 s late or more.)
	reloads := 0
	var at float64
	var seen []string
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ectx, ecancel := context.WithTimeout(bctx, time.Second)
		v, err := chromedp.Run(ectx, chromedp.Evaluate[float64](firstPixel))
		ecancel()
		if err == nil && v > 0 {
			at = v
			break
		}
		f := b.failures()
		if f != "" {
			seen = append(seen, f)
		}
		if strings.Contains(f, "ERR_NETWORK_CHANGED") && reloads < 3 {
			reloads++
			// A reload can meet the page navigating by itself (the
			// starting page opening the session): then it fails with "Not
			// attached to an active page", and the next check sees the new
			// page.
			if err := chromedp.Do(bctx, chromedp.Reload()); err != nil && bctx.Err() == nil {
				fmt.Fprintf(r.opts.Log, "bench: reloading after %s: %v; checking on\n", f, err)
			}
		}
		select {
		case <-tick.C:
		case <-bctx.Done():
			loc, _ := chromedp.Run(b.ctx, chromedp.Location())
			return fmt.Errorf("no desktop pixel within 3 minutes (at %s; failed loads: %s)", loc, strings.Join(seen, "; "))
		}
	}
	took := time.UnixMilli(int64(at)).Sub(t0)
	res.add(Sample{Metric: "pixel.first", Target: tTLS, Round: round, Value: took.Seconds(), Unit: "s", Extra: map[string]any{"reloads": reloads}})

	loc, err := chromedp.Run(bctx, chromedp.Evaluate[string](`(f => f ? f.contentDocument.location.href : location.href)(document.getElementById("session-frame"))`))
	if err != nil {
		return err
	}
	m := desktopPath.FindStringSubmatch(loc)
	if m == nil {
		return fmt.Errorf("the desktop opened at %s", loc)
	}
	r.pixelStages(ctx, res, round, t0, m[1], took, reloads)

	client := r.app.apiClient()
	defer client.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, r.app.httpsURL()+"/api/v1/containers/"+m[1], nil)
	req.Header.Set("Authorization", "Bearer "+b.token)
	if err := doJSON(client, req, http.StatusNoContent, nil); err != nil {
		return fmt.Errorf("stopping the desktop: %w", err)
	}
	return chromedp.Do(bctx, chromedp.Navigate("about:blank"))
}

// pixelStages adds the stages of the desktop start urlID, each in seconds
// after the click at t0; a stage that was not seen is left out (and said).
func (r *rig) pixelStages(ctx context.Context, res *Results, round int, t0 time.Time, urlID string, pixel time.Duration, reloads int) {
	urlPath := "/user/admin/containers/" + urlID + "/"
	r.browser.net.waitUpdate(ctx, 2*time.Second)
	if dir := os.Getenv("BENCH_PIXEL_DUMP"); dir != "" {
		if f, err := os.Create(filepath.Join(dir, fmt.Sprintf("pixel-%d.txt", round))); err == nil {
			r.browser.net.dump(f, t0)
			_ = f.Close()
		}
	}
	at, n, size := r.browser.net.stages(urlPath)
	cat, probes, err := r.containerStages(ctx, urlID, urlPath)
	if err != nil {
		res.note(fmt.Sprintf("round %d: the desktop container's stages: %v", round, err))
	}
	for k, t := range cat {
		at[k] = t
	}
	line := []string{}
	for _, st := range pixelStages {
		t, ok := at[st.key]
		if !ok || t.IsZero() {
			res.note(fmt.Sprintf("round %d: no time for the stage %q", round, st.label))
			continue
		}
		s := Sample{Metric: "pixel.stage." + st.key, Target: tTLS, Round: round, Value: t.Sub(t0).Seconds(), Unit: "s"}
		switch st.key {
		case "novnc":
			s.Extra = map[string]any{"requests": n, "bytes": size}
		case "probe_ok":
			s.Extra = map[string]any{"answers_before": probes - 1}
		}
		res.add(s)
		line = append(line, fmt.Sprintf("%s %.0f", st.key, t.Sub(t0).Seconds()*1000))
	}
	fmt.Fprintf(r.opts.Log, "bench: pixel stages (ms after the click): %s, pixel %.0f; noVNC %d requests, %.0f KB; %d reloads\n", strings.Join(line, ", "), pixel.Seconds()*1000, n, size/1000, reloads)
}
