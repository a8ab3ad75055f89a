package httpapi_test

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldwork-dev/fieldwork"
)

// flowMicroTime is the date form of flows (SPEC §1.4).
var flowMicroTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$`)

// flowTestUser creates an active user with the named built-in role (and hubs) in e's
// organization, straight through the store, and returns a token secret for them.
func flowTestUser(t *testing.T, e *env, role, email string, hubIDs ...string) string {
	t.Helper()
	ctx := context.Background()
	secret := fieldwork.NewTokenSecret()
	err := e.Service.Store.Update(ctx, e.OrgID, func(tx fieldwork.Tx) error {
		roles, err := tx.FindRoles(ctx)
		if err != nil {
			return err
		}
		var r *fieldwork.Role
		for _, x := range roles {
			if x.Name == role {
				r = x
			}
		}
		if r == nil {
			t.Fatalf("no role %q", role)
		}
		now := time.Now()
		if hubIDs == nil {
			hubIDs = []string{}
		}
		u := &fieldwork.User{
			ID: fieldwork.NewID(now), OrganizationID: e.OrgID, Name: role, Email: email, Language: "en",
			Status: fieldwork.UserActive, RoleID: r.ID,
			Role:  fieldwork.RoleRef{ID: r.ID, Name: r.Name, IsAdmin: r.IsAdmin, IsDefault: r.IsDefault},
			HubID: hubIDs, TeamID: []string{}, Version: 1,
			CreatedTime: fieldwork.NewTime(now), UpdatedTime: fieldwork.NewTime(now),
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return tx.CreateToken(ctx, &fieldwork.Token{ID: fieldwork.NewID(now), OrganizationID: e.OrgID, UserID: u.ID,
			Name: "test", Hash: fieldwork.HashToken(secret), CreatedTime: fieldwork.NewMicroTime(now)})
	})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// flowJSON decodes a JSON text written in a test into a body value.
func flowJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

// flowSimple is a minimal valid flow body.
func flowSimple(name string) map[string]any {
	return map[string]any{"name": name, "pages": []any{map[string]any{"id": "page0", "components": []any{
		map[string]any{"component": "input", "id": "note", "title": "Note"},
	}}}}
}

// flowOnePage is a flow body whose page0 holds the given component (as JSON text).
func flowOnePage(t *testing.T, name, component string) map[string]any {
	return flowJSON(t, `{"name":"`+name+`","pages":[{"id":"page0","components":[`+component+`]}]}`)
}

// flowEveryKind holds every component kind, aliases, showAs, defaults, configurations and
// official keys Fieldwork does not read.
const flowEveryKind = `{
	"_id": "000000000000000000000001", "organizationId": "x", "version": 9, "createdBy": "x@y.z",
	"updatedBy": "x@y.z", "createdTime": "2000-01-01 00:00:00", "updatedTime": "bad", "deleted_at": null,
	"name": "Every Kind", "isDefault": true, "orderIndex": 3,
	"configurations": [{"id": "startTime", "adjustment": 1}, {"id": "endTime", "adjustment": 48},
		{"id": "dataSource", "source": {"url": "https://example.com"}}],
	"pages": [{"id": "page0", "title": "Create", "components": [
		{"component": "input", "id": "recipient", "title": "Recipient", "inputType": "text", "isRequired": true, "showAs": "title"},
		{"component": "input", "id": "addr", "title": "Address", "type": "address", "showAs": "Content"},
		{"component": "input", "id": "phone", "title": "Phone", "type": "phone"},
		{"component": "input", "id": "site", "title": "Site", "type": "URL"},
		{"component": "input", "id": "weight", "title": "Weight", "type": "number", "required": true, "useUnit": true, "units": ["kg"]},
		{"component": "input", "id": "price", "title": "Price", "type": "Currency"},
		{"component": "input", "id": "day", "title": "Day", "type": "Date", "required": true},
		{"component": "input", "id": "when", "title": "When", "type": "Datetime"},
		{"component": "input", "id": "at", "title": "At", "type": "time"},
		{"component": "input", "id": "geo", "title": "Where", "type": "Geolocation", "showAs": "expectedCoordinate"},
		{"component": "select", "id": "size", "title": "Size", "options": ["S", "M", "L"], "required": true, "default": "M"},
		{"component": "select", "id": "extras", "title": "Extras", "type": "Dropdown", "options": ["a", "b", "c"], "min": 2, "max": 3},
		{"component": "photo", "id": "pics", "title": "Photos", "min": 1, "required": true},
		{"component": "signature", "id": "sig", "title": "Sign", "required": true},
		{"component": "view", "id": "info", "title": "Info", "type": "image", "value": "https://example.com/a.png"},
		{"component": "bill", "id": "bill", "title": "Bill", "required": true, "masterItems": [{"name": "x"}]},
		{"component": "list", "id": "items", "title": "Items"},
		{"component": "timer", "id": "tmr", "title": "Timer"},
		{"component": "voice", "id": "vo", "title": "Voice"},
		{"component": "capture", "id": "cap", "title": "Capture", "required": true}]},
		{"id": "page1", "components": [{"component": "photo", "id": "proof", "title": "Proof", "required": true}]}]}`

func TestFlowCreateAndRead(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		r := e.must(e.owner("POST", "/flow", flowJSON(t, flowEveryKind)), 201)
		if r.str("message") != "Success" || r.Body["code"] != float64(201) || r.Body["status"] != true {
			t.Fatalf("bad envelope: %s", r.Raw)
		}
		f := r.obj("flow")
		if diff := cmp.Diff(f, r.obj("data")); diff != "" {
			t.Fatalf("flow and data differ (-flow +data):\n%s", diff)
		}
		id, _ := f["_id"].(string)
		if !fieldwork.ValidID(id) || id == "000000000000000000000001" {
			t.Fatalf("_id %q not made by the server", id)
		}
		for k, want := range map[string]any{
			"organizationId": e.OrgID, "name": "Every Kind", "isDefault": true, "orderIndex": float64(3),
			"version": float64(1), "createdBy": "owner@acme.test", "updatedBy": "owner@acme.test",
		} {
			if f[k] != want {
				t.Errorf("%s = %v, want %v", k, f[k], want)
			}
		}
		for _, k := range []string{"createdTime", "updatedTime"} {
			if s, _ := f[k].(string); !flowMicroTime.MatchString(s) {
				t.Errorf("%s = %v, want the form 2006-01-02T15:04:05.000000Z", k, f[k])
			}
		}
		if _, ok := f["deleted_at"]; ok {
			t.Errorf("deleted_at outside a delete answer: %s", r.Raw)
		}
		if r.Header.Get("ETag") != `"1"` {
			t.Errorf("ETag = %q", r.Header.Get("ETag"))
		}

		// Components come back normalized: aliases resolved, official type spellings, defaults,
		// unknown official keys kept.
		pages := f["pages"].([]any)
		page0 := pages[0].(map[string]any)
		if page0["enabled"] != true || page0["title"] != "Create" {
			t.Errorf("page0 = %v", page0)
		}
		comps := page0["components"].([]any)
		byID := map[string]map[string]any{}
		for _, c := range comps {
			m := c.(map[string]any)
			byID[m["id"].(string)] = m
		}
		for _, tt := range []struct {
			id, key string
			want    any
		}{
			{"recipient", "type", "String"},
			{"recipient", "required", true},
			{"recipient", "visible", true},
			{"recipient", "showAs", "title"},
			{"addr", "type", "Address"},
			{"addr", "showAs", "content"},
			{"addr", "required", false},
			{"phone", "type", "PhoneNumber"},
			{"weight", "type", "Numeric"},
			{"weight", "useUnit", true},
			{"at", "type", "Time"},
			{"geo", "showAs", "expectedCoordinate"},
			{"size", "type", "dropdown"},
			{"size", "default", "M"},
			{"extras", "type", "dropdown"},
			{"extras", "min", float64(2)},
			{"info", "type", "Image"},
			{"info", "value", "https://example.com/a.png"},
			{"items", "type", "checkbox"},
		} {
			if got := byID[tt.id][tt.key]; !cmp.Equal(got, tt.want) {
				t.Errorf("%s.%s = %v, want %v", tt.id, tt.key, got, tt.want)
			}
		}
		if _, ok := byID["recipient"]["inputType"]; ok {
			t.Errorf("alias inputType echoed: %v", byID["recipient"])
		}
		if _, ok := byID["recipient"]["isRequired"]; ok {
			t.Errorf("alias isRequired echoed: %v", byID["recipient"])
		}
		if !cmp.Equal(byID["bill"]["masterItems"], []any{map[string]any{"name": "x"}}) {
			t.Errorf("masterItems not kept: %v", byID["bill"])
		}
		confs := f["configurations"].([]any)
		if len(confs) != 3 || !cmp.Equal(confs[2], map[string]any{"id": "dataSource", "source": map[string]any{"url": "https://example.com"}}) {
			t.Errorf("configurations = %v", confs)
		}

		// Reading gives the same object, with ETag.
		g := e.must(e.owner("GET", "/flow/"+id, nil), 200)
		if diff := cmp.Diff(f, g.obj("flow")); diff != "" {
			t.Fatalf("read differs from create (-create +read):\n%s", diff)
		}
		if !cmp.Equal(g.obj("flow"), g.obj("data")) || g.Header.Get("ETag") != `"1"` || g.str("message") != "Success" {
			t.Fatalf("bad read answer: %s %v", g.Raw, g.Header)
		}

		// A minimal flow gets the defaults.
		m := e.must(e.owner("POST", "/flow", map[string]any{"name": "Minimal", "pages": []any{map[string]any{"id": "page0"}}}), 201).obj("flow")
		want := map[string]any{"isDefault": false, "orderIndex": float64(0), "configurations": []any{},
			"pages": []any{map[string]any{"id": "page0", "enabled": true, "components": []any{}}}}
		for k, v := range want {
			if !cmp.Equal(m[k], v) {
				t.Errorf("minimal %s = %v, want %v", k, m[k], v)
			}
		}
	})
}

func TestFlowCreateErrors(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		e.must(e.owner("POST", "/flow", flowSimple("Delivery")), 201)
		comp := func(c string) map[string]any { return flowOnePage(t, "N", c) }
		cases := []struct {
			name       string
			body       any
			status     int
			failedCode string
			field      string // the first fieldErrors path, when wanted
		}{
			{"malformed json", `{"name":`, 400, "req-013", ""},
			{"array body", `[]`, 400, "req-013", ""},
			{"string body", `"flow"`, 400, "req-013", ""},
			{"trailing garbage", `{"name":"a"} x`, 400, "req-013", ""},
			{"empty body", ``, 400, "req-013", ""},
			{"empty object", `{}`, 400, "flow-034", "name"},
			{"missing pages", map[string]any{"name": "X"}, 400, "flow-034", "pages"},
			{"missing name", map[string]any{"pages": []any{map[string]any{"id": "page0"}}}, 400, "flow-034", "name"},
			{"null name", map[string]any{"name": nil, "pages": []any{map[string]any{"id": "page0"}}}, 400, "flow-034", "name"},
			{"blank name", flowSimple("   "), 400, "flow-034", "name"},
			{"long name", flowSimple(strings.Repeat("n", 101)), 400, "flow-034", "name"},
			{"control in name", flowSimple("a\tb"), 400, "flow-034", "name"},
			{"reserved name Handover", flowSimple("handover"), 400, "flow-034", "name"},
			{"reserved name Activity", flowSimple("ACTIVITY"), 400, "flow-034", "name"},
			{"reserved name ActivityWorkflow", flowSimple("ActivityWorkflow"), 400, "flow-034", "name"},
			{"duplicate name", flowSimple("delivery"), 400, "flow-031", "name"},
			{"name wrong type", map[string]any{"name": 5, "pages": []any{}}, 400, "flow-034", "name"},
			{"unknown key", map[string]any{"name": "N", "pages": []any{map[string]any{"id": "page0"}}, "color": "red"}, 400, "flow-034", "color"},
			{"isDefault wrong type", map[string]any{"name": "N", "pages": []any{map[string]any{"id": "page0"}}, "isDefault": "yes"}, 400, "flow-034", "isDefault"},
			{"orderIndex not integer", map[string]any{"name": "N", "pages": []any{map[string]any{"id": "page0"}}, "orderIndex": 1.5}, 400, "flow-034", "orderIndex"},
			{"orderIndex string", map[string]any{"name": "N", "pages": []any{map[string]any{"id": "page0"}}, "orderIndex": "1"}, 400, "flow-034", "orderIndex"},
			{"configurations not array", map[string]any{"name": "N", "pages": []any{map[string]any{"id": "page0"}}, "configurations": map[string]any{}}, 400, "flow-034", "configurations"},
			{"configuration not object", map[string]any{"name": "N", "pages": []any{map[string]any{"id": "page0"}}, "configurations": []any{1}}, 400, "flow-034", "configurations[0]"},
			{"configuration adjustment not number", map[string]any{"name": "N", "pages": []any{map[string]any{"id": "page0"}}, "configurations": []any{map[string]any{"id": "endTime", "adjustment": "x"}}}, 400, "flow-034", "configurations[0].adjustment"},
			{"pages not array", map[string]any{"name": "N", "pages": "page0"}, 400, "flow-034", "pages"},
			{"pages empty", map[string]any{"name": "N", "pages": []any{}}, 400, "flow-034", "pages"},
			{"page not object", map[string]any{"name": "N", "pages": []any{"page0"}}, 400, "flow-034", "pages[0]"},
			{"page id wrong type", map[string]any{"name": "N", "pages": []any{map[string]any{"id": 0}}}, 400, "flow-034", "pages[0].id"},
			{"page enabled wrong type", map[string]any{"name": "N", "pages": []any{map[string]any{"id": "page0", "enabled": "no"}}}, 400, "flow-034", "pages[0].enabled"},
			{"page unknown key", map[string]any{"name": "N", "pages": []any{map[string]any{"id": "page0", "fields": []any{}}}}, 400, "flow-034", "pages[0].fields"},
			{"page components not array", map[string]any{"name": "N", "pages": []any{map[string]any{"id": "page0", "components": "x"}}}, 400, "flow-034", "pages[0].components"},
			{"bad page id", map[string]any{"name": "N", "pages": []any{map[string]any{"id": "first"}}}, 400, "flow-034", "pages[0].id"},
			{"page id leading zero", map[string]any{"name": "N", "pages": []any{map[string]any{"id": "page0"}, map[string]any{"id": "page01"}}}, 400, "flow-034", "pages[1].id"},
			{"duplicate page id", map[string]any{"name": "N", "pages": []any{map[string]any{"id": "page0"}, map[string]any{"id": "page0"}}}, 400, "flow-034", "pages[1].id"},
			{"no page0", map[string]any{"name": "N", "pages": []any{map[string]any{"id": "page1"}}}, 400, "flow-034", "pages"},
			{"structure before components", flowJSON(t, `{"name":"Activity","pages":[{"id":"page0","components":[{"component":"nope","id":"a"}]}]}`), 400, "flow-034", "name"},
			{"component not object", comp(`"input"`), 400, "flow-039", "pages[0].components[0]"},
			{"component null", comp(`null`), 400, "flow-039", "pages[0].components[0]"},
			{"component id wrong type", comp(`{"component":"input","id":5,"title":"A"}`), 400, "flow-039", "pages[0].components[0].id"},
			{"component required wrong type", comp(`{"component":"input","id":"a","title":"A","required":"yes"}`), 400, "flow-039", "pages[0].components[0].required"},
			{"component isRequired wrong type", comp(`{"component":"input","id":"a","title":"A","isRequired":"yes"}`), 400, "flow-039", "pages[0].components[0].required"},
			{"component visible wrong type", comp(`{"component":"input","id":"a","title":"A","visible":1}`), 400, "flow-039", "pages[0].components[0].visible"},
			{"component min wrong type", comp(`{"component":"photo","id":"a","title":"A","min":"1"}`), 400, "flow-039", "pages[0].components[0].min"},
			{"unknown component kind", comp(`{"component":"slider","id":"a","title":"A"}`), 400, "flow-039", "pages[0].components[0].component"},
			{"missing component kind", comp(`{"id":"a","title":"A"}`), 400, "flow-039", "pages[0].components[0].component"},
			{"bad input type", comp(`{"component":"input","id":"a","title":"A","type":"Color"}`), 400, "flow-039", "pages[0].components[0].type"},
			{"bad input type alias", comp(`{"component":"input","id":"a","title":"A","inputType":"Color"}`), 400, "flow-039", "pages[0].components[0].type"},
			{"image on input", comp(`{"component":"input","id":"a","title":"A","type":"Image"}`), 400, "flow-039", "pages[0].components[0].type"},
			{"bad select type", comp(`{"component":"select","id":"a","title":"A","type":"radio","options":["x"]}`), 400, "flow-039", "pages[0].components[0].type"},
			{"select without options", comp(`{"component":"select","id":"a","title":"A"}`), 400, "flow-039", "pages[0].components[0].options"},
			{"select empty options", comp(`{"component":"select","id":"a","title":"A","options":[]}`), 400, "flow-039", "pages[0].components[0].options"},
			{"select options not strings", comp(`{"component":"select","id":"a","title":"A","options":[1,2]}`), 400, "flow-039", "pages[0].components[0].options"},
			{"min above max", comp(`{"component":"photo","id":"a","title":"A","min":3,"max":1}`), 400, "flow-039", "pages[0].components[0].min"},
			{"bad showAs", comp(`{"component":"input","id":"a","title":"A","showAs":"subtitle"}`), 400, "flow-039", "pages[0].components[0].showAs"},
			{"missing component id", comp(`{"component":"input","title":"A"}`), 400, "flow-039", "pages[0].components[0].id"},
			{"bad component id", comp(`{"component":"input","id":"1a","title":"A"}`), 400, "flow-039", "pages[0].components[0].id"},
			{"component id with space", comp(`{"component":"input","id":"a b","title":"A"}`), 400, "flow-039", "pages[0].components[0].id"},
			{"long component id", comp(`{"component":"input","id":"` + strings.Repeat("a", 65) + `","title":"A"}`), 400, "flow-039", "pages[0].components[0].id"},
			{"reserved component id status", comp(`{"component":"input","id":"status","title":"A"}`), 400, "flow-039", "pages[0].components[0].id"},
			{"reserved component id title", comp(`{"component":"input","id":"title","title":"A"}`), 400, "flow-039", "pages[0].components[0].id"},
			{"duplicate component id", comp(`{"component":"input","id":"a","title":"A"},{"component":"photo","id":"a","title":"B"}`), 400, "flow-039", "pages[0].components[1].id"},
			{"duplicate component id across pages", flowJSON(t, `{"name":"N","pages":[{"id":"page0","components":[{"component":"input","id":"a","title":"A"}]},
			{"id":"page1","components":[{"component":"input","id":"a","title":"A"}]}]}`), 400, "flow-039", "pages[1].components[0].id"},
			{"too large", `{"name":"` + strings.Repeat("a", 1<<20) + `"}`, 413, "req-040", ""},
			{"ok", flowSimple("New One"), 201, "", ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				sub := *e
				sub.t = t
				r := sub.owner("POST", "/flow", tc.body)
				if r.Status != tc.status || r.str("failedCode") != tc.failedCode {
					t.Fatalf("status %d %q, want %d %q: %s", r.Status, r.str("failedCode"), tc.status, tc.failedCode, r.Raw)
				}
				if tc.status >= 400 {
					checkErrorEnvelope(t, r)
				}
				if tc.field != "" {
					fes, _ := r.Body["fieldErrors"].([]any)
					if len(fes) == 0 || fes[0].(map[string]any)["field"] != tc.field {
						t.Fatalf("first field = %v, want %q: %s", fes, tc.field, r.Raw)
					}
				}
			})
		}
	})
}

func TestFlowUpdate(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		c := e.must(e.owner("POST", "/flow", map[string]any{"name": "Delivery", "orderIndex": 5, "isDefault": true,
			"configurations": []any{map[string]any{"id": "endTime", "adjustment": 2}},
			"pages":          []any{map[string]any{"id": "page0", "components": []any{map[string]any{"component": "input", "id": "a", "title": "A"}}}}}), 201)
		id := c.obj("flow")["_id"].(string)
		e.must(e.owner("POST", "/flow", flowSimple("Pickup")), 201)
		path := "/flow/" + id
		e.run(t, []apiCase{
			{"put requires name and pages", "PUT", path, "", map[string]any{"name": "X"}, nil, 400, "flow-034"},
			{"put duplicate name", "PUT", path, "", flowSimple("PICKUP"), nil, 400, "flow-031"},
			{"put reserved name", "PUT", path, "", flowSimple("Handover"), nil, 400, "flow-034"},
			{"put bad component", "PUT", path, "", flowOnePage(t, "D", `{"component":"input","id":"hubId","title":"A"}`), nil, 400, "flow-039"},
			{"put unknown key", "PUT", path, "", map[string]any{"name": "D", "pages": []any{map[string]any{"id": "page0"}}, "x": 1}, nil, 400, "flow-034"},
			{"put malformed", "PUT", path, "", `{`, nil, 400, "req-013"},
			{"put malformed id", "PUT", "/flow/nope", "", flowSimple("D"), nil, 404, "flow-033"},
			{"put unknown id", "PUT", "/flow/000000000000000000000000", "", flowSimple("D"), nil, 404, "flow-033"},
			{"put stale if-match", "PUT", path, "", flowSimple("D"), []string{"If-Match", `"2"`}, 412, "etag-032"},
			{"patch unknown id", "PATCH", "/flow/000000000000000000000000", "", map[string]any{"name": "D"}, nil, 404, "flow-033"},
			{"patch duplicate name", "PATCH", path, "", map[string]any{"name": "pickup"}, nil, 400, "flow-031"},
			{"patch bad pages", "PATCH", path, "", map[string]any{"pages": []any{}}, nil, 400, "flow-034"},
			{"patch wrong type", "PATCH", path, "", map[string]any{"orderIndex": "1"}, nil, 400, "flow-034"},
			{"patch bad component", "PATCH", path, "", map[string]any{"pages": []any{map[string]any{"id": "page0", "components": []any{map[string]any{"component": "select", "id": "s", "title": "S"}}}}}, nil, 400, "flow-039"},
		})
		// Failed writes changed nothing.
		if v := e.must(e.owner("GET", path, nil), 200).obj("flow")["version"]; v != float64(1) {
			t.Fatalf("version after failed writes = %v", v)
		}

		// PATCH changes only the keys sent; server-managed keys are ignored.
		p := e.must(e.owner("PATCH", path, map[string]any{"name": "Delivery Express", "version": 40, "createdBy": "evil@x.y"}, "If-Match", `"1"`), 200)
		pf := p.obj("flow")
		if pf["name"] != "Delivery Express" || pf["version"] != float64(2) || pf["orderIndex"] != float64(5) ||
			pf["isDefault"] != true || pf["createdBy"] != "owner@acme.test" || len(pf["configurations"].([]any)) != 1 {
			t.Fatalf("bad patch answer: %s", p.Raw)
		}
		if !cmp.Equal(pf, p.obj("data")) || p.Header.Get("ETag") != `"2"` {
			t.Fatalf("bad patch envelope: %s %v", p.Raw, p.Header)
		}

		// PUT replaces: optional keys not sent fall back to their defaults; the name may change case.
		u := e.must(e.owner("PUT", path, map[string]any{"name": "DELIVERY EXPRESS", "pages": []any{
			map[string]any{"id": "page0", "components": []any{map[string]any{"component": "photo", "id": "pics", "title": "P"}}},
		}}, "If-Match", `"2"`), 200)
		uf := u.obj("flow")
		comps := uf["pages"].([]any)[0].(map[string]any)["components"].([]any)
		if uf["name"] != "DELIVERY EXPRESS" || uf["version"] != float64(3) || uf["orderIndex"] != float64(0) || uf["isDefault"] != false ||
			len(uf["configurations"].([]any)) != 0 || len(comps) != 1 || uf["createdTime"] != c.obj("flow")["createdTime"] {
			t.Fatalf("bad put answer: %s", u.Raw)
		}
		if _, ok := u.Body["property"]; ok {
			t.Fatalf("flow answers carry flow and data, not property: %s", u.Raw)
		}
		g := e.must(e.owner("GET", path, nil), 200)
		if !cmp.Equal(g.obj("flow"), uf) || g.Header.Get("ETag") != `"3"` {
			t.Fatalf("read after put differs: %s", g.Raw)
		}
		// A flow read can be sent back as is.
		back := e.must(e.owner("PUT", path, g.obj("flow")), 200).obj("flow")
		if back["version"] != float64(4) || !cmp.Equal(back["pages"], uf["pages"]) {
			t.Fatalf("round trip changed the flow: %v", back)
		}
	})
}

func TestFlowDelete(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		c := e.must(e.owner("POST", "/flow", flowSimple("Delivery")), 201)
		id := c.obj("flow")["_id"].(string)
		e.run(t, []apiCase{
			{"malformed id", "DELETE", "/flow/123", "", nil, nil, 404, "flow-033"},
			{"unknown id", "DELETE", "/flow/000000000000000000000000", "", nil, nil, 404, "flow-033"},
			{"stale if-match", "DELETE", "/flow/" + id, "", nil, []string{"If-Match", `"7"`}, 412, "etag-032"},
		})

		// A flow a workflow step uses is refused (flow-046) until the workflow is gone.
		ctx := context.Background()
		now := time.Now()
		wf := &fieldwork.Workflow{ID: fieldwork.NewID(now), OrganizationID: e.OrgID, Name: "Uses Delivery",
			Steps:   []fieldwork.Step{{FlowID: id, FlowName: "Delivery", FieldMappings: []fieldwork.FieldMapping{}}},
			Version: 1, CreatedBy: "owner@acme.test", UpdatedBy: "owner@acme.test",
			CreatedTime: fieldwork.NewTime(now), UpdatedTime: fieldwork.NewTime(now)}
		if err := e.Service.Store.Update(ctx, e.OrgID, func(tx fieldwork.Tx) error { return tx.CreateWorkflow(ctx, wf) }); err != nil {
			t.Fatal(err)
		}
		e.run(t, []apiCase{{"used by a workflow", "DELETE", "/flow/" + id, "", nil, nil, 400, "flow-046"}})
		if err := e.Service.Store.Update(ctx, e.OrgID, func(tx fieldwork.Tx) error { return tx.DeleteWorkflow(ctx, wf.ID) }); err != nil {
			t.Fatal(err)
		}

		d := e.must(e.owner("DELETE", "/flow/"+id, nil, "If-Match", `"1"`), 200)
		data := d.obj("data")
		if d.str("message") != "Success" || data["_id"] != id || data["name"] != "Delivery" {
			t.Fatalf("bad delete answer: %s", d.Raw)
		}
		if s, _ := data["deleted_at"].(string); !flowMicroTime.MatchString(s) {
			t.Fatalf("deleted_at = %v", data["deleted_at"])
		}
		e.run(t, []apiCase{
			{"read deleted", "GET", "/flow/" + id, "", nil, nil, 404, "flow-033"},
			{"fields of deleted", "GET", "/flow/Delivery/fields", "", nil, nil, 404, "flow-033"},
			{"delete again", "DELETE", "/flow/" + id, "", nil, nil, 404, "flow-033"},
			{"name free again", "POST", "/flow", "", flowSimple("Delivery"), nil, 201, ""},
		})
	})
}

func TestFlowList(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		for i, name := range []string{"Alpha", "bravo", "Charlie", "Delta Pickup", "Echo pickup"} {
			b := flowSimple(name)
			b["orderIndex"] = i
			e.must(e.owner("POST", "/flow", b), 201)
		}
		names := func(r resp) []string {
			var out []string
			for _, it := range r.obj("flows")["data"].([]any) {
				out = append(out, it.(map[string]any)["name"].(string))
			}
			return out
		}
		for _, tt := range []struct {
			query string
			want  []string
			total float64
		}{
			{"", []string{"Echo pickup", "Delta Pickup", "Charlie", "bravo", "Alpha"}, 5},
			{"?sort_order=asc", []string{"Alpha", "bravo", "Charlie", "Delta Pickup", "Echo pickup"}, 5},
			{"?sort_by=name&sort_order=ASC", []string{"Alpha", "bravo", "Charlie", "Delta Pickup", "Echo pickup"}, 5},
			{"?sortBy=name&sortOrder=desc", []string{"Echo pickup", "Delta Pickup", "Charlie", "bravo", "Alpha"}, 5},
			{"?sort_by=orderIndex&sortBy=name&sort_order=asc", []string{"Alpha", "bravo", "Charlie", "Delta Pickup", "Echo pickup"}, 5},
			{"?sort_by=createdTime&sort_order=asc&limit=2", []string{"Alpha", "bravo"}, 5},
			{"?sort_by=updatedTime&limit=2&page=2", []string{"Charlie", "bravo"}, 5},
			{"?limit=2&page=3", []string{"Alpha"}, 5},
			{"?limit=2&page=9", nil, 5},
			{"?name=BRAVO", []string{"bravo"}, 1},
			{"?name=brav", nil, 0},
			{"?q=PICK&sort_order=asc", []string{"Delta Pickup", "Echo pickup"}, 2},
			{"?q=%25", nil, 0},
			{"?permission=view&q=alpha", []string{"Alpha"}, 1},
		} {
			t.Run(tt.query, func(t *testing.T) {
				sub := *e
				sub.t = t
				r := sub.must(sub.owner("GET", "/flows"+tt.query, nil), 200)
				if got := names(r); !cmp.Equal(got, tt.want) {
					t.Fatalf("names = %v, want %v", got, tt.want)
				}
				if r.obj("flows")["total"] != tt.total {
					t.Fatalf("total = %v, want %v", r.obj("flows")["total"], tt.total)
				}
				if _, ok := r.Body["data"]; ok {
					t.Fatalf("list page duplicated under data: %s", r.Raw)
				}
			})
		}

		// The paginator of SPEC §1.5.
		r := e.must(e.owner("GET", "/flows?limit=2&page=2&sort_order=asc", nil), 200)
		p := r.obj("flows")
		for k, want := range map[string]any{
			"current_page": float64(2), "per_page": float64(2), "from": float64(3), "to": float64(4),
			"last_page": float64(3), "total": float64(5), "path": e.URL + "/api/v3/flows",
		} {
			if p[k] != want {
				t.Errorf("%s = %v, want %v", k, p[k], want)
			}
		}
		next, _ := url.Parse(p["next_page_url"].(string))
		if next.Query().Get("page") != "3" || next.Query().Get("sort_order") != "asc" || next.Query().Get("limit") != "2" {
			t.Errorf("next_page_url = %v", p["next_page_url"])
		}
		if len(p["links"].([]any)) != 5 {
			t.Errorf("links = %v", p["links"])
		}

		// fields keeps the requested keys and _id.
		f := e.must(e.owner("GET", "/flows?fields=name,version&limit=1", nil), 200)
		item := f.obj("flows")["data"].([]any)[0].(map[string]any)
		if len(item) != 3 || item["name"] != "Echo pickup" || item["version"] != float64(1) || item["_id"] == nil {
			t.Errorf("projected item = %v", item)
		}

		e.run(t, []apiCase{
			{"trailing slash", "GET", "/flows/", "", nil, nil, 200, ""},
			{"limit too large", "GET", "/flows?limit=1001", "", nil, nil, 400, "flow-034"},
			{"limit zero", "GET", "/flows?limit=0", "", nil, nil, 400, "flow-034"},
			{"page not a number", "GET", "/flows?page=x", "", nil, nil, 400, "flow-034"},
			{"bad sort_by", "GET", "/flows?sort_by=color", "", nil, nil, 400, "flow-034"},
			{"bad sortBy", "GET", "/flows?sortBy=color", "", nil, nil, 400, "flow-034"},
			{"bad sort_order", "GET", "/flows?sort_order=up", "", nil, nil, 400, "flow-034"},
			{"limit max", "GET", "/flows?limit=1000", "", nil, nil, 200, ""},
			{"no token", "GET", "/flows", "-", nil, nil, 401, "auth-001"},
			{"wrong method", "DELETE", "/flows", "", nil, nil, 405, "req-046"},
		})
	})
}

func TestFlowFields(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		e.must(e.owner("POST", "/flow", flowJSON(t, flowEveryKind)), 201)
		e.must(e.owner("POST", "/flow", flowSimple("Two Words")), 201)
		r := e.must(e.owner("GET", "/flow/every%20KIND/fields", nil), 200)
		if r.str("message") != "Success" {
			t.Fatalf("message %q", r.str("message"))
		}
		if !cmp.Equal(r.Body["flowFields"], r.obj("data")["flowFields"]) || !cmp.Equal(r.Body["reservedKey"], r.obj("data")["reservedKey"]) {
			t.Fatalf("top level and data differ: %s", r.Raw)
		}
		var reserved []string
		for _, k := range r.Body["reservedKey"].([]any) {
			reserved = append(reserved, k.(string))
		}
		if !cmp.Equal(reserved, fieldwork.ReservedTaskKeys) {
			t.Fatalf("reservedKey = %v", reserved)
		}
		items := r.Body["flowFields"].([]any)
		if len(items) != 21 {
			t.Fatalf("%d flowFields, want 21", len(items))
		}
		first, last := items[0].(map[string]any), items[20].(map[string]any)
		if first["id"] != "recipient" || first["page"] != "page0" || first["type"] != "String" || first["required"] != true || first["showAs"] != "title" {
			t.Errorf("first item = %v", first)
		}
		if last["id"] != "proof" || last["page"] != "page1" || last["component"] != "photo" {
			t.Errorf("last item = %v", last)
		}
		for _, it := range items {
			if it.(map[string]any)["id"] == "weight" && it.(map[string]any)["useUnit"] != true {
				t.Errorf("official key lost: %v", it)
			}
		}
		e.run(t, []apiCase{
			{"name with space", "GET", "/flow/Two%20Words/fields", "", nil, nil, 200, ""},
			{"trailing slash", "GET", "/flow/two%20words/fields/", "", nil, nil, 200, ""},
			{"unknown name", "GET", "/flow/Nope/fields", "", nil, nil, 404, "flow-033"},
			{"id is not a name", "GET", "/flow/000000000000000000000000/fields", "", nil, nil, 404, "flow-033"},
			{"no token", "GET", "/flow/Two%20Words/fields", "-", nil, nil, 401, "auth-001"},
			{"wrong method", "POST", "/flow/Two%20Words/fields", "", nil, nil, 405, "req-046"},
		})
	})
}

func TestFlowTaskPayload(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		created := e.must(e.owner("POST", "/flow", flowJSON(t, flowEveryKind)), 201).obj("flow")
		e.run(t, []apiCase{
			{"unknown name", "GET", "/flow/Nope/task", "", nil, nil, 404, "flow-033"},
			{"no token", "GET", "/flow/Every%20Kind/task", "-", nil, nil, 401, "auth-001"},
		})

		// Without hubs the sample's hubId is "".
		r := e.must(e.owner("GET", "/flow/every%20kind/task", nil), 200)
		if r.str("message") != "Success." {
			t.Fatalf("message %q, want %q", r.str("message"), "Success.")
		}
		if _, ok := r.obj("data")["bodyRequest"].(map[string]any)["hubId"]; !ok || r.obj("data")["flowName"] != "Every Kind" {
			t.Fatalf("bad payload: %s", r.Raw)
		}

		// With hubs: the first the caller may access.
		hub := func(name string) string {
			return e.must(e.owner("POST", "/hub", map[string]any{"name": name, "address": "a", "lat": 1, "lng": 2}), 200).obj("data")["_id"].(string)
		}
		bandung, jakarta := hub("Bandung"), hub("Jakarta")
		planner := flowTestUser(t, e, fieldwork.RolePlanner, "planner@acme.test", jakarta)
		for _, tt := range []struct {
			name, token, hubID string
		}{
			{"owner sees every hub", e.Token, bandung},
			{"planner limited to Jakarta", planner, jakarta},
		} {
			t.Run(tt.name, func(t *testing.T) {
				sub := *e
				sub.t = t
				r := sub.must(sub.do("GET", "/flow/Every%20Kind/task", tt.token, nil), 200)
				data := r.obj("data")
				body := data["bodyRequest"].(map[string]any)
				if body["hubId"] != tt.hubID || body["flow"] != "Every Kind" {
					t.Fatalf("bodyRequest = %v", body)
				}
				var fields []string
				for _, f := range data["flowFields"].([]any) {
					m := f.(map[string]any)
					fields = append(fields, m["field"].(string))
					if m["field"] == "size" && !cmp.Equal(m["format"], []any{"S", "M", "L"}) {
						t.Errorf("select format = %v", m["format"])
					}
					if m["field"] == "weight" && m["format"] != nil {
						t.Errorf("input format = %v", m["format"])
					}
				}
				want := []string{"hubId", "flow", "startTime", "endTime", "recipient", "addr", "phone", "site", "weight", "price",
					"day", "when", "at", "geo", "size", "extras", "pics", "sig", "bill", "items", "tmr", "vo", "cap"}
				if !cmp.Equal(fields, want) {
					t.Fatalf("flowFields = %v, want %v", fields, want)
				}
				// startTime and endTime follow the configurations (1 and 48 hours).
				start, err1 := time.Parse("2006-01-02 15:04:05", body["startTime"].(string))
				end, err2 := time.Parse("2006-01-02 15:04:05", body["endTime"].(string))
				if err1 != nil || err2 != nil || end.Sub(start) != 47*time.Hour {
					t.Fatalf("startTime %v endTime %v", body["startTime"], body["endTime"])
				}
				if body["size"] != "M" {
					t.Errorf("size sample %v, want the default M", body["size"])
				}

				// bodyRequest is accepted by the flow's own rules.
				raw, _ := json.Marshal(created)
				var flow fieldwork.Flow
				if err := json.Unmarshal(raw, &flow); err != nil {
					t.Fatal(err)
				}
				values := map[string]json.RawMessage{}
				for k, v := range body {
					values[k], _ = json.Marshal(v)
				}
				if _, errs := flow.CheckValues(values, ""); len(errs) > 0 {
					t.Fatalf("CheckValues rejects bodyRequest: %v", errs)
				}
				if errs := flow.MissingRequired(values, func(p string) bool { return p == "page0" }, ""); len(errs) > 0 {
					t.Fatalf("MissingRequired rejects bodyRequest: %v", errs)
				}

				// And POST /task takes it as it is, showAs copies included.
				task := sub.must(sub.do("POST", "/task", tt.token, body), 201).obj("task")
				if task["flow"] != "Every Kind" || task["hubId"] != tt.hubID || task["recipient"] != "Sample Recipient" ||
					task["title"] != "Sample Recipient" || task["content"] != "1 Sample Street" || task["expectedCoordinate"] != "-6.2,106.8" {
					t.Fatalf("task created from bodyRequest: %v", task)
				}
			})
		}
	})
}

func TestFlowPermissions(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		id := e.must(e.owner("POST", "/flow", flowSimple("Delivery")), 201).obj("flow")["_id"].(string)
		admin := flowTestUser(t, e, fieldwork.RoleAdmin, "admin@acme.test")
		planner := flowTestUser(t, e, fieldwork.RolePlanner, "planner@acme.test")
		field := flowTestUser(t, e, fieldwork.RoleFieldUser, "field@acme.test")
		var cases []apiCase
		for _, u := range []struct{ role, token string }{{"planner", planner}, {"field user", field}} {
			cases = append(cases,
				apiCase{u.role + " lists", "GET", "/flows", u.token, nil, nil, 200, ""},
				apiCase{u.role + " reads", "GET", "/flow/" + id, u.token, nil, nil, 200, ""},
				apiCase{u.role + " reads fields", "GET", "/flow/Delivery/fields", u.token, nil, nil, 200, ""},
				apiCase{u.role + " reads task payload", "GET", "/flow/Delivery/task", u.token, nil, nil, 200, ""},
				apiCase{u.role + " creates", "POST", "/flow", u.token, flowSimple("Other"), nil, 403, "auth-003"},
				apiCase{u.role + " creates invalid", "POST", "/flow", u.token, map[string]any{}, nil, 403, "auth-003"},
				apiCase{u.role + " puts", "PUT", "/flow/" + id, u.token, flowSimple("Other"), nil, 403, "auth-003"},
				apiCase{u.role + " patches", "PATCH", "/flow/" + id, u.token, map[string]any{"name": "Other"}, nil, 403, "auth-003"},
				apiCase{u.role + " deletes", "DELETE", "/flow/" + id, u.token, nil, nil, 403, "auth-003"},
			)
		}
		cases = append(cases,
			apiCase{"admin creates", "POST", "/flow", admin, flowSimple("By Admin"), nil, 201, ""},
			apiCase{"admin patches", "PATCH", "/flow/" + id, admin, map[string]any{"orderIndex": 2}, nil, 200, ""},
		)
		e.run(t, cases)
		g := e.must(e.owner("GET", "/flow/"+id, nil), 200).obj("flow")
		if g["name"] != "Delivery" || g["updatedBy"] != "admin@acme.test" || g["createdBy"] != "owner@acme.test" {
			t.Fatalf("after permission checks: %v", g)
		}
		e.must(e.do("DELETE", "/flow/"+id, admin, nil), 200)
	})
}

func TestFlowOtherOrganization(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		e := newEnv(t)
		id := e.must(e.owner("POST", "/flow", flowSimple("Secret")), 201).obj("flow")["_id"].(string)
		_, _, other, err := e.Service.CreateOrganization(context.Background(), "Other", "boss@other.test", "")
		if err != nil {
			t.Fatal(err)
		}
		e.run(t, []apiCase{
			{"read", "GET", "/flow/" + id, other, nil, nil, 404, "flow-033"},
			{"put", "PUT", "/flow/" + id, other, flowSimple("Mine"), nil, 404, "flow-033"},
			{"patch", "PATCH", "/flow/" + id, other, map[string]any{"name": "Mine"}, nil, 404, "flow-033"},
			{"delete", "DELETE", "/flow/" + id, other, nil, nil, 404, "flow-033"},
			{"fields", "GET", "/flow/Secret/fields", other, nil, nil, 404, "flow-033"},
			{"task payload", "GET", "/flow/Secret/task", other, nil, nil, 404, "flow-033"},
			{"same name is free there", "POST", "/flow", other, flowSimple("Secret"), nil, 201, ""},
		})
		r := e.must(e.do("GET", "/flows", other, nil), 200)
		items := r.obj("flows")["data"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["_id"] == id {
			t.Fatalf("other organization sees: %s", r.Raw)
		}
		if e.must(e.owner("GET", "/flow/"+id, nil), 200).obj("flow")["name"] != "Secret" {
			t.Fatal("flow changed by another organization")
		}
	})
}
