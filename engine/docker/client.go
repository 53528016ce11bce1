// Package docker talks to the Docker Engine through its API.
package docker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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

// Client is a connection to one Docker Engine.
type Client struct {
	api     *client.Client
	timeout time.Duration
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
	return &Client{api: api, timeout: cfg.NetworkTimeout.D()}, nil
}

// Host is the engine's address, for messages.
func (c *Client) Host() string { return c.api.DaemonHost() }

// Close releases the client's connections.
func (c *Client) Close() error { return c.api.Close() }

// API is the underlying Docker SDK client.
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
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	_, err := c.api.Ping(ctx)
	return c.classify(err)
}

// ImageExists returns nil when the engine has the image, an error matching
// ErrNotFound when it does not, and one matching ErrUnreachable when the
// engine does not answer.
func (c *Client) ImageExists(ctx context.Context, image string) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if _, err := c.api.ImageInspect(ctx, image); err != nil {
		return fmt.Errorf("looking up image %s: %w", image, c.classify(err))
	}
	return nil
}
