package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/simphony/simphony-remote/engine/appliance"
	"github.com/simphony/simphony-remote/engine/config"
)

// applianceConfig is what the appliance child runs with.
type applianceConfig struct {
	DataDir       string   `json:"data_dir"`
	Listen        string   `json:"listen"`         // HTTPS
	PlainListen   string   `json:"plain_listen"`   // plain HTTP, the same route
	ControlListen string   `json:"control_listen"` // the bench's control endpoint
	Realm         string   `json:"realm"`
	AdminPassword string   `json:"admin_password"`
	DemoApps      []string `json:"demo_apps"`
}

type applianceReady struct {
	HTTPS   string `json:"https"`
	Plain   string `json:"plain"`
	Control string `json:"control"`
}

// serveAppliance runs a whole appliance, as `serve` does, plus the bench's
// control endpoint on a loopback port of this process.
func serveAppliance(raw string) error {
	var cfg applianceConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return fmt.Errorf("reading the configuration: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	c := config.Default()
	c.DataDir = cfg.DataDir
	c.Listen = cfg.Listen
	c.Realm = cfg.Realm
	c.DemoApplications = cfg.DemoApps
	// The memory measurement holds its idle WebSockets as one user: lift
	// the caps (the appliance lowers the total to what its descriptor
	// limit carries, which the harness raised).
	c.WebSockets.PerUser, c.WebSockets.Total = 100_000, 100_000
	c.Log.Level = "warn"
	c.Log.Format = "json"
	log := zerolog.New(os.Stderr).Level(zerolog.WarnLevel).With().Timestamp().Logger()

	ctl, err := net.Listen("tcp", cfg.ControlListen)
	if err != nil {
		return fmt.Errorf("the control endpoint: %w", err)
	}
	defer ctl.Close()
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)

	opts := appliance.Options{
		AdminPassword: cfg.AdminPassword,
		PlainListen:   cfg.PlainListen,
		OnReady: func(a *appliance.Appliance) {
			srv.Handler = newControl(a)
			go func() { served <- srv.Serve(ctl) }()
			if err := announce(applianceReady{HTTPS: cfg.Listen, Plain: cfg.PlainListen, Control: ctl.Addr().String()}); err != nil {
				log.Error().Err(err).Msg("announcing")
			}
		},
	}
	err = appliance.Run(ctx, c, log, opts)
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	select {
	case serr := <-served:
		if !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
	default:
	}
	return err
}
