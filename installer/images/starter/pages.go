package main

import (
	"bytes"
	"errors"
	"html/template"
	"log"
	"net/http"
	"strconv"
)

// pageError is an error shown to the user as a page with its status.
type pageError struct {
	status int
	msg    string
}

func (e *pageError) Error() string { return e.msg }

// listing is what the folder page shows.
type listing struct {
	Title       string
	Crumbs      []crumb
	Parent      string // the folder above's URL, empty at the top
	Entries     []entry
	Action      string // this folder's URL, where forms post
	MaxUpload   string
	NoWorkspace bool
}

// errorPage is what an error page shows.
type errorPage struct {
	Status  int
	Text    string
	Message string
	Back    string
}

// renderError answers with err as a page: its own status for a pageError,
// else 500 (and the error goes to the log only).
func renderError(w http.ResponseWriter, base string, err error) {
	page := errorPage{Status: http.StatusInternalServerError, Message: "Something went wrong on the server; the details are in the application's log.", Back: base}
	var pe *pageError
	if errors.As(err, &pe) {
		page.Status, page.Message = pe.status, pe.msg
	} else {
		log.Printf("error: %v", err)
	}
	page.Text = http.StatusText(page.Status)
	if err := renderPage(w, page.Status, page); err != nil {
		log.Printf("rendering an error page: %v", err)
	}
}

// renderPage executes the template for data into w with status.
func renderPage(w http.ResponseWriter, status int, data any) error {
	name := "listing"
	if _, ok := data.(errorPage); ok {
		name = "error"
	}
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

var pages = template.Must(template.New("pages").Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}}</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#f6f7f9}
header{background:#2b4a6f;color:#fff;padding:.7em 1.2em;font-size:1.1em}
header a{color:#fff}
main{max-width:60em;margin:1em auto;padding:0 1em}
table{width:100%;border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002}
th,td{text-align:left;padding:.4em .7em;border-bottom:1px solid #e4e6ea}
th{background:#eef0f3;font-weight:600}
td.n{text-align:right;white-space:nowrap;color:#555}
a{color:#1d5fa8;text-decoration:none}a:hover{text-decoration:underline}
.dir a{font-weight:600}
form{display:inline-block;margin:1em 1.5em 0 0;padding:.7em;background:#fff;box-shadow:0 1px 2px #0002}
.msg{padding:1em;background:#fff;border-left:4px solid #c0392b;box-shadow:0 1px 2px #0002}
.note{color:#666;font-size:.9em}
</style></head><body>{{end}}

{{define "listing"}}{{template "head" .Title}}
<header>{{if .NoWorkspace}}Files{{else}}{{range $i, $c := .Crumbs}}{{if $i}} / {{end}}<a href="{{$c.Href}}">{{$c.Name}}</a>{{end}}{{end}}</header>
<main>
{{if .NoWorkspace}}
<p class="msg">No workspace is mounted: this application's policy gives you no home directory,
so there are no files to show and nowhere to store any.</p>
{{else}}
<table>
<tr><th>Name</th><th>Size</th><th>Modified (UTC)</th></tr>
{{if .Parent}}<tr class="dir"><td><a href="{{.Parent}}">..</a> <span class="note">(up)</span></td><td></td><td></td></tr>{{end}}
{{range .Entries}}<tr{{if .Dir}} class="dir"{{end}}><td>{{if .Broken}}{{.Name}} <span class="note">(link to nothing, or outside the workspace)</span>{{else}}<a href="{{.Href}}">{{.Name}}{{if .Dir}}/{{end}}</a>{{end}}</td><td class="n">{{.Size}}</td><td class="n">{{.Modified}}</td></tr>
{{else}}<tr><td colspan="3" class="note">This folder is empty.</td></tr>
{{end}}</table>
<form method="post" action="{{.Action}}?op=upload" enctype="multipart/form-data">
<input type="file" name="file" multiple required> <button>Upload</button>
<div class="note">at most {{.MaxUpload}}; existing files are never replaced</div></form>
<form method="post" action="{{.Action}}?op=mkdir">
<input type="text" name="name" placeholder="folder name" required> <button>Create folder</button></form>
{{end}}
</main></body></html>
{{end}}

{{define "error"}}{{template "head" .Text}}
<header>Files</header>
<main><p class="msg"><strong>{{.Status}} {{.Text}}.</strong> {{.Message}}</p>
{{if .Back}}<p><a href="{{.Back}}">Back to the workspace</a></p>{{end}}</main></body></html>
{{end}}
`))
