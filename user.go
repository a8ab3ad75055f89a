package fieldwork

import "strings"

// Organization is a tenant: every other object belongs to exactly one.
type Organization struct {
	ID          ID     `json:"_id"`
	Name        string `json:"name"`
	CreatedTime Time   `json:"createdTime"`
}

// Built-in role names (SPEC §2); matched case-insensitively on input.
const (
	RoleOwner     = "Owner"
	RoleAdmin     = "Admin"
	RolePlanner   = "Planner"
	RoleFieldUser = "Field User"
)

// BuiltinRoles lists the four roles every organization gets, in order.
var BuiltinRoles = []string{RoleOwner, RoleAdmin, RolePlanner, RoleFieldUser}

// CanonicalRoleName returns the built-in role name matching s case-insensitively, or "".
func CanonicalRoleName(s string) string {
	for _, r := range BuiltinRoles {
		if strings.EqualFold(strings.TrimSpace(s), r) {
			return r
		}
	}
	return ""
}

// Role is one of an organization's built-in roles.
type Role struct {
	ID             ID        `json:"_id"`
	Name           string    `json:"name"`
	IsAdmin        bool      `json:"isAdmin"`
	IsDefault      bool      `json:"isDefault"`
	OrganizationID ID        `json:"organizationId"`
	Permissions    []string  `json:"permissions"`
	CreatedTime    MicroTime `json:"createdTime"`
	UpdatedTime    MicroTime `json:"updatedTime"`
}

// RoleRef is the role as embedded in a user.
type RoleRef struct {
	ID        ID     `json:"_id"`
	Name      string `json:"name"`
	IsAdmin   bool   `json:"isAdmin"`
	IsDefault bool   `json:"isDefault"`
}

// User statuses (official enum); Fieldwork sets only active and disabled.
const (
	UserActive   = "active"
	UserInactive = "inactive"
	UserPending  = "pending"
	UserDisabled = "disabled"
	UserReject   = "reject"
)

// User is a member of an organization.
type User struct {
	ID             ID       `json:"_id"`
	OrganizationID ID       `json:"organizationId"`
	Name           string   `json:"name"`
	Email          string   `json:"email"`
	PhoneNumber    *string  `json:"phoneNumber"`
	Language       string   `json:"language"`
	Status         string   `json:"status"`
	RoleID         ID       `json:"roleId"`
	Role           RoleRef  `json:"role"`
	HubID          []ID     `json:"hubId"`
	TeamID         []string `json:"teamId"`
	Version        int      `json:"version"`
	CreatedTime    Time     `json:"createdTime"`
	UpdatedTime    Time     `json:"updatedTime"`
}

// IsOwner reports whether the user holds the Owner role.
func (u *User) IsOwner() bool { return u.Role.Name == RoleOwner }

// IsAdmin reports whether the user is an Owner or an Admin.
func (u *User) IsAdmin() bool { return u.Role.Name == RoleOwner || u.Role.Name == RoleAdmin }

// IsPlanner reports whether the user may manage tasks: Owner, Admin or Planner.
func (u *User) IsPlanner() bool { return u.IsAdmin() || u.Role.Name == RolePlanner }

// IsFieldUser reports whether the user holds the Field User role.
func (u *User) IsFieldUser() bool { return u.Role.Name == RoleFieldUser }

// CanAccessHub reports whether the user may see objects of the hub: users with an empty
// hubId list reach every hub.
func (u *User) CanAccessHub(hubID ID) bool {
	if len(u.HubID) == 0 {
		return true
	}
	for _, h := range u.HubID {
		if h == hubID {
			return true
		}
	}
	return false
}

// UserFilter selects users; pointer fields are "not set".
type UserFilter struct {
	HubID  *ID
	RoleID *ID
	TeamID *string
	Status *string
	Email  *string
	Q      *string
	Offset int
	Limit  int // 0 = no limit
}

// Token is an API token; the secret is stored only as its SHA-256 hash.
type Token struct {
	ID             ID
	OrganizationID ID
	UserID         ID
	Name           string
	Hash           string
	Revoked        bool
	ExpiresAt      MicroTime
	CreatedTime    MicroTime
}
