package fieldwork

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

// fill sets every exported field reachable from v: pointers and interfaces to new values,
// slices and maps to two elements, scalars to non-zero values. A field added to a type is
// filled without changing this test.
func fill(v reflect.Value, depth int) {
	if depth > 8 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := range 2 {
			k := reflect.New(v.Type().Key()).Elem()
			k.SetString(fmt.Sprint("k", i))
			e := reflect.New(v.Type().Elem()).Elem()
			fill(e, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Interface:
		v.Set(reflect.ValueOf(map[string]any{"list": []any{"a", map[string]any{"b": 1.5}}}))
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Field(i).CanSet() {
				fill(v.Field(i), depth+1)
			}
		}
	case reflect.String:
		v.SetString("s")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint8:
		v.SetUint('7')
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	}
}

// shared reports the first place where a and b use the same mutable memory.
func shared(a, b reflect.Value, path string) string {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		return shared(a.Elem(), b.Elem(), path)
	case reflect.Slice:
		if a.Len() > 0 && b.Len() > 0 && a.Index(0).Addr().Pointer() == b.Index(0).Addr().Pointer() {
			return path
		}
		for i := range min(a.Len(), b.Len()) {
			if p := shared(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	case reflect.Map:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			return path
		}
		for _, k := range a.MapKeys() {
			if bv := b.MapIndex(k); bv.IsValid() {
				if p := shared(a.MapIndex(k), bv, fmt.Sprintf("%s[%v]", path, k)); p != "" {
					return p
				}
			}
		}
	case reflect.Interface:
		if !a.IsNil() && !b.IsNil() {
			return shared(a.Elem(), b.Elem(), path)
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				if p := shared(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); p != "" {
					return p
				}
			}
		}
	}
	return ""
}

func TestDeepCopyIsEqualAndSharesNothing(t *testing.T) {
	check := func(name string, orig, cp any) {
		t.Helper()
		if !reflect.DeepEqual(orig, cp) {
			t.Errorf("%s: the copy differs from the original", name)
		}
		if p := shared(reflect.ValueOf(orig), reflect.ValueOf(cp), name); p != "" {
			t.Errorf("the copy shares %s with the original", p)
		}
	}
	var task Task
	fill(reflect.ValueOf(&task).Elem(), 0)
	task.Histories = nil // cloneTask leaves them out
	check("Task", &task, cloneTask(&task))

	var flow Flow
	fill(reflect.ValueOf(&flow).Elem(), 0)
	check("Flow", &flow, flow.Clone())

	var wf Workflow
	fill(reflect.ValueOf(&wf).Elem(), 0)
	check("Workflow", &wf, wf.Clone())

	// The filler reached what it should: a nested any and a component's raw values.
	if task.AssignedTo.Organization == nil || len(flow.Pages[1].Components[1].Extra["k1"]) == 0 {
		t.Fatal("fill left nested fields empty")
	}
}

func TestDeepCopyKeepsNilAndEmpty(t *testing.T) {
	cp := cloneTask(&Task{Assignee: []string{}, Values: map[string]json.RawMessage{}})
	if cp.Assignee == nil || cp.Values == nil || cp.SubID != nil || cp.Mapped != nil || cp.Title != nil {
		t.Errorf("copy = %+v: empty became nil or nil became empty", cp)
	}
}
