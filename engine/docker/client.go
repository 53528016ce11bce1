// Package docker talks to the Docker Engine through its API.
package docker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"
	"github.com/docker/go-connections/tlsconfig"

	"github.com/simphony/simphony-remote/engine/config"
)

// Errors, wrapped with what was being done.
var (
	// ErrUnreachable means no Docker Engine answered.
	ErrUnreachable = errors.New("the Docker Engine is unreachable")
	// ErrNotFound means the engine answered but has no such object.
	ErrNotFound = errors.New("not found in Docker")
)

// Client is a connection to one Docker Engine. Every call is bounded by
// the configured network timeout (a stream's connection too), including
// the version negotiation before the first call.
type Client struct {
	api     *client.Client
	timeout time.Duration

	// The SDK negotiates the API version lazily, pinging with the first
	// call's context while holding a lock that every other call waits
	// for, whatever their own contexts say: one call without a deadline
	// (an event stream) on an engine that never answers blocked them all.
	// negotiate does it first instead, bounded, behind a gate that
	// respects each caller's context.
	negotiated atomic.Bool
	gate       chan struct{}
}

// New prepares a client for the engine described by cfg; it does not
// connect. With an empty cfg.Host the DOCKER_HOST, DOCKER_TLS_VERIFY and
// DOCKER_CERT_PATH environment variables apply, as for the docker CLI.
func New(cfg config.Docker) (*Client, error) {
	opts := []client.Opt{client.WithAPIVersionNegotiation()}
	if cfg.Host == "" {
		opts = append(opts, client.FromEnv)
	} else {
		if cfg.TLS {
			tlsCfg, err := tlsconfig.Client(tlsconfig.Options{
				CAFile:             cfg.TLSCA,
				CertFile:           cfg.TLSCert,
				KeyFile:            cfg.TLSKey,
				InsecureSkipVerify: !cfg.TLSVerify,
				ExclusiveRootPools: cfg.TLSCA != "",
			})
			if err != nil {
				return nil, fmt.Errorf("docker TLS settings: %w", err)
			}
			// The transport must carry the TLS settings before WithHost
			// configures it for the address.
			opts = append(opts, client.WithHTTPClient(&http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}}))
		}
		opts = append(opts, client.WithHost(cfg.Host))
	}
	api, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	return &Client{api: api, timeout: cfg.NetworkTimeout.D(), gate: make(chan struct{}, 1)}, nil
}

// negotiate settles the API version with the engine, once, within the
// network timeout and ctx. Every call of this package starts with it, so
// that the SDK never negotiates (unbounded, under its lock) itself.
func (c *Client) negotiate(ctx context.Context) error {
	if c.negotiated.Load() {
		return nil
	}
	select {
	case c.gate <- struct{}{}:
	case <-ctx.Done():
		return c.classify(ctx.Err())
	}
	defer func() { <-c.gate }()
	if c.negotiated.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	ping, err := c.api.Ping(ctx)
	if err != nil {
		return c.classify(err)
	}
	c.api.NegotiateAPIVersionPing(ping)
	c.negotiated.Store(true)
	return nil
}

// op bounds a call by the network timeout, after negotiating the version.
func (c *Client) op(ctx context.Context) (context.Context, context.CancelFunc, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	if err := c.negotiate(ctx); err != nil {
		cancel()
		return nil, nil, err
	}
	return ctx, cancel, nil
}

// Host is the engine's address, for messages.
func (c *Client) Host() string { return c.api.DaemonHost() }

// Close releases the client's connections.
func (c *Client) Close() error { return c.api.Close() }

// API is the underlying Docker SDK client. Its calls are not bounded
// by this Client: the appliance does not use it while serving.
func (c *Client) API() *client.Client { return c.api }

// classify wraps err with ErrUnreachable or ErrNotFound when it is one.
func (c *Client) classify(err error) error {
	switch {
	case err == nil:
		return nil
	case client.IsErrConnectionFailed(err), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w at %s: %v", ErrUnreachable, c.Host(), err)
	case cerrdefs.IsNotFound(err):
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	return err
}

// Ping checks that the engine answers.
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel, err := c.op(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	_, err = c.api.Ping(ctx)
	return c.classify(err)
}

// ImageExists returns nil when the engine has the image, an error matching
// ErrNotFound when it does not, and one matching ErrUnreachable when the
// engine does not answer.
func (c *Client) ImageExists(ctx context.Context, image string) error {
	ctx, cancel, err := c.op(ctx)
	if err != nil {
		return fmt.Errorf("looking up image %s: %w", image, err)
	}
	defer cancel()
	if _, err := c.api.ImageInspect(ctx, image); err != nil {
		return fmt.Errorf("looking up image %s: %w", image, c.classify(err))
	}
	return nil
}
