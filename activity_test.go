package fieldwork

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestComputeRollupEveryCombination checks status and subStatus for every combination of
// child states of 1 to 3 steps against the rule written out independently.
func TestComputeRollupEveryCombination(t *testing.T) {
	states := []string{StatusUnassigned, StatusOngoing, StatusDone}
	mappings := []*string{ptr("Picked"), nil, ptr("Delivered")}
	for n := 1; n <= 3; n++ {
		steps := make([]Step, n)
		for i := range steps {
			steps[i] = Step{Order: i, StatusMapping: mappings[i]}
		}
		total := 1
		for i := 0; i < n; i++ {
			total *= len(states)
		}
		for combo := 0; combo < total; combo++ {
			children := make([]*Task, n)
			code := combo
			var names []string
			for i := range children {
				st := states[code%3]
				code /= 3
				children[i] = &Task{Status: st, StepOrder: ptr(i)}
				names = append(names, st)
			}
			t.Run(fmt.Sprint(names), func(t *testing.T) {
				done, unassigned, lastDone := 0, 0, -1
				for i, c := range children {
					switch c.Status {
					case StatusDone:
						done++
						lastDone = i
					case StatusUnassigned:
						unassigned++
					}
				}
				wantStatus := StatusOngoing
				if done == n {
					wantStatus = StatusDone
				} else if unassigned == n {
					wantStatus = StatusUnassigned
				}
				var wantSub *string
				if lastDone >= 0 {
					wantSub = mappings[lastDone]
				}
				got := ComputeRollup(children, steps)
				if got.Status != wantStatus {
					t.Errorf("status %s, want %s", got.Status, wantStatus)
				}
				if diff := cmp.Diff(wantSub, got.SubStatus); diff != "" {
					t.Errorf("subStatus (-want +got)\n%s", diff)
				}
			})
		}
	}
}

func TestComputeRollupAggregation(t *testing.T) {
	at := func(h int) Time { return NewTime(time.Date(2026, 1, 1, h, 0, 0, 0, time.UTC)) }
	children := []*Task{
		{Status: StatusOngoing, Assignee: []string{"b@x.test", "a@x.test"}, StartTime: at(9), EndTime: at(12)},
		{Status: StatusUnassigned, Assignee: []string{}, StartTime: at(8), EndTime: at(10)},
		{Status: StatusOngoing, Assignee: []string{"a@x.test", "c@x.test"}, StartTime: at(11), EndTime: at(18)},
	}
	got := ComputeRollup(children, make([]Step, 3))
	want := Rollup{Status: StatusOngoing, Assignee: []string{"b@x.test", "a@x.test", "c@x.test"}, StartTime: at(8), EndTime: at(18)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got)\n%s", diff)
	}
	// The subStatus follows the DONE child with the highest order, not the last one done.
	steps := []Step{{StatusMapping: ptr("A")}, {StatusMapping: ptr("B")}}
	r := ComputeRollup([]*Task{{Status: StatusOngoing, StepOrder: ptr(0)}, {Status: StatusDone, StepOrder: ptr(1)}}, steps)
	if r.SubStatus == nil || *r.SubStatus != "B" {
		t.Fatalf("subStatus %v", r.SubStatus)
	}
}

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func TestApplyCreationMappings(t *testing.T) {
	steps := []Step{
		{Order: 0, FieldMappings: []FieldMapping{{TargetField: "channel", SourceType: SourceManual, SourceField: "web"}}},
		{Order: 1, FieldMappings: []FieldMapping{
			{TargetField: "name", SourceType: SourceStep, SourceStep: ptr(0), SourceField: "customer"},
			{TargetField: "via", SourceType: SourceStep, SourceStep: ptr(0), SourceField: "channel"},
			{TargetField: "kept", SourceType: SourceDirect, SourceField: "literal"},
			{TargetField: "blank", SourceType: SourceStep, SourceStep: ptr(0), SourceField: "missing"},
		}},
	}
	values := []map[string]json.RawMessage{
		{"customer": raw(`"Budi"`)},
		{"kept": raw(`"mine"`), "name": raw(`""`)},
	}
	written := ApplyCreationMappings(steps, values)
	want := []map[string]json.RawMessage{
		{"customer": raw(`"Budi"`), "channel": raw(`"web"`)},
		{"kept": raw(`"mine"`), "name": raw(`"Budi"`), "via": raw(`"web"`)},
	}
	if diff := cmp.Diff(want, values); diff != "" {
		t.Fatalf("values (-want +got)\n%s", diff)
	}
	if diff := cmp.Diff([]map[string]json.RawMessage{{"channel": raw(`"web"`)}, {"name": raw(`"Budi"`), "via": raw(`"web"`)}}, written); diff != "" {
		t.Fatalf("written (-want +got)\n%s", diff)
	}
}

func TestRuntimeMappings(t *testing.T) {
	steps := []Step{
		{Order: 0},
		{Order: 1, FieldMappings: []FieldMapping{{TargetField: "name", SourceType: SourceStep, SourceStep: ptr(0), SourceField: "customer"}}},
	}
	source := &Task{Status: StatusDone, Values: map[string]json.RawMessage{"customer": raw(`"New"`)}}
	for _, tt := range []struct {
		name   string
		target *Task
		want   []RuntimeMapping
	}{
		{"empty target", &Task{Status: StatusOngoing}, []RuntimeMapping{{1, "name", raw(`"New"`)}}},
		{"target still holds the mapped value", &Task{Status: StatusOngoing, Values: map[string]json.RawMessage{"name": raw(`"Old"`)},
			Mapped: map[string]json.RawMessage{"name": raw(`"Old"`)}}, []RuntimeMapping{{1, "name", raw(`"New"`)}}},
		{"target edited by a user", &Task{Status: StatusOngoing, Values: map[string]json.RawMessage{"name": raw(`"Typed"`)},
			Mapped: map[string]json.RawMessage{"name": raw(`"Old"`)}}, nil},
		{"target has its own value", &Task{Status: StatusOngoing, Values: map[string]json.RawMessage{"name": raw(`"Typed"`)}}, nil},
		{"target DONE", &Task{Status: StatusDone}, nil},
		{"already equal", &Task{Status: StatusOngoing, Values: map[string]json.RawMessage{"name": raw(`"New"`)}}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := RuntimeMappings(steps, 0, source, []*Task{source, tt.target})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("(-want +got)\n%s", diff)
			}
		})
	}
	if got := RuntimeMappings(steps, 1, source, []*Task{source, {Status: StatusOngoing}}); got != nil {
		t.Fatalf("mapping from another source step: %v", got)
	}
}
