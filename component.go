package fieldwork

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
)

// Component is one field of a flow page (SPEC §4). The keys Fieldwork reads are typed fields;
// every other key a client sends (useUnit, masterItems, geoLock, …) is kept in Extra and
// returned unchanged.
//
// Its JSON form is produced by MarshalJSON and read by UnmarshalJSON; the struct tags below
// document the key names only.
type Component struct {
	Component string          `json:"component"`          // kind: input, select, photo, …
	ID        string          `json:"id"`                 // the task key holding the value
	Title     string          `json:"title"`              // label shown to people
	Type      string          `json:"type,omitempty"`     // input/view type, select dropdown, list checkbox, …
	Required  bool            `json:"required"`           // always emitted
	Default   json.RawMessage `json:"default,omitempty"`  // any JSON; absent when nil
	Visible   *bool           `json:"visible,omitempty"`  // emitted as a bool; nil means true
	ShowAs    *string         `json:"showAs,omitempty"`   // title, content, label or expectedCoordinate
	RouteAs   json.RawMessage `json:"routeAs,omitempty"`  // stored as given
	Options   json.RawMessage `json:"options,omitempty"`  // string[] on a select; other kinds: as given
	Min       *float64        `json:"min,omitempty"`      // lower bound (select and photo: value count)
	Max       *float64        `json:"max,omitempty"`      // upper bound (select and photo: value count)
	Value     json.RawMessage `json:"value,omitempty"`    // stored as given
	OnSelect  json.RawMessage `json:"onSelect,omitempty"` // stored as given
	// Extra holds every other key of the component object, as compact raw JSON.
	Extra map[string]json.RawMessage `json:"-"`
}

// componentKeys are the keys Component reads itself, in their output order.
var componentKeys = []string{
	"component", "id", "title", "type", "required", "default", "visible", "showAs", "routeAs",
	"options", "min", "max", "value", "onSelect",
}

// componentAliases maps input-only alias keys (extension) to the official key they stand for.
var componentAliases = map[string]string{"inputType": "type", "isRequired": "required"}

// IsVisible reports the component's visibility (default true).
func (c *Component) IsVisible() bool { return c.Visible == nil || *c.Visible }

// OptionStrings returns Options as strings; ok is false when Options is absent or is not a JSON
// array of strings.
func (c *Component) OptionStrings() (opts []string, ok bool) {
	if len(c.Options) == 0 || compIsNull(c.Options) {
		return nil, false
	}
	if err := json.Unmarshal(c.Options, &opts); err != nil || opts == nil {
		return nil, false
	}
	return opts, true
}

// MarshalJSON writes the known keys in a fixed order (component, id, title, type, required,
// default, visible, showAs, routeAs, options, min, max, value, onSelect), then the Extra keys
// sorted. Absent optional keys are omitted; required and visible are always written.
func (c Component) MarshalJSON() ([]byte, error) {
	var w compObjectWriter
	w.value("component", c.Component)
	w.value("id", c.ID)
	w.value("title", c.Title)
	if c.Type != "" {
		w.value("type", c.Type)
	}
	w.value("required", c.Required)
	w.raw("default", c.Default)
	w.value("visible", c.IsVisible())
	if c.ShowAs != nil {
		w.value("showAs", *c.ShowAs)
	}
	w.raw("routeAs", c.RouteAs)
	w.raw("options", c.Options)
	if c.Min != nil {
		w.value("min", *c.Min)
	}
	if c.Max != nil {
		w.value("max", *c.Max)
	}
	w.raw("value", c.Value)
	w.raw("onSelect", c.OnSelect)
	for _, k := range c.extraKeys() {
		w.raw(k, compOrNull(c.Extra[k]))
	}
	return w.bytes()
}

// compObjectWriter writes a JSON object key by key, keeping the first error.
type compObjectWriter struct {
	buf bytes.Buffer
	err error
}

// key writes the separator and the key.
func (w *compObjectWriter) key(k string) {
	if w.buf.Len() == 0 {
		w.buf.WriteByte('{')
	} else {
		w.buf.WriteByte(',')
	}
	b, _ := json.Marshal(k)
	w.buf.Write(b)
	w.buf.WriteByte(':')
}

// value writes k with v marshaled.
func (w *compObjectWriter) value(k string, v any) {
	if w.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		w.err = err
		return
	}
	w.key(k)
	w.buf.Write(b)
}

// raw writes k with the raw JSON value compacted; an empty raw value is skipped.
func (w *compObjectWriter) raw(k string, raw json.RawMessage) {
	if w.err != nil || len(raw) == 0 {
		return
	}
	w.key(k)
	if err := json.Compact(&w.buf, raw); err != nil {
		w.err = fmt.Errorf("component key %q: %w", k, err)
	}
}

// bytes closes the object and returns it.
func (w *compObjectWriter) bytes() ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	if w.buf.Len() == 0 {
		w.buf.WriteByte('{')
	}
	w.buf.WriteByte('}')
	return w.buf.Bytes(), nil
}

// extraKeys returns the Extra keys to emit, sorted, leaving out any key Component owns.
func (c *Component) extraKeys() []string {
	keys := make([]string, 0, len(c.Extra))
	for k := range c.Extra {
		if slices.Contains(componentKeys, k) || componentAliases[k] != "" {
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// UnmarshalJSON reads a component object. The aliases inputType (= type) and isRequired
// (= required) are accepted; the official key wins when both are sent. A null optional key
// counts as absent. Every unknown key goes to Extra. A known key of the wrong JSON type yields a
// *json.UnmarshalTypeError whose Field names the key.
func (c *Component) UnmarshalJSON(b []byte) error {
	if compIsNull(b) {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	var out Component
	// Aliases first, so the official key overwrites them when both are present.
	for alias, key := range componentAliases {
		if v, ok := m[alias]; ok && !compIsNull(v) {
			if _, official := m[key]; !official || compIsNull(m[key]) {
				m[key] = v
			}
		}
		delete(m, alias)
	}
	dec := func(key string, dst any) error {
		v, ok := m[key]
		delete(m, key)
		if !ok || compIsNull(v) {
			return nil
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return &json.UnmarshalTypeError{
				Value: compJSONKind(v), Type: reflect.TypeOf(dst).Elem(), Field: key,
			}
		}
		return nil
	}
	raw := func(key string, dst *json.RawMessage) {
		v, ok := m[key]
		delete(m, key)
		if ok && !compIsNull(v) {
			*dst = compCompact(v)
		}
	}
	for _, err := range []error{
		dec("component", &out.Component),
		dec("id", &out.ID),
		dec("title", &out.Title),
		dec("type", &out.Type),
		dec("required", &out.Required),
		dec("visible", &out.Visible),
		dec("showAs", &out.ShowAs),
		dec("min", &out.Min),
		dec("max", &out.Max),
	} {
		if err != nil {
			return err
		}
	}
	raw("default", &out.Default)
	raw("routeAs", &out.RouteAs)
	raw("options", &out.Options)
	raw("value", &out.Value)
	raw("onSelect", &out.OnSelect)
	if len(m) > 0 {
		out.Extra = make(map[string]json.RawMessage, len(m))
		for k, v := range m {
			out.Extra[k] = compCompact(v)
		}
	}
	*c = out
	return nil
}

// compIsNull reports whether raw is the JSON literal null (surrounding space allowed).
func compIsNull(raw []byte) bool {
	return bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// compOrNull returns raw, or the JSON null when raw is empty.
func compOrNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	return raw
}

// compCompact returns a compact copy of a valid JSON value.
func compCompact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return slices.Clone(raw)
	}
	return b.Bytes()
}

// compJSONKind names the JSON type of a raw value, as json.UnmarshalTypeError.Value does.
func compJSONKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "empty"
	}
	switch raw[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	default:
		return "number"
	}
}
