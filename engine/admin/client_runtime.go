package admin

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/api/wire"
)

// Sessions implements Service.
func (c *Client) Sessions(ctx context.Context) ([]Session, error) {
	var ws []wire.AdminContainer
	if err := c.do(ctx, http.MethodGet, "/containers", nil, nil, &ws, http.StatusOK); err != nil {
		return nil, err
	}
	out := make([]Session, len(ws))
	for i, w := range ws {
		out[i] = sessionOfWire(w)
	}
	return out, nil
}

// UserShares implements Service.
func (c *Client) UserShares(ctx context.Context, name string) ([]Share, error) {
	var ws []wire.AdminShare
	if err := c.do(ctx, http.MethodGet, "/shares", url.Values{"user": {name}}, nil, &ws, http.StatusOK); err != nil {
		return nil, err
	}
	out := make([]Share, len(ws))
	for i, w := range ws {
		out[i] = Share{URLID: w.URLID, Owner: w.Owner, Image: w.Image, User: w.User, Mode: w.Mode, Expires: w.Expires}
	}
	return out, nil
}

// StopSession implements Service.
func (c *Client) StopSession(ctx context.Context, urlID string) error {
	if cleanable(urlID) || strings.Contains(urlID, "/") {
		return fmt.Errorf("stopping session %s: %w", urlID, accounting.ErrNotFound)
	}
	return c.do(ctx, http.MethodDelete, "/containers/"+url.PathEscape(urlID), nil, nil, nil, http.StatusNoContent)
}

// Stats implements Service.
func (c *Client) Stats(ctx context.Context) (Stats, error) {
	var w wire.AdminStats
	if err := c.do(ctx, http.MethodGet, "/stats", nil, nil, &w, http.StatusOK); err != nil {
		return Stats{}, err
	}
	return statsOfWire(w), nil
}

// Info implements Service.
func (c *Client) Info(ctx context.Context) (Info, error) {
	var w wire.AdminInfo
	if err := c.do(ctx, http.MethodGet, "/info", nil, nil, &w, http.StatusOK); err != nil {
		return Info{}, err
	}
	return infoOfWire(w), nil
}

// Log implements Service.
func (c *Client) Log(ctx context.Context, after uint64, limit int) (LogPage, error) {
	q := url.Values{"after": {strconv.FormatUint(after, 10)}}
	if limit > 0 {
		q.Set("max", strconv.Itoa(limit))
	}
	var w wire.LogPage
	if err := c.do(ctx, http.MethodGet, "/log", q, nil, &w, http.StatusOK); err != nil {
		return LogPage{}, err
	}
	return logOfWire(w), nil
}

// Images implements Service.
func (c *Client) Images(ctx context.Context) ([]Image, error) {
	var ws []wire.ImageInfo
	if err := c.do(ctx, http.MethodGet, "/images", nil, nil, &ws, http.StatusOK); err != nil {
		return nil, err
	}
	out := make([]Image, len(ws))
	for i, w := range ws {
		out[i] = imageOfWire(w)
	}
	return out, nil
}

// upload sends a tarball, streamed as it is read, and decodes the answer.
func (c *Client) upload(ctx context.Context, path string, query url.Values, body io.Reader, out any) error {
	u := c.base.String() + AdminPath + path
	if q := query.Encode(); q != "" {
		u += "?" + q
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, body)
	if err != nil {
		return fmt.Errorf("preparing POST %s: %w", AdminPath+path, err)
	}
	req.Header.Set("Content-Type", "application/x-tar")
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return fmt.Errorf("talking to the appliance through %s: %w", c.where, unwrapURL(err))
	}
	return c.decode(resp, http.MethodPost, path, out, http.StatusCreated)
}

// ImportImages implements Service: the tarball streams to the server.
func (c *Client) ImportImages(ctx context.Context, tarball io.Reader) (ImportResult, error) {
	var w wire.ImportResult
	if err := c.upload(ctx, "/images/import", nil, tarball, &w); err != nil {
		return ImportResult{}, err
	}
	return importOfWire(w), nil
}

// BuildImage implements Service.
func (c *Client) BuildImage(ctx context.Context, buildContext io.Reader, tag string) (BuildResult, error) {
	var w wire.BuildResult
	if err := c.upload(ctx, "/images/build", url.Values{"tag": {tag}}, buildContext, &w); err != nil {
		return BuildResult{}, err
	}
	return BuildResult{Name: w.Name, ID: w.ID, HasProtocol: w.HasProtocol, Log: w.Log}, nil
}

// RemoveImage implements Service.
func (c *Client) RemoveImage(ctx context.Context, ref string) error {
	if strings.TrimSpace(ref) == "" {
		return errNoRef(ref)
	}
	p := imagePath(ref)
	if p == "" {
		return fmt.Errorf("removing image %s: image %w", ref, accounting.ErrNotFound)
	}
	return c.do(ctx, http.MethodDelete, "/images/"+strings.TrimPrefix(p, "/applications/"), nil, nil, nil, http.StatusNoContent)
}

// BuildStarters implements Service.
func (c *Client) BuildStarters(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/starters", nil, nil, nil, http.StatusAccepted)
}

// Starters implements Service.
func (c *Client) Starters(ctx context.Context) (StartersBuild, error) {
	var w wire.StartersBuild
	if err := c.do(ctx, http.MethodGet, "/starters", nil, nil, &w, http.StatusOK); err != nil {
		return StartersBuild{}, err
	}
	return startersOfWire(w), nil
}
