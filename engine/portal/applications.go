package portal

import (
	"context"
	"errors"
	"fmt"

	"github.com/simphony/simphony-remote/engine/accounting"
	"github.com/simphony/simphony-remote/engine/audit"
	"github.com/simphony/simphony-remote/engine/protocol"
	"github.com/simphony/simphony-remote/engine/routes"
	"github.com/simphony/simphony-remote/engine/session"
)

// Applications are a user's grants.
type Applications struct {
	List []Application
	// Answering is false when the container runtime did not answer: the
	// images are then not described, and the running state known from the
	// route table may be out of date.
	Answering bool
}

// Application is one of a user's grants.
type Application struct {
	Grant accounting.Grant
	// Image describes the grant's image when Available.
	Image     protocol.Image
	Available bool
	// Err is why the image is not Available: session.ErrImageNotFound,
	// session.ErrUnavailable or another error of the lookup.
	Err error
	// Running is the grant's running session, if any.
	Running *routes.Route
}

// grants are user's grants; a user the store does not know has none.
func (s *Service) grants(ctx context.Context, user string) ([]accounting.Grant, error) {
	gs, err := s.d.Accounts.Grants(ctx, user)
	if errors.Is(err, accounting.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing the applications of %s: %w", user, err)
	}
	return gs, nil
}

// Applications are user's grants, each with its image (looked up within
// session.ListingTimeout in all) and its running session.
func (s *Service) Applications(ctx context.Context, user string) (Applications, error) {
	o, err := s.overview(ctx, user, false)
	return o.Applications, err
}

// Overview is what a user's portal shows: their applications and the
// sessions shared with them, described in one bounded round of lookups.
type Overview struct {
	Applications
	Shared []Shared
}

// Overview lists user's applications and the sessions shared with them.
func (s *Service) Overview(ctx context.Context, user string) (Overview, error) {
	return s.overview(ctx, user, true)
}

func (s *Service) overview(ctx context.Context, user string, withShared bool) (Overview, error) {
	gs, err := s.grants(ctx, user)
	if err != nil {
		return Overview{}, err
	}
	var shared []Shared
	if withShared {
		shared = s.sharedRoutes(user)
	}
	refs := make([]string, 0, len(gs)+len(shared))
	for _, g := range gs {
		refs = append(refs, g.Image)
	}
	for _, x := range shared {
		refs = append(refs, x.Route.Image)
	}
	d := session.Describe(ctx, s.d.Image, refs)
	running := map[string]routes.Route{}
	for _, rt := range s.d.Sessions.List(user) {
		running[rt.MappingID] = rt
	}
	o := Overview{Applications: Applications{List: make([]Application, 0, len(gs)), Answering: d.Answering}}
	for _, g := range gs {
		a := Application{Grant: g}
		a.Image, a.Available = d.Images[g.Image]
		a.Err = d.Errs[g.Image]
		if rt, ok := running[g.MappingID]; ok {
			a.Running = &rt
		}
		o.List = append(o.List, a)
	}
	o.Shared = describeShared(shared, d)
	return o, nil
}

// Application is user's grant mappingID, with its image; a mapping id that
// is not one of user's grants is an *accounting.InvalidError, as for Start.
func (s *Service) Application(ctx context.Context, user, mappingID string) (Application, error) {
	gs, err := s.grants(ctx, user)
	if err != nil {
		return Application{}, err
	}
	for _, g := range gs {
		if g.MappingID != mappingID {
			continue
		}
		a := Application{Grant: g}
		d := session.Describe(ctx, s.d.Image, []string{g.Image})
		a.Image, a.Available = d.Images[g.Image]
		a.Err = d.Errs[g.Image]
		for _, rt := range s.d.Sessions.List(user) {
			if rt.MappingID == mappingID {
				a.Running = &rt
			}
		}
		return a, nil
	}
	return Application{}, notYours(mappingID)
}

// notYours refuses a mapping id that is not the user's: a bad value (an
// *accounting.InvalidError) that is also session.ErrNotFound, which the
// legacy API answers in its own words.
func notYours(mappingID string) error {
	return notYoursError{&accounting.InvalidError{What: "mapping_id", Value: mappingID, Rule: "it is not one of your applications (see GET /api/v1/applications)"}}
}

type notYoursError struct{ inv *accounting.InvalidError }

func (e notYoursError) Error() string        { return e.inv.Error() }
func (e notYoursError) Unwrap() error        { return e.inv }
func (e notYoursError) Is(target error) bool { return target == session.ErrNotFound }

// Start starts user's application mappingID with the configurables conf,
// and returns its session once it answers; when it runs already, that
// session (Existing). A mapping id that is not user's is an
// *accounting.InvalidError.
func (s *Service) Start(ctx context.Context, user, mappingID string, conf map[string]string) (session.Started, error) {
	ctx = as(ctx, user)
	rt, err := s.d.Sessions.Start(ctx, user, mappingID, conf)
	detail := "mapping " + mappingID
	if err != nil {
		s.d.Audit.Record(ctx, audit.SessionStart, mappingID, detail, err)
		if errors.Is(err, session.ErrNotFound) {
			return session.Started{}, notYours(mappingID)
		}
		return session.Started{}, err
	}
	detail += ", image " + rt.Image
	if rt.Existing {
		// Starting a grant that runs returns its session: only a stop
		// ends a session.
		detail += ": already running"
	} else if rt.Took > 0 {
		detail += ", " + audit.Took(rt.Took) // for the session history (engine/history)
	}
	s.d.Audit.Record(ctx, audit.SessionStart, rt.URLID, detail, nil)
	return rt, nil
}

// StartInBackground is Start without waiting: it returns at once, and done
// gets Start's outcome. The start keeps ctx's values (the audit actor) but
// not its cancellation: it outlives the request that asked for it, bounded
// by the session manager's start timeout; Close waits for it.
func (s *Service) StartInBackground(ctx context.Context, user, mappingID string, conf map[string]string, done func(session.Started, error)) error {
	if !s.background.Begin() {
		return fmt.Errorf("starting %s: %w", mappingID, session.ErrShuttingDown)
	}
	ctx = context.WithoutCancel(ctx)
	go func() {
		defer s.background.End()
		done(s.Start(ctx, user, mappingID, conf))
	}()
	return nil
}

// Stop stops user's session urlID; anybody else's is session.ErrNotFound.
func (s *Service) Stop(ctx context.Context, user, urlID string) error {
	ctx = as(ctx, user)
	err := s.d.Sessions.Stop(ctx, user, urlID)
	s.record(ctx, session.ErrNotFound, audit.SessionStop, urlID, "", err)
	return err
}

// Session is user's running session urlID; anybody else's is
// session.ErrNotFound, as one that does not run.
func (s *Service) Session(user, urlID string) (routes.Route, error) {
	rt, ok := s.d.Sessions.Get(urlID)
	if !ok || rt.User != user {
		return routes.Route{}, fmt.Errorf("session %s: %w", urlID, session.ErrNotFound)
	}
	return rt, nil
}

// Sessions are user's running sessions.
func (s *Service) Sessions(user string) []routes.Route { return s.d.Sessions.List(user) }
