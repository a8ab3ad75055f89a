package fieldwork

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
)

// taskDiff returns the keys of a task's JSON object whose value differs between before and
// after, with both values (nil for a key one side lacks); none when the write changes
// nothing. version, updatedTime and updatedBy, which every write changes, are left out.
//
// It is the JSON objects' difference, computed field by field: a field equal in Go is equal in
// JSON, so only the fields that differ are encoded (every task write computes a diff, and
// encoding and decoding both whole tasks cost a fifth of a child's completion).
func taskDiff(before, after *Task) map[string]Change {
	d := map[string]Change{}
	bv, av := reflect.ValueOf(before).Elem(), reflect.ValueOf(after).Elem()
	for _, k := range taskKeys {
		bf, af := bv.Field(k.index), av.Field(k.index)
		if !reflect.DeepEqual(bf.Interface(), af.Interface()) {
			diffKey(d, k.name, k.encode(bf), k.encode(af))
		}
	}
	if before.TaskType == TaskTypeActivityMaster || after.TaskType == TaskTypeActivityMaster {
		for _, k := range []struct {
			name string
			b, a any
		}{{"subStatus", before.SubStatus, after.SubStatus}, {"name", before.Title, after.Title}, {"tasks", before.SubID, after.SubID}} {
			var bj, aj json.RawMessage
			if before.TaskType == TaskTypeActivityMaster {
				bj = encodeKey(k.b)
			}
			if after.TaskType == TaskTypeActivityMaster {
				aj = encodeKey(k.a)
			}
			diffKey(d, k.name, bj, aj)
		}
	}
	for k, b := range before.Values {
		diffKey(d, k, valueJSON(b), valueJSON(after.Values[k]))
	}
	for k, a := range after.Values {
		if _, ok := before.Values[k]; !ok {
			diffKey(d, k, nil, valueJSON(a))
		}
	}
	return d
}

// diffKey records key in d when its encoded values differ; nil is an absent key, which
// differs from any present one, null included.
func diffKey(d map[string]Change, key string, b, a json.RawMessage) {
	switch {
	case b == nil && a == nil:
	case b == nil:
		d[key] = Change{From: nil, To: a}
	case a == nil:
		d[key] = Change{From: b, To: nil}
	case !sameJSON(b, a):
		d[key] = Change{From: b, To: a}
	}
}

// valueJSON is a component value as a task's JSON object has it: nil (absent) stays nil, an
// empty value is null.
func valueJSON(v json.RawMessage) json.RawMessage {
	if v == nil {
		return nil
	}
	if len(v) == 0 {
		return json.RawMessage("null")
	}
	return v
}

// taskKey is one fixed key of a task's JSON object.
type taskKey struct {
	name      string
	index     int  // of the field in Task
	omitEmpty bool // an empty value leaves the key out
}

// encode returns the key's JSON value for the field f, nil when the key is left out.
func (k taskKey) encode(f reflect.Value) json.RawMessage {
	if k.omitEmpty && emptyJSON(f) {
		return nil
	}
	return encodeKey(f.Interface())
}

func encodeKey(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null") // as MarshalJSON's appendKV writes it
	}
	return b
}

// emptyJSON reports what encoding/json's omitempty leaves out.
func emptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return v.IsNil()
	}
	return v.IsZero()
}

// taskKeys are the fixed keys a task's JSON object has (Task's json tags), without those
// every write changes.
var taskKeys = func() []taskKey {
	var keys []taskKey
	typ := reflect.TypeFor[taskJSON]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		if name == "version" || name == "updatedTime" || name == "updatedBy" {
			continue
		}
		if opts != "" && opts != "omitempty" {
			panic("taskDiff: unhandled json option " + opts + " on Task." + f.Name)
		}
		keys = append(keys, taskKey{name: name, index: i, omitEmpty: opts == "omitempty"})
	}
	return keys
}()

// taskFields is the JSON object of a task, key by key, without the keys every write changes.
func taskFields(t *Task) map[string]json.RawMessage {
	b, err := json.Marshal(t)
	if err != nil {
		panic(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	for _, k := range []string{"version", "updatedTime", "updatedBy", "histories"} {
		delete(m, k)
	}
	return m
}

// sameJSON reports whether two JSON values are equal as JSON: the same bytes, or the same
// value written differently (key order, spacing, 1 and 1.0). A missing value (nil) equals null.
func sameJSON(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var av, bv any
	if len(a) > 0 && json.Unmarshal(a, &av) != nil || len(b) > 0 && json.Unmarshal(b, &bv) != nil {
		return false
	}
	return reflect.DeepEqual(av, bv)
}
