package fieldwork

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// HubInput is a create or update body of a hub; nil fields were not sent.
type HubInput struct {
	Name        *string
	Address     *string
	Lat         *float64
	Lng         *float64
	Timezone    *string
	Country     json.RawMessage
	CountryCode *string
}

// validateHub checks the fields of in that are set; required lists the keys that must be.
func validateHub(in HubInput, required bool) error {
	var fe FieldErrors
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" || len([]rune(n)) > 100 || hasControl(n) {
			fe.Add("name", "must be 1 to 100 characters")
		}
		*in.Name = n
	} else if required {
		fe.Add("name", "is required")
	}
	if in.Address != nil {
		if strings.TrimSpace(*in.Address) == "" {
			fe.Add("address", "is required")
		}
	} else if required {
		fe.Add("address", "is required")
	}
	if in.Lat == nil && required {
		fe.Add("lat", "is required")
	}
	if in.Lng == nil && required {
		fe.Add("lng", "is required")
	}
	if in.Timezone != nil {
		if _, err := time.LoadLocation(*in.Timezone); err != nil || *in.Timezone == "" || strings.EqualFold(*in.Timezone, "local") {
			fe.Add("timezone", "must be an IANA time zone such as Asia/Jakarta")
		}
	}
	if len(in.Country) > 0 && string(in.Country) != "null" && in.Country[0] != '{' {
		fe.Add("country", "must be an object or null")
	}
	if err := fe.Err("hub-032"); err != nil {
		return err
	}
	var ce FieldErrors
	if in.Lat != nil && (*in.Lat < -90 || *in.Lat > 90) {
		ce.Add("lat", "must be between -90 and 90")
	}
	if in.Lng != nil && (*in.Lng < -180 || *in.Lng > 180) {
		ce.Add("lng", "must be between -180 and 180")
	}
	return ce.Err("hub-038")
}

func applyHub(h *Hub, in HubInput) {
	if in.Name != nil {
		h.Name = *in.Name
	}
	if in.Address != nil {
		h.Address = *in.Address
	}
	if in.Lat != nil {
		h.Lat = *in.Lat
	}
	if in.Lng != nil {
		h.Lng = *in.Lng
	}
	if in.Timezone != nil {
		h.Timezone = *in.Timezone
	}
	if in.Country != nil {
		h.Country = in.Country
	}
	if in.CountryCode != nil {
		h.CountryCode = in.CountryCode
	}
}

// decorateHub sets the caller-dependent keys of a hub.
func decorateHub(c *Caller, h *Hub) *Hub {
	h.DeleteAccess = c.User.IsAdmin()
	if h.Country == nil {
		h.Country = json.RawMessage("null")
	}
	return h
}

// errHubNotFound is what a hub outside the caller's reach looks like.
var errHubNotFound = NotFound("hub-033", MsgNotFound)

// FindHub returns one hub of the caller's organization.
func (s *Service) FindHub(ctx context.Context, c *Caller, id ID) (*Hub, error) {
	if !ValidID(id) {
		return nil, errHubNotFound
	}
	var h *Hub
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		h, err = tx.FindHubByID(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return decorateHub(c, h), nil
}

// FindHubs lists hubs; with byUser only those the caller may access.
func (s *Service) FindHubs(ctx context.Context, c *Caller, f HubFilter, byUser bool) ([]*Hub, int, error) {
	if byUser && len(c.User.HubID) > 0 {
		f.IDs = c.User.HubID
	}
	var hubs []*Hub
	var total int
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		hubs, total, err = tx.FindHubs(ctx, f)
		return err
	})
	for _, h := range hubs {
		decorateHub(c, h)
	}
	return hubs, total, err
}

// CreateHub creates a hub (Owner/Admin).
func (s *Service) CreateHub(ctx context.Context, c *Caller, in HubInput) (*Hub, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	if err := validateHub(in, true); err != nil {
		return nil, err
	}
	now := s.now()
	h := &Hub{ID: NewID(now), OrganizationID: c.OrgID(), Timezone: "UTC", Version: 1,
		CreatedTime: NewMicroTime(now), UpdatedTime: NewMicroTime(now)}
	applyHub(h, in)
	if err := s.update(ctx, c.OrgID(), func(tx Tx) error { return tx.CreateHub(ctx, h) }); err != nil {
		return nil, err
	}
	return decorateHub(c, h), nil
}

// UpdateHub changes the fields set in in (PUT requires all four). ifMatch, when not nil, must
// equal the hub's version.
func (s *Service) UpdateHub(ctx context.Context, c *Caller, id ID, in HubInput, full bool, ifMatch *int) (*Hub, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	if !ValidID(id) {
		return nil, errHubNotFound
	}
	if err := validateHub(in, full); err != nil {
		return nil, err
	}
	var h *Hub
	err := s.update(ctx, c.OrgID(), func(tx Tx) (err error) {
		if h, err = tx.FindHubByID(ctx, id); err != nil {
			return err
		}
		if err := checkVersion(h.Version, ifMatch); err != nil {
			return err
		}
		applyHub(h, in)
		h.Version++
		h.UpdatedTime = NewMicroTime(s.now())
		return tx.UpdateHub(ctx, h)
	})
	if err != nil {
		return nil, err
	}
	return decorateHub(c, h), nil
}

// DeleteHub deletes a hub no task or user references (else hub-039).
func (s *Service) DeleteHub(ctx context.Context, c *Caller, id ID, ifMatch *int) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	if !ValidID(id) {
		return errHubNotFound
	}
	return s.update(ctx, c.OrgID(), func(tx Tx) error {
		h, err := tx.FindHubByID(ctx, id)
		if err != nil {
			return err
		}
		if err := checkVersion(h.Version, ifMatch); err != nil {
			return err
		}
		if used, err := tx.HubReferenced(ctx, id); err != nil {
			return err
		} else if used {
			return Errorf(EINVALID, "hub-039", "The hub is still used by tasks or users")
		}
		return tx.DeleteHub(ctx, id)
	})
}

// checkVersion enforces If-Match (SPEC §1.10).
func checkVersion(version int, ifMatch *int) error {
	if ifMatch != nil && *ifMatch != version {
		return Errorf(EPRECONDITION, "etag-032", "The resource has been modified (version %d)", version)
	}
	return nil
}
