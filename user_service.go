package fieldwork

import (
	"context"
	"sort"
	"strings"
	"time"
)

// Users, roles and tokens (SPEC §2) and their permissions (SPEC §1.7).

// UserInput is a create or update body of a user; nil fields were not sent.
type UserInput struct {
	Name        *string
	Email       *string
	PhoneNumber *string // "" clears it (phoneNumber becomes null)
	HubID       *[]ID
	TeamID      *[]string
	RoleID      *ID
	Role        *string // role name, matched case-insensitively
	Status      *string // active or disabled
}

// Profile is what GET /user shows: the caller, their organization and the email of its Owner.
type Profile struct {
	User         *User
	Organization *Organization
	// OwnerEmail is the email of the organization's oldest active Owner (the caller's own
	// email when there is none), shown as the organization's contact.
	OwnerEmail string
}

// TokenSecret is a token just created: the stored token and its secret, shown only once.
type TokenSecret struct {
	Token  *Token
	Secret string
}

var (
	errUserNotFound  = NotFound("user-033", MsgNotFound)
	errRoleNotFound  = NotFound("role-033", MsgNotFound)
	errTokenNotFound = NotFound("auth-033", MsgNotFound)
)

// errLastOwner refuses to leave an organization without an active Owner.
func errLastOwner() error {
	return Errorf(EINVALID, "user-049", "The last active Owner cannot be deleted, disabled or demoted")
}

// validateUser checks and normalises the fields of in that are set. required is true for
// create (name, email and a role) and PUT (name).
func validateUser(in *UserInput, create, put bool) FieldErrors {
	var fe FieldErrors
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" || len([]rune(n)) > 100 || hasControl(n) {
			fe.Add("name", "must be 1 to 100 characters")
		}
		*in.Name = n
	} else if create || put {
		fe.Add("name", "is required")
	}
	if in.Email != nil {
		if e, ok := NormalizeEmail(*in.Email); ok {
			*in.Email = e
		} else {
			fe.Add("email", "must be a valid email address")
		}
	} else if create {
		fe.Add("email", "is required")
	}
	if in.PhoneNumber != nil {
		p := strings.TrimSpace(*in.PhoneNumber)
		if len([]rune(p)) > 50 || hasControl(p) {
			fe.Add("phoneNumber", "must be at most 50 characters")
		}
		*in.PhoneNumber = p
	}
	if in.HubID != nil {
		seen := map[ID]bool{}
		ids := []ID{}
		for i, h := range *in.HubID {
			if !ValidID(h) {
				fe.Add(Path("hubId", i), "hub not found")
			} else if !seen[h] {
				seen[h] = true
				ids = append(ids, h)
			}
		}
		*in.HubID = ids
	}
	// Teams do not exist in Fieldwork (teamId is always []): accept only the empty list
	// rather than silently dropping what a client asked for.
	if in.TeamID != nil && len(*in.TeamID) > 0 {
		fe.Add("teamId", "must be empty: teams are not supported")
	}
	if in.RoleID != nil && !ValidID(*in.RoleID) {
		fe.Add("roleId", "role not found")
	}
	if in.Role != nil && CanonicalRoleName(*in.Role) == "" {
		fe.Add("role", "must be one of: %s", strings.Join(BuiltinRoles, ", "))
	}
	if create && in.RoleID == nil && in.Role == nil {
		fe.Add("roleId", "is required")
	}
	if in.Status != nil && *in.Status != UserActive && *in.Status != UserDisabled {
		fe.Add("status", "must be one of: active, disabled")
	}
	return fe
}

// resolveRole returns the role named by in.RoleID and/or in.Role, nil when neither is set.
func resolveRole(ctx context.Context, tx Tx, in UserInput, fe *FieldErrors) (*Role, error) {
	if in.RoleID == nil && in.Role == nil {
		return nil, nil
	}
	roles, err := tx.FindRoles(ctx)
	if err != nil {
		return nil, err
	}
	var byID, byName *Role
	for _, r := range roles {
		if in.RoleID != nil && r.ID == *in.RoleID {
			byID = r
		}
		if in.Role != nil && r.Name == CanonicalRoleName(*in.Role) {
			byName = r
		}
	}
	switch {
	case in.RoleID != nil && byID == nil:
		fe.Add("roleId", "role not found")
	case in.Role != nil && byName == nil:
		fe.Add("role", "role not found")
	case byID != nil && byName != nil && byID != byName:
		fe.Add("role", "does not match roleId")
	case byID != nil:
		return byID, nil
	default:
		return byName, nil
	}
	return nil, nil
}

// checkHubs records a problem for every hub id the organization does not have.
func checkHubs(ctx context.Context, tx Tx, ids []ID, fe *FieldErrors) error {
	for i, id := range ids {
		if _, err := tx.FindHubByID(ctx, id); ErrorCode(err) == ENOTFOUND {
			fe.Add(Path("hubId", i), "hub not found")
		} else if err != nil {
			return err
		}
	}
	return nil
}

// applyUser copies the set fields of in (already validated) and the resolved role onto u.
func applyUser(u *User, in UserInput, role *Role) {
	if in.Name != nil {
		u.Name = *in.Name
	}
	if in.Email != nil {
		u.Email = *in.Email
	}
	if in.PhoneNumber != nil {
		if *in.PhoneNumber == "" {
			u.PhoneNumber = nil
		} else {
			u.PhoneNumber = ptr(*in.PhoneNumber)
		}
	}
	if in.HubID != nil {
		u.HubID = *in.HubID
	}
	if in.Status != nil {
		u.Status = *in.Status
	}
	if role != nil {
		u.RoleID = role.ID
		u.Role = roleRef(role)
	}
	if u.HubID == nil {
		u.HubID = []ID{}
	}
	u.TeamID = []string{}
}

// canViewUser allows Owners, Admins and Planners to see every user, a Field User only
// themself (SPEC §1.7).
func canViewUser(c *Caller, id ID) error {
	if c.User.IsPlanner() || id == c.User.ID {
		return nil
	}
	return ErrForbidden()
}

// Profile returns the caller with their organization (GET /user).
func (s *Service) Profile(ctx context.Context, c *Caller) (*Profile, error) {
	p := &Profile{}
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		if p.User, err = tx.FindUserByID(ctx, c.User.ID); err != nil {
			return err
		}
		if p.Organization, err = tx.FindOrganization(ctx); err != nil {
			return err
		}
		p.OwnerEmail = p.User.Email
		roles, err := tx.FindRoles(ctx)
		if err != nil {
			return err
		}
		for _, r := range roles {
			if r.Name != RoleOwner {
				continue
			}
			owners, _, err := tx.FindUsers(ctx, UserFilter{RoleID: &r.ID, Status: ptr(UserActive), Limit: 1})
			if err != nil {
				return err
			}
			if len(owners) > 0 {
				p.OwnerEmail = owners[0].Email
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// UpdateProfile changes the caller's own name, email and phone number (PATCH /user); every
// role may. ifMatch, when not nil, must equal the caller's version.
func (s *Service) UpdateProfile(ctx context.Context, c *Caller, in UserInput, ifMatch *int) (*User, error) {
	own := UserInput{Name: in.Name, Email: in.Email, PhoneNumber: in.PhoneNumber}
	if err := validateUser(&own, false, false).Err("user-032"); err != nil {
		return nil, err
	}
	var u *User
	err := s.update(ctx, c.OrgID(), func(tx Tx) (err error) {
		if u, err = tx.FindUserByID(ctx, c.User.ID); err != nil {
			return err
		}
		if err := checkVersion(u.Version, ifMatch); err != nil {
			return err
		}
		applyUser(u, own, nil)
		s.touchUser(u)
		return tx.UpdateUser(ctx, u)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// FindUser returns one user of the caller's organization.
func (s *Service) FindUser(ctx context.Context, c *Caller, id ID) (*User, error) {
	if err := canViewUser(c, id); err != nil {
		return nil, err
	}
	if !ValidID(id) {
		return nil, errUserNotFound
	}
	var u *User
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		u, err = tx.FindUserByID(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// FindUserByEmail returns the user with that email (compared lower-cased).
func (s *Service) FindUserByEmail(ctx context.Context, c *Caller, email string) (*User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !c.User.IsPlanner() && email != c.User.Email {
		return nil, ErrForbidden()
	}
	var u *User
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		u, err = tx.FindUserByEmail(ctx, email)
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// FindUsers lists users (Owner, Admin, Planner). roleName, when set, selects by role name.
func (s *Service) FindUsers(ctx context.Context, c *Caller, f UserFilter, roleName *string) ([]*User, int, error) {
	if err := requirePlanner(c); err != nil {
		return nil, 0, err
	}
	var users []*User
	var total int
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		if roleName != nil {
			name := CanonicalRoleName(*roleName)
			roles, err := tx.FindRoles(ctx)
			if err != nil {
				return err
			}
			var id ID
			for _, r := range roles {
				if r.Name == name {
					id = r.ID
				}
			}
			if id == "" {
				return InvalidField("user-032", "role", "must be one of: %s", strings.Join(BuiltinRoles, ", "))
			}
			if f.RoleID != nil && *f.RoleID != id {
				return nil // roleId and role disagree: nothing matches both
			}
			f.RoleID = &id
		}
		users, total, err = tx.FindUsers(ctx, f)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return users, total, nil
}

// CreateUser adds a user to the caller's organization (Owner/Admin; only an Owner may create
// an Owner).
func (s *Service) CreateUser(ctx context.Context, c *Caller, in UserInput) (*User, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	if err := validateUser(&in, true, false).Err("user-032"); err != nil {
		return nil, err
	}
	now := s.now()
	u := &User{ID: NewID(now), OrganizationID: c.OrgID(), Language: "en", Status: UserActive,
		Version: 1, CreatedTime: NewTime(now), UpdatedTime: NewTime(now)}
	err := s.update(ctx, c.OrgID(), func(tx Tx) error {
		var fe FieldErrors
		role, err := resolveRole(ctx, tx, in, &fe)
		if err != nil {
			return err
		}
		if in.HubID != nil {
			if err := checkHubs(ctx, tx, *in.HubID, &fe); err != nil {
				return err
			}
		}
		if err := fe.Err("user-032"); err != nil {
			return err
		}
		if role.Name == RoleOwner && !c.User.IsOwner() {
			return ErrForbidden()
		}
		applyUser(u, in, role)
		return tx.CreateUser(ctx, u)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// UpdateUser changes another user (Owner/Admin). full is PUT (name required). Only an Owner
// may change an Owner or promote to Owner; the last active Owner cannot be disabled or
// demoted. ifMatch, when not nil, must equal the user's version.
func (s *Service) UpdateUser(ctx context.Context, c *Caller, id ID, in UserInput, full bool, ifMatch *int) (*User, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	if !ValidID(id) {
		return nil, errUserNotFound
	}
	if err := validateUser(&in, false, full).Err("user-032"); err != nil {
		return nil, err
	}
	var u *User
	err := s.update(ctx, c.OrgID(), func(tx Tx) (err error) {
		if u, err = tx.FindUserByID(ctx, id); err != nil {
			return err
		}
		if err := checkVersion(u.Version, ifMatch); err != nil {
			return err
		}
		var fe FieldErrors
		role, err := resolveRole(ctx, tx, in, &fe)
		if err != nil {
			return err
		}
		if in.HubID != nil {
			if err := checkHubs(ctx, tx, *in.HubID, &fe); err != nil {
				return err
			}
		}
		if err := fe.Err("user-032"); err != nil {
			return err
		}
		if !c.User.IsOwner() && (u.IsOwner() || role != nil && role.Name == RoleOwner) {
			return ErrForbidden()
		}
		wasActiveOwner := u.IsOwner() && u.Status == UserActive
		applyUser(u, in, role)
		if wasActiveOwner && !(u.IsOwner() && u.Status == UserActive) {
			if err := ensureAnotherOwner(ctx, tx); err != nil {
				return err
			}
		}
		s.touchUser(u)
		return tx.UpdateUser(ctx, u)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// DeleteUser removes a user and revokes their tokens (Owner/Admin; only an Owner may delete
// an Owner; never the last active one).
func (s *Service) DeleteUser(ctx context.Context, c *Caller, id ID, ifMatch *int) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	if !ValidID(id) {
		return errUserNotFound
	}
	return s.update(ctx, c.OrgID(), func(tx Tx) error {
		u, err := tx.FindUserByID(ctx, id)
		if err != nil {
			return err
		}
		if err := checkVersion(u.Version, ifMatch); err != nil {
			return err
		}
		if u.IsOwner() && !c.User.IsOwner() {
			return ErrForbidden()
		}
		if u.IsOwner() && u.Status == UserActive {
			if err := ensureAnotherOwner(ctx, tx); err != nil {
				return err
			}
		}
		return tx.DeleteUser(ctx, id)
	})
}

// ensureAnotherOwner fails with user-049 unless more than one active Owner exists (the
// caller is about to remove one of them).
func ensureAnotherOwner(ctx context.Context, tx Tx) error {
	n, err := tx.CountActiveOwners(ctx)
	if err != nil {
		return err
	}
	if n <= 1 {
		return errLastOwner()
	}
	return nil
}

// touchUser records a change.
func (s *Service) touchUser(u *User) {
	u.Version++
	u.UpdatedTime = NewTime(s.now())
}

// FindRoles lists the organization's roles (every role may).
func (s *Service) FindRoles(ctx context.Context, c *Caller) ([]*Role, error) {
	var roles []*Role
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		roles, err = tx.FindRoles(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	// Show them in the order of BuiltinRoles (Owner first), whatever the ids sort as.
	rank := map[string]int{}
	for i, r := range BuiltinRoles {
		rank[r] = i
	}
	sort.SliceStable(roles, func(i, j int) bool { return rank[roles[i].Name] < rank[roles[j].Name] })
	return roles, nil
}

// FindRole returns one role.
func (s *Service) FindRole(ctx context.Context, c *Caller, id ID) (*Role, error) {
	if !ValidID(id) {
		return nil, errRoleNotFound
	}
	var r *Role
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		r, err = tx.FindRoleByID(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// validateTokenName trims and checks a token name.
func validateTokenName(name *string, fe *FieldErrors) string {
	if name == nil {
		fe.Add("name", "is required")
		return ""
	}
	n := strings.TrimSpace(*name)
	if n == "" || len([]rune(n)) > 100 || hasControl(n) {
		fe.Add("name", "must be 1 to 100 characters")
	}
	return n
}

// CreateToken makes a token for userID ("" = the caller). A token for another user needs
// Owner/Admin, and one for an Owner needs an Owner. expiresAt, when not zero, must be in the
// future; zero means the token never expires.
func (s *Service) CreateToken(ctx context.Context, c *Caller, userID ID, name *string, expiresAt time.Time) (*TokenSecret, error) {
	if userID == "" {
		userID = c.User.ID
	} else if userID != c.User.ID {
		if err := requireAdmin(c); err != nil {
			return nil, err
		}
		if !ValidID(userID) {
			return nil, errUserNotFound
		}
	}
	now := s.now()
	var fe FieldErrors
	n := validateTokenName(name, &fe)
	if !expiresAt.IsZero() && !expiresAt.After(now) {
		fe.Add("expires_at", "must be in the future")
	}
	if err := fe.Err("auth-034"); err != nil {
		return nil, err
	}
	secret := NewTokenSecret()
	tok := &Token{ID: NewID(now), OrganizationID: c.OrgID(), UserID: userID, Name: n,
		Hash: HashToken(secret), CreatedTime: NewMicroTime(now)}
	if !expiresAt.IsZero() {
		tok.ExpiresAt = NewMicroTime(expiresAt)
	}
	err := s.update(ctx, c.OrgID(), func(tx Tx) error {
		u, err := tx.FindUserByID(ctx, userID)
		if err != nil {
			return err
		}
		// Acting as an Owner is changing what an Owner does: only Owners may.
		if u.ID != c.User.ID && u.IsOwner() && !c.User.IsOwner() {
			return ErrForbidden()
		}
		return tx.CreateToken(ctx, tok)
	})
	if err != nil {
		return nil, err
	}
	return &TokenSecret{Token: tok, Secret: secret}, nil
}

// FindTokens lists the caller's own tokens, revoked and expired ones included.
func (s *Service) FindTokens(ctx context.Context, c *Caller) ([]*Token, error) {
	var toks []*Token
	err := s.view(ctx, c.OrgID(), func(tx Tx) (err error) {
		toks, err = tx.FindTokensByUser(ctx, c.User.ID)
		return err
	})
	return toks, err
}

// updateOwnToken loads one of the caller's tokens, lets change modify it and saves it.
// Another user's token looks missing (auth-033).
func (s *Service) updateOwnToken(ctx context.Context, c *Caller, id ID, change func(*Token)) (*Token, error) {
	if !ValidID(id) {
		return nil, errTokenNotFound
	}
	var t *Token
	err := s.update(ctx, c.OrgID(), func(tx Tx) (err error) {
		if t, err = tx.FindTokenByID(ctx, id); err != nil {
			return err
		}
		if t.UserID != c.User.ID {
			return errTokenNotFound
		}
		change(t)
		return tx.UpdateToken(ctx, t)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// RenameToken renames one of the caller's tokens.
func (s *Service) RenameToken(ctx context.Context, c *Caller, id ID, name *string) (*Token, error) {
	var fe FieldErrors
	n := validateTokenName(name, &fe)
	if err := fe.Err("auth-034"); err != nil {
		return nil, err
	}
	return s.updateOwnToken(ctx, c, id, func(t *Token) { t.Name = n })
}

// RevokeToken revokes one of the caller's tokens; it stops working on the next request.
func (s *Service) RevokeToken(ctx context.Context, c *Caller, id ID) (*Token, error) {
	return s.updateOwnToken(ctx, c, id, func(t *Token) { t.Revoked = true })
}
