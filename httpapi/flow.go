package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/fieldwork-dev/fieldwork"
)

// flowRoutes registers the routes of SPEC §4.
func (s *Server) flowRoutes() {
	handle(s, op("GET", "/flows", "listFlows", "Flows"), s.listFlows)
	create := withBody[flowBody](s, op("POST", "/flow", "createFlow", "Flows"))
	create.DefaultStatus = http.StatusCreated
	handle(s, create, s.createFlow)
	handle(s, op("GET", "/flow/{flowId}", "getFlow", "Flows"), s.getFlow)
	handle(s, withBody[flowBody](s, op("PUT", "/flow/{flowId}", "replaceFlow", "Flows")), s.putFlow)
	handle(s, withBody[flowBody](s, op("PATCH", "/flow/{flowId}", "updateFlow", "Flows")), s.patchFlow)
	handle(s, op("DELETE", "/flow/{flowId}", "deleteFlow", "Flows"), s.deleteFlow)
	handle(s, op("GET", "/flow/{flowName}/fields", "getFlowFields", "Flows"), s.getFlowFields)
	handle(s, op("GET", "/flow/{flowName}/task", "getFlowTaskPayload", "Flows"), s.getFlowTaskPayload)
}

// flowBody documents the body of POST, PUT and PATCH /flow (OpenAPI); decodeFlowBody reads it.
type flowBody struct {
	Name           *string           `json:"name,omitempty"`
	Pages          []fieldwork.Page  `json:"pages,omitempty"`
	Configurations []json.RawMessage `json:"configurations,omitempty"`
	IsDefault      *bool             `json:"isDefault,omitempty"`
	OrderIndex     *int              `json:"orderIndex,omitempty"`
}

// flowIgnoredKeys are the server-managed keys a flow body may carry (a flow read and sent
// back); they are dropped (SPEC §4).
var flowIgnoredKeys = []string{"_id", "organizationId", "version", "createdBy", "updatedBy", "createdTime", "updatedTime", "deleted_at"}

// flowBodyKeys are the keys a flow body may set.
var flowBodyKeys = []string{"name", "pages", "configurations", "isDefault", "orderIndex"}

// flowPageKeys are the keys of a page object; pages have a fixed shape.
var flowPageKeys = []string{"id", "title", "enabled", "components"}

// Failed codes of flow bodies: the structure and the components (SPEC §11).
const (
	flowStructure = "flow-034"
	flowComponent = "flow-039"
)

// decodeFlowBody reads a flow body into a FlowInput. Every problem is a 400 with a field path:
// flow-034 for the flow's and the pages' own keys (wrong JSON type, unknown key), flow-039 for a
// component that is not an object or has a key of the wrong JSON type; structure problems are
// reported first, as ValidateFlow does. A JSON null counts as a key not sent.
func decodeFlowBody(body []byte) (fieldwork.FlowInput, error) {
	var in fieldwork.FlowInput
	body, err := rawObject(body)
	if err != nil {
		return in, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return in, errMalformed
	}
	var structure, comps fieldwork.FieldErrors
	for _, k := range flowSortedKeys(m) {
		if !slices.Contains(flowBodyKeys, k) && !slices.Contains(flowIgnoredKeys, k) {
			structure.Add(k, "is not allowed")
		}
	}
	if raw, ok := flowKey(m, "name"); ok {
		var name string
		if json.Unmarshal(raw, &name) != nil {
			structure.Add("name", "must be a string")
		}
		in.Name = &name
	}
	if raw, ok := flowKey(m, "pages"); ok {
		pages := decodePages(raw, &structure, &comps)
		in.Pages = &pages
	}
	if raw, ok := flowKey(m, "configurations"); ok {
		var confs []json.RawMessage
		if !flowIsArray(raw) || json.Unmarshal(raw, &confs) != nil {
			structure.Add("configurations", "must be an array")
		}
		if confs == nil {
			confs = []json.RawMessage{}
		}
		in.Configurations = &confs
	}
	if raw, ok := flowKey(m, "isDefault"); ok {
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			structure.Add("isDefault", "must be a boolean")
		}
		in.IsDefault = &b
	}
	if raw, ok := flowKey(m, "orderIndex"); ok {
		n, err := strconv.Atoi(string(raw))
		if err != nil {
			structure.Add("orderIndex", "must be an integer")
		}
		in.OrderIndex = &n
	}
	if err := structure.Err(flowStructure); err != nil {
		return in, err
	}
	return in, comps.Err(flowComponent)
}

// decodePages reads the pages array; each page is a fixed-shape object whose components are
// read by fieldwork.Component (which keeps their unknown official keys).
func decodePages(raw json.RawMessage, structure, comps *fieldwork.FieldErrors) []fieldwork.Page {
	var items []json.RawMessage
	if !flowIsArray(raw) || json.Unmarshal(raw, &items) != nil {
		structure.Add("pages", "must be an array")
		return nil
	}
	pages := make([]fieldwork.Page, 0, len(items))
	for i, item := range items {
		path := fieldwork.Path("pages", i)
		var m map[string]json.RawMessage
		if !flowIsObject(item) || json.Unmarshal(item, &m) != nil {
			structure.Add(path, "must be an object")
			continue
		}
		var p fieldwork.Page
		for _, k := range flowSortedKeys(m) {
			if !slices.Contains(flowPageKeys, k) {
				structure.Add(fieldwork.Path(path, k), "is not allowed")
			}
		}
		if v, ok := flowKey(m, "id"); ok && json.Unmarshal(v, &p.ID) != nil {
			structure.Add(fieldwork.Path(path, "id"), "must be a string")
		}
		if v, ok := flowKey(m, "title"); ok && json.Unmarshal(v, &p.Title) != nil {
			structure.Add(fieldwork.Path(path, "title"), "must be a string")
		}
		if v, ok := flowKey(m, "enabled"); ok && json.Unmarshal(v, &p.Enabled) != nil {
			structure.Add(fieldwork.Path(path, "enabled"), "must be a boolean")
		}
		if v, ok := flowKey(m, "components"); ok {
			var list []json.RawMessage
			if !flowIsArray(v) || json.Unmarshal(v, &list) != nil {
				structure.Add(fieldwork.Path(path, "components"), "must be an array")
			}
			p.Components = make([]fieldwork.Component, 0, len(list))
			for j, cr := range list {
				p.Components = append(p.Components, decodeComponent(cr, fieldwork.Path(path, "components", j), comps))
			}
		}
		pages = append(pages, p)
	}
	return pages
}

// decodeComponent reads one component; a key of the wrong JSON type is reported at its path.
func decodeComponent(raw json.RawMessage, path string, comps *fieldwork.FieldErrors) fieldwork.Component {
	var c fieldwork.Component
	if !flowIsObject(raw) {
		comps.Add(path, "must be an object")
		return c
	}
	if err := c.UnmarshalJSON(raw); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			comps.Add(fieldwork.Path(path, te.Field), "must be %s", flowTypeWord(te.Type))
		} else {
			comps.Add(path, "must be an object")
		}
	}
	return c
}

// flowTypeWord names the JSON type a Go type reads ("a string", "a boolean", "a number").
func flowTypeWord(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "of another type"
	}
	return jsonKind(t.Kind().String())
}

// flowKey returns m[key] unless it is absent or null.
func flowKey(m map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	v, ok := m[key]
	if !ok || string(v) == "null" {
		return nil, false
	}
	return v, true
}

// flowSortedKeys returns m's keys sorted, so problems are reported in a stable order.
func flowSortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func flowIsArray(raw json.RawMessage) bool  { return len(raw) > 0 && raw[0] == '[' }
func flowIsObject(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '{' }

// FlowAnswer answers with one flow under `flow` and `data` (SPEC §4).
type FlowAnswer struct {
	Envelope
	Flow *fieldwork.Flow `json:"flow"`
	Data *fieldwork.Flow `json:"data"`
}

// FlowListAnswer answers GET /flows: the paginator under `flows` only (SPEC §1.2).
type FlowListAnswer struct {
	Envelope
	Flows Paginator[any] `json:"flows"`
}

// FlowFieldsData is the payload of GET /flow/{flowName}/fields.
type FlowFieldsData struct {
	FlowFields  []fieldwork.FlowField `json:"flowFields"`
	ReservedKey []string              `json:"reservedKey"`
}

// FlowFieldsAnswer answers GET /flow/{flowName}/fields: the payload at the top level and
// under `data`.
type FlowFieldsAnswer struct {
	Envelope
	FlowFieldsData
	Data FlowFieldsData `json:"data"`
}

type flowCreate struct {
	RawBody []byte
}

type flowPath struct {
	FlowID  string `path:"flowId"`
	IfMatch string `header:"If-Match"`
}

type flowWrite struct {
	FlowID  string `path:"flowId"`
	IfMatch string `header:"If-Match"`
	RawBody []byte
}

type flowNamePath struct {
	FlowName string `path:"flowName"`
}

type flowList struct {
	Page       string `query:"page"`
	Limit      string `query:"limit"`
	SortBy     string `query:"sort_by"`
	SortOrder  string `query:"sort_order"`
	SortByX    string `query:"sortBy"`
	SortOrderX string `query:"sortOrder"`
	Fields     string `query:"fields"`
	Permission string `query:"permission"` // accepted, ignored (SPEC §4)
	Name       string `query:"name"`
	Q          string `query:"q"`
}

// listFlows answers GET /flows. An invalid query is 400 flow-034: the flow catalog has no
// query code of its own, and flow-034 is its "invalid structure" code (decided).
func (s *Server) listFlows(ctx context.Context, c *fieldwork.Caller, in *flowList) (*Out[FlowListAnswer], error) {
	page, limit, err := paging(in.Page, in.Limit, 20, 1000, flowStructure)
	if err != nil {
		return nil, err
	}
	f := fieldwork.FlowFilter{Offset: (page - 1) * limit, Limit: limit}
	if in.Name != "" {
		f.Name = &in.Name
	}
	if in.Q != "" {
		f.Q = &in.Q
	}
	// The official snake_case keys win over the camelCase aliases (extension).
	sortKey, sortBy := "sort_by", in.SortBy
	if sortBy == "" && in.SortByX != "" {
		sortKey, sortBy = "sortBy", in.SortByX
	}
	orderKey, sortOrder := "sort_order", in.SortOrder
	if sortOrder == "" && in.SortOrderX != "" {
		orderKey, sortOrder = "sortOrder", in.SortOrderX
	}
	var fe fieldwork.FieldErrors
	f.SortBy = oneOf(&fe, sortKey, sortBy, "orderIndex", "orderIndex", "name", "createdTime", "updatedTime")
	f.SortOrder = oneOf(&fe, orderKey, strings.ToLower(sortOrder), "desc", "desc", "asc")
	if err := fe.Err(flowStructure); err != nil {
		return nil, err
	}
	flows, total, err := s.Service.FindFlows(ctx, c, f)
	if err != nil {
		return nil, err
	}
	items := project(flows, in.Fields)
	return reply(http.StatusOK, FlowListAnswer{envelope(200, msgSuccess), newPaginator(ctx, items, page, limit, total)}), nil
}

func (s *Server) createFlow(ctx context.Context, c *fieldwork.Caller, in *flowCreate) (*Out[FlowAnswer], error) {
	body, err := decodeFlowBody(in.RawBody)
	if err != nil {
		return nil, err
	}
	f, err := s.Service.CreateFlow(ctx, c, body)
	if err != nil {
		return nil, err
	}
	out := reply(http.StatusCreated, FlowAnswer{envelope(http.StatusCreated, msgSuccess), f, f})
	out.ETag = etag(f.Version)
	return out, nil
}

func (s *Server) getFlow(ctx context.Context, c *fieldwork.Caller, in *flowPath) (*Out[FlowAnswer], error) {
	f, err := s.Service.FindFlow(ctx, c, in.FlowID)
	if err != nil {
		return nil, err
	}
	out := reply(http.StatusOK, FlowAnswer{envelope(200, msgSuccess), f, f})
	out.ETag = etag(f.Version)
	return out, nil
}

func (s *Server) putFlow(ctx context.Context, c *fieldwork.Caller, in *flowWrite) (*Out[FlowAnswer], error) {
	return s.writeFlow(ctx, c, in, true)
}

func (s *Server) patchFlow(ctx context.Context, c *fieldwork.Caller, in *flowWrite) (*Out[FlowAnswer], error) {
	return s.writeFlow(ctx, c, in, false)
}

func (s *Server) writeFlow(ctx context.Context, c *fieldwork.Caller, in *flowWrite, full bool) (*Out[FlowAnswer], error) {
	body, err := decodeFlowBody(in.RawBody)
	if err != nil {
		return nil, err
	}
	f, err := s.Service.UpdateFlow(ctx, c, in.FlowID, body, full, ifMatch(in.IfMatch))
	if err != nil {
		return nil, err
	}
	out := reply(http.StatusOK, FlowAnswer{envelope(200, msgSuccess), f, f})
	out.ETag = etag(f.Version)
	return out, nil
}

func (s *Server) deleteFlow(ctx context.Context, c *fieldwork.Caller, in *flowPath) (*Out[DataBody[*fieldwork.Flow]], error) {
	f, err := s.Service.DeleteFlow(ctx, c, in.FlowID, ifMatch(in.IfMatch))
	if err != nil {
		return nil, err
	}
	return reply(http.StatusOK, DataBody[*fieldwork.Flow]{envelope(200, msgSuccess), f}), nil
}

func (s *Server) getFlowFields(ctx context.Context, c *fieldwork.Caller, in *flowNamePath) (*Out[FlowFieldsAnswer], error) {
	f, err := s.Service.FindFlowByName(ctx, c, in.FlowName)
	if err != nil {
		return nil, err
	}
	d := FlowFieldsData{FlowFields: f.Fields(), ReservedKey: fieldwork.ReservedTaskKeys}
	return reply(http.StatusOK, FlowFieldsAnswer{envelope(200, msgSuccess), d, d}), nil
}

func (s *Server) getFlowTaskPayload(ctx context.Context, c *fieldwork.Caller, in *flowNamePath) (*Out[DataBody[fieldwork.FlowPayload]], error) {
	p, err := s.Service.FlowTaskPayload(ctx, c, in.FlowName)
	if err != nil {
		return nil, err
	}
	return reply(http.StatusOK, DataBody[fieldwork.FlowPayload]{envelope(200, msgSuccessDot), p}), nil
}
