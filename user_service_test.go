package fieldwork_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
	"github.com/fieldwork-dev/fieldwork/sqlite"
)

// newService returns a Service on a fresh SQLite store whose clock the test moves through
// *at, with one organization; it returns the Owner's caller.
func newService(t *testing.T, at *atomic.Int64) (*fieldwork.Service, *fieldwork.Caller) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "fw.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := fieldwork.NewService(st)
	svc.Clock = func() time.Time { return time.Unix(at.Load(), 0) }
	_, _, secret, err := svc.CreateOrganization(ctx, "Acme", "owner@acme.test", "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := svc.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	return svc, c
}

func failedCode(err error) string {
	if e, ok := err.(*fieldwork.Error); ok {
		return e.FailedCode
	}
	if err != nil {
		return "internal: " + err.Error()
	}
	return ""
}

func TestTokenExpiry(t *testing.T) {
	ctx := context.Background()
	var at atomic.Int64
	at.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	svc, owner := newService(t, &at)
	now := time.Unix(at.Load(), 0)
	name := "short"
	for _, tt := range []struct {
		name    string
		expires time.Time
		want    string
	}{
		{"past", now.Add(-time.Second), "auth-034"},
		{"now", now, "auth-034"},
		{"future", now.Add(time.Hour), ""},
		{"never", time.Time{}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.CreateToken(ctx, owner, "", &name, tt.expires)
			if got := failedCode(err); got != tt.want {
				t.Fatalf("failedCode %q, want %q", got, tt.want)
			}
		})
	}

	ts, err := svc.CreateToken(ctx, owner, "", &name, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, ts.Secret); err != nil {
		t.Fatalf("fresh token refused: %v", err)
	}
	at.Add(3600) // exactly at the expiry: no longer valid
	if _, err := svc.Authenticate(ctx, ts.Secret); failedCode(err) != "auth-001" {
		t.Fatalf("expired token: err %v, want auth-001", err)
	}
}

func TestUserRules(t *testing.T) {
	ctx := context.Background()
	var at atomic.Int64
	at.Store(time.Now().Unix())
	svc, owner := newService(t, &at)
	s := func(v string) *string { return &v }

	admin, err := svc.CreateUser(ctx, owner, fieldwork.UserInput{Name: s("A"), Email: s("A@acme.test"), Role: s("admin")})
	if err != nil {
		t.Fatal(err)
	}
	if admin.Email != "a@acme.test" || admin.Role.Name != fieldwork.RoleAdmin || !admin.Role.IsAdmin || admin.Version != 1 {
		t.Fatalf("bad admin: %+v", admin)
	}
	ts, err := svc.CreateToken(ctx, owner, admin.ID, s("t"), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	asAdmin, err := svc.Authenticate(ctx, ts.Secret)
	if err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name string
		run  func() error
		want string
	}{
		{"admin demotes owner", func() error {
			_, err := svc.UpdateUser(ctx, asAdmin, owner.User.ID, fieldwork.UserInput{Role: s("Admin")}, false, nil)
			return err
		}, "auth-003"},
		{"owner demotes self, the last owner", func() error {
			_, err := svc.UpdateUser(ctx, owner, owner.User.ID, fieldwork.UserInput{Role: s("Admin")}, false, nil)
			return err
		}, "user-049"},
		{"owner disables self, the last owner", func() error {
			_, err := svc.UpdateUser(ctx, owner, owner.User.ID, fieldwork.UserInput{Status: s("disabled")}, false, nil)
			return err
		}, "user-049"},
		{"owner deletes self, the last owner", func() error {
			return svc.DeleteUser(ctx, owner, owner.User.ID, nil)
		}, "user-049"},
		{"stale version", func() error {
			v := 7
			_, err := svc.UpdateUser(ctx, owner, admin.ID, fieldwork.UserInput{Name: s("B")}, false, &v)
			return err
		}, "etag-032"},
		{"promote to owner", func() error {
			_, err := svc.UpdateUser(ctx, owner, admin.ID, fieldwork.UserInput{Role: s("OWNER")}, false, nil)
			return err
		}, ""},
		{"now the first owner may leave", func() error {
			_, err := svc.UpdateUser(ctx, owner, owner.User.ID, fieldwork.UserInput{Role: s("Planner")}, false, nil)
			return err
		}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := failedCode(tt.run()); got != tt.want {
				t.Fatalf("failedCode %q, want %q", got, tt.want)
			}
		})
	}

	// Deleting a user revokes their tokens.
	planner, err := svc.CreateUser(ctx, asAdmin, fieldwork.UserInput{Name: s("P"), Email: s("p@acme.test"), Role: s("Planner")})
	if err != nil {
		t.Fatal(err)
	}
	pt, err := svc.CreateToken(ctx, asAdmin, planner.ID, s("t"), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteUser(ctx, asAdmin, planner.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, pt.Secret); failedCode(err) != "auth-001" {
		t.Fatalf("deleted user's token: err %v, want auth-001", err)
	}
}
