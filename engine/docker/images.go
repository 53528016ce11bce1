package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// ErrBadInput means Docker refused what it was given (a tarball that is
// not an image, a build that failed).
var ErrBadInput = errors.New("refused by Docker")

// LocalImage is a tagged image of the engine.
type LocalImage struct {
	Name   string
	ID     string
	Labels map[string]string
	Size   int64
	// Created is when it was built.
	Created time.Time
}

// Images lists the engine's tagged images, sorted by name.
func (c *Client) Images(ctx context.Context) ([]LocalImage, error) {
	ctx, cancel, err := c.op(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	defer cancel()
	list, err := c.api.ImageList(ctx, image.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", c.classify(err))
	}
	var out []LocalImage
	for _, s := range list {
		for _, tag := range s.RepoTags {
			if tag == "<none>:<none>" {
				continue
			}
			out = append(out, LocalImage{Name: tag, ID: s.ID, Labels: s.Labels, Size: s.Size, Created: time.Unix(s.Created, 0).UTC()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// streamMessage is a line of Docker's JSON progress streams.
type streamMessage struct {
	Stream string `json:"stream"`
	Error  string `json:"error"`
	Detail struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
}

// readStream reads a JSON progress stream: the text it carried (at most
// limit bytes, the end kept) and its error.
func readStream(r io.Reader, limit int) (string, error) {
	dec := json.NewDecoder(r)
	var text strings.Builder
	for {
		var m streamMessage
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			return text.String(), fmt.Errorf("reading Docker's answer: %w", err)
		}
		if m.Error != "" {
			return text.String(), fmt.Errorf("%w: %s", ErrBadInput, m.Error)
		}
		text.WriteString(m.Stream)
		if text.Len() > 2*limit {
			// Only the end is shown: keep no more than twice it, however
			// long the output.
			tail := text.String()[text.Len()-limit:]
			text.Reset()
			text.WriteString("…" + tail)
		}
	}
	s := text.String()
	if len(s) > limit {
		s = "…" + s[len(s)-limit:]
	}
	return s, nil
}

// uploadReader remembers why reading an upload failed: when the upload
// itself breaks (over its size limit, its sender gone), that is the error,
// not the Docker Engine's view of a request cut short.
type uploadReader struct {
	r   io.Reader
	mu  sync.Mutex // the HTTP transport reads in a goroutine of its own
	bad error
}

func (u *uploadReader) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	if err != nil && err != io.EOF {
		u.mu.Lock()
		u.bad = err
		u.mu.Unlock()
	}
	return n, err
}

// err is why reading the upload failed, nil when it did not.
func (u *uploadReader) err() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.bad
}

// LoadImages loads an image tarball (as `docker save` writes) and returns
// the names (or ids, for untagged images) of the loaded images.
func (c *Client) LoadImages(ctx context.Context, tarball io.Reader) ([]string, error) {
	if err := c.negotiate(ctx); err != nil {
		return nil, fmt.Errorf("loading images: %w", err)
	}
	upload := &uploadReader{r: tarball}
	resp, err := c.api.ImageLoad(ctx, upload, client.ImageLoadWithQuiet(true))
	if err != nil {
		if uerr := upload.err(); uerr != nil {
			return nil, fmt.Errorf("loading images: reading the upload: %w", uerr)
		}
		err = c.classify(err)
		if errors.Is(err, ErrUnreachable) {
			return nil, fmt.Errorf("loading images: %w", err)
		}
		return nil, fmt.Errorf("loading images: %w: %w", ErrBadInput, err)
	}
	defer resp.Body.Close()
	text, err := readStream(resp.Body, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("loading images: %w", err)
	}
	var names []string
	for _, line := range strings.Split(text, "\n") {
		if name, ok := strings.CutPrefix(line, "Loaded image: "); ok {
			names = append(names, strings.TrimSpace(name))
		} else if id, ok := strings.CutPrefix(line, "Loaded image ID: "); ok {
			names = append(names, strings.TrimSpace(id))
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("loading images: %w: the tarball held no image", ErrBadInput)
	}
	return names, nil
}

// BuildImage builds the context tarball (with a Dockerfile at its root) as
// tag, offline (base images must be local), and returns the end of the
// build's output.
func (c *Client) BuildImage(ctx context.Context, buildContext io.Reader, tag string) (string, error) {
	if err := c.negotiate(ctx); err != nil {
		return "", fmt.Errorf("building %s: %w", tag, err)
	}
	upload := &uploadReader{r: buildContext}
	resp, err := c.api.ImageBuild(ctx, upload, build.ImageBuildOptions{
		Tags: []string{tag}, Remove: true, ForceRemove: true, PullParent: false,
	})
	if err != nil {
		if uerr := upload.err(); uerr != nil {
			return "", fmt.Errorf("building %s: reading the upload: %w", tag, uerr)
		}
		err = c.classify(err)
		if errors.Is(err, ErrUnreachable) {
			return "", fmt.Errorf("building %s: %w", tag, err)
		}
		return "", fmt.Errorf("building %s: %w: %w", tag, ErrBadInput, err)
	}
	defer resp.Body.Close()
	log, err := readStream(resp.Body, 64<<10)
	if err != nil {
		return log, fmt.Errorf("building %s: %w", tag, err)
	}
	return log, nil
}

// Inspect returns an image's id and labels.
func (c *Client) Inspect(ctx context.Context, ref string) (string, map[string]string, error) {
	ctx, cancel, err := c.op(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("inspecting image %s: %w", ref, err)
	}
	defer cancel()
	info, err := c.api.ImageInspect(ctx, ref)
	if err != nil {
		return "", nil, fmt.Errorf("inspecting image %s: %w", ref, c.classify(err))
	}
	var labels map[string]string
	if info.Config != nil {
		labels = info.Config.Labels
	}
	return info.ID, labels, nil
}

// RemoveImage removes the image ref: a name loses only that name (the
// image goes with its last one), an id the image, unless other names or a
// container still use it (ErrBadInput, Docker's conflict).
func (c *Client) RemoveImage(ctx context.Context, ref string) error {
	ctx, cancel, err := c.op(ctx)
	if err != nil {
		return fmt.Errorf("removing image %s: %w", ref, err)
	}
	defer cancel()
	if _, err := c.api.ImageRemove(ctx, ref, image.RemoveOptions{PruneChildren: true}); err != nil {
		err = c.classify(err)
		switch {
		case errors.Is(err, ErrUnreachable), errors.Is(err, ErrNotFound):
			return fmt.Errorf("removing image %s: %w", ref, err)
		case cerrdefs.IsConflict(err):
			return fmt.Errorf("removing image %s: %w: %w", ref, ErrBadInput, err)
		}
		return fmt.Errorf("removing image %s: %w", ref, err)
	}
	return nil
}
