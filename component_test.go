package fieldwork

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestComponentJSON(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		want string // marshaled form after unmarshaling in
	}{
		{
			name: "minimal: required and visible always emitted",
			in:   `{"component":"input","id":"a","title":"A"}`,
			want: `{"component":"input","id":"a","title":"A","required":false,"visible":true}`,
		},
		{
			name: "every known key in order, unknown official keys kept and sorted",
			in: `{"useUnit":true,"onSelect":{"x":1},"value":"v","max":3,"min":1,"options":["a","b"],
				"routeAs":"r","showAs":"title","visible":false,"default":"a","required":true,"type":"dropdown",
				"title":"T","id":"s","component":"select","masterItems":[{"name":"x","price":2}],
				"geoLock":{"radius":100},"units":["kg", "g"]}`,
			want: `{"component":"select","id":"s","title":"T","type":"dropdown","required":true,"default":"a",` +
				`"visible":false,"showAs":"title","routeAs":"r","options":["a","b"],"min":1,"max":3,"value":"v",` +
				`"onSelect":{"x":1},"geoLock":{"radius":100},"masterItems":[{"name":"x","price":2}],` +
				`"units":["kg","g"],"useUnit":true}`,
		},
		{
			name: "aliases inputType and isRequired",
			in:   `{"component":"input","id":"a","title":"A","inputType":"Numeric","isRequired":true}`,
			want: `{"component":"input","id":"a","title":"A","type":"Numeric","required":true,"visible":true}`,
		},
		{
			name: "official keys win over aliases",
			in:   `{"component":"input","id":"a","title":"A","inputType":"Numeric","type":"Date","isRequired":true,"required":false}`,
			want: `{"component":"input","id":"a","title":"A","type":"Date","required":false,"visible":true}`,
		},
		{
			name: "alias used when the official key is null",
			in:   `{"component":"input","id":"a","title":"A","inputType":"URL","type":null}`,
			want: `{"component":"input","id":"a","title":"A","type":"URL","required":false,"visible":true}`,
		},
		{
			name: "null optional known keys are absent, null extra keys kept",
			in: `{"component":"photo","id":"p","title":null,"type":null,"required":null,"default":null,"visible":null,
				"showAs":null,"routeAs":null,"options":null,"min":null,"max":null,"value":null,"onSelect":null,"watermark":null}`,
			want: `{"component":"photo","id":"p","title":"","required":false,"visible":true,"watermark":null}`,
		},
		{
			name: "non-string options kept raw",
			in:   `{"component":"bill","id":"b","title":"B","options":[{"name":"x"},2]}`,
			want: `{"component":"bill","id":"b","title":"B","required":false,"visible":true,"options":[{"name":"x"},2]}`,
		},
		{
			name: "fractional min and max",
			in:   `{"component":"input","id":"n","title":"N","min":-1.5,"max":2.25}`,
			want: `{"component":"input","id":"n","title":"N","required":false,"visible":true,"min":-1.5,"max":2.25}`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c Component
			if err := json.Unmarshal([]byte(tt.in), &c); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			got, err := json.Marshal(c)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("JSON (-want +got):\n%s", diff)
			}
			// A second round trip yields the same JSON.
			var again Component
			if err := json.Unmarshal(got, &again); err != nil {
				t.Fatalf("Unmarshal again: %v", err)
			}
			got2, err := json.Marshal(again)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(got), string(got2)); diff != "" {
				t.Errorf("second round trip (-first +second):\n%s", diff)
			}
		})
	}
}

func TestComponentJSONFields(t *testing.T) {
	var c Component
	in := `{"component":"select","id":"s","title":"T","required":true,"visible":false,"showAs":"label",
		"options":["a"],"min":1,"max":2,"default":"a","useUnit":true}`
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	f, one, two := false, 1.0, 2.0
	label := "label"
	want := Component{
		Component: "select", ID: "s", Title: "T", Required: true, Visible: &f, ShowAs: &label,
		Options: json.RawMessage(`["a"]`), Min: &one, Max: &two, Default: json.RawMessage(`"a"`),
		Extra: map[string]json.RawMessage{"useUnit": json.RawMessage(`true`)},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("Component (-want +got):\n%s", diff)
	}
}

func TestComponentJSONErrors(t *testing.T) {
	for _, tt := range []struct {
		name, in, field string
	}{
		{"component not a string", `{"component":1,"id":"a"}`, "component"},
		{"id not a string", `{"component":"input","id":["a"]}`, "id"},
		{"required not a bool", `{"component":"input","id":"a","required":"yes"}`, "required"},
		{"isRequired not a bool", `{"component":"input","id":"a","isRequired":"yes"}`, "required"},
		{"visible not a bool", `{"component":"input","id":"a","visible":1}`, "visible"},
		{"min not a number", `{"component":"select","id":"a","min":"1"}`, "min"},
		{"max not a number", `{"component":"select","id":"a","max":true}`, "max"},
		{"showAs not a string", `{"component":"input","id":"a","showAs":{}}`, "showAs"},
		{"inputType not a string", `{"component":"input","id":"a","inputType":3}`, "type"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c Component
			err := json.Unmarshal([]byte(tt.in), &c)
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want *json.UnmarshalTypeError", err)
			}
			if te.Field != tt.field {
				t.Errorf("Field = %q, want %q", te.Field, tt.field)
			}
		})
	}
	t.Run("not an object", func(t *testing.T) {
		var c Component
		if err := json.Unmarshal([]byte(`["a"]`), &c); err == nil {
			t.Error("want an error")
		}
	})
	t.Run("null is a no-op", func(t *testing.T) {
		c := Component{ID: "keep"}
		if err := c.UnmarshalJSON([]byte("null")); err != nil || c.ID != "keep" {
			t.Errorf("got %v, %+v", err, c)
		}
	})
}

func TestComponentMarshalSkipsShadowingExtra(t *testing.T) {
	c := Component{Component: "input", ID: "a", Extra: map[string]json.RawMessage{
		"id": json.RawMessage(`"shadow"`), "inputType": json.RawMessage(`"x"`), "zz": nil,
	}}
	got, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"component":"input","id":"a","title":"","required":false,"visible":true,"zz":null}`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	c.Extra = map[string]json.RawMessage{"bad": json.RawMessage(`{`)}
	if _, err := json.Marshal(c); err == nil {
		t.Error("invalid raw Extra: want an error")
	}
}

func TestComponentOptionStrings(t *testing.T) {
	for _, tt := range []struct {
		name    string
		options string
		want    []string
		ok      bool
	}{
		{"absent", ``, nil, false},
		{"null", `null`, nil, false},
		{"strings", `["a","b"]`, []string{"a", "b"}, true},
		{"empty array", `[]`, []string{}, true},
		{"objects", `[{"a":1}]`, nil, false},
		{"mixed", `["a",1]`, nil, false},
		{"a string", `"a"`, nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Component{Options: json.RawMessage(tt.options)}
			got, ok := c.OptionStrings()
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if ok {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestFlowFieldJSON(t *testing.T) {
	for _, tt := range []struct {
		name string
		ff   FlowField
		want string
	}{
		{
			name: "page appended last",
			ff: FlowField{Page: "page1", Component: Component{
				Component: "input", ID: "a", Title: "A", Type: "String",
				Extra: map[string]json.RawMessage{"useUnit": json.RawMessage(`false`)},
			}},
			want: `{"component":"input","id":"a","title":"A","type":"String","required":false,"visible":true,"useUnit":false,"page":"page1"}`,
		},
		{
			name: "a component extra named page is replaced",
			ff: FlowField{Page: "page0", Component: Component{
				Component: "view", ID: "v", Extra: map[string]json.RawMessage{"page": json.RawMessage(`"x"`)},
			}},
			want: `{"component":"view","id":"v","title":"","required":false,"visible":true,"page":"page0"}`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.ff)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("Marshal (-want +got):\n%s", diff)
			}
			var back FlowField
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			if back.Page != tt.ff.Page || back.ID != tt.ff.ID {
				t.Errorf("Unmarshal = %+v", back)
			}
			if _, ok := back.Extra["page"]; ok {
				t.Error("page left in Extra")
			}
		})
	}
	t.Run("page not a string", func(t *testing.T) {
		var ff FlowField
		if err := json.Unmarshal([]byte(`{"component":"input","id":"a","page":1}`), &ff); err == nil {
			t.Error("want an error")
		}
	})
}
