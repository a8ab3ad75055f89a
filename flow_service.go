package fieldwork

import (
	"context"
	"encoding/json"
)

// FlowInput is a create, replace or patch body of a flow (SPEC §4); nil fields were not sent.
// Server-managed keys (_id, organizationId, version, createdBy, updatedBy, times) have no place
// here: the HTTP layer drops them.
type FlowInput struct {
	Name           *string
	Pages          *[]Page
	Configurations *[]json.RawMessage
	IsDefault      *bool
	OrderIndex     *int
}

// errFlowNotFound is what a flow outside the caller's reach looks like (SPEC §1.6).
func errFlowNotFound() error { return NotFound("flow-033", MsgNotFound) }

// requireFlowKeys reports the keys a create or a full replacement must send.
func requireFlowKeys(in FlowInput) error {
	var fe FieldErrors
	if in.Name == nil {
		fe.Add("name", "is required")
	}
	if in.Pages == nil {
		fe.Add("pages", "is required")
	}
	return fe.Err(codeFlowStructure)
}

// applyFlow copies the keys sent in in onto f. With full (PUT), the optional keys not sent
// take their defaults, because a replacement keeps nothing of the old flow but its identity.
func applyFlow(f *Flow, in FlowInput, full bool) {
	if full {
		f.Configurations, f.IsDefault, f.OrderIndex = nil, false, 0
	}
	if in.Name != nil {
		f.Name = *in.Name
	}
	if in.Pages != nil {
		f.Pages = *in.Pages
	}
	if in.Configurations != nil {
		f.Configurations = *in.Configurations
	}
	if in.IsDefault != nil {
		f.IsDefault = *in.IsDefault
	}
	if in.OrderIndex != nil {
		f.OrderIndex = *in.OrderIndex
	}
}

// validateFlow runs the pure flow rules (ValidateFlow) plus the checks names get everywhere.
func validateFlow(f *Flow) error {
	if hasControl(f.Name) {
		return InvalidField(codeFlowStructure, "name", "must not contain control characters")
	}
	return ValidateFlow(f)
}

// FindFlow returns one flow of the caller's organization; every role may read flows. A
// malformed id is flow-033 like a missing one, so ids cannot be probed.
func (s *Service) FindFlow(ctx context.Context, c *Caller, id ID) (*Flow, error) {
	if !ValidID(id) {
		return nil, errFlowNotFound()
	}
	var f *Flow
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		f, err = tx.FindFlowByID(ctx, id)
		return err
	})
	return f, err
}

// FindFlowByName returns the flow with that name, compared case-insensitively; unknown is
// flow-033.
func (s *Service) FindFlowByName(ctx context.Context, c *Caller, name string) (*Flow, error) {
	if name == "" {
		return nil, errFlowNotFound()
	}
	var f *Flow
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		f, err = tx.FindFlowByName(ctx, name)
		return err
	})
	return f, err
}

// FindFlows lists the flows matching f and returns how many match in all.
func (s *Service) FindFlows(ctx context.Context, c *Caller, f FlowFilter) ([]*Flow, int, error) {
	var flows []*Flow
	var total int
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		flows, total, err = tx.FindFlows(ctx, f)
		return err
	})
	return flows, total, err
}

// CreateFlow creates a flow (Owner/Admin). name and pages are required; a taken name is
// flow-031, a reserved name or a bad structure flow-034, a bad component flow-039.
func (s *Service) CreateFlow(ctx context.Context, c *Caller, in FlowInput) (*Flow, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	if err := requireFlowKeys(in); err != nil {
		return nil, err
	}
	now := s.now()
	f := &Flow{
		ID: NewID(now), OrganizationID: c.OrgID(), Version: 1,
		CreatedBy: c.User.Email, UpdatedBy: c.User.Email,
		CreatedTime: NewMicroTime(now), UpdatedTime: NewMicroTime(now),
	}
	applyFlow(f, in, true)
	if err := validateFlow(f); err != nil {
		return nil, err
	}
	if err := s.update(ctx, c.OrgID(), func(tx Tx) error { return tx.CreateFlow(ctx, f) }); err != nil {
		return nil, err
	}
	return f, nil
}

// UpdateFlow changes a flow (Owner/Admin): with full (PUT) it replaces it and name and pages are
// required, else (PATCH) only the keys sent change. ifMatch, when not nil, must equal the
// flow's version. The version goes up by one. Tasks keep their values (SPEC §4).
func (s *Service) UpdateFlow(ctx context.Context, c *Caller, id ID, in FlowInput, full bool, ifMatch *int) (*Flow, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	if !ValidID(id) {
		return nil, errFlowNotFound()
	}
	if full {
		if err := requireFlowKeys(in); err != nil {
			return nil, err
		}
	}
	var f *Flow
	err := s.update(ctx, c.OrgID(), func(tx Tx) (err error) {
		if f, err = tx.FindFlowByID(ctx, id); err != nil {
			return err
		}
		if err := checkVersion(f.Version, ifMatch); err != nil {
			return err
		}
		f = f.Clone()
		applyFlow(f, in, full)
		if err := validateFlow(f); err != nil {
			return err
		}
		f.Version++
		f.UpdatedBy = c.User.Email
		f.UpdatedTime = NewMicroTime(s.now())
		return tx.UpdateFlow(ctx, f)
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// DeleteFlow deletes a flow (Owner/Admin) and returns it with DeletedAt set, as the answer
// shows it. ifMatch, when not nil, must equal the flow's version.
func (s *Service) DeleteFlow(ctx context.Context, c *Caller, id ID, ifMatch *int) (*Flow, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	if !ValidID(id) {
		return nil, errFlowNotFound()
	}
	var f *Flow
	err := s.update(ctx, c.OrgID(), func(tx Tx) (err error) {
		if f, err = tx.FindFlowByID(ctx, id); err != nil {
			return err
		}
		if err := checkVersion(f.Version, ifMatch); err != nil {
			return err
		}
		if err := checkFlowUnused(ctx, tx, f); err != nil {
			return err
		}
		return tx.DeleteFlow(ctx, id)
	})
	if err != nil {
		return nil, err
	}
	at := NewMicroTime(s.now())
	f = f.Clone()
	f.DeletedAt = &at
	return f, nil
}

// checkFlowUnused refuses to delete a flow that a workflow step still uses (400 flow-046,
// SPEC §4): the step would lose its form.
func checkFlowUnused(ctx context.Context, tx Tx, f *Flow) error {
	n, err := tx.CountWorkflowsUsingFlow(ctx, f.ID)
	if err != nil {
		return err
	}
	if n > 0 {
		return Errorf(EINVALID, "flow-046", "The flow is used by a workflow step and cannot be deleted")
	}
	return nil
}

// FlowTaskPayload describes the `POST /task` body of the named flow (GET /flow/{flowName}/task).
// The sample's hubId is the first hub the caller may access, in the order GET /hubs?byUser=true
// lists them, or "" when there is none.
func (s *Service) FlowTaskPayload(ctx context.Context, c *Caller, name string) (FlowPayload, error) {
	if name == "" {
		return FlowPayload{}, errFlowNotFound()
	}
	var f *Flow
	var hubs []*Hub
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		if f, err = tx.FindFlowByName(ctx, name); err != nil {
			return err
		}
		hf := HubFilter{SortBy: "name", SortOrder: "asc", Limit: 1}
		if len(c.User.HubID) > 0 {
			hf.IDs = c.User.HubID
		}
		hubs, _, err = tx.FindHubs(ctx, hf)
		return err
	})
	if err != nil {
		return FlowPayload{}, err
	}
	hubID := ""
	if len(hubs) > 0 {
		hubID = hubs[0].ID
	}
	return f.Payload(s.now(), hubID), nil
}
