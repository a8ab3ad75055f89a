package fieldwork

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ReservedTaskKeys are the task keys no component id may use (SPEC §5.1), in the order
// `GET /flow/{flowName}/fields` returns them as `reservedKey`. Do not modify.
var ReservedTaskKeys = []string{
	"_id", "organizationId", "organization", "flow", "flowId", "hubId", "hub", "status",
	"subStatus", "taskType", "parentId", "subId", "workflowId", "workflow", "stepOrder", "title",
	"content", "label", "expectedCoordinate", "assignee", "assignedTo", "assignedBy",
	"assignedTime", "doneBy", "doneTime", "doneCoordinate", "doneFrom", "startTime", "endTime",
	"orderIndex", "createdFrom", "createdBy", "updatedBy", "createdTime", "updatedTime", "version",
	"refId", "histories", "isDeleted", "Handover",
	// Official routing and mobile keys.
	"openTaskTime", "waitingTime", "travelDuration", "duration", "distance", "eta", "etd",
	"assignedVehicleId", "assignedVehicle", "routePlannedOrder", "createdCoordinate", "isSample",
	"expectedDoneTime", "geoLock", "geoLockTrigger", "idLocal", "idleDuration", "useGeoLock",
	"syncedTime", "routingResultId", "parentTaskId", "autoSplit", "splitNumber", "useVisitGroup",
	"visitGroup", "visitGroupPriority", "appVersion", "deviceInformation", "automationRefId",
	"automationRefType",
}

var flowReservedKeySet = func() map[string]bool {
	m := make(map[string]bool, len(ReservedTaskKeys))
	for _, k := range ReservedTaskKeys {
		m[k] = true
	}
	return m
}()

// IsReservedTaskKey reports whether k is one of ReservedTaskKeys (exact, case-sensitive match).
func IsReservedTaskKey(k string) bool { return flowReservedKeySet[k] }

// The 10 component kinds (SPEC §4).
const (
	KindInput     = "input"
	KindSelect    = "select"
	KindPhoto     = "photo"
	KindSignature = "signature"
	KindView      = "view"
	KindBill      = "bill"
	KindList      = "list"
	KindTimer     = "timer"
	KindVoice     = "voice"
	KindCapture   = "capture"
)

// ComponentKinds lists the component kinds in their documented order.
var ComponentKinds = []string{
	KindInput, KindSelect, KindPhoto, KindSignature, KindView, KindBill, KindList, KindTimer,
	KindVoice, KindCapture,
}

// Input (and view) types in their official spelling.
const (
	TypeString      = "String"
	TypeAddress     = "Address"
	TypePhoneNumber = "PhoneNumber"
	TypeURL         = "URL"
	TypeNumeric     = "Numeric"
	TypeCurrency    = "Currency"
	TypeDate        = "Date"
	TypeDatetime    = "Datetime"
	TypeTime        = "Time"
	TypeGeolocation = "Geolocation"
	TypeImage       = "Image"    // view only
	TypeDropdown    = "dropdown" // select
	TypeCheckbox    = "checkbox" // list
)

// InputTypes lists the input types in their official spelling.
var InputTypes = []string{
	TypeString, TypeAddress, TypePhoneNumber, TypeURL, TypeNumeric, TypeCurrency, TypeDate,
	TypeDatetime, TypeTime, TypeGeolocation,
}

// flowInputTypes maps a lower-cased type spelling to its official form.
var flowInputTypes = func() map[string]string {
	m := map[string]string{"text": TypeString, "number": TypeNumeric, "phone": TypePhoneNumber}
	for _, t := range InputTypes {
		m[strings.ToLower(t)] = t
	}
	return m
}()

// ShowAsTargets are the task keys a component's value may be copied to.
var ShowAsTargets = []string{"title", "content", "label", "expectedCoordinate"}

// Reserved flow names (case-insensitive).
var flowReservedNames = []string{"Handover", "Activity", "ActivityWorkflow"}

// Failed codes of flow validation (SPEC §11).
const (
	codeFlowStructure = "flow-034"
	codeFlowComponent = "flow-039"
)

// ValidateFlow checks f's name, pages, components and configurations and normalizes them in
// place: the name is trimmed, page0 gets enabled=true when absent, nil component and
// configuration lists become empty, component kinds are lower-cased, types take their official
// spelling (input and view default String, select dropdown, list checkbox), showAs its official
// spelling ("" = absent) and visible defaults to true.
//
// Problems with the name, the pages or the configurations are returned as one flow-034 error;
// only when there are none, problems with components are returned as one flow-039 error. Each
// lists every problem found. f is normalized as far as it could be even when an error is
// returned.
func ValidateFlow(f *Flow) error {
	var structural, comps FieldErrors

	f.Name = strings.TrimSpace(f.Name)
	switch n := utf8.RuneCountInString(f.Name); {
	case n == 0:
		structural.Add("name", "is required")
	case n > 100:
		structural.Add("name", "must be at most 100 characters")
	default:
		for _, r := range flowReservedNames {
			if strings.EqualFold(f.Name, r) {
				structural.Add("name", "%s is a reserved name", r)
			}
		}
	}

	if len(f.Pages) == 0 {
		structural.Add("pages", "must have at least one page")
	}
	pageIDs := map[string]bool{}
	componentIDs := map[string]bool{}
	for i := range f.Pages {
		p := &f.Pages[i]
		switch {
		case !flowValidPageID(p.ID):
			structural.Add(Path("pages", i, "id"), "must be page0, page1, ...")
		case pageIDs[p.ID]:
			structural.Add(Path("pages", i, "id"), "%s is used by another page", p.ID)
		}
		pageIDs[p.ID] = true
		if p.ID == "page0" && p.Enabled == nil {
			enabled := true
			p.Enabled = &enabled
		}
		if p.Components == nil {
			p.Components = []Component{}
		}
		for j := range p.Components {
			flowValidateComponent(&p.Components[j], Path("pages", i, "components", j), componentIDs, &comps)
		}
	}
	if len(f.Pages) > 0 && !pageIDs["page0"] {
		structural.Add("pages", "must include page0")
	}

	if f.Configurations == nil {
		f.Configurations = []json.RawMessage{}
	}
	for i, raw := range f.Configurations {
		id, adj, isObject := flowConfigItem(raw)
		switch {
		case !isObject:
			structural.Add(Path("configurations", i), "must be an object")
		case (id == "startTime" || id == "endTime") && adj == nil:
			structural.Add(Path("configurations", i, "adjustment"), "must be a number of hours")
		}
	}

	if len(structural) > 0 {
		return structural.Err(codeFlowStructure)
	}
	return comps.Err(codeFlowComponent)
}

// flowValidPageID reports whether id is "page<n>" with n a decimal number without leading zeros.
func flowValidPageID(id string) bool {
	n, ok := strings.CutPrefix(id, "page")
	if !ok || n == "" || len(n) > 1 && n[0] == '0' {
		return false
	}
	for i := 0; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return false
		}
	}
	return true
}

// flowValidComponentID reports whether id matches [A-Za-z][A-Za-z0-9_-]*.
func flowValidComponentID(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if i == 0 && !letter || !letter && !(c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return id != ""
}

// flowValidateComponent checks and normalizes one component at path; ids collects the ids seen.
func flowValidateComponent(c *Component, path string, ids map[string]bool, errs *FieldErrors) {
	c.Component = strings.ToLower(strings.TrimSpace(c.Component))
	switch {
	case c.Component == "":
		errs.Add(Path(path, "component"), "is required")
	case !slices.Contains(ComponentKinds, c.Component):
		errs.Add(Path(path, "component"), "must be one of: %s", strings.Join(ComponentKinds, ", "))
	}

	switch {
	case c.ID == "":
		errs.Add(Path(path, "id"), "is required")
	case len(c.ID) > 64:
		errs.Add(Path(path, "id"), "must be at most 64 characters")
	case !flowValidComponentID(c.ID):
		errs.Add(Path(path, "id"), "must start with a letter and contain only letters, digits, _ and -")
	case IsReservedTaskKey(c.ID):
		errs.Add(Path(path, "id"), "%s is a reserved task key", c.ID)
	case ids[c.ID]:
		errs.Add(Path(path, "id"), "%s is used by another component", c.ID)
	}
	ids[c.ID] = true

	typ := strings.TrimSpace(c.Type)
	switch c.Component {
	case KindInput, KindView:
		if typ == "" {
			c.Type = TypeString
		} else if t, ok := flowInputTypes[strings.ToLower(typ)]; ok {
			c.Type = t
		} else if c.Component == KindView && strings.EqualFold(typ, TypeImage) {
			c.Type = TypeImage
		} else {
			allowed := InputTypes
			if c.Component == KindView {
				allowed = append(slices.Clip(InputTypes), TypeImage)
			}
			errs.Add(Path(path, "type"), "must be one of: %s", strings.Join(allowed, ", "))
		}
	case KindSelect, KindList:
		want := TypeDropdown
		if c.Component == KindList {
			want = TypeCheckbox
		}
		if typ == "" || strings.EqualFold(typ, want) {
			c.Type = want
		} else {
			errs.Add(Path(path, "type"), "must be %s", want)
		}
	}

	if c.Component == KindSelect {
		if opts, ok := c.OptionStrings(); !ok || len(opts) == 0 {
			errs.Add(Path(path, "options"), "must be a non-empty list of strings")
		}
	}
	if c.Min != nil && c.Max != nil && *c.Min > *c.Max {
		errs.Add(Path(path, "min"), "must not be greater than max")
	}
	if c.ShowAs != nil {
		if *c.ShowAs == "" {
			c.ShowAs = nil
		} else if i := slices.IndexFunc(ShowAsTargets, func(t string) bool { return strings.EqualFold(t, *c.ShowAs) }); i >= 0 {
			target := ShowAsTargets[i]
			c.ShowAs = &target
		} else {
			errs.Add(Path(path, "showAs"), "must be one of: %s", strings.Join(ShowAsTargets, ", "))
		}
	}
	if c.Visible == nil {
		visible := true
		c.Visible = &visible
	}
}

// flowConfigItem reads one configurations item: its id, its adjustment when that is a JSON number,
// and whether it is a JSON object at all.
func flowConfigItem(raw json.RawMessage) (id string, adjustment *float64, isObject bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return "", nil, false
	}
	_ = json.Unmarshal(m["id"], &id)
	if a := bytes.TrimSpace(m["adjustment"]); len(a) > 0 && compJSONKind(a) == "number" {
		var v float64
		if json.Unmarshal(a, &v) == nil {
			adjustment = &v
		}
	}
	return id, adjustment, true
}

// FindComponent returns the component with the given id (a pointer into f.Pages) and the id of
// its page.
func (f *Flow) FindComponent(id string) (c *Component, pageID string, ok bool) {
	for i := range f.Pages {
		for j := range f.Pages[i].Components {
			if f.Pages[i].Components[j].ID == id {
				return &f.Pages[i].Components[j], f.Pages[i].ID, true
			}
		}
	}
	return nil, "", false
}

// Adjustments returns the hours added to the creation time for a task's default startTime and
// endTime: the startTime and endTime configurations, else 0 and 24.
func (f *Flow) Adjustments() (startHours, endHours float64) {
	startHours, endHours = 0, 24
	for _, raw := range f.Configurations {
		id, adj, _ := flowConfigItem(raw)
		if adj == nil {
			continue
		}
		switch id {
		case "startTime":
			startHours = *adj
		case "endTime":
			endHours = *adj
		}
	}
	return startHours, endHours
}

// components calls fn for every component of every page, in page order.
func (f *Flow) components(fn func(c *Component, pageID string)) {
	for i := range f.Pages {
		for j := range f.Pages[i].Components {
			fn(&f.Pages[i].Components[j], f.Pages[i].ID)
		}
	}
}

// CheckValues checks the values sent for the flow's components (SPEC §4, accepted values) and
// returns them normalized: numbers for Numeric and Currency, Datetime in the task form
// "2006-01-02T15:04:05+00:00", everything else as given. Keys that are not component ids are
// ignored and not returned. JSON null clears a value and is returned as null. An empty string
// is accepted as "no value" by every input type, select and signature (returned as null for
// Numeric and Currency, as "" otherwise), and an empty array by select and photo. A view
// component never accepts a value. Problems are reported at Path(prefix, key), in the flow's
// component order. Required components are not checked here (see MissingRequired).
func (f *Flow) CheckValues(values map[string]json.RawMessage, prefix string) (map[string]json.RawMessage, FieldErrors) {
	out := make(map[string]json.RawMessage)
	var errs FieldErrors
	f.components(func(c *Component, _ string) {
		raw, ok := values[c.ID]
		if !ok {
			return
		}
		if v, ok := flowCheckValue(c, raw, Path(prefix, c.ID), &errs); ok {
			out[c.ID] = v
		}
	})
	return out, errs
}

// flowCheckValue checks one value of component c and returns its normalized form; ok is false when
// it is invalid (the problems are added to errs).
func flowCheckValue(c *Component, raw json.RawMessage, path string, errs *FieldErrors) (json.RawMessage, bool) {
	n := len(*errs)
	fail := func(format string, args ...any) (json.RawMessage, bool) {
		errs.Add(path, format, args...)
		return nil, false
	}
	kind := strings.ToLower(c.Component)
	if kind == KindView {
		return fail("cannot be set")
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return fail("must be a JSON value")
	}
	if compIsNull(raw) {
		return json.RawMessage("null"), true
	}
	switch kind {
	case KindInput:
		typ := flowInputTypes[strings.ToLower(c.Type)]
		if typ == TypeNumeric || typ == TypeCurrency {
			num, empty, ok := flowParseNumber(raw)
			switch {
			case !ok:
				return fail("must be a number")
			case empty:
				return json.RawMessage("null"), true
			}
			return num, true
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return fail("must be a string")
		}
		if s == "" {
			return json.RawMessage(`""`), true
		}
		switch typ {
		case TypePhoneNumber:
			if !flowValidPhone(s) {
				return fail("must be a phone number (digits, spaces and + - ( ) only)")
			}
		case TypeURL:
			if !flowValidURL(s) {
				return fail("must be an http(s) URL")
			}
		case TypeDate:
			if _, err := ParseDate(s); err != nil {
				return fail("%s", err)
			}
		case TypeDatetime:
			t, err := ParseTime(s)
			if err != nil {
				return fail("%s", err)
			}
			return flowJSONString(t.Format(TaskLayout)), true
		case TypeTime:
			if _, err := ParseTimeOfDay(s); err != nil {
				return fail("%s", err)
			}
		case TypeGeolocation:
			if !flowValidLatLng(s) {
				return fail(`must be "lat,lng" with lat within -90..90 and lng within -180..180`)
			}
		}
		return raw, true
	case KindSelect:
		vals, single, ok := flowStrings(raw)
		if !ok {
			return fail("must be a string or a list of strings")
		}
		if single && vals[0] == "" || len(vals) == 0 {
			return raw, true
		}
		if opts, ok := c.OptionStrings(); ok {
			for i, v := range vals {
				if !slices.Contains(opts, v) {
					p := path
					if !single {
						p = Path(path, i)
					}
					errs.Add(p, "must be one of: %s", strings.Join(opts, ", "))
				}
			}
		}
		flowCheckCount(c, len(vals), "values", path, errs)
	case KindPhoto:
		var urls []string
		if compJSONKind(raw) != "array" || json.Unmarshal(raw, &urls) != nil {
			return fail("must be a list of photo URLs")
		}
		if len(urls) == 0 {
			return raw, true
		}
		for i, u := range urls {
			if !flowValidURL(u) {
				errs.Add(Path(path, i), "must be an http(s) URL")
			}
		}
		flowCheckCount(c, len(urls), "photos", path, errs)
	case KindSignature:
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return fail("must be a string")
		}
		if s != "" && !flowValidURL(s) {
			return fail("must be an http(s) URL")
		}
	}
	// bill, list, timer, voice, capture and unknown kinds: any JSON value, stored as given.
	return raw, len(*errs) == n
}

// flowCheckCount reports a count of values outside the component's min..max.
func flowCheckCount(c *Component, n int, noun, path string, errs *FieldErrors) {
	if c.Min != nil && float64(n) < *c.Min {
		errs.Add(path, "must have at least %s %s", flowFormatFloat(*c.Min), noun)
	}
	if c.Max != nil && float64(n) > *c.Max {
		errs.Add(path, "must have at most %s %s", flowFormatFloat(*c.Max), noun)
	}
}

// flowParseNumber reads a JSON number or a string holding a decimal number; either must fit a
// float64. It returns the number as a JSON number literal (the digits as sent when they already
// form one, so no precision is lost); empty is true for a blank string.
func flowParseNumber(raw json.RawMessage) (num json.RawMessage, empty, ok bool) {
	raw = bytes.TrimSpace(raw)
	var lit string
	switch compJSONKind(raw) {
	case "number":
		lit = string(raw)
	case "string":
		if json.Unmarshal(raw, &lit) != nil {
			return nil, false, false
		}
		lit = strings.TrimSpace(lit)
		if lit == "" {
			return nil, true, true
		}
		// Go syntax beyond decimals (hex, underscores, Inf, NaN) is no number here.
		if strings.ContainsAny(lit, "xX_iInN") {
			return nil, false, false
		}
	default:
		return nil, false, false
	}
	v, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return nil, false, false
	}
	if b := []byte(lit); compJSONKind(b) == "number" && json.Valid(b) {
		return b, false, true
	}
	b, _ := json.Marshal(v)
	return b, false, true
}

// flowStrings reads a string (single) or an array of strings.
func flowStrings(raw json.RawMessage) (vals []string, single, ok bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, true, true
	}
	if compJSONKind(raw) == "array" && json.Unmarshal(raw, &vals) == nil {
		return vals, false, true
	}
	return nil, false, false
}

// flowValidPhone reports whether s holds only digits, spaces and +-() with at least one digit.
func flowValidPhone(s string) bool {
	digit := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case strings.ContainsRune(" +-()", r):
		default:
			return false
		}
	}
	return digit
}

// flowValidURL reports whether s is an absolute http or https URL with a host.
func flowValidURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return scheme == "http" || scheme == "https"
}

// flowValidLatLng reports whether s is "lat,lng" with both in range (spaces around either allowed).
func flowValidLatLng(s string) bool {
	lat, lng, ok := strings.Cut(s, ",")
	if !ok {
		return false
	}
	la, err1 := strconv.ParseFloat(strings.TrimSpace(lat), 64)
	lo, err2 := strconv.ParseFloat(strings.TrimSpace(lng), 64)
	return err1 == nil && err2 == nil && la >= -90 && la <= 90 && lo >= -180 && lo <= 180
}

// MissingRequired reports "is required" for every required component, on a page for which
// pagePred is true (nil = every page), whose value in values is absent, null, "" or an empty
// array. view components are skipped. Paths are Path(prefix, id), in the flow's order.
func (f *Flow) MissingRequired(values map[string]json.RawMessage, pagePred func(pageID string) bool, prefix string) FieldErrors {
	var errs FieldErrors
	f.components(func(c *Component, pageID string) {
		if !c.Required || strings.EqualFold(c.Component, KindView) || pagePred != nil && !pagePred(pageID) {
			return
		}
		if flowValueEmpty(values[c.ID]) {
			errs.Add(Path(prefix, c.ID), "is required")
		}
	})
	return errs
}

// flowValueEmpty reports whether raw is absent, null, "" or [].
func flowValueEmpty(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || compIsNull(raw) {
		return true
	}
	switch compJSONKind(raw) {
	case "string":
		var s string
		return json.Unmarshal(raw, &s) == nil && s == ""
	case "array":
		var a []json.RawMessage
		return json.Unmarshal(raw, &a) == nil && len(a) == 0
	}
	return false
}

// ShowAsValues returns, for every component with showAs whose value is present and not null,
// the string form of that value keyed by the showAs target (title, content, label,
// expectedCoordinate): strings as they are, numbers in plain decimal form, arrays joined with
// ", ", other JSON as compact text. When two components share a target, the later one in the
// flow wins.
func (f *Flow) ShowAsValues(values map[string]json.RawMessage) map[string]string {
	out := make(map[string]string)
	f.components(func(c *Component, _ string) {
		raw, ok := values[c.ID]
		if c.ShowAs == nil || !ok || len(bytes.TrimSpace(raw)) == 0 || compIsNull(raw) {
			return
		}
		out[*c.ShowAs] = flowValueString(raw)
	})
	return out
}

// flowValueString renders a JSON value as text for showAs.
func flowValueString(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	switch compJSONKind(raw) {
	case "string":
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case "number":
		if v, err := strconv.ParseFloat(string(raw), 64); err == nil {
			return flowFormatFloat(v)
		}
	case "array":
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) == nil {
			parts := make([]string, 0, len(items))
			for _, it := range items {
				parts = append(parts, flowValueString(it))
			}
			return strings.Join(parts, ", ")
		}
	case "null":
		return ""
	}
	return string(compCompact(raw))
}

// FlowField is one item of a flow's `flowFields` (and of a workflow step's `fieldSchema`): the
// component plus the id of its page. Its JSON form is the component object with a "page" key
// appended.
type FlowField struct {
	Component
	Page string `json:"page"`
}

// MarshalJSON writes the component object with "page" as its last key.
func (ff FlowField) MarshalJSON() ([]byte, error) {
	c := ff.Component
	if _, clash := c.Extra["page"]; clash {
		c.Extra = compWithout(c.Extra, "page")
	}
	b, err := c.MarshalJSON()
	if err != nil {
		return nil, err
	}
	page, _ := json.Marshal(ff.Page)
	b = append(b[:len(b)-1], `,"page":`...)
	b = append(b, page...)
	return append(b, '}'), nil
}

// UnmarshalJSON reads a component object carrying a "page" key.
func (ff *FlowField) UnmarshalJSON(b []byte) error {
	var c Component
	if err := c.UnmarshalJSON(b); err != nil {
		return err
	}
	var page string
	if raw, ok := c.Extra["page"]; ok {
		if err := json.Unmarshal(raw, &page); err != nil {
			return &json.UnmarshalTypeError{Value: compJSONKind(raw), Type: reflect.TypeOf(page), Field: "page"}
		}
		c.Extra = compWithout(c.Extra, "page")
	}
	*ff = FlowField{Component: c, Page: page}
	return nil
}

// compWithout returns a copy of m without key, or nil when nothing else is left.
func compWithout(m map[string]json.RawMessage, key string) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Fields returns every component of every page, pages in order, each with its page id. The
// items share Extra maps and raw values with f.
func (f *Flow) Fields() []FlowField {
	out := []FlowField{}
	f.components(func(c *Component, pageID string) {
		out = append(out, FlowField{Component: *c, Page: pageID})
	})
	return out
}

// PayloadField describes one key of a `POST /task` body in `GET /flow/{flowName}/task`.
type PayloadField struct {
	Field       string   `json:"field"`
	Type        string   `json:"type"`
	Required    bool     `json:"required"`
	Description string   `json:"description"`
	Example     any      `json:"example"`
	Format      []string `json:"format"` // a select's options, else null
}

// FlowPayload is the `data` of `GET /flow/{flowName}/task`: the fields of a `POST /task` body
// for the flow and a valid sample body.
type FlowPayload struct {
	FlowName    string         `json:"flowName"`
	FlowFields  []PayloadField `json:"flowFields"`
	BodyRequest map[string]any `json:"bodyRequest"`
}

// flowPayloadLayout is the date-time form of the payload examples.
const flowPayloadLayout = "2006-01-02 15:04:05"

// Payload describes the `POST /task` body of the flow: hubId, flow, startTime and endTime, then
// every page0 component but views, each with a typed example; BodyRequest is a sample body built
// from those examples (a component's default when it is a valid, non-empty value) that
// CheckValues and MissingRequired for page0 accept. Examples of bill, list, timer, voice and
// capture components without a default are null (a short string when required) and null
// examples are left out of BodyRequest.
func (f *Flow) Payload(now time.Time, hubID string) FlowPayload {
	now = now.UTC()
	startH, endH := f.Adjustments()
	at := func(h float64) string {
		return now.Add(time.Duration(h * float64(time.Hour))).Format(flowPayloadLayout)
	}
	start, end := at(startH), at(endH)
	p := FlowPayload{
		FlowName: f.Name,
		FlowFields: []PayloadField{
			{Field: "hubId", Type: "string", Required: true, Description: "The _id of the task's hub", Example: hubID},
			{Field: "flow", Type: "string", Required: true, Description: "The name of the flow", Example: f.Name},
			{Field: "startTime", Type: "datetime", Description: fmt.Sprintf("When the task starts (default: now + %s hours)", flowFormatFloat(startH)), Example: start},
			{Field: "endTime", Type: "datetime", Description: fmt.Sprintf("When the task ends (default: now + %s hours)", flowFormatFloat(endH)), Example: end},
		},
		BodyRequest: map[string]any{"flow": f.Name, "hubId": hubID, "startTime": start, "endTime": end},
	}
	for _, pg := range f.Pages {
		if pg.ID != "page0" {
			continue
		}
		for i := range pg.Components {
			c := &pg.Components[i]
			kind := strings.ToLower(c.Component)
			if kind == KindView {
				continue
			}
			typ, hint := kind, flowPayloadHints[kind]
			if kind == KindInput {
				typ = flowInputTypes[strings.ToLower(c.Type)]
				if typ == "" {
					typ = TypeString
				}
				hint = flowPayloadHints[typ]
			}
			title := c.Title
			if title == "" {
				title = c.ID
			}
			desc := title
			if hint != "" {
				desc += " (" + hint + ")"
			}
			field := PayloadField{Field: c.ID, Type: typ, Required: c.Required, Description: desc, Example: flowPayloadExample(c, typ, title, now)}
			if kind == KindSelect {
				if opts, ok := c.OptionStrings(); ok {
					field.Format = opts
				}
			}
			p.FlowFields = append(p.FlowFields, field)
			if field.Example != nil {
				p.BodyRequest[c.ID] = field.Example
			}
		}
	}
	return p
}

// flowPayloadHints describe the expected form of a value, by input type or component kind.
var flowPayloadHints = map[string]string{
	TypePhoneNumber: "phone number: digits, spaces and + - ( )",
	TypeURL:         "http(s) URL",
	TypeNumeric:     "number",
	TypeCurrency:    "number",
	TypeDate:        "date, 2006-01-02",
	TypeDatetime:    "date-time, 2006-01-02 15:04:05",
	TypeTime:        "time of day, 15:04",
	TypeGeolocation: `"lat,lng"`,
	KindSelect:      "one or more of the options",
	KindPhoto:       "list of photo URLs",
	KindSignature:   "signature image URL",
	KindBill:        "any JSON value",
	KindList:        "any JSON value",
	KindTimer:       "any JSON value",
	KindVoice:       "any JSON value",
	KindCapture:     "any JSON value",
}

// flowPayloadExample returns a sample value for component c of type typ (the input type, or the
// kind): its default when valid and non-empty, else a typed sample.
func flowPayloadExample(c *Component, typ, title string, now time.Time) any {
	if len(c.Default) > 0 && !flowValueEmpty(c.Default) {
		var errs FieldErrors
		if v, ok := flowCheckValue(c, c.Default, "default", &errs); ok && !flowValueEmpty(v) {
			var x any
			if json.Unmarshal(v, &x) == nil {
				return x
			}
		}
	}
	switch typ {
	case TypeString:
		return "Sample " + title
	case TypeAddress:
		return "1 Sample Street"
	case TypePhoneNumber:
		return "+62 812 0000 0000"
	case TypeURL:
		return "https://example.com"
	case TypeNumeric, TypeCurrency:
		return 1
	case TypeDate:
		return now.Format(DateLayout)
	case TypeDatetime:
		return now.Format(flowPayloadLayout)
	case TypeTime:
		return "09:00"
	case TypeGeolocation:
		return "-6.2,106.8"
	case KindSelect:
		opts, _ := c.OptionStrings()
		switch n := min(flowSampleCount(c, 1), len(opts)); n {
		case 0:
			return nil
		case 1:
			return opts[0]
		default:
			return slices.Clone(opts[:n])
		}
	case KindPhoto:
		return slices.Repeat([]string{"https://example.com/photo.jpg"}, flowSampleCount(c, 1))
	case KindSignature:
		return "https://example.com/signature.png"
	}
	if c.Required {
		return "Sample " + title
	}
	return nil // bill, list, timer, voice, capture
}

// flowSampleCount returns how many values a sample of c holds: at least want and c's min, at most
// c's max.
func flowSampleCount(c *Component, want int) int {
	n := want
	if c.Min != nil {
		n = max(n, int(math.Ceil(*c.Min)))
	}
	if c.Max != nil {
		n = min(n, int(math.Floor(*c.Max)))
	}
	return max(n, 0)
}

// flowFormatFloat writes v in plain decimal form.
func flowFormatFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// flowJSONString returns s as a JSON string literal.
func flowJSONString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}
