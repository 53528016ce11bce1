package images

import (
	"context"
	"encoding/base64"
	"fmt"
	"io/fs"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"

	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/human"
	recipes "github.com/simphony/simphony-remote/installer/images"
)

// builder builds the starter images of one BuildStarters call.
type builder struct {
	c       *docker.Client
	opts    Options
	starter []byte // the starter binary
}

// build makes s's image unless it is up to date.
func (b *builder) build(ctx context.Context, s starter) (Result, error) {
	start := time.Now()
	out := b.opts.Progress
	sub, err := fs.Sub(recipes.Recipes, s.name)
	if err != nil {
		return Result{}, fmt.Errorf("reading the recipe: %w", err)
	}
	files, err := recipeFiles(sub)
	if err != nil {
		return Result{}, err
	}
	var base baseImage
	if s.desktop {
		if base, err = newBaseImage(b.opts.AptSources); err != nil {
			return Result{}, err
		}
	}
	sum := recipeSum(files, b.starter, base.params)
	res := Result{Image: s.image, Recipe: sum}

	oldID := ""
	old, err := b.c.API().ImageInspect(ctx, s.image)
	switch {
	case err == nil:
		oldID = old.ID
		if !b.opts.Force && old.Config != nil && old.Config.Labels[LabelRecipe] == sum {
			res.ID, res.UpToDate, res.Took = old.ID, true, time.Since(start)
			fmt.Fprintf(out, "%s: up to date\n", s.image)
			return res, nil
		}
	case !cerrdefs.IsNotFound(err):
		return res, fmt.Errorf("looking up the current image: %w", err)
	}

	icon, ok := files["icon.png"]
	if !ok {
		return res, fmt.Errorf("the recipe has no icon.png")
	}
	args := map[string]*string{"ICON_128": ptr(base64.StdEncoding.EncodeToString(icon))}
	if s.desktop {
		tag, err := b.ensureBase(ctx, base)
		if err != nil {
			return res, err
		}
		args["BASE"] = &tag
	}
	tarball, err := buildContext(files, b.starter)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(out, "%s: building (recipe %s)\n", s.image, sum[:12])
	resp, err := b.c.API().ImageBuild(ctx, tarball, build.ImageBuildOptions{
		Tags:        []string{s.image},
		Dockerfile:  "Dockerfile",
		BuildArgs:   args,
		Labels:      map[string]string{LabelRecipe: sum},
		NoCache:     b.opts.Force,
		Remove:      true,
		ForceRemove: true,
	})
	if err != nil {
		return res, fmt.Errorf("starting the build: %w", err)
	}
	err = readBuild(resp.Body, out, s.name)
	_ = resp.Body.Close()
	if err != nil {
		return res, err
	}
	built, err := b.c.API().ImageInspect(ctx, s.image)
	if err != nil {
		return res, fmt.Errorf("looking up the built image: %w", err)
	}
	if built.Config == nil || built.Config.Labels[LabelRecipe] != sum {
		return res, fmt.Errorf("the built image lacks label %s=%s", LabelRecipe, sum)
	}
	res.ID, res.Took = built.ID, time.Since(start)
	if oldID != "" && oldID != built.ID {
		// The previous build, now untagged. Docker refuses while a
		// container or another image still uses it, which is fine.
		if _, err := b.c.API().ImageRemove(ctx, oldID, image.RemoveOptions{PruneChildren: true}); err == nil {
			fmt.Fprintf(out, "%s: removed the previous image %s\n", s.image, shortID(oldID))
		}
	}
	fmt.Fprintf(out, "%s: built %s in %s\n", s.image, shortID(built.ID), human.Duration(res.Took))
	return res, nil
}

func ptr(s string) *string { return &s }

// shortID is an image id as docker images shows it.
func shortID(id string) string {
	if len(id) > 7+12 && id[:7] == "sha256:" {
		return id[7 : 7+12]
	}
	return id
}
