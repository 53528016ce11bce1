package adminweb

import (
	"errors"
	"net/http"
	"strings"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/problem"
)

// fieldErrors places a rejected form's error next to its field: the
// service's *accounting.InvalidError names what it rejected (What), which
// fields maps to a form field; another rejection goes to fallback. It
// returns nil when err is not a rejection of the input (a 4xx other than
// a conflict of state): such errors are not about one field.
func fieldErrors(err error, fields map[string]string, fallback string) map[string]string {
	if !errors.Is(err, accounting.ErrInvalid) && !errors.Is(err, accounting.ErrExists) {
		return nil
	}
	field, msg := fallback, problem.Sentence(err)
	var inv *accounting.InvalidError
	if errors.As(err, &inv) {
		if f, ok := fields[inv.What]; ok {
			field = f
		}
		// Next to the field, the rejection itself says enough.
		msg = sentence(inv.Error())
	}
	return map[string]string{field: msg}
}

// statusOf is the status the error classification gives err.
func statusOf(err error) int { return problem.Of(err).Status }

// showAgain renders a form's page again with the errors next to its
// fields and the values given (never a password).
func (h *Handler) showAgain(w http.ResponseWriter, r *http.Request, p page, name string, fields map[string]string, err error) {
	p.Fields = fields
	p.Form = r.PostForm
	p.Form.Del("password")
	p.Form.Del("csrf_token")
	h.render(w, statusOf(err), name, p)
}

// sentence makes a message a sentence: capitalised, with a full stop.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}
