package fieldwork

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzEachMember checks eachMember against encoding/json on any valid JSON object: the same
// keys (the last of a repeated key wins) with the same values.
func FuzzEachMember(f *testing.F) {
	for _, seed := range []string{
		`{}`, ` { } `, `{"a":1}`, `{"a": {"b": [1, "x]}", {"c": null}]}, "d" : "e\"}"}`,
		`{"k\u00e9y":true,"k\"q":false,"a":1,"a":2}`, "{\n\t\"n\": -1.5e3 ,\r\n\"s\":\"\\\\\"}",
		`{"_id":"x","subStatus":null,"_mapped":{"a":1},"v":[[],{}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want map[string]json.RawMessage
		if json.Unmarshal(b, &want) != nil || want == nil {
			return
		}
		got := map[string]json.RawMessage{}
		if err := eachMember(b, func(k string, v []byte) error { got[k] = v; return nil }); err != nil {
			t.Fatalf("eachMember(%s): %v", b, err)
		}
		if len(got) != len(want) {
			t.Fatalf("eachMember(%s): %d keys, want %d", b, len(got), len(want))
		}
		for k, w := range want {
			if g, ok := got[k]; !ok || !bytes.Equal(g, w) {
				t.Fatalf("eachMember(%s)[%q] = %s, want %s", b, k, g, w)
			}
		}
	})
}

func TestEachMemberRefusesNonObjects(t *testing.T) {
	for _, b := range []string{``, `[]`, `"x"`, `{"a"}`, `{"a":}`, `{"a":1`, `{"a":1 "b":2}`, `{1:2}`} {
		if err := eachMember([]byte(b), func(string, []byte) error { return nil }); err == nil {
			t.Errorf("eachMember(%s) = nil, want an error", b)
		}
	}
}
