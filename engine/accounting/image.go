package accounting

import (
	"iter"

	"github.com/distribution/reference"
)

// imageKey is the form by which image names compare: the fully qualified
// reference, with the default registry, the "library/" namespace of
// official images and the "latest" tag filled in, as Docker does. A name
// that does not parse (only old data can hold one) is its own key.
func imageKey(image string) string {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return image
	}
	return reference.TagNameOnly(named).String()
}

// SameImage reports whether a and b name the same Docker image:
// "simphony-remote/desktop" is "simphony-remote/desktop:latest", "x" is
// "docker.io/library/x", "lab/x" is "docker.io/lab/x". Digests and other
// tags are different images.
func SameImage(a, b string) bool {
	return a == b || imageKey(a) == imageKey(b)
}

// FindImage returns the one of names (the applications a store holds) that
// image names: the same spelling if there is one, else the first that
// names the same image (SameImage). Stores call it on every lookup, so that
// an application is found under any spelling, whichever one it was created
// (or, in databases written before this rule, stored) with.
func FindImage(image string, names iter.Seq[string]) (string, bool) {
	key := imageKey(image)
	found, ok := "", false
	for n := range names {
		if n == image {
			return n, true
		}
		if !ok && imageKey(n) == key {
			found, ok = n, true
		}
	}
	return found, ok
}
