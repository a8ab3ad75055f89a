package httpapi_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/fieldwork-dev/fieldwork"
)

// member is a user created through the API together with a token acting as them.
type member struct {
	ID    string
	Email string
	Token string
}

// addUser creates a user of the given role as the Owner and a token for them.
func (e *env) addUser(email, role string) member {
	e.t.Helper()
	u := e.must(e.owner("POST", "/user", map[string]any{"email": email, "name": role + " user", "role": role}), http.StatusCreated)
	id := u.obj("data")["_id"].(string)
	tok := e.must(e.owner("POST", "/user/"+id+"/token", map[string]any{"name": "test"}), http.StatusOK)
	return member{ID: id, Email: email, Token: tok.obj("data")["token"].(string)}
}

// ownerID returns the id of the organization's first Owner.
func (e *env) ownerID() string {
	e.t.Helper()
	return e.must(e.owner("GET", "/user", nil), 200).str("_id")
}

// roleIDs maps role names to the organization's role ids.
func (e *env) roleIDs() map[string]string {
	e.t.Helper()
	r := e.must(e.owner("GET", "/roles", nil), 200)
	out := map[string]string{}
	for _, it := range r.Body["data"].([]any) {
		m := it.(map[string]any)
		out[m["name"].(string)] = m["_id"].(string)
	}
	return out
}

func TestUserProfile(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		r := e.must(e.owner("GET", "/user", nil), 200)
		if _, enveloped := r.Body["status"].(bool); enveloped {
			t.Fatalf("GET /user must answer the bare user: %s", r.Raw)
		}
		if r.str("email") != "owner@acme.test" || r.obj("role")["name"] != "Owner" || r.str("organizationId") != e.OrgID {
			t.Fatalf("bad profile: %s", r.Raw)
		}
		org := r.obj("organization")
		if org["_id"] != e.OrgID || org["name"] != "Acme" {
			t.Fatalf("bad organization: %s", r.Raw)
		}
		if u := r.obj("organization", "user"); u["companyName"] != "Acme" || u["email"] != "owner@acme.test" {
			t.Fatalf("bad organization.user: %s", r.Raw)
		}
		if _, ok := r.Body["personalToken"]; ok {
			t.Fatalf("personalToken leaked: %s", r.Raw)
		}
		if r.Header.Get("ETag") != `"1"` || r.Body["phoneNumber"] != nil || r.str("language") != "en" {
			t.Fatalf("bad profile details (ETag %q): %s", r.Header.Get("ETag"), r.Raw)
		}
		if _, err := time.Parse(fieldwork.TaskLayout, r.str("createdTime")); err != nil {
			t.Fatalf("createdTime not in the user form: %s", r.Raw)
		}

		fu := e.addUser("field@acme.test", "Field User")
		// A Field User sees the Owner's email as the organization contact, not their own.
		if got := e.must(e.do("GET", "/user", fu.Token, nil), 200); got.obj("organization", "user")["email"] != "owner@acme.test" || got.str("_id") != fu.ID {
			t.Fatalf("field user profile: %s", got.Raw)
		}

		e.run(t, []apiCase{
			{"patch name", "PATCH", "/user", "", map[string]any{"name": "Olivia", "phoneNumber": "+62 811"}, nil, 200, ""},
			{"patch stale if-match", "PATCH", "/user", "", map[string]any{"name": "X"}, []string{"If-Match", `"1"`}, 412, "etag-032"},
			{"patch if-match", "PATCH", "/user", "", map[string]any{"name": "Olivia O."}, []string{"If-Match", `"2"`}, 200, ""},
			{"patch bad email", "PATCH", "/user", "", map[string]any{"email": "nope"}, nil, 400, "user-032"},
			{"patch empty name", "PATCH", "/user", "", map[string]any{"name": " "}, nil, 400, "user-032"},
			{"patch role not allowed", "PATCH", "/user", "", map[string]any{"role": "Admin"}, nil, 400, "user-032"},
			{"patch status not allowed", "PATCH", "/user", fu.Token, map[string]any{"status": "disabled"}, nil, 400, "user-032"},
			{"patch wrong type", "PATCH", "/user", "", map[string]any{"name": 5}, nil, 400, "user-032"},
			{"patch malformed", "PATCH", "/user", "", `{"name":`, nil, 400, "req-013"},
			{"patch email taken", "PATCH", "/user", "", map[string]any{"email": "FIELD@acme.test"}, nil, 400, "user-037"},
			{"field user patches self", "PATCH", "/user", fu.Token, map[string]any{"name": "Fiona"}, nil, 200, ""},
			{"no token", "GET", "/user", "-", nil, nil, 401, "auth-001"},
		})

		r = e.must(e.owner("PATCH", "/user", map[string]any{"email": " Olivia@ACME.test "}), 200)
		if r.str("message") != "Data has been updated successfully." || r.obj("property")["email"] != "olivia@acme.test" ||
			r.obj("data")["phoneNumber"] != "+62 811" || r.obj("data")["version"] != float64(4) {
			t.Fatalf("bad PATCH /user answer: %s", r.Raw)
		}
		r = e.must(e.owner("PATCH", "/user", `{"phoneNumber": null}`), 200)
		if r.obj("data")["phoneNumber"] != nil {
			t.Fatalf("phoneNumber null must clear: %s", r.Raw)
		}
	})
}

func TestUsers(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		roles := e.roleIDs()
		hub := e.must(e.owner("POST", "/hub", map[string]any{"name": "Jakarta", "address": "a", "lat": 1, "lng": 2}), 200).obj("data")["_id"].(string)
		created := e.must(e.owner("POST", "/user", map[string]any{"email": "Ana@Acme.test", "name": " Ana ", "roleId": roles["Planner"],
			"hubId": []string{hub}, "phoneNumber": "0811"}), http.StatusCreated)
		u := created.obj("data")
		if created.str("message") != "Success" || u["email"] != "ana@acme.test" || u["name"] != "Ana" || u["status"] != "active" ||
			u["roleId"] != roles["Planner"] || u["version"] != float64(1) || u["organizationId"] != e.OrgID {
			t.Fatalf("bad created user: %s", created.Raw)
		}
		if role := created.obj("data", "role"); role["name"] != "Planner" || role["isAdmin"] != false || role["isDefault"] != true {
			t.Fatalf("bad embedded role: %s", created.Raw)
		}
		if teams, ok := u["teamId"].([]any); !ok || len(teams) != 0 {
			t.Fatalf("teamId must be []: %s", created.Raw)
		}
		id := u["_id"].(string)
		e.must(e.owner("POST", "/user", map[string]any{"email": "bo@acme.test", "name": "Bo", "role": "field user"}), http.StatusCreated)

		e.run(t, []apiCase{
			{"create missing fields", "POST", "/user", "", map[string]any{}, nil, 400, "user-032"},
			{"create missing role", "POST", "/user", "", map[string]any{"email": "x@acme.test", "name": "X"}, nil, 400, "user-032"},
			{"create bad email", "POST", "/user", "", map[string]any{"email": "x", "name": "X", "role": "Admin"}, nil, 400, "user-032"},
			{"create unknown role name", "POST", "/user", "", map[string]any{"email": "x@acme.test", "name": "X", "role": "Boss"}, nil, 400, "user-032"},
			{"create unknown role id", "POST", "/user", "", map[string]any{"email": "x@acme.test", "name": "X", "roleId": "000000000000000000000000"}, nil, 400, "user-032"},
			{"create role and roleId disagree", "POST", "/user", "", map[string]any{"email": "x@acme.test", "name": "X", "roleId": roles["Admin"], "role": "Planner"}, nil, 400, "user-032"},
			{"create unknown hub", "POST", "/user", "", map[string]any{"email": "x@acme.test", "name": "X", "role": "Admin", "hubId": []string{"000000000000000000000000"}}, nil, 400, "user-032"},
			{"create malformed hub", "POST", "/user", "", map[string]any{"email": "x@acme.test", "name": "X", "role": "Admin", "hubId": []string{"x"}}, nil, 400, "user-032"},
			{"create hubId not array", "POST", "/user", "", map[string]any{"email": "x@acme.test", "name": "X", "role": "Admin", "hubId": hub}, nil, 400, "user-032"},
			{"create teams", "POST", "/user", "", map[string]any{"email": "x@acme.test", "name": "X", "role": "Admin", "teamId": []string{"t1"}}, nil, 400, "user-032"},
			{"create bad status", "POST", "/user", "", map[string]any{"email": "x@acme.test", "name": "X", "role": "Admin", "status": "pending"}, nil, 400, "user-032"},
			{"create unknown key", "POST", "/user", "", map[string]any{"email": "x@acme.test", "name": "X", "role": "Admin", "password": "p"}, nil, 400, "user-032"},
			{"create email taken", "POST", "/user", "", map[string]any{"email": "ANA@acme.test", "name": "X", "role": "Admin"}, nil, 400, "user-037"},
			{"create malformed", "POST", "/user", "", `[1]`, nil, 400, "req-013"},

			{"list", "GET", "/users", "", nil, nil, 200, ""},
			{"list bad status", "GET", "/users?status=gone", "", nil, nil, 400, "user-032"},
			{"list bad role", "GET", "/users?role=Boss", "", nil, nil, 400, "user-032"},
			{"list bad roleId", "GET", "/users?roleId=x", "", nil, nil, 400, "user-032"},
			{"list bad limit", "GET", "/users?limit=0", "", nil, nil, 400, "user-032"},

			{"read", "GET", "/user/" + id, "", nil, nil, 200, ""},
			{"read trailing slash", "GET", "/user/" + id + "/", "", nil, nil, 200, ""},
			{"read malformed id", "GET", "/user/xyz", "", nil, nil, 404, "user-033"},
			{"read unknown id", "GET", "/user/000000000000000000000000", "", nil, nil, 404, "user-033"},
			{"read by email", "GET", "/user/email/ANA@acme.test", "", nil, nil, 200, ""},
			{"read by unknown email", "GET", "/user/email/zed@acme.test", "", nil, nil, 404, "user-033"},

			{"put requires name", "PUT", "/user/" + id, "", map[string]any{"email": "ana2@acme.test"}, nil, 400, "user-032"},
			{"put", "PUT", "/user/" + id, "", map[string]any{"name": "Ana B", "hubId": []string{}}, nil, 200, ""},
			{"patch stale if-match", "PATCH", "/user/" + id, "", map[string]any{"name": "Z"}, []string{"If-Match", `"1"`}, 412, "etag-032"},
			{"patch if-match", "PATCH", "/user/" + id, "", map[string]any{"role": "ADMIN"}, []string{"If-Match", `"2"`}, 200, ""},
			{"patch email taken", "PATCH", "/user/" + id, "", map[string]any{"email": "bo@acme.test"}, nil, 400, "user-037"},
			{"patch bad status", "PATCH", "/user/" + id, "", map[string]any{"status": "reject"}, nil, 400, "user-032"},
			{"patch unknown hub", "PATCH", "/user/" + id, "", map[string]any{"hubId": []string{"000000000000000000000000"}}, nil, 400, "user-032"},
			{"patch unknown role", "PATCH", "/user/" + id, "", map[string]any{"roleId": "000000000000000000000000"}, nil, 400, "user-032"},
			{"patch unknown key", "PATCH", "/user/" + id, "", map[string]any{"version": 9}, nil, 400, "user-032"},
			{"patch unknown user", "PATCH", "/user/000000000000000000000000", "", map[string]any{"name": "Z"}, nil, 404, "user-033"},
			{"patch malformed id", "PATCH", "/user/nope", "", map[string]any{"name": "Z"}, nil, 404, "user-033"},

			{"roles", "GET", "/roles", "", nil, nil, 200, ""},
			{"role", "GET", "/role/" + roles["Admin"], "", nil, nil, 200, ""},
			{"role unknown", "GET", "/role/000000000000000000000000", "", nil, nil, 404, "role-033"},
			{"role malformed", "GET", "/role/admin", "", nil, nil, 404, "role-033"},

			{"delete stale if-match", "DELETE", "/user/" + id, "", nil, []string{"If-Match", `"1"`}, 412, "etag-032"},
			{"delete malformed", "DELETE", "/member/x", "", nil, nil, 404, "user-033"},
			{"delete unknown", "DELETE", "/member/000000000000000000000000", "", nil, nil, 404, "user-033"},
		})

		// The answers' shapes.
		r := e.must(e.owner("GET", "/user/"+id, nil), 200)
		if r.obj("data")["name"] != "Ana B" || r.obj("data", "role")["name"] != "Admin" || r.Header.Get("ETag") != `"3"` {
			t.Fatalf("bad user after updates (ETag %q): %s", r.Header.Get("ETag"), r.Raw)
		}
		if hubs := r.obj("data")["hubId"].([]any); len(hubs) != 0 {
			t.Fatalf("hubId not cleared: %s", r.Raw)
		}
		r = e.must(e.owner("PATCH", "/user/"+id, map[string]any{"phoneNumber": "0812"}), 200)
		if r.str("message") != "Data has been updated successfully." || r.obj("property")["phoneNumber"] != "0812" || r.obj("data")["version"] != float64(4) {
			t.Fatalf("bad PATCH answer: %s", r.Raw)
		}
		roleList := e.must(e.owner("GET", "/roles", nil), 200).Body["data"].([]any)
		if len(roleList) != 4 || roleList[0].(map[string]any)["name"] != "Owner" {
			t.Fatalf("bad roles: %v", roleList)
		}
		role := e.must(e.owner("GET", "/role/"+roles["Field User"], nil), 200).obj("data")
		if _, err := time.Parse(fieldwork.MicroLayout, role["createdTime"].(string)); err != nil || role["isDefault"] != true || role["organizationId"] != e.OrgID {
			t.Fatalf("bad role: %v", role)
		}

		// Filters.
		for _, tt := range []struct {
			query string
			want  []string
		}{
			{"", []string{"owner@acme.test", "ana@acme.test", "bo@acme.test"}},
			{"?q=BO", []string{"bo@acme.test"}},
			{"?q=acme.test&limit=2&page=2", []string{"bo@acme.test"}},
			{"?limit=1", []string{"owner@acme.test"}},
			{"?role=field%20user", []string{"bo@acme.test"}},
			{"?roleId=" + roles["Admin"], []string{"ana@acme.test"}},
			{"?roleId=" + roles["Admin"] + "&role=Owner", nil},
			{"?status=disabled", nil},
			{"?status=active&email=Bo@acme.test", []string{"bo@acme.test"}},
			{"?teamId=t1", nil},
			{"?hubId=" + hub, nil},
		} {
			t.Run("filter "+tt.query, func(t *testing.T) {
				r := e.must(e.owner("GET", "/users"+tt.query, nil), 200)
				var got []string
				for _, it := range r.Body["data"].([]any) {
					got = append(got, it.(map[string]any)["email"].(string))
				}
				if len(got) != len(tt.want) {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
				for i := range got {
					if got[i] != tt.want[i] {
						t.Fatalf("got %v, want %v", got, tt.want)
					}
				}
			})
		}
		e.must(e.owner("PATCH", "/user/"+id, map[string]any{"hubId": []string{hub, hub}}), 200)
		if r := e.must(e.owner("GET", "/users?hubId="+hub, nil), 200); len(r.Body["data"].([]any)) != 1 {
			t.Fatalf("hubId filter: %s", r.Raw)
		}
		r = e.must(e.owner("GET", "/users?fields=email&q=ana", nil), 200)
		if it := r.Body["data"].([]any)[0].(map[string]any); len(it) != 2 || it["email"] != "ana@acme.test" || it["_id"] != id {
			t.Fatalf("fields projection: %s", r.Raw)
		}

		// A referenced hub cannot be deleted.
		e.must(e.owner("DELETE", "/hub/"+hub, nil), 400)

		// Delete: gone from reads and lists, through both paths.
		r = e.must(e.owner("DELETE", "/member/"+id, nil, "If-Match", `"5"`), 200)
		if r.str("id") != id || r.Body["status"] != true || r.Body["code"] != float64(200) || r.str("message") != "Data has been deleted successfully." {
			t.Fatalf("bad delete answer: %s", r.Raw)
		}
		e.must(e.owner("GET", "/user/"+id, nil), 404)
		if r := e.must(e.owner("GET", "/users?q=ana", nil), 200); len(r.Body["data"].([]any)) != 0 {
			t.Fatalf("deleted user still listed: %s", r.Raw)
		}
		bo := e.must(e.owner("GET", "/user/email/bo@acme.test", nil), 200).obj("data")["_id"].(string)
		e.must(e.owner("DELETE", "/user/"+bo, nil), 200)
		e.must(e.owner("DELETE", "/user/"+bo, nil), 404)
		// The email is free again.
		e.must(e.owner("POST", "/user", map[string]any{"email": "ana@acme.test", "name": "Ana", "role": "Planner"}), http.StatusCreated)
	})
}

// TestUserPermissions checks SPEC §1.7 for every role.
func TestUserPermissions(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		roles := e.roleIDs()
		owner := e.ownerID()
		admin := e.addUser("admin@acme.test", "Admin")
		planner := e.addUser("planner@acme.test", "Planner")
		field := e.addUser("field@acme.test", "Field User")
		victim := e.addUser("victim@acme.test", "Field User")
		newUser := func(email, role string) map[string]any {
			return map[string]any{"email": email, "name": "N", "role": role}
		}

		e.run(t, []apiCase{
			// Reading users.
			{"planner lists users", "GET", "/users", planner.Token, nil, nil, 200, ""},
			{"field user lists users", "GET", "/users", field.Token, nil, nil, 403, "auth-003"},
			{"field user reads self", "GET", "/user/" + field.ID, field.Token, nil, nil, 200, ""},
			{"field user reads self by email", "GET", "/user/email/field@acme.test", field.Token, nil, nil, 200, ""},
			{"field user reads other", "GET", "/user/" + owner, field.Token, nil, nil, 403, "auth-003"},
			{"field user reads other by email", "GET", "/user/email/owner@acme.test", field.Token, nil, nil, 403, "auth-003"},
			{"planner reads other", "GET", "/user/" + owner, planner.Token, nil, nil, 200, ""},
			{"field user reads roles", "GET", "/roles", field.Token, nil, nil, 200, ""},
			{"field user reads role", "GET", "/role/" + roles["Owner"], field.Token, nil, nil, 200, ""},

			// Creating users.
			{"planner creates user", "POST", "/user", planner.Token, newUser("p1@acme.test", "Field User"), nil, 403, "auth-003"},
			{"field user creates user", "POST", "/user", field.Token, newUser("f1@acme.test", "Field User"), nil, 403, "auth-003"},
			{"admin creates admin", "POST", "/user", admin.Token, newUser("a1@acme.test", "Admin"), nil, 201, ""},
			{"admin creates owner", "POST", "/user", admin.Token, newUser("o1@acme.test", "Owner"), nil, 403, "auth-003"},
			{"owner creates owner", "POST", "/user", "", newUser("o2@acme.test", "owner"), nil, 201, ""},

			// Changing users.
			{"planner updates user", "PATCH", "/user/" + victim.ID, planner.Token, map[string]any{"name": "V"}, nil, 403, "auth-003"},
			{"field user updates self by id", "PATCH", "/user/" + field.ID, field.Token, map[string]any{"name": "V"}, nil, 403, "auth-003"},
			{"admin updates field user", "PATCH", "/user/" + victim.ID, admin.Token, map[string]any{"name": "V"}, nil, 200, ""},
			{"admin updates owner", "PATCH", "/user/" + owner, admin.Token, map[string]any{"name": "V"}, nil, 403, "auth-003"},
			{"admin promotes to owner", "PATCH", "/user/" + victim.ID, admin.Token, map[string]any{"roleId": roles["Owner"]}, nil, 403, "auth-003"},
			{"admin promotes to admin", "PATCH", "/user/" + victim.ID, admin.Token, map[string]any{"role": "admin"}, nil, 200, ""},

			// Tokens of other users.
			{"planner makes token for other", "POST", "/user/" + victim.ID + "/token", planner.Token, map[string]any{"name": "x"}, nil, 403, "auth-003"},
			{"field user makes token for other", "POST", "/user/" + victim.ID + "/token", field.Token, map[string]any{"name": "x"}, nil, 403, "auth-003"},
			{"field user makes token for self by id", "POST", "/user/" + field.ID + "/token", field.Token, map[string]any{"name": "x"}, nil, 200, ""},
			{"admin makes token for other", "POST", "/user/" + victim.ID + "/token", admin.Token, map[string]any{"name": "x"}, nil, 200, ""},
			{"admin makes token for owner", "POST", "/user/" + owner + "/token", admin.Token, map[string]any{"name": "x"}, nil, 403, "auth-003"},
			{"admin makes token for unknown user", "POST", "/user/000000000000000000000000/token", admin.Token, map[string]any{"name": "x"}, nil, 404, "user-033"},
			{"admin makes token for malformed id", "POST", "/user/x/token", admin.Token, map[string]any{"name": "x"}, nil, 404, "user-033"},

			// Own tokens: every role.
			{"field user makes own token", "POST", "/token", field.Token, map[string]any{"name": "mine"}, nil, 200, ""},
			{"field user lists own tokens", "GET", "/tokens", field.Token, nil, nil, 200, ""},

			// Deleting users.
			{"planner deletes user", "DELETE", "/user/" + victim.ID, planner.Token, nil, nil, 403, "auth-003"},
			{"field user deletes user", "DELETE", "/member/" + victim.ID, field.Token, nil, nil, 403, "auth-003"},
			{"admin deletes owner", "DELETE", "/member/" + owner, admin.Token, nil, nil, 403, "auth-003"},
			{"admin deletes user", "DELETE", "/member/" + victim.ID, admin.Token, nil, nil, 200, ""},
		})
		// The deleted user's token no longer authenticates.
		e.must(e.do("GET", "/user", victim.Token, nil), http.StatusUnauthorized)
	})
}

// TestLastOwner checks that an organization always keeps an active Owner (user-049).
func TestLastOwner(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		owner := e.ownerID()
		e.run(t, []apiCase{
			{"delete last owner", "DELETE", "/user/" + owner, "", nil, nil, 400, "user-049"},
			{"delete last owner via member", "DELETE", "/member/" + owner, "", nil, nil, 400, "user-049"},
			{"disable last owner", "PATCH", "/user/" + owner, "", map[string]any{"status": "disabled"}, nil, 400, "user-049"},
			{"demote last owner", "PATCH", "/user/" + owner, "", map[string]any{"role": "Admin"}, nil, 400, "user-049"},
			{"owner stays owner", "PUT", "/user/" + owner, "", map[string]any{"name": "Boss", "role": "Owner", "status": "active"}, nil, 200, ""},
		})

		second := e.addUser("second@acme.test", "Owner")
		// A disabled second Owner does not count.
		e.must(e.owner("PATCH", "/user/"+second.ID, map[string]any{"status": "disabled"}), 200)
		e.must(e.do("GET", "/user", second.Token, nil), http.StatusUnauthorized)
		e.run(t, []apiCase{
			{"demote with only a disabled second owner", "PATCH", "/user/" + owner, "", map[string]any{"role": "Planner"}, nil, 400, "user-049"},
			{"delete disabled owner", "PATCH", "/user/" + second.ID, "", map[string]any{"status": "active"}, nil, 200, ""},
		})
		// Re-enabled, the second Owner's token works again; now the first may be demoted.
		e.must(e.do("GET", "/user", second.Token, nil), 200)
		e.must(e.owner("PATCH", "/user/"+owner, map[string]any{"role": "Admin"}), 200)
		// The second is now the last: it cannot delete itself.
		r := e.do("DELETE", "/user/"+second.ID, second.Token, nil)
		if r.Status != 400 || r.str("failedCode") != "user-049" {
			t.Fatalf("last owner deleted itself: %s", r.Raw)
		}
		// The demoted first (now an Admin) may not touch the Owner.
		e.must(e.owner("PATCH", "/user/"+second.ID, map[string]any{"status": "disabled"}), http.StatusForbidden)
	})
}

func TestTokens(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		future := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Second)
		e.run(t, []apiCase{
			{"missing name", "POST", "/token", "", map[string]any{}, nil, 400, "auth-034"},
			{"empty name", "POST", "/token", "", map[string]any{"name": "  "}, nil, 400, "auth-034"},
			{"name wrong type", "POST", "/token", "", map[string]any{"name": 1}, nil, 400, "auth-034"},
			{"expiry in the past", "POST", "/token", "", map[string]any{"name": "x", "expires_at": "2020-01-01 00:00:00"}, nil, 400, "auth-034"},
			{"expiry malformed", "POST", "/token", "", map[string]any{"name": "x", "expires_at": "tomorrow"}, nil, 400, "auth-034"},
			{"expiry wrong type", "POST", "/token", "", map[string]any{"name": "x", "expires_at": 5}, nil, 400, "auth-034"},
			{"both expiry spellings", "POST", "/token", "", map[string]any{"name": "x", "expires_at": future.Format(time.RFC3339), "expiresAt": future.Format(time.RFC3339)}, nil, 400, "auth-034"},
			{"unknown key", "POST", "/token", "", map[string]any{"name": "x", "scope": "all"}, nil, 400, "auth-034"},
			{"malformed", "POST", "/token", "", `{`, nil, 400, "req-013"},
			{"rename unknown", "PUT", "/token/000000000000000000000000", "", map[string]any{"name": "y"}, nil, 404, "auth-033"},
			{"rename malformed id", "PUT", "/token/zz", "", map[string]any{"name": "y"}, nil, 404, "auth-033"},
			{"revoke unknown", "DELETE", "/token/000000000000000000000000", "", nil, nil, 404, "auth-033"},
		})

		// Create with every accepted expiry form.
		for _, tt := range []struct {
			name string
			body map[string]any
			want time.Time // zero = never expires
		}{
			{"no expiry", map[string]any{"name": "ci"}, time.Time{}},
			{"null expiry", map[string]any{"name": "ci", "expires_at": nil}, time.Time{}},
			{"space form", map[string]any{"name": "ci", "expires_at": future.Format("2006-01-02 15:04:05")}, future},
			{"offset form", map[string]any{"name": "ci", "expires_at": future.In(time.FixedZone("WIB", 7*3600)).Format(time.RFC3339)}, future},
			{"camel case", map[string]any{"name": "ci", "expiresAt": future.Format("2006-01-02T15:04:05.000Z")}, future},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := e.must(e.owner("POST", "/token", tt.body), 200)
				d := r.obj("data")
				if r.str("message") != "Success." || d["name"] != "ci" || len(d["token"].(string)) < 32 || !fieldwork.ValidID(d["_id"].(string)) {
					t.Fatalf("bad token answer: %s", r.Raw)
				}
				if tt.want.IsZero() {
					if d["expires_at"] != nil || d["expireUnix"] != nil {
						t.Fatalf("expiry set: %s", r.Raw)
					}
				} else if d["expires_at"] != tt.want.Format(fieldwork.MicroLayout) || d["expireUnix"] != float64(tt.want.Unix()) {
					t.Fatalf("expiry = %v / %v, want %s: %s", d["expires_at"], d["expireUnix"], tt.want.Format(fieldwork.MicroLayout), r.Raw)
				}
				e.must(e.do("GET", "/user", d["token"].(string), nil), 200)
			})
		}

		r := e.must(e.owner("POST", "/token", map[string]any{"name": "deploy"}), 200)
		id, secret := r.obj("data")["_id"].(string), r.obj("data")["token"].(string)
		// x-api-key works as well as Bearer.
		e.must(e.do("GET", "/tokens", "", nil, "x-api-key", secret), 200)

		list := e.must(e.owner("GET", "/tokens", nil), 200)
		if list.str("message") != "Success." {
			t.Fatalf("bad list message: %s", list.Raw)
		}
		var found map[string]any
		for _, it := range list.Body["data"].([]any) {
			m := it.(map[string]any)
			if _, leaked := m["token"]; leaked {
				t.Fatalf("secret listed: %s", list.Raw)
			}
			if m["_id"] == id {
				found = m
			}
		}
		if found == nil || found["name"] != "deploy" || found["revoked"] != false || len(found) != 4 {
			t.Fatalf("token not listed as {_id,name,revoked,expires_at}: %s", list.Raw)
		}

		r = e.must(e.owner("PUT", "/token/"+id, map[string]any{"name": "deploy-2"}), 200)
		if r.obj("data")["name"] != "deploy-2" || r.str("message") != "Success." {
			t.Fatalf("bad rename: %s", r.Raw)
		}
		e.run(t, []apiCase{
			{"rename without name", "PUT", "/token/" + id, "", map[string]any{}, nil, 400, "auth-034"},
			{"rename unknown key", "PUT", "/token/" + id, "", map[string]any{"name": "a", "revoked": true}, nil, 400, "auth-034"},
		})

		// Another user's tokens look missing, even to the Owner.
		fu := e.addUser("field@acme.test", "Field User")
		fuTok := e.must(e.do("POST", "/token", fu.Token, map[string]any{"name": "own"}), 200).obj("data")["_id"].(string)
		e.run(t, []apiCase{
			{"field user renames owner token", "PUT", "/token/" + id, fu.Token, map[string]any{"name": "x"}, nil, 404, "auth-033"},
			{"field user revokes owner token", "DELETE", "/token/" + id, fu.Token, nil, nil, 404, "auth-033"},
			{"owner revokes field user token", "DELETE", "/token/" + fuTok, "", nil, nil, 404, "auth-033"},
		})
		if r := e.must(e.do("GET", "/tokens", fu.Token, nil), 200); len(r.Body["data"].([]any)) != 2 {
			t.Fatalf("field user sees tokens not theirs: %s", r.Raw)
		}

		// Revoke: the answer says so and the next request is refused.
		r = e.must(e.do("DELETE", "/token/"+id, secret, nil), 200)
		if r.obj("data")["revoked"] != true || r.str("message") != "Success." {
			t.Fatalf("bad revoke: %s", r.Raw)
		}
		r = e.do("GET", "/user", secret, nil)
		if r.Status != 401 || r.str("failedCode") != "auth-001" {
			t.Fatalf("revoked token still works: %s", r.Raw)
		}
	})
}

// TestUserIsolation checks that another organization's users, roles and tokens look missing.
func TestUserIsolation(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		ctx := context.Background()
		_, other, otherSecret, err := e.Service.CreateOrganization(ctx, "Globex", "owner@globex.test", "")
		if err != nil {
			t.Fatal(err)
		}
		otherRoles := e.do("GET", "/roles", otherSecret, nil).Body["data"].([]any)
		otherRole := otherRoles[0].(map[string]any)["_id"].(string)
		otherTok := e.must(e.do("GET", "/tokens", otherSecret, nil), 200).Body["data"].([]any)[0].(map[string]any)["_id"].(string)
		// Same email in two organizations is fine.
		e.must(e.do("POST", "/user", otherSecret, map[string]any{"email": "shared@x.test", "name": "S", "role": "Admin"}), 201)
		e.must(e.owner("POST", "/user", map[string]any{"email": "shared@x.test", "name": "S", "role": "Admin"}), 201)

		e.run(t, []apiCase{
			{"read other org user", "GET", "/user/" + other.ID, "", nil, nil, 404, "user-033"},
			{"read other org user by email", "GET", "/user/email/owner@globex.test", "", nil, nil, 404, "user-033"},
			{"update other org user", "PATCH", "/user/" + other.ID, "", map[string]any{"name": "x"}, nil, 404, "user-033"},
			{"delete other org user", "DELETE", "/member/" + other.ID, "", nil, nil, 404, "user-033"},
			{"token for other org user", "POST", "/user/" + other.ID + "/token", "", map[string]any{"name": "x"}, nil, 404, "user-033"},
			{"other org role", "GET", "/role/" + otherRole, "", nil, nil, 404, "role-033"},
			{"create with other org role", "POST", "/user", "", map[string]any{"email": "r@acme.test", "name": "R", "roleId": otherRole}, nil, 400, "user-032"},
			{"rename other org token", "PUT", "/token/" + otherTok, "", map[string]any{"name": "x"}, nil, 404, "auth-033"},
			{"revoke other org token", "DELETE", "/token/" + otherTok, "", nil, nil, 404, "auth-033"},
		})
		r := e.must(e.owner("GET", "/users?q=globex", nil), 200)
		if len(r.Body["data"].([]any)) != 0 {
			t.Fatalf("other organization's users listed: %s", r.Raw)
		}
		if n := len(e.must(e.owner("GET", "/users", nil), 200).Body["data"].([]any)); n != 2 {
			t.Fatalf("listed %d users, want 2", n)
		}
		e.must(e.do("GET", "/user", otherSecret, nil), 200)
	})
}

// TestUserListUnpaged checks that an official client (no page/limit) gets every user.
func TestUserListUnpaged(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		for i := range 25 {
			e.must(e.owner("POST", "/user", map[string]any{"email": "u" + strconv.Itoa(i) + "@acme.test", "name": "U", "role": "Field User"}), 201)
		}
		if n := len(e.must(e.owner("GET", "/users", nil), 200).Body["data"].([]any)); n != 26 {
			t.Fatalf("listed %d users, want 26", n)
		}
		if n := len(e.must(e.owner("GET", "/users?page=2", nil), 200).Body["data"].([]any)); n != 6 {
			t.Fatalf("page 2 has %d users, want 6", n)
		}
	})
}
