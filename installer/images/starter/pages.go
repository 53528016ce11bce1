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
	Portal      string // the appliance's portal (portalHref)
}

// errorPage is what an error page shows.
type errorPage struct {
	Status  int
	Text    string
	Message string
	Back    string
	Portal  string
	Crumbs  []crumb // none: the bar says "Files"
}

// renderError answers with err as a page: its own status for a pageError,
// else 500 (and the error goes to the log only).
func renderError(w http.ResponseWriter, base, portal string, err error) {
	page := errorPage{Status: http.StatusInternalServerError, Message: "Something went wrong on the server; the details are in the application's log.", Back: base, Portal: portal}
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
	switch data.(type) {
	case errorPage:
		name = "error"
	case actionPage:
		name = "action"
	}
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	// No frame-ancestors: the appliance sets it on every session answer
	// that has none, to the session's origin and the portal's, so that the
	// session page's toolbar can frame the app in subdomain mode too
	// (where the portal is another origin than 'self').
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'")
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
header{background:#2b4a6f;color:#fff;padding:.7em 1.2em;font-size:1.1em;display:flex;flex-wrap:wrap;gap:.5em 1.5em;justify-content:space-between;align-items:center}
header a{color:#fff}
header .portal{font-size:.9em;text-decoration:underline}
main{max-width:60em;margin:1em auto;padding:0 1em}
h1{font-size:1.2em;margin:.2em 0 .8em;word-break:break-all}
table{width:100%;border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002}
th,td{text-align:left;padding:.45em .7em;border-bottom:1px solid #e4e6ea;vertical-align:top}
th{background:#eef0f3;font-weight:600}
td.name{word-break:break-all}
th.n,td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.n{color:#555}
th.act,td.act{white-space:nowrap;width:1%}
td.act a+a{margin-left:1em}
a{color:#1d5fa8;text-decoration:none}a:hover,a:focus{text-decoration:underline}
.dir td.name a{font-weight:600}
form{display:inline-block;vertical-align:top;margin:1em 1.5em 0 0;padding:.7em;background:#fff;box-shadow:0 1px 2px #0002}
label{display:block;margin-bottom:.4em}
label input{display:block;margin-top:.2em}
input[type=text]{min-width:16em;font:inherit;padding:.2em .3em}
button{font:inherit;padding:.3em .9em}
button.danger{background:#a4282c;color:#fff;border:1px solid #a4282c;border-radius:3px}
form a{margin-left:1em}
.msg{padding:1em;background:#fff;border-left:4px solid #c0392b;box-shadow:0 1px 2px #0002}
.note{color:#595959;font-size:.9em}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
</style></head><body>{{end}}

{{define "bar"}}<header><nav aria-label="Folders">{{if .Crumbs}}{{range $i, $c := .Crumbs}}{{if $i}} / {{end}}<a href="{{$c.Href}}">{{$c.Name}}</a>{{end}}{{else}}Files{{end}}</nav>
{{if .Portal}}<a class="portal" href="{{.Portal}}" target="_top">Back to your applications</a>{{end}}</header>{{end}}

{{define "listing"}}{{template "head" .Title}}
{{template "bar" .}}
<main>
{{if .NoWorkspace}}
<p class="msg">No workspace is mounted: this application's policy gives you no home directory,
so there are no files to show and nowhere to store any.</p>
{{else}}
<h1>{{.Title}}</h1>
<table>
<thead><tr><th scope="col">Name</th><th scope="col" class="n">Size</th><th scope="col" class="n">Modified (UTC)</th><th scope="col" class="act">Actions</th></tr></thead>
<tbody>
{{if .Parent}}<tr class="dir"><td class="name"><a href="{{.Parent}}">..</a> <span class="note">(up)</span></td><td></td><td></td><td></td></tr>{{end}}
{{range .Entries}}<tr{{if .Dir}} class="dir"{{end}}><td class="name">{{if .Broken}}{{.Name}} <span class="note">(link to nothing, or outside the workspace)</span>{{else}}<a href="{{.Href}}">{{.Name}}{{if .Dir}}/{{end}}</a>{{end}}</td><td class="n">{{if .Dir}}folder{{else}}{{.Size}}{{end}}</td><td class="n">{{.Modified}}</td><td class="act"><a href="{{$.Action}}?op=rename&amp;name={{.Name}}">Rename<span class="sr"> {{.Name}}</span></a><a href="{{$.Action}}?op=delete&amp;name={{.Name}}">Delete<span class="sr"> {{.Name}}</span></a></td></tr>
{{else}}<tr><td colspan="4" class="note">This folder is empty.</td></tr>
{{end}}</tbody></table>
<form method="post" action="{{.Action}}?op=upload" enctype="multipart/form-data">
<label>Upload files <input type="file" name="file" multiple required></label> <button>Upload</button>
<div class="note">at most {{.MaxUpload}}; existing files are never replaced</div></form>
<form method="post" action="{{.Action}}?op=mkdir">
<label>New folder <input type="text" name="name" required></label> <button>Create folder</button></form>
{{end}}
</main></body></html>
{{end}}

{{define "action"}}{{template "head" .Title}}
{{template "bar" .}}
<main><h1>{{.Title}}</h1>
{{if eq .Op "rename"}}<form method="post" action="{{.Action}}?op=rename">
<input type="hidden" name="name" value="{{.Name}}">
<label>New name <input type="text" name="to" value="{{.Name}}" required autofocus></label>
<p class="note">Not empty, not "." or "..", no '/'; a name in use is not replaced.</p>
<button>Rename</button><a href="{{.Action}}">Cancel</a></form>
{{else}}<form method="post" action="{{.Action}}?op=delete">
<input type="hidden" name="name" value="{{.Name}}">
<p>Delete the {{if .Dir}}folder{{else}}file{{end}} <strong>{{.Name}}</strong>? This cannot be undone.{{if .Dir}} Only an empty folder can be deleted.{{end}}</p>
<button class="danger">Delete</button><a href="{{.Action}}">Cancel</a></form>
{{end}}</main></body></html>
{{end}}

{{define "error"}}{{template "head" .Text}}
{{template "bar" .}}
<main><p class="msg"><strong>{{.Status}} {{.Text}}.</strong> {{.Message}}</p>
{{if .Back}}<p><a href="{{.Back}}">Back to the workspace</a></p>{{end}}</main></body></html>
{{end}}
`))
