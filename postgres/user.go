package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/fieldwork-dev/fieldwork"
)

var (
	errUserNotFound  = fieldwork.NotFound("user-033", fieldwork.MsgNotFound)
	errRoleNotFound  = fieldwork.NotFound("role-033", fieldwork.MsgNotFound)
	errTokenNotFound = fieldwork.NotFound("auth-033", fieldwork.MsgNotFound)
	errOrgNotFound   = fieldwork.NotFound("req-033", fieldwork.MsgNotFound)
	errEmailTaken    = fieldwork.InvalidField("user-037", "email", "The email has already been taken.")
	errTokenTaken    = fieldwork.Errorf(fieldwork.ECONFLICT, "auth-034", "token already exists")
)

// CreateOrganization stores the organization, its roles, its owner and the owner's token in
// one transaction.
func (s *Store) CreateOrganization(ctx context.Context, org *fieldwork.Organization, roles []*fieldwork.Role, owner *fieldwork.User, token *fieldwork.Token) error {
	return s.Update(ctx, org.ID, func(t fieldwork.Tx) error {
		tx := t.(*Tx)
		if _, err := tx.tx.Exec(ctx, `INSERT INTO organizations (id, name, created_time) VALUES ($1, $2, $3)`,
			org.ID, org.Name, org.CreatedTime.UnixMicro()); err != nil {
			return err
		}
		if _, err := tx.tx.Exec(ctx, `INSERT INTO organization_state (organization_id) VALUES ($1)`, org.ID); err != nil {
			return err
		}
		for _, r := range roles {
			if _, err := tx.tx.Exec(ctx, `INSERT INTO roles (organization_id, id, name, doc) VALUES ($1, $2, $3, $4)`,
				org.ID, r.ID, r.Name, mustJSON(r)); err != nil {
				return err
			}
		}
		if err := tx.CreateUser(ctx, owner); err != nil {
			return err
		}
		return tx.CreateToken(ctx, token)
	})
}

// CountOrganizations returns how many organizations exist.
func (s *Store) CountOrganizations(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM organizations`).Scan(&n)
	return n, err
}

// FindCredential looks a token up by its secret's hash, across organizations, with its user:
// the one query not scoped by organization_id (served by the unique index tokens_hash, then
// the users' primary key), one round trip per request.
func (s *Store) FindCredential(ctx context.Context, hash string) (*fieldwork.Token, *fieldwork.User, error) {
	var doc []byte
	tok, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+`, (SELECT u.doc FROM users u
		WHERE u.organization_id = tokens.organization_id AND u.id = tokens.user_id) FROM tokens WHERE hash = $1`, hash), &doc)
	if err != nil || doc == nil {
		return tok, nil, err
	}
	var u fieldwork.User
	if err := decode(doc, &u); err != nil {
		return nil, nil, err
	}
	return tok, &u, nil
}

// FindOrganization returns the transaction's organization.
func (tx *Tx) FindOrganization(ctx context.Context) (*fieldwork.Organization, error) {
	var o fieldwork.Organization
	var created int64
	err := tx.tx.QueryRow(ctx, `SELECT id, name, created_time FROM organizations WHERE id = $1`, tx.org).Scan(&o.ID, &o.Name, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errOrgNotFound
	} else if err != nil {
		return nil, err
	}
	o.CreatedTime = fieldwork.NewTime(fromMicro(created))
	return &o, nil
}

// FindRoles returns the organization's roles in creation order.
func (tx *Tx) FindRoles(ctx context.Context) ([]*fieldwork.Role, error) {
	return docs[fieldwork.Role](ctx, tx, `SELECT doc FROM roles WHERE organization_id = $1 ORDER BY id`, tx.org)
}

// FindRoleByID returns one role.
func (tx *Tx) FindRoleByID(ctx context.Context, id fieldwork.ID) (*fieldwork.Role, error) {
	var r fieldwork.Role
	if err := tx.getDoc(ctx, errRoleNotFound, &r, `SELECT doc FROM roles WHERE organization_id = $1 AND id = $2`, tx.org, id); err != nil {
		return nil, err
	}
	return &r, nil
}

// FindUserByID returns one user.
func (tx *Tx) FindUserByID(ctx context.Context, id fieldwork.ID) (*fieldwork.User, error) {
	var u fieldwork.User
	if err := tx.getDoc(ctx, errUserNotFound, &u, `SELECT doc FROM users WHERE organization_id = $1 AND id = $2`, tx.org, id); err != nil {
		return nil, err
	}
	return &u, nil
}

// FindUserByEmail returns the user with that email (compared lower-cased).
func (tx *Tx) FindUserByEmail(ctx context.Context, email string) (*fieldwork.User, error) {
	var u fieldwork.User
	if err := tx.getDoc(ctx, errUserNotFound, &u, `SELECT doc FROM users WHERE organization_id = $1 AND email = $2`, tx.org, strings.ToLower(email)); err != nil {
		return nil, err
	}
	return &u, nil
}

// FindUsersByEmails returns the users having any of the emails.
func (tx *Tx) FindUsersByEmails(ctx context.Context, emails []string) ([]*fieldwork.User, error) {
	if len(emails) == 0 {
		return nil, nil
	}
	lower := make([]string, len(emails))
	for i, e := range emails {
		lower[i] = strings.ToLower(e)
	}
	return docs[fieldwork.User](ctx, tx, `SELECT doc FROM users WHERE organization_id = $1 AND email = ANY($2)`, tx.org, lower)
}

// FindUsers returns the users matching f, oldest first, and how many match in all.
func (tx *Tx) FindUsers(ctx context.Context, f fieldwork.UserFilter) ([]*fieldwork.User, int, error) {
	w := newWhere(tx.org)
	if f.HubID != nil {
		w.add("hub_ids LIKE ?", "%,"+*f.HubID+",%")
	}
	if f.RoleID != nil {
		w.add("role_id = ?", *f.RoleID)
	}
	if f.TeamID != nil {
		w.add("1 = 0") // teamId is always [] (SPEC §2)
	}
	if f.Status != nil {
		w.add("status = ?", *f.Status)
	}
	if f.Email != nil {
		w.add("email = ?", strings.ToLower(*f.Email))
	}
	if f.Q != nil {
		// lower(email): SQLite's LIKE ignores the case of ASCII letters, PostgreSQL's does not.
		q := likeEscape(*f.Q)
		w.add(`(lower(name) LIKE ? ESCAPE '\' OR lower(email) LIKE ? ESCAPE '\')`, q, q)
	}
	cond, args := w.sql()
	total, err := tx.count(ctx, `SELECT count(*) FROM users WHERE `+cond, args...)
	if err != nil {
		return nil, 0, err
	}
	users, err := docs[fieldwork.User](ctx, tx, `SELECT doc FROM users WHERE `+cond+` ORDER BY created_time, id`+limitOffset(f.Limit, f.Offset), args...)
	return users, total, err
}

func userHubIDs(u *fieldwork.User) string {
	if len(u.HubID) == 0 {
		return ""
	}
	return "," + strings.Join(u.HubID, ",") + ","
}

// CreateUser inserts a user; a taken email is user-037.
func (tx *Tx) CreateUser(ctx context.Context, u *fieldwork.User) error {
	return tx.execUnique(ctx, "users_email", errEmailTaken, nil, `INSERT INTO users (organization_id, id, email, name, role_id, status, hub_ids, created_time, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		tx.org, u.ID, u.Email, u.Name, u.RoleID, u.Status, userHubIDs(u), u.CreatedTime.UnixMicro(), mustJSON(u))
}

// UpdateUser replaces a user; a taken email is user-037.
func (tx *Tx) UpdateUser(ctx context.Context, u *fieldwork.User) error {
	return tx.execUnique(ctx, "users_email", errEmailTaken, errUserNotFound, `UPDATE users SET email = $3, name = $4, role_id = $5, status = $6, hub_ids = $7, doc = $8
		WHERE organization_id = $1 AND id = $2`,
		tx.org, u.ID, u.Email, u.Name, u.RoleID, u.Status, userHubIDs(u), mustJSON(u))
}

// DeleteUser removes a user and revokes their tokens.
func (tx *Tx) DeleteUser(ctx context.Context, id fieldwork.ID) error {
	if err := tx.exec(ctx, errUserNotFound, `DELETE FROM users WHERE organization_id = $1 AND id = $2`, tx.org, id); err != nil {
		return err
	}
	return tx.RevokeUserTokens(ctx, id)
}

// CountActiveOwners counts active users holding the Owner role (a join within the
// organization).
func (tx *Tx) CountActiveOwners(ctx context.Context) (int, error) {
	return tx.count(ctx, `SELECT count(*) FROM users u JOIN roles r ON r.organization_id = u.organization_id AND r.id = u.role_id
		WHERE u.organization_id = $1 AND u.status = $2 AND r.name = $3`, tx.org, fieldwork.UserActive, fieldwork.RoleOwner)
}

const tokenColumns = `organization_id, id, user_id, name, hash, revoked, expires_at, created_time`

// scanToken scans tokenColumns, then the extra columns into extra.
func scanToken(row pgx.Row, extra ...any) (*fieldwork.Token, error) {
	var t fieldwork.Token
	var expires *int64
	var created int64
	err := row.Scan(append([]any{&t.OrganizationID, &t.ID, &t.UserID, &t.Name, &t.Hash, &t.Revoked, &expires, &created}, extra...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errTokenNotFound
	} else if err != nil {
		return nil, err
	}
	if expires != nil {
		t.ExpiresAt = fieldwork.NewMicroTime(fromMicro(*expires))
	}
	t.CreatedTime = fieldwork.NewMicroTime(fromMicro(created))
	return &t, nil
}

// nullMicro is a time as Unix microseconds, or NULL when unset.
func nullMicro(t fieldwork.MicroTime) *int64 {
	if t.IsZero() {
		return nil
	}
	us := t.UnixMicro()
	return &us
}

// CreateToken stores a token (its hash only); a taken hash is auth-034.
func (tx *Tx) CreateToken(ctx context.Context, t *fieldwork.Token) error {
	return tx.execUnique(ctx, "tokens_hash", errTokenTaken, nil, `INSERT INTO tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		tx.org, t.ID, t.UserID, t.Name, t.Hash, t.Revoked, nullMicro(t.ExpiresAt), t.CreatedTime.UnixMicro())
}

// FindTokenByID returns one token of the organization.
func (tx *Tx) FindTokenByID(ctx context.Context, id fieldwork.ID) (*fieldwork.Token, error) {
	return scanToken(tx.tx.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE organization_id = $1 AND id = $2`, tx.org, id))
}

// FindTokensByUser returns a user's tokens, oldest first.
func (tx *Tx) FindTokensByUser(ctx context.Context, userID fieldwork.ID) ([]*fieldwork.Token, error) {
	rows, err := tx.tx.Query(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE organization_id = $1 AND user_id = $2 ORDER BY created_time, id`, tx.org, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*fieldwork.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// UpdateToken saves a token's name and revocation.
func (tx *Tx) UpdateToken(ctx context.Context, t *fieldwork.Token) error {
	return tx.exec(ctx, errTokenNotFound, `UPDATE tokens SET name = $3, revoked = $4, expires_at = $5 WHERE organization_id = $1 AND id = $2`,
		tx.org, t.ID, t.Name, t.Revoked, nullMicro(t.ExpiresAt))
}

// RevokeUserTokens revokes every token of a user.
func (tx *Tx) RevokeUserTokens(ctx context.Context, userID fieldwork.ID) error {
	return tx.exec(ctx, nil, `UPDATE tokens SET revoked = true WHERE organization_id = $1 AND user_id = $2`, tx.org, userID)
}
