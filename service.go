package fieldwork

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"
)

// Service holds the business rules and permissions of Fieldwork above a Store. Every method
// takes the context, then the authenticated Caller, whose organization confines it.
type Service struct {
	Store  Store
	Clock  Clock
	Logger *slog.Logger

	rollups atomic.Int64
	counts  countCache // the counts of page-number task lists (task_count.go)
}

// RollupsPerformed counts the master roll-ups this process has written (for metrics).
func (s *Service) RollupsPerformed() int64 { return s.rollups.Load() }

// NewService returns a Service on the store with the wall clock.
func NewService(store Store) *Service {
	return &Service{Store: store, Logger: slog.Default()}
}

// Caller is the authenticated user of a request.
type Caller struct {
	User  *User
	Token *Token
}

// OrgID returns the caller's organization.
func (c *Caller) OrgID() ID { return c.User.OrganizationID }

// now returns the service clock's time.
func (s *Service) now() time.Time { return s.Clock.Now() }

// HashToken returns the stored form of a token secret.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewTokenSecret returns a random secret with 256 bits of entropy.
func NewTokenSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Authenticate resolves a token secret to its caller: a missing, unknown, expired or revoked
// token, or a user who is not active, is auth-001.
func (s *Service) Authenticate(ctx context.Context, secret string) (*Caller, error) {
	if secret == "" {
		return nil, ErrUnauthorized()
	}
	tok, user, err := s.Store.FindCredential(ctx, HashToken(secret))
	if ErrorCode(err) == ENOTFOUND {
		return nil, ErrUnauthorized()
	} else if err != nil {
		return nil, err
	}
	if tok.Revoked || (!tok.ExpiresAt.IsZero() && !s.now().Before(tok.ExpiresAt.Time)) {
		return nil, ErrUnauthorized()
	}
	if user == nil || user.Status != UserActive {
		return nil, ErrUnauthorized()
	}
	return &Caller{User: user, Token: tok}, nil
}

// Organization creation (SPEC §2): operator-only, through the CLI or the bootstrap.

// CreateOrganization creates an organization with its four built-in roles and its Owner, and
// returns the Owner's token secret. secret may be given (bootstrap), else one is generated.
func (s *Service) CreateOrganization(ctx context.Context, name, ownerEmail, secret string) (*Organization, *User, string, error) {
	return s.createOrganization(ctx, "", name, ownerEmail, secret)
}

// DemoOrganizationID is the fixed id of the bootstrap organization: several instances
// starting at once on an empty store cannot create it twice.
const DemoOrganizationID ID = "64656d6f0000000000000001"

func (s *Service) createOrganization(ctx context.Context, id ID, name, ownerEmail, secret string) (*Organization, *User, string, error) {
	now := s.now()
	var fe FieldErrors
	name = trimSpace(name)
	if name == "" || len([]rune(name)) > 100 {
		fe.Add("name", "must be 1 to 100 characters")
	}
	email, ok := NormalizeEmail(ownerEmail)
	if !ok {
		fe.Add("owner", "must be a valid email address")
	}
	if secret != "" && len(secret) < 32 {
		fe.Add("token", "must be at least 32 characters")
	}
	if err := fe.Err("user-032"); err != nil {
		return nil, nil, "", err
	}
	if secret == "" {
		secret = NewTokenSecret()
	}
	if id == "" {
		id = NewID(now)
	}
	org := &Organization{ID: id, Name: name, CreatedTime: NewTime(now)}
	var roles []*Role
	for _, r := range BuiltinRoles {
		roles = append(roles, &Role{
			ID: NewID(now), Name: r, IsAdmin: r == RoleOwner || r == RoleAdmin, IsDefault: true,
			OrganizationID: org.ID, Permissions: []string{},
			CreatedTime: NewMicroTime(now), UpdatedTime: NewMicroTime(now),
		})
	}
	owner := &User{
		ID: NewID(now), OrganizationID: org.ID, Name: "Owner", Email: email, Language: "en",
		Status: UserActive, RoleID: roles[0].ID, Role: roleRef(roles[0]), HubID: []ID{}, TeamID: []string{},
		Version: 1, CreatedTime: NewTime(now), UpdatedTime: NewTime(now),
	}
	tok := &Token{ID: NewID(now), OrganizationID: org.ID, UserID: owner.ID, Name: "owner",
		Hash: HashToken(secret), CreatedTime: NewMicroTime(now)}
	if err := s.Store.CreateOrganization(ctx, org, roles, owner, tok); err != nil {
		return nil, nil, "", err
	}
	return org, owner, secret, nil
}

// Bootstrap creates the demo organization "Demo" with Owner admin@example.com when the store
// holds no organization. It returns the Owner's token secret, or "" when nothing was created.
func (s *Service) Bootstrap(ctx context.Context, secret string) (string, error) {
	n, err := s.Store.CountOrganizations(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	_, _, secret, err = s.createOrganization(ctx, DemoOrganizationID, "Demo", "admin@example.com", secret)
	if err != nil {
		// Another instance starting at the same moment may have won the race: the demo
		// organization's fixed id (or the same bootstrap token) made our insert fail.
		if n, cerr := s.Store.CountOrganizations(ctx); cerr == nil && n > 0 {
			return "", nil
		}
		var e *Error
		if errors.As(err, &e) {
			return "", errors.New("bootstrap: " + e.Message)
		}
	}
	return secret, err
}

func roleRef(r *Role) RoleRef {
	return RoleRef{ID: r.ID, Name: r.Name, IsAdmin: r.IsAdmin, IsDefault: r.IsDefault}
}

// requireAdmin allows Owners and Admins.
func requireAdmin(c *Caller) error {
	if !c.User.IsAdmin() {
		return ErrForbidden()
	}
	return nil
}

// requirePlanner allows Owners, Admins and Planners.
func requirePlanner(c *Caller) error {
	if !c.User.IsPlanner() {
		return ErrForbidden()
	}
	return nil
}

// txKey carries an open read-write transaction in a context, so that service calls made
// inside Service.InTx join it instead of opening their own.
type txKey struct{}

// update runs fn in the transaction already carried by ctx for this organization, or in a new
// read-write transaction.
func (s *Service) update(ctx context.Context, orgID ID, fn func(Tx) error) error {
	if tx, ok := ctx.Value(txKey{}).(Tx); ok && tx.OrganizationID() == orgID {
		return fn(tx)
	}
	return s.Store.Update(ctx, orgID, fn)
}

// view runs fn in the transaction carried by ctx, or in a new read-only transaction.
func (s *Service) view(ctx context.Context, orgID ID, fn func(Tx) error) error {
	if tx, ok := ctx.Value(txKey{}).(Tx); ok && tx.OrganizationID() == orgID {
		return fn(tx)
	}
	return s.Store.View(ctx, orgID, fn)
}

// InTx runs fn in ONE read-write transaction of the organization: every service call fn makes
// with the context it receives joins that transaction, so their writes commit or roll back
// together (an idempotent request stores its answer with the objects it created).
func (s *Service) InTx(ctx context.Context, orgID ID, fn func(ctx context.Context, tx Tx) error) error {
	return s.Store.Update(ctx, orgID, func(tx Tx) error {
		return fn(context.WithValue(ctx, txKey{}, tx), tx)
	})
}

// JoinsTransaction reports whether service calls made with ctx join a transaction opened by
// InTx (so a failure of one of them cannot be rolled back alone).
func JoinsTransaction(ctx context.Context) bool {
	_, ok := ctx.Value(txKey{}).(Tx)
	return ok
}
