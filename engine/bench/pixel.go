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

	"github.com/chromedp/cdproto/network"
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
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelCtx := chromedp.NewContext(actx)
	b := &browser{ctx: bctx, cancel: func() { cancelCtx(); cancelAlloc() }}
	if err := chromedp.Do(bctx); err != nil {
		b.close()
		return nil, fmt.Errorf("starting Chromium: %w", err)
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

// firstPixel is true-ish (the time in ms since the epoch) once noVNC is
// connected and its canvas holds a pixel that is not black: in the frame
// of the session page a start opens (the bench runs in path mode, where
// the frame is of the page's own origin), or in the page itself.
const firstPixel = `(() => {
	const frame = document.getElementById("session-frame");
	const doc = frame ? frame.contentDocument : document;
	if (!doc || !doc.location.pathname.endsWith("/vnc.html")) return 0;
	if (!doc.documentElement.classList.contains("noVNC_connected")) return 0;
	const c = doc.querySelector("#noVNC_container canvas") || doc.querySelector("canvas");
	if (!c || !c.width || !c.height) return 0;
	const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
	for (let i = 0; i < d.length; i += 4 * 61) {
		if (d[i] | d[i + 1] | d[i + 2]) return Date.now();
	}
	return 0;
})()`

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
	t0 := time.Now()
	if err := chromedp.Do(bctx, chromedp.Click(start)); err != nil {
		return fmt.Errorf("clicking Start: %w", err)
	}
	// Starting a container adds a network interface on this machine, and
	// Chromium aborts the loads in flight when it notices (with
	// net::ERR_NETWORK_CHANGED); a user's browser elsewhere never sees it.
	// A page caught by that is loaded again (as engine/e2e does), and the
	// reload counts in the time.
	reloads := 0
	var at float64
	for {
		pctx, pcancel := context.WithTimeout(bctx, 2*time.Second)
		v, err := chromedp.Run(pctx, chromedp.Poll[float64](firstPixel, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(2*time.Second)))
		pcancel()
		if err == nil && v > 0 {
			at = v
			break
		}
		if bctx.Err() != nil {
			loc, _ := chromedp.Run(b.ctx, chromedp.Location())
			return fmt.Errorf("no desktop pixel within 3 minutes (at %s; failed loads: %s)", loc, b.failures())
		}
		if f := b.failures(); strings.Contains(f, "ERR_NETWORK_CHANGED") && reloads < 3 {
			reloads++
			if err := chromedp.Do(bctx, chromedp.Reload()); err != nil {
				return fmt.Errorf("reloading after %s: %w", f, err)
			}
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
	client := r.app.apiClient()
	defer client.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, r.app.httpsURL()+"/api/v1/containers/"+m[1], nil)
	req.Header.Set("Authorization", "Bearer "+b.token)
	if err := doJSON(client, req, http.StatusNoContent, nil); err != nil {
		return fmt.Errorf("stopping the desktop: %w", err)
	}
	return chromedp.Do(bctx, chromedp.Navigate("about:blank"))
}
