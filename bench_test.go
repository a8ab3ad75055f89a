package fieldwork

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// Benchmarks of the hot pure functions: run with
// `go test -run '^$' -bench . -benchmem` (results in docs/benchmarks.md).

func benchFlow(b *testing.B) *Flow {
	b.Helper()
	var f Flow
	if err := json.Unmarshal([]byte(`{"name": "Delivery", "pages": [
	 {"id": "page0", "components": [
	  {"component": "input", "id": "recipientName", "title": "Recipient", "required": true, "showAs": "title"},
	  {"component": "input", "id": "address", "title": "Address", "type": "Address"},
	  {"component": "input", "id": "phone", "title": "Phone", "type": "PhoneNumber"},
	  {"component": "input", "id": "weight", "title": "Weight", "type": "Numeric"},
	  {"component": "input", "id": "cod", "title": "COD", "type": "Currency"},
	  {"component": "input", "id": "arriveBy", "title": "Arrive by", "type": "Datetime"},
	  {"component": "input", "id": "location", "title": "Location", "type": "Geolocation"},
	  {"component": "select", "id": "size", "title": "Size", "options": ["S", "M", "L", "XL"]},
	  {"component": "input", "id": "notes", "title": "Notes"}]},
	 {"id": "page1", "components": [{"component": "photo", "id": "proof", "title": "Proof", "required": true}]}]}`), &f); err != nil {
		b.Fatal(err)
	}
	if err := ValidateFlow(&f); err != nil {
		b.Fatal(err)
	}
	return &f
}

func benchValues() map[string]json.RawMessage {
	return map[string]json.RawMessage{
		"recipientName": json.RawMessage(`"Budi Santoso"`), "address": json.RawMessage(`"Jl. Sudirman No. 1, Jakarta Pusat"`),
		"phone": json.RawMessage(`"+62 812 3456 7890"`), "weight": json.RawMessage(`"12.5"`), "cod": json.RawMessage(`150000`),
		"arriveBy": json.RawMessage(`"2026-11-28 10:00:00"`), "location": json.RawMessage(`"-6.2088,106.8456"`),
		"size": json.RawMessage(`"M"`), "notes": json.RawMessage(`"Leave at the front desk, call on arrival"`),
	}
}

func BenchmarkCheckValues(b *testing.B) {
	f, vals := benchFlow(b), benchValues()
	b.ReportAllocs()
	for b.Loop() {
		if _, fe := f.CheckValues(vals, ""); len(fe) > 0 {
			b.Fatal(fe)
		}
	}
}

func BenchmarkComputeRollup(b *testing.B) {
	for _, n := range []int{2, 10} {
		b.Run(fmt.Sprintf("%d steps", n), func(b *testing.B) {
			steps := make([]Step, n)
			children := make([]*Task, n)
			at := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
			for i := range children {
				steps[i] = Step{Order: i, StatusMapping: ptr(fmt.Sprint("Step ", i))}
				children[i] = &Task{Status: []string{StatusDone, StatusOngoing, StatusUnassigned}[i%3], StepOrder: ptr(i),
					Assignee: []string{fmt.Sprintf("w%d@x.test", i%3)}, StartTime: NewTime(at.Add(time.Duration(i) * time.Hour)),
					EndTime: NewTime(at.Add(time.Duration(i+2) * time.Hour))}
			}
			b.ReportAllocs()
			for b.Loop() {
				ComputeRollup(children, steps)
			}
		})
	}
}

func BenchmarkParseTime(b *testing.B) {
	for _, in := range []string{"2026-11-28 10:00:00", "2026-11-28T10:00:00.123+07:00"} {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseTime(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchTask() *Task {
	now := NewTime(time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC))
	flowID, title := NewID(now.Time), "Budi Santoso"
	return &Task{ID: NewID(now.Time), OrganizationID: NewID(now.Time), Flow: "Delivery", FlowID: &flowID,
		HubID: NewID(now.Time), Hub: &HubRef{Name: "Jakarta", Lat: -6.2, Lng: 106.8, Address: "Jl. Sudirman 1"},
		Status: StatusOngoing, TaskType: TaskTypeTask, Title: &title, Assignee: []string{"ana@acme.test"},
		AssignedTo: &AssignedTo{Name: "Ana", Email: "ana@acme.test", HubID: []ID{}}, AssignedBy: ptr("owner@acme.test"),
		AssignedTime: now, StartTime: now, EndTime: now, OrderIndex: 1.7e14, CreatedFrom: "API",
		CreatedBy: "owner@acme.test", UpdatedBy: "owner@acme.test", CreatedTime: now, UpdatedTime: now, Version: 3,
		Values: benchValues()}
}

func BenchmarkTaskMarshalJSON(b *testing.B) {
	t := benchTask()
	out, _ := json.Marshal(t)
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(t); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTaskUnmarshalJSON(b *testing.B) {
	raw, _ := benchTask().EncodeStored()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		var t Task
		if err := json.Unmarshal(raw, &t); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTaskDiff is what every task write computes for its history: the keys a done
// changes.
func BenchmarkTaskDiff(b *testing.B) {
	before := benchTask()
	after := cloneTask(before)
	after.Status, after.DoneBy, after.DoneTime = StatusDone, ptr("ana@acme.test"), NewTime(time.Now())
	b.ReportAllocs()
	for b.Loop() {
		if d := taskDiff(before, after); len(d) != 3 {
			b.Fatalf("diff = %v", d)
		}
	}
}

func BenchmarkCloneTask(b *testing.B) {
	t := benchTask()
	b.ReportAllocs()
	for b.Loop() {
		cloneTask(t)
	}
}
