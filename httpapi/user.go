package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/fieldwork-dev/fieldwork"
)

// userRoutes registers the routes of users, roles and tokens (SPEC §2).
func (s *Server) userRoutes() {
	handle(s, op("GET", "/user", "getProfile", "Users"), s.getProfile)
	handle(s, withBody[selfUserBody](s, op("PATCH", "/user", "updateProfile", "Users")), s.patchProfile)
	handle(s, op("GET", "/users", "listUsers", "Users"), s.listUsers)
	handle(s, withBody[userBody](s, op("POST", "/user", "createUser", "Users")), s.createUser)
	handle(s, op("GET", "/user/email/{email}", "getUserByEmail", "Users"), s.getUserByEmail)
	handle(s, op("GET", "/user/{userId}", "getUser", "Users"), s.getUser)
	handle(s, withBody[userBody](s, op("PUT", "/user/{userId}", "replaceUser", "Users")), s.putUser)
	handle(s, withBody[userBody](s, op("PATCH", "/user/{userId}", "updateUser", "Users")), s.patchUser)
	handle(s, op("DELETE", "/user/{userId}", "deleteUser", "Users"), s.deleteUser)
	handle(s, op("DELETE", "/member/{userId}", "deleteMember", "Users"), s.deleteUser)

	handle(s, op("GET", "/roles", "listRoles", "Roles"), s.listRoles)
	handle(s, op("GET", "/role/{roleId}", "getRole", "Roles"), s.getRole)

	handle(s, withBody[tokenBody](s, op("POST", "/token", "createToken", "Tokens")), s.createToken)
	handle(s, withBody[tokenBody](s, op("POST", "/user/{userId}/token", "createUserToken", "Tokens")), s.createUserToken)
	handle(s, op("GET", "/tokens", "listTokens", "Tokens"), s.listTokens)
	handle(s, withBody[tokenRenameBody](s, op("PUT", "/token/{tokenId}", "renameToken", "Tokens")), s.renameToken)
	handle(s, op("DELETE", "/token/{tokenId}", "revokeToken", "Tokens"), s.revokeToken)
}

// selfUserBody is the body of PATCH /user: the caller's own contact fields.
type selfUserBody struct {
	Name        *string `json:"name,omitempty"`
	Email       *string `json:"email,omitempty"`
	PhoneNumber *string `json:"phoneNumber,omitempty" nullable:"true" doc:"null clears it"`
}

// userBody is the body of POST /user and PUT/PATCH /user/{userId}.
type userBody struct {
	Name        *string   `json:"name,omitempty"`
	Email       *string   `json:"email,omitempty"`
	PhoneNumber *string   `json:"phoneNumber,omitempty" nullable:"true" doc:"null clears it"`
	HubID       *[]string `json:"hubId,omitempty"`
	TeamID      *[]string `json:"teamId,omitempty"`
	RoleID      *string   `json:"roleId,omitempty"`
	Role        *string   `json:"role,omitempty" doc:"role name (extension), case-insensitive"`
	Status      *string   `json:"status,omitempty" enum:"active,disabled"`
}

// decodeUser decodes a user body strictly; an explicit `"phoneNumber": null` clears the
// number (the decoder alone cannot tell null from absent).
func decodeUser(raw []byte, dst any, phone **string) error {
	if err := decodeObject(raw, dst, "user-032", true); err != nil {
		return err
	}
	var keys map[string]json.RawMessage
	body, _ := rawObject(raw)
	if json.Unmarshal(body, &keys) == nil && string(keys["phoneNumber"]) == "null" {
		*phone = new(string)
	}
	return nil
}

func (b *userBody) input() fieldwork.UserInput {
	return fieldwork.UserInput{Name: b.Name, Email: b.Email, PhoneNumber: b.PhoneNumber, HubID: b.HubID,
		TeamID: b.TeamID, RoleID: b.RoleID, Role: b.Role, Status: b.Status}
}

// profileOrg is the organization as GET /user shows it.
type profileOrg struct {
	ID   string `json:"_id"`
	Name string `json:"name"`
	User struct {
		CompanyName string `json:"companyName"`
		Email       string `json:"email"`
	} `json:"user"`
}

// ProfileBody is the bare answer of GET /user: the caller plus `organization`.
type ProfileBody struct {
	*fieldwork.User
	Organization profileOrg `json:"organization"`
}

// UserDeletedBody answers a user delete.
type UserDeletedBody struct {
	ID string `json:"id"`
	Envelope
}

// tokenBody is the body of POST /token and POST /user/{userId}/token.
type tokenBody struct {
	Name      *string `json:"name,omitempty"`
	ExpiresAt *string `json:"expires_at,omitempty" nullable:"true" doc:"date-time (SPEC §1.4); absent or null = never expires"`
	// ExpiresAtAlt is the camel-case spelling, accepted too (extension).
	ExpiresAtAlt *string `json:"expiresAt,omitempty" nullable:"true"`
}

// tokenRenameBody is the body of PUT /token/{tokenId}.
type tokenRenameBody struct {
	Name *string `json:"name,omitempty"`
}

// TokenCreated is a new token with its secret, shown only once.
type TokenCreated struct {
	ID         string              `json:"_id"`
	Name       string              `json:"name"`
	Token      string              `json:"token"`
	ExpiresAt  fieldwork.MicroTime `json:"expires_at"`
	ExpireUnix *int64              `json:"expireUnix"`
}

// TokenView is a token as listed, without its secret.
type TokenView struct {
	ID        string              `json:"_id"`
	Name      string              `json:"name"`
	Revoked   bool                `json:"revoked"`
	ExpiresAt fieldwork.MicroTime `json:"expires_at"`
}

func tokenView(t *fieldwork.Token) TokenView {
	return TokenView{ID: t.ID, Name: t.Name, Revoked: t.Revoked, ExpiresAt: t.ExpiresAt}
}

type userPath struct {
	UserID  string `path:"userId"`
	IfMatch string `header:"If-Match"`
}

type userEmailPath struct {
	Email string `path:"email"`
}

type userWrite struct {
	UserID  string `path:"userId"`
	IfMatch string `header:"If-Match"`
	RawBody []byte
}

type profileWrite struct {
	IfMatch string `header:"If-Match"`
	RawBody []byte
}

type userList struct {
	Page   string `query:"page"`
	Limit  string `query:"limit"`
	HubID  string `query:"hubId"`
	RoleID string `query:"roleId"`
	Role   string `query:"role"`
	TeamID string `query:"teamId"`
	Status string `query:"status"`
	Email  string `query:"email"`
	Q      string `query:"q"`
	Fields string `query:"fields"`
}

type rolePath struct {
	RoleID string `path:"roleId"`
}

type userNone struct{}

type userRaw struct {
	RawBody []byte
}

type tokenCreate struct {
	UserID  string `path:"userId"`
	RawBody []byte
}

type tokenPath struct {
	TokenID string `path:"tokenId"`
}

type tokenWrite struct {
	TokenID string `path:"tokenId"`
	RawBody []byte
}

func (s *Server) getProfile(ctx context.Context, c *fieldwork.Caller, _ *userNone) (*Out[ProfileBody], error) {
	p, err := s.Service.Profile(ctx, c)
	if err != nil {
		return nil, err
	}
	body := ProfileBody{User: p.User}
	body.Organization.ID = p.Organization.ID
	body.Organization.Name = p.Organization.Name
	body.Organization.User.CompanyName = p.Organization.Name
	body.Organization.User.Email = p.OwnerEmail
	out := reply(http.StatusOK, body)
	out.ETag = etag(p.User.Version)
	return out, nil
}

func (s *Server) patchProfile(ctx context.Context, c *fieldwork.Caller, in *profileWrite) (*Out[PropertyBody[*fieldwork.User]], error) {
	var b selfUserBody
	if err := decodeUser(in.RawBody, &b, &b.PhoneNumber); err != nil {
		return nil, err
	}
	u, err := s.Service.UpdateProfile(ctx, c, fieldwork.UserInput{Name: b.Name, Email: b.Email, PhoneNumber: b.PhoneNumber}, ifMatch(in.IfMatch))
	if err != nil {
		return nil, err
	}
	out := reply(http.StatusOK, PropertyBody[*fieldwork.User]{envelope(200, msgUserUpdated), u, u})
	out.ETag = etag(u.Version)
	return out, nil
}

func (s *Server) listUsers(ctx context.Context, c *fieldwork.Caller, in *userList) (*Out[DataBody[usersData]], error) {
	const failed = "user-032"
	var f fieldwork.UserFilter
	// page and limit are extensions: an official client sends neither and gets every user.
	if in.Page != "" || in.Limit != "" {
		page, limit, err := paging(in.Page, in.Limit, 20, 1000, failed)
		if err != nil {
			return nil, err
		}
		f.Offset, f.Limit = (page-1)*limit, limit
	}
	var fe fieldwork.FieldErrors
	idParam := func(field, v string) *string {
		if v == "" {
			return nil
		}
		if !fieldwork.ValidID(v) {
			fe.Add(field, "must be an id")
		}
		return &v
	}
	f.HubID = idParam("hubId", in.HubID)
	f.RoleID = idParam("roleId", in.RoleID)
	if in.TeamID != "" {
		f.TeamID = &in.TeamID
	}
	if in.Status != "" {
		f.Status = strp(oneOf(&fe, "status", in.Status, "", fieldwork.UserActive, fieldwork.UserInactive,
			fieldwork.UserPending, fieldwork.UserDisabled, fieldwork.UserReject))
	}
	if in.Email != "" {
		f.Email = &in.Email
	}
	if in.Q != "" {
		f.Q = &in.Q
	}
	var role *string
	if in.Role != "" {
		role = &in.Role
	}
	if err := fe.Err(failed); err != nil {
		return nil, err
	}
	users, _, err := s.Service.FindUsers(ctx, c, f, role)
	if err != nil {
		return nil, err
	}
	return reply(http.StatusOK, DataBody[usersData]{envelope(200, msgSuccess), project(users, in.Fields)}), nil
}

func (s *Server) createUser(ctx context.Context, c *fieldwork.Caller, in *userRaw) (*Out[DataBody[*fieldwork.User]], error) {
	var b userBody
	if err := decodeUser(in.RawBody, &b, &b.PhoneNumber); err != nil {
		return nil, err
	}
	u, err := s.Service.CreateUser(ctx, c, b.input())
	if err != nil {
		return nil, err
	}
	out := reply(http.StatusCreated, DataBody[*fieldwork.User]{envelope(201, msgSuccess), u})
	out.ETag = etag(u.Version)
	return out, nil
}

func (s *Server) getUser(ctx context.Context, c *fieldwork.Caller, in *userPath) (*Out[DataBody[*fieldwork.User]], error) {
	u, err := s.Service.FindUser(ctx, c, in.UserID)
	if err != nil {
		return nil, err
	}
	out := reply(http.StatusOK, DataBody[*fieldwork.User]{envelope(200, msgSuccess), u})
	out.ETag = etag(u.Version)
	return out, nil
}

func (s *Server) getUserByEmail(ctx context.Context, c *fieldwork.Caller, in *userEmailPath) (*Out[DataBody[*fieldwork.User]], error) {
	u, err := s.Service.FindUserByEmail(ctx, c, in.Email)
	if err != nil {
		return nil, err
	}
	out := reply(http.StatusOK, DataBody[*fieldwork.User]{envelope(200, msgSuccess), u})
	out.ETag = etag(u.Version)
	return out, nil
}

func (s *Server) putUser(ctx context.Context, c *fieldwork.Caller, in *userWrite) (*Out[PropertyBody[*fieldwork.User]], error) {
	return s.writeUser(ctx, c, in, true)
}

func (s *Server) patchUser(ctx context.Context, c *fieldwork.Caller, in *userWrite) (*Out[PropertyBody[*fieldwork.User]], error) {
	return s.writeUser(ctx, c, in, false)
}

func (s *Server) writeUser(ctx context.Context, c *fieldwork.Caller, in *userWrite, full bool) (*Out[PropertyBody[*fieldwork.User]], error) {
	var b userBody
	if err := decodeUser(in.RawBody, &b, &b.PhoneNumber); err != nil {
		return nil, err
	}
	u, err := s.Service.UpdateUser(ctx, c, in.UserID, b.input(), full, ifMatch(in.IfMatch))
	if err != nil {
		return nil, err
	}
	out := reply(http.StatusOK, PropertyBody[*fieldwork.User]{envelope(200, msgUserUpdated), u, u})
	out.ETag = etag(u.Version)
	return out, nil
}

func (s *Server) deleteUser(ctx context.Context, c *fieldwork.Caller, in *userPath) (*Out[UserDeletedBody], error) {
	if err := s.Service.DeleteUser(ctx, c, in.UserID, ifMatch(in.IfMatch)); err != nil {
		return nil, err
	}
	return reply(http.StatusOK, UserDeletedBody{in.UserID, envelope(200, msgUserDeleted)}), nil
}

func (s *Server) listRoles(ctx context.Context, c *fieldwork.Caller, _ *userNone) (*Out[DataBody[[]*fieldwork.Role]], error) {
	roles, err := s.Service.FindRoles(ctx, c)
	if err != nil {
		return nil, err
	}
	if roles == nil {
		roles = []*fieldwork.Role{}
	}
	return reply(http.StatusOK, DataBody[[]*fieldwork.Role]{envelope(200, msgSuccess), roles}), nil
}

func (s *Server) getRole(ctx context.Context, c *fieldwork.Caller, in *rolePath) (*Out[DataBody[*fieldwork.Role]], error) {
	r, err := s.Service.FindRole(ctx, c, in.RoleID)
	if err != nil {
		return nil, err
	}
	return reply(http.StatusOK, DataBody[*fieldwork.Role]{envelope(200, msgSuccess), r}), nil
}

func (s *Server) createToken(ctx context.Context, c *fieldwork.Caller, in *userRaw) (*Out[DataBody[TokenCreated]], error) {
	return s.newToken(ctx, c, "", in.RawBody)
}

func (s *Server) createUserToken(ctx context.Context, c *fieldwork.Caller, in *tokenCreate) (*Out[DataBody[TokenCreated]], error) {
	return s.newToken(ctx, c, in.UserID, in.RawBody)
}

// newToken creates a token for userID ("" = the caller) from a token body.
func (s *Server) newToken(ctx context.Context, c *fieldwork.Caller, userID string, raw []byte) (*Out[DataBody[TokenCreated]], error) {
	const failed = "auth-034"
	var b tokenBody
	if err := decodeObject(raw, &b, failed, true); err != nil {
		return nil, err
	}
	expires := b.ExpiresAt
	field := "expires_at"
	if b.ExpiresAtAlt != nil {
		if expires != nil {
			return nil, fieldwork.InvalidField(failed, "expiresAt", "send either expires_at or expiresAt")
		}
		expires, field = b.ExpiresAtAlt, "expiresAt"
	}
	var at time.Time
	if expires != nil {
		t, err := fieldwork.ParseTime(*expires)
		if err != nil {
			return nil, fieldwork.InvalidField(failed, field, "%v", err)
		}
		at = t
	}
	ts, err := s.Service.CreateToken(ctx, c, userID, b.Name, at)
	if err != nil {
		return nil, err
	}
	t := ts.Token
	data := TokenCreated{ID: t.ID, Name: t.Name, Token: ts.Secret, ExpiresAt: t.ExpiresAt}
	if !t.ExpiresAt.IsZero() {
		u := t.ExpiresAt.Unix()
		data.ExpireUnix = &u
	}
	return reply(http.StatusOK, DataBody[TokenCreated]{envelope(200, msgSuccessDot), data}), nil
}

func (s *Server) listTokens(ctx context.Context, c *fieldwork.Caller, _ *userNone) (*Out[DataBody[[]TokenView]], error) {
	toks, err := s.Service.FindTokens(ctx, c)
	if err != nil {
		return nil, err
	}
	views := make([]TokenView, 0, len(toks))
	for _, t := range toks {
		views = append(views, tokenView(t))
	}
	return reply(http.StatusOK, DataBody[[]TokenView]{envelope(200, msgSuccessDot), views}), nil
}

func (s *Server) renameToken(ctx context.Context, c *fieldwork.Caller, in *tokenWrite) (*Out[DataBody[TokenView]], error) {
	var b tokenRenameBody
	if err := decodeObject(in.RawBody, &b, "auth-034", true); err != nil {
		return nil, err
	}
	t, err := s.Service.RenameToken(ctx, c, in.TokenID, b.Name)
	if err != nil {
		return nil, err
	}
	return reply(http.StatusOK, DataBody[TokenView]{envelope(200, msgSuccessDot), tokenView(t)}), nil
}

func (s *Server) revokeToken(ctx context.Context, c *fieldwork.Caller, in *tokenPath) (*Out[DataBody[TokenView]], error) {
	t, err := s.Service.RevokeToken(ctx, c, in.TokenID)
	if err != nil {
		return nil, err
	}
	return reply(http.StatusOK, DataBody[TokenView]{envelope(200, msgSuccessDot), tokenView(t)}), nil
}
