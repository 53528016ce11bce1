package adminweb

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/admin"
	"github.com/simphony/simphony-remote/engine/auth"
	"github.com/simphony/simphony-remote/engine/problem"
)

// perPage is how many rows a list page shows.
const perPage = 50

type usersData struct {
	Query           string
	Users           []admin.User
	Total, From, To int
	Prev, Next      string
}

// users lists the users matching ?q= (a part of the name), a page at a
// time (?page=, from 1).
func (h *Handler) users(w http.ResponseWriter, r *http.Request) {
	p := h.newPage(w, r, "users", "Users")
	d, err := h.usersData(r)
	if err != nil {
		h.fail(w, r, "Users unavailable", err)
		return
	}
	p.Data = d
	h.render(w, http.StatusOK, "users", p)
}

func (h *Handler) usersData(r *http.Request) (usersData, error) {
	all, err := h.d.Service.Users(r.Context(), false)
	if err != nil {
		return usersData{}, err
	}
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	d := usersData{Query: q}
	matched := all
	if q != "" {
		matched = matched[:0:0]
		for _, u := range all {
			if strings.Contains(u.Name, q) {
				matched = append(matched, u)
			}
		}
	}
	d.Total = len(matched)
	n, _ := strconv.Atoi(r.URL.Query().Get("page"))
	n = max(1, min(n, (d.Total+perPage-1)/perPage))
	from := (n - 1) * perPage
	d.Users = matched[from:min(from+perPage, d.Total)]
	d.From, d.To = from+1, from+len(d.Users)
	if n > 1 {
		d.Prev = usersURL(q, n-1)
	}
	if d.To < d.Total {
		d.Next = usersURL(q, n+1)
	}
	return d, nil
}

func usersURL(q string, page int) string {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	v.Set("page", strconv.Itoa(page))
	return Prefix + "users?" + v.Encode()
}

func userURL(name string) string { return Prefix + "users/" + url.PathEscape(name) }

// createUser creates a user with the password given, or a generated one
// that the page shows once (rendered directly, never put in a cookie or a
// URL).
func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) {
	if !h.checkPost(w, r) {
		return
	}
	nu := admin.NewUser{Name: strings.TrimSpace(r.PostFormValue("name")), Admin: r.PostFormValue("admin") == "on", Password: r.PostFormValue("password")}
	generated := r.PostFormValue("generate") == "on" || nu.Password == ""
	if generated {
		nu.Password = auth.RandomPassword()
	}
	u, err := h.d.Service.CreateUser(r.Context(), nu)
	if err != nil {
		if fields := fieldErrors(err, map[string]string{"user name": "name"}, "password"); fields != nil {
			if errors.Is(err, accounting.ErrExists) {
				fields = map[string]string{"name": problem.Sentence(err)}
			}
			p := h.newPage(w, r, "users", "Users")
			p.Data, _ = h.usersData(r)
			h.showAgain(w, r, p, "users", fields, err)
			return
		}
		h.done(w, r, Prefix+"users", "", err)
		return
	}
	if generated {
		p := h.newPage(w, r, "users", "User created")
		p.Notice = "Created user " + u.Name + "."
		p.Password = nu.Password
		p.Data = u
		h.render(w, http.StatusOK, "password", p)
		return
	}
	h.done(w, r, userURL(u.Name), "Created user "+u.Name+".", nil)
}

type userData struct {
	User     admin.User
	Grants   []accounting.Grant
	Sessions []sessionView
	// Shares are those of the user's sessions and those others gave them.
	Shares []admin.Share
	// Apps are the applications a grant can name.
	Apps []accounting.Application
	// Back is where the grant forms return.
	Back string
}

// user shows one user with their grants and sessions.
func (h *Handler) user(w http.ResponseWriter, r *http.Request) {
	h.showUser(w, r, r.PathValue("name"), "user", "User ", nil, nil)
}

// showUser renders the page name (user, or their removal) of the named
// user; with fields, the page of a form rejected because of cause, with
// the errors next to its fields.
func (h *Handler) showUser(w http.ResponseWriter, r *http.Request, name, page, title string, fields map[string]string, cause error) {
	u, err := h.d.Service.User(r.Context(), name)
	if err != nil {
		h.fail(w, r, "No such user", err)
		return
	}
	p := h.newPage(w, r, "users", title+u.Name)
	if p.Data, err = h.userData(r, u); err != nil {
		h.fail(w, r, "User unavailable", err)
		return
	}
	if fields == nil {
		h.render(w, http.StatusOK, page, p)
		return
	}
	h.showAgain(w, r, p, page, fields, cause)
}

func (h *Handler) userData(r *http.Request, u admin.User) (userData, error) {
	d := userData{User: u, Back: userURL(u.Name)}
	var err error
	if d.Grants, err = h.d.Service.Grants(r.Context(), u.Name); err != nil {
		return d, err
	}
	if d.Apps, err = h.d.Service.Applications(r.Context()); err != nil {
		return d, err
	}
	if d.Shares, err = h.d.Service.UserShares(r.Context(), u.Name); err != nil {
		return d, err
	}
	d.Sessions, err = h.sessionsOf(r, u.Name)
	return d, err
}

// updateUser changes one thing about a user: ?do= admin, unadmin,
// disable, enable, password (set, or generated and shown once),
// nopassword.
func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request) {
	if !h.checkPost(w, r) {
		return
	}
	name := r.PathValue("name")
	yes, no := true, false
	var c admin.UserChange
	var what string
	generated := false
	switch r.PostFormValue("do") {
	case "admin":
		c.Admin, what = &yes, "made an administrator"
	case "unadmin":
		c.Admin, what = &no, "no longer an administrator"
	case "disable":
		c.Disabled, what = &yes, "disabled and signed out"
	case "enable":
		c.Disabled, what = &no, "enabled"
	case "password":
		pw := r.PostFormValue("password")
		if pw == "" {
			pw, generated = auth.RandomPassword(), true
		}
		c.Password, what = &pw, "given a new password and signed out"
	case "nopassword":
		empty := ""
		c.Password, what = &empty, "left without a password and signed out"
	default:
		h.d.Refuse(w, r, http.StatusBadRequest, "unknown change "+strconv.Quote(r.PostFormValue("do")))
		return
	}
	u, err := h.d.Service.UpdateUser(r.Context(), name, c)
	if err == nil && generated {
		p := h.newPage(w, r, "users", "New password")
		p.Notice = "User " + u.Name + " " + what + "."
		p.Password = *c.Password
		p.Data = u
		h.render(w, http.StatusOK, "password", p)
		return
	}
	h.done(w, r, userURL(name), "User "+name+" "+what+".", err)
}

// removeUserPage asks to confirm the removal of a user, listing what goes
// with them.
func (h *Handler) removeUserPage(w http.ResponseWriter, r *http.Request) {
	h.showUser(w, r, r.PathValue("name"), "user_remove", "Remove ", nil, nil)
}

func (h *Handler) removeUser(w http.ResponseWriter, r *http.Request) {
	if !h.checkPost(w, r) {
		return
	}
	name := r.PathValue("name")
	if err := h.d.Service.RemoveUser(r.Context(), name); err != nil {
		h.done(w, r, userURL(name), "", err)
		return
	}
	h.done(w, r, Prefix+"users", "Removed user "+name+".", nil)
}
