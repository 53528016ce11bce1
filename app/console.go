//go:build desktop || dev

package app

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	wailsruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/simphony/simphony-remote/build"
	"github.com/simphony/simphony-remote/engine/admin"
)

// Built says that this binary has the console.
const Built = true

// Run opens the console's window on the appliance whose admin socket is
// socket, and returns when it is closed.
func Run(socket, dataDir string, log zerolog.Logger) error {
	began := time.Now()
	client := admin.DialSocket(socket)
	m := &Machine{Socket: socket, DataDir: dataDir, Appliance: client, Service: Systemd{}, Log: log}
	h, err := Handler(m, client)
	if err != nil {
		return err
	}
	var appCtx context.Context
	var first sync.Once
	watch, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	return wails.Run(&options.App{
		Title:            Title,
		Width:            1200,
		Height:           800,
		MinWidth:         640,
		MinHeight:        480,
		BackgroundColour: &options.RGBA{R: 255, G: 255, B: 255, A: 255},
		AssetServer:      &assetserver.Options{Handler: h},
		Logger:           wailsLogger{log},
		Linux:            &linux.Options{Icon: build.Icon, ProgramName: "simphony-remote-console"},
		Bind:             []any{m},
		OnStartup: func(ctx context.Context) {
			appCtx = ctx
			m.OpenURL = func(url string) error { wailsruntime.BrowserOpenURL(appCtx, url); return nil }
			go m.WatchFailures(watch, DesktopNotify, 2*time.Second)
		},
		OnDomReady: func(context.Context) {
			// WebKit's JavaScript engine installs its own crash signal
			// handlers, without SA_ONSTACK, once it runs: put it back, or a
			// nil dereference in Go kills the console instead of becoming a
			// recovered panic. (Each page runs it again.)
			fixed, err := restoreOnStack()
			if err != nil {
				log.Error().Err(err).Msg("restoring SA_ONSTACK on the crash signals")
			}
			if len(fixed) > 0 {
				log.Info().Strs("signals", fixed).Msg("restored SA_ONSTACK on the crash signals' handlers")
			}
			first.Do(func() { log.Info().Dur("took_ms", time.Since(began)).Msg("the console shows its first page") })
			log.Debug().Msg("page ready")
		},
		OnShutdown: func(context.Context) { stopWatch() },
	})
}

// wailsLogger sends Wails' own messages to the console's log.
type wailsLogger struct{ log zerolog.Logger }

func (l wailsLogger) Print(m string)   { l.log.Info().Str("component", "wails").Msg(m) }
func (l wailsLogger) Trace(m string)   { l.log.Trace().Str("component", "wails").Msg(m) }
func (l wailsLogger) Debug(m string)   { l.log.Debug().Str("component", "wails").Msg(m) }
func (l wailsLogger) Info(m string)    { l.log.Info().Str("component", "wails").Msg(m) }
func (l wailsLogger) Warning(m string) { l.log.Warn().Str("component", "wails").Msg(m) }
func (l wailsLogger) Error(m string)   { l.log.Error().Str("component", "wails").Msg(m) }
func (l wailsLogger) Fatal(m string)   { l.log.Fatal().Str("component", "wails").Msg(m) }
