// Command legacyvnc-front is the web front of the legacy VNC test image, in
// the place of the nginx of simphony-remote's vncapp images: under
// $JPY_BASE_USER_URL/containers/$URL_ID/ it serves the noVNC page and its
// files from /opt/legacyvnc, and passes websockify on to the websockify at
// 127.0.0.1:6081. Paths are taken as they come (no cleaning, no merging of
// slashes), so a test sees the path the appliance forwards.
package main

import (
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
)

func main() {
	base := os.Getenv("JPY_BASE_USER_URL") + "/containers/" + os.Getenv("URL_ID") + "/"
	websockify := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: "127.0.0.1:6081"})
	files := http.FileServer(http.Dir("/opt/legacyvnc"))
	front := func(w http.ResponseWriter, r *http.Request) {
		rel, ok := strings.CutPrefix(r.URL.Path, base)
		switch {
		case !ok && r.URL.Path+"/" == base:
			http.Redirect(w, r, base, http.StatusFound)
		case !ok:
			http.NotFound(w, r)
		case rel == "websockify":
			websockify.ServeHTTP(w, r)
		default:
			r.URL.Path, r.URL.RawPath = "/"+rel, ""
			files.ServeHTTP(w, r)
		}
	}
	log.Printf("serving %s on :8888", base)
	// A plain handler, not a ServeMux: a mux would redirect unclean paths.
	log.Fatal(http.ListenAndServe(":8888", http.HandlerFunc(front)))
}
