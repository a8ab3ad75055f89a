package fieldwork_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldwork-dev/fieldwork"
)

// wfFlow builds a validated flow with the given id, name and pages JSON.
func wfFlow(t *testing.T, id, name, pages string) *fieldwork.Flow {
	t.Helper()
	var f fieldwork.Flow
	if err := json.Unmarshal([]byte(`{"name":"`+name+`","pages":`+pages+`}`), &f); err != nil {
		t.Fatal(err)
	}
	if err := fieldwork.ValidateFlow(&f); err != nil {
		t.Fatal(err)
	}
	f.ID = id
	return &f
}

const (
	pickupID   = "aaaaaaaaaaaaaaaaaaaaaaa0"
	deliveryID = "aaaaaaaaaaaaaaaaaaaaaaa1"
	surveyID   = "aaaaaaaaaaaaaaaaaaaaaaa2"
)

// wfFlows returns three flows: Pickup, Delivery and Survey.
func wfFlows(t *testing.T) (pickup, delivery, survey *fieldwork.Flow) {
	pickup = wfFlow(t, pickupID, "Pickup", `[
		{"id":"page0","components":[
			{"component":"input","id":"customerName","title":"Customer","required":true},
			{"component":"input","id":"phone","title":"Phone","type":"PhoneNumber"},
			{"component":"input","id":"weight","title":"Weight","type":"Numeric"},
			{"component":"select","id":"size","title":"Size","options":["S","M","L"]},
			{"component":"photo","id":"photos","title":"Photos"},
			{"component":"view","id":"note","title":"Note"}]},
		{"id":"page1","components":[{"component":"signature","id":"proof","title":"Proof","required":true}]}]`)
	delivery = wfFlow(t, deliveryID, "Delivery", `[
		{"id":"page0","components":[
			{"component":"input","id":"recipientName","title":"Recipient","required":true},
			{"component":"input","id":"amount","title":"Amount","type":"Numeric"},
			{"component":"select","id":"size","title":"Size","options":["S","M","L"]},
			{"component":"photo","id":"photos","title":"Photos"},
			{"component":"view","id":"info","title":"Info"}]},
		{"id":"page1","components":[{"component":"photo","id":"pod","title":"Proof of delivery","required":true}]}]`)
	survey = wfFlow(t, surveyID, "Survey", `[{"id":"page0","components":[{"component":"input","id":"rating","title":"Rating","type":"Numeric"}]}]`)
	return pickup, delivery, survey
}

func wfCode(err error) string {
	var e *fieldwork.Error
	if errors.As(err, &e) {
		return e.FailedCode
	}
	return ""
}

func wfFieldStrings(err error) []string {
	var e *fieldwork.Error
	if !errors.As(err, &e) {
		return nil
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.String())
	}
	return out
}

func TestNormalizeWorkflowName(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
		ok             bool
	}{
		{"trimmed", "  Pickup to Delivery ", "Pickup to Delivery", true},
		{"two characters", "ab", "ab", true},
		{"two runes", "日本", "日本", true},
		{"one character", "a", "", false},
		{"one character after trimming", "  a  ", "", false},
		{"empty", "", "", false},
		{"100 characters", strings.Repeat("x", 100), strings.Repeat("x", 100), true},
		{"101 characters", strings.Repeat("x", 101), "", false},
		{"tab inside", "ab\tcd", "", false},
		{"newline inside", "ab\ncd", "", false},
		{"DEL inside", "ab\x7fcd", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fieldwork.NormalizeWorkflowName(tt.in)
			if tt.ok {
				if err != nil || got != tt.want {
					t.Fatalf("got %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if wfCode(err) != "workf-003" || !strings.HasPrefix(wfFieldStrings(err)[0], "name: ") {
				t.Fatalf("err = %v, want workf-003 on name", err)
			}
		})
	}
}

func TestNormalizeCustomStatuses(t *testing.T) {
	defaults := []fieldwork.CustomStatus{{Name: "Unassigned", IsDefault: true}, {Name: "Ongoing", IsDefault: true}, {Name: "Done", IsDefault: true}}
	with := func(names ...string) []fieldwork.CustomStatus {
		out := append([]fieldwork.CustomStatus{}, defaults...)
		for _, n := range names {
			out = append(out, fieldwork.CustomStatus{Name: n})
		}
		return out
	}
	cs := func(names ...string) []fieldwork.CustomStatus {
		var out []fieldwork.CustomStatus
		for _, n := range names {
			out = append(out, fieldwork.CustomStatus{Name: n})
		}
		return out
	}
	many := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("Status %d", i))
		}
		return out
	}
	for _, tt := range []struct {
		name    string
		in      []fieldwork.CustomStatus
		want    []fieldwork.CustomStatus
		wantErr []string
	}{
		{"absent", nil, defaults, nil},
		{"empty", []fieldwork.CustomStatus{}, defaults, nil},
		{"custom after defaults", cs("Loaded", "Delivered"), with("Loaded", "Delivered"), nil},
		{"input isDefault ignored", []fieldwork.CustomStatus{{Name: "Loaded", IsDefault: true}}, with("Loaded"), nil},
		{"names trimmed", cs("  Loaded "), with("Loaded"), nil},
		{"defaults sent back are kept once, in front", cs("Loaded", "Done", "Unassigned"), with("Loaded"), nil},
		{"a read list round-trips", with("Loaded"), with("Loaded"), nil},
		{"20 custom", cs(many(20)...), with(many(20)...), nil},
		{"21 custom", cs(many(21)...), nil, []string{"customStatuses: must hold at most 20 custom statuses"}},
		{"empty name", cs(""), nil, []string{"customStatuses[0].name: must be 1 to 50 characters"}},
		{"blank name", cs("   "), nil, []string{"customStatuses[0].name: must be 1 to 50 characters"}},
		{"50 characters", cs(strings.Repeat("s", 50)), with(strings.Repeat("s", 50)), nil},
		{"51 characters", cs(strings.Repeat("s", 51)), nil, []string{"customStatuses[0].name: must be 1 to 50 characters"}},
		{"control character", cs("a\tb"), nil, []string{"customStatuses[0].name: must not contain control characters"}},
		{"duplicate custom, other case", cs("Loaded", "LOADED"), nil, []string{`customStatuses[1].name: "LOADED" is used more than once`}},
		{"default in another case", cs("done"), nil, []string{`customStatuses[0].name: "done" is used more than once`}},
		{"default twice", cs("Done", "Done"), nil, []string{`customStatuses[1].name: "Done" is used more than once`}},
		{"every problem listed", cs("", "x", "X"), nil, []string{"customStatuses[0].name: must be 1 to 50 characters", `customStatuses[2].name: "X" is used more than once`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fieldwork.NormalizeCustomStatuses(tt.in)
			if tt.wantErr != nil {
				if wfCode(err) != "workf-030" {
					t.Fatalf("err = %v, want workf-030", err)
				}
				if diff := cmp.Diff(tt.wantErr, wfFieldStrings(err)); diff != "" {
					t.Fatalf("errors (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("statuses (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckStatusMappings(t *testing.T) {
	statuses := []fieldwork.CustomStatus{{Name: "Done", IsDefault: true}, {Name: "Loaded"}}
	steps := []fieldwork.Step{{StatusMapping: nil}, {StatusMapping: wfPtr("loaded")}, {StatusMapping: wfPtr("Gone")}, {StatusMapping: wfPtr("")}}
	err := fieldwork.CheckStatusMappings(steps, statuses)
	if wfCode(err) != "workf-049" {
		t.Fatalf("err = %v", err)
	}
	want := []string{`steps[2].statusMapping: "Gone" is not a name in customStatuses`, `steps[3].statusMapping: "" is not a name in customStatuses`}
	if diff := cmp.Diff(want, wfFieldStrings(err)); diff != "" {
		t.Fatalf("errors (-want +got):\n%s", diff)
	}
	if *steps[1].StatusMapping != "Loaded" {
		t.Fatalf("statusMapping not respelled: %q", *steps[1].StatusMapping)
	}
}

func wfPtr[T any](v T) *T { return &v }

func TestValidateFieldMappings(t *testing.T) {
	pickup, delivery, survey := wfFlows(t)
	steps := []fieldwork.Step{{Order: 0, FlowID: pickupID}, {Order: 1, FlowID: deliveryID}, {Order: 2, FlowID: surveyID}}
	flows := []*fieldwork.Flow{pickup, delivery, survey}
	manual := func(target, value string) fieldwork.FieldMapping {
		return fieldwork.FieldMapping{TargetField: target, SourceType: "manual", SourceField: value}
	}
	fromStep := func(target string, src *int, srcID *string, field string) fieldwork.FieldMapping {
		return fieldwork.FieldMapping{TargetField: target, SourceType: "step", SourceStep: src, SourceStepID: srcID, SourceField: field}
	}
	stepMap := func(target string, src int, field string) fieldwork.FieldMapping {
		return fieldwork.FieldMapping{TargetField: target, SourceType: "step", SourceStep: wfPtr(src), SourceStepID: wfPtr(steps[src].FlowID), SourceField: field}
	}
	const (
		recipientWarn = `p: required field "recipientName" is not filled by any mapping`
		podWarn       = `p: required field "pod" is not filled by any mapping`
	)
	for _, tt := range []struct {
		name     string
		step     int
		in       []fieldwork.FieldMapping
		want     []fieldwork.FieldMapping // nil: same as in
		errs     []string
		warnings []string
	}{
		{"none", 1, nil, []fieldwork.FieldMapping{}, nil, []string{recipientWarn, podWarn}},
		{"manual literal", 1, []fieldwork.FieldMapping{manual("recipientName", "Ana")}, nil, nil, []string{podWarn}},
		{"manual drops its source step", 1, []fieldwork.FieldMapping{{TargetField: "recipientName", SourceType: "manual", SourceStep: wfPtr(0), SourceStepID: wfPtr(pickupID), SourceField: "Ana"}},
			[]fieldwork.FieldMapping{manual("recipientName", "Ana")}, nil, []string{podWarn}},
		{"direct numeric string", 1, []fieldwork.FieldMapping{{TargetField: "amount", SourceType: "direct", SourceField: "12.5"}}, nil, nil, []string{recipientWarn, podWarn}},
		{"manual on the first step", 0, []fieldwork.FieldMapping{manual("size", "M")}, nil, nil, []string{`p: required field "customerName" is not filled by any mapping`, `p: required field "proof" is not filled by any mapping`}},
		{"source type case-insensitive", 1, []fieldwork.FieldMapping{{TargetField: "recipientName", SourceType: "Manual", SourceField: "Ana"}},
			[]fieldwork.FieldMapping{manual("recipientName", "Ana")}, nil, []string{podWarn}},
		{"manual value not a number", 1, []fieldwork.FieldMapping{manual("amount", "lots")}, nil, []string{"p[0].sourceField: must be a number"}, []string{recipientWarn, podWarn}},
		{"manual value not an option", 1, []fieldwork.FieldMapping{manual("size", "XL")}, nil, []string{"p[0].sourceField: must be one of: S, M, L"}, []string{recipientWarn, podWarn}},
		{"manual string for a photo", 1, []fieldwork.FieldMapping{manual("photos", "http://x/a.jpg")}, nil, []string{"p[0].sourceField: must be a list of photo URLs"}, []string{recipientWarn, podWarn}},
		{"manual without value", 1, []fieldwork.FieldMapping{manual("recipientName", "")}, nil, []string{"p[0].sourceField: is required"}, []string{podWarn}},
		{"step by order", 1, []fieldwork.FieldMapping{fromStep("recipientName", wfPtr(0), nil, "customerName")},
			[]fieldwork.FieldMapping{stepMap("recipientName", 0, "customerName")}, nil, []string{podWarn}},
		{"step by flowId", 1, []fieldwork.FieldMapping{fromStep("recipientName", nil, wfPtr(pickupID), "customerName")},
			[]fieldwork.FieldMapping{stepMap("recipientName", 0, "customerName")}, nil, []string{podWarn}},
		{"step by both, agreeing", 2, []fieldwork.FieldMapping{fromStep("rating", wfPtr(1), wfPtr(deliveryID), "amount")},
			[]fieldwork.FieldMapping{stepMap("rating", 1, "amount")}, nil, []string{}},
		{"step field with $ and dots", 1, []fieldwork.FieldMapping{fromStep("recipientName", wfPtr(0), nil, "$Pickup.customerName")},
			[]fieldwork.FieldMapping{stepMap("recipientName", 0, "customerName")}, nil, []string{podWarn}},
		{"step field with nested dots", 1, []fieldwork.FieldMapping{fromStep("recipientName", wfPtr(0), nil, "$a.b.customerName")},
			[]fieldwork.FieldMapping{stepMap("recipientName", 0, "customerName")}, nil, []string{podWarn}},
		{"step from two steps back", 2, []fieldwork.FieldMapping{fromStep("rating", wfPtr(0), nil, "weight")},
			[]fieldwork.FieldMapping{stepMap("rating", 0, "weight")}, nil, []string{}},
		{"same kind select", 1, []fieldwork.FieldMapping{stepMap("size", 0, "size")}, nil, nil, []string{recipientWarn, podWarn}},
		{"same kind photo", 1, []fieldwork.FieldMapping{stepMap("photos", 0, "photos")}, nil, nil, []string{recipientWarn, podWarn}},
		{"anything fills an input String", 1, []fieldwork.FieldMapping{stepMap("recipientName", 0, "photos")}, nil, nil, []string{podWarn}},
		{"kinds differ: select into Numeric", 1, []fieldwork.FieldMapping{stepMap("amount", 0, "size")}, nil,
			[]string{`p[0].sourceField: "size" (select/dropdown) cannot fill "amount" (input/Numeric)`}, []string{recipientWarn, podWarn}},
		{"types differ: PhoneNumber into Numeric", 1, []fieldwork.FieldMapping{stepMap("amount", 0, "phone")}, nil,
			[]string{`p[0].sourceField: "phone" (input/PhoneNumber) cannot fill "amount" (input/Numeric)`}, []string{recipientWarn, podWarn}},
		{"kinds differ: signature into photo", 1, []fieldwork.FieldMapping{stepMap("pod", 0, "proof")}, nil,
			[]string{`p[0].sourceField: "proof" (signature) cannot fill "pod" (photo)`}, []string{recipientWarn}},
		{"step on the first step", 0, []fieldwork.FieldMapping{fromStep("customerName", wfPtr(0), nil, "phone")}, nil,
			[]string{"p[0].sourceType: the first step may only use manual or direct mappings"}, []string{`p: required field "proof" is not filled by any mapping`}},
		{"source is this step", 1, []fieldwork.FieldMapping{fromStep("recipientName", wfPtr(1), nil, "amount")}, nil,
			[]string{"p[0].sourceStep: must be a step before this one"}, []string{podWarn}},
		{"source is a later step", 1, []fieldwork.FieldMapping{fromStep("recipientName", nil, wfPtr(surveyID), "rating")}, nil,
			[]string{"p[0].sourceStep: must be a step before this one"}, []string{podWarn}},
		{"source order out of range", 1, []fieldwork.FieldMapping{fromStep("recipientName", wfPtr(7), nil, "x")}, nil,
			[]string{"p[0].sourceStep: must be the order of a step of the workflow"}, []string{podWarn}},
		{"source order negative", 1, []fieldwork.FieldMapping{fromStep("recipientName", wfPtr(-1), nil, "x")}, nil,
			[]string{"p[0].sourceStep: must be the order of a step of the workflow"}, []string{podWarn}},
		{"source flowId unknown", 1, []fieldwork.FieldMapping{fromStep("recipientName", nil, wfPtr("bbbbbbbbbbbbbbbbbbbbbbbb"), "x")}, nil,
			[]string{"p[0].sourceStepId: must be the flowId of a step of the workflow"}, []string{podWarn}},
		{"source order and flowId disagree", 2, []fieldwork.FieldMapping{fromStep("rating", wfPtr(0), wfPtr(deliveryID), "amount")}, nil,
			[]string{"p[0].sourceStepId: names steps[1] but sourceStep names steps[0]"}, []string{}},
		{"no source step", 1, []fieldwork.FieldMapping{fromStep("recipientName", nil, wfPtr(""), "customerName")}, nil,
			[]string{"p[0].sourceStep: is required (or sourceStepId)"}, []string{podWarn}},
		{"source field unknown", 1, []fieldwork.FieldMapping{fromStep("recipientName", wfPtr(0), nil, "$Pickup.nope")}, nil,
			[]string{`p[0].sourceField: "nope" is not a field of flow "Pickup"`}, []string{podWarn}},
		{"source field empty", 1, []fieldwork.FieldMapping{fromStep("recipientName", wfPtr(0), nil, "$")}, nil,
			[]string{"p[0].sourceField: is required"}, []string{podWarn}},
		{"target missing", 1, []fieldwork.FieldMapping{manual("", "Ana")}, nil, []string{"p[0].targetField: is required"}, []string{recipientWarn, podWarn}},
		{"target unknown", 1, []fieldwork.FieldMapping{manual("customerName", "Ana")}, nil,
			[]string{`p[0].targetField: "customerName" is not a field of flow "Delivery"`}, []string{recipientWarn, podWarn}},
		{"target is a view", 1, []fieldwork.FieldMapping{manual("info", "Ana")}, nil,
			[]string{`p[0].targetField: "info" is a view and cannot be filled`}, []string{recipientWarn, podWarn}},
		{"target mapped twice", 1, []fieldwork.FieldMapping{manual("recipientName", "Ana"), stepMap("recipientName", 0, "customerName")}, nil,
			[]string{`p[1].targetField: "recipientName" is already filled by another mapping`}, []string{podWarn}},
		{"source type missing", 1, []fieldwork.FieldMapping{{TargetField: "recipientName", SourceField: "Ana"}}, nil,
			[]string{"p[0].sourceType: is required"}, []string{podWarn}},
		{"source type unknown", 1, []fieldwork.FieldMapping{{TargetField: "recipientName", SourceType: "formula", SourceField: "Ana"}}, nil,
			[]string{"p[0].sourceType: must be one of: manual, direct, step"}, []string{podWarn}},
		{"one error per bad mapping, each listed", 1, []fieldwork.FieldMapping{
			{TargetField: "info", SourceType: "formula"}, manual("amount", "x"), manual("recipientName", "Ana")}, nil,
			[]string{`p[0].targetField: "info" is a view and cannot be filled`, "p[1].sourceField: must be a number"}, []string{podWarn}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, errs, warnings := fieldwork.ValidateFieldMappings(steps, flows, tt.step, tt.in, "p")
			want := tt.want
			if want == nil {
				want = tt.in
			}
			if tt.errs == nil {
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("mappings (-want +got):\n%s", diff)
				}
			}
			var gotErrs []string
			for _, e := range errs {
				gotErrs = append(gotErrs, e.String())
			}
			if diff := cmp.Diff(tt.errs, gotErrs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warnings, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateSteps(t *testing.T) {
	pickup, delivery, survey := wfFlows(t)
	active := &fieldwork.User{ID: "cccccccccccccccccccccccc", Status: fieldwork.UserActive}
	disabled := &fieldwork.User{ID: "dddddddddddddddddddddddd", Status: fieldwork.UserDisabled}
	refs := fieldwork.WorkflowRefs{
		Flows: map[fieldwork.ID]*fieldwork.Flow{pickupID: pickup, deliveryID: delivery, surveyID: survey},
		Users: map[fieldwork.ID]*fieldwork.User{active.ID: active, disabled.ID: disabled},
	}
	statuses, _ := fieldwork.NormalizeCustomStatuses([]fieldwork.CustomStatus{{Name: "Loaded"}})
	// Ten distinct flows for the step-count cases.
	for i := 3; i < 11; i++ {
		id := fmt.Sprintf("aaaaaaaaaaaaaaaaaaaaaa%02d", i)
		refs.Flows[id] = wfFlow(t, id, fmt.Sprintf("Flow %d", i), `[{"id":"page0","components":[]}]`)
	}
	nSteps := func(n int) []fieldwork.Step {
		var out []fieldwork.Step
		for i := range n {
			id := fmt.Sprintf("aaaaaaaaaaaaaaaaaaaaaa%02d", i)
			if i < 3 {
				id = []string{pickupID, deliveryID, surveyID}[i]
			}
			out = append(out, fieldwork.Step{FlowID: id})
		}
		return out
	}
	one := func(st fieldwork.Step) []fieldwork.Step { return []fieldwork.Step{st} }
	for _, tt := range []struct {
		name  string
		steps []fieldwork.Step
		code  string
		errs  []string
	}{
		{"one step", nSteps(1), "", nil},
		{"ten steps", nSteps(10), "", nil},
		{"no step", nil, "workf-040", []string{"steps: must hold 1 to 10 steps"}},
		{"eleven steps", append(nSteps(10), fieldwork.Step{FlowID: "aaaaaaaaaaaaaaaaaaaaaa10"}), "workf-040", []string{"steps: must hold 1 to 10 steps"}},
		{"flowId missing", one(fieldwork.Step{}), "workf-046", []string{"steps[0].flowId: is required"}},
		{"flowId unknown", []fieldwork.Step{{FlowID: pickupID}, {FlowID: "bbbbbbbbbbbbbbbbbbbbbbbb"}}, "workf-046", []string{"steps[1].flowId: is not a flow of the organization"}},
		{"flowId malformed", one(fieldwork.Step{FlowID: "nope"}), "workf-046", []string{"steps[0].flowId: is not a flow of the organization"}},
		{"flow shared", []fieldwork.Step{{FlowID: pickupID}, {FlowID: deliveryID}, {FlowID: pickupID}}, "workf-002", []string{"steps[2].flowId: is already used by steps[0]"}},
		{"assignee empty is none", one(fieldwork.Step{FlowID: pickupID, AssigneeID: wfPtr("")}), "", nil},
		{"assignee active", one(fieldwork.Step{FlowID: pickupID, AssigneeID: wfPtr(active.ID)}), "", nil},
		{"assignee disabled", one(fieldwork.Step{FlowID: pickupID, AssigneeID: wfPtr(disabled.ID)}), "workf-030", []string{"steps[0].assigneeId: must be the _id of an active user of the organization"}},
		{"assignee unknown", one(fieldwork.Step{FlowID: pickupID, AssigneeID: wfPtr("eeeeeeeeeeeeeeeeeeeeeeee")}), "workf-030", []string{"steps[0].assigneeId: must be the _id of an active user of the organization"}},
		{"status mapping known", one(fieldwork.Step{FlowID: pickupID, StatusMapping: wfPtr("loaded")}), "", nil},
		{"status mapping default", one(fieldwork.Step{FlowID: pickupID, StatusMapping: wfPtr("Done")}), "", nil},
		{"status mapping unknown", one(fieldwork.Step{FlowID: pickupID, StatusMapping: wfPtr("Lost")}), "workf-049", []string{`steps[0].statusMapping: "Lost" is not a name in customStatuses`}},
		{"bad mappings of several steps", []fieldwork.Step{
			{FlowID: pickupID, FieldMappings: []fieldwork.FieldMapping{{TargetField: "customerName", SourceType: "step", SourceStep: wfPtr(0), SourceField: "phone"}}},
			{FlowID: deliveryID, FieldMappings: []fieldwork.FieldMapping{{TargetField: "recipientName", SourceType: "manual", SourceField: "Ana"}, {TargetField: "amount", SourceType: "step", SourceStep: wfPtr(0), SourceField: "size"}}},
		}, "workf-047", []string{
			"steps[0].fieldMappings[0].sourceType: the first step may only use manual or direct mappings",
			`steps[1].fieldMappings[1].sourceField: "size" (select/dropdown) cannot fill "amount" (input/Numeric)`,
		}},
		{"flow problems come before mapping problems", []fieldwork.Step{{FlowID: pickupID, FieldMappings: []fieldwork.FieldMapping{{}}}, {}}, "workf-046", []string{"steps[1].flowId: is required"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fieldwork.ValidateSteps(tt.steps, statuses, refs)
			if wfCode(err) != tt.code {
				t.Fatalf("err = %v, want %q", err, tt.code)
			}
			if tt.code != "" {
				if diff := cmp.Diff(tt.errs, wfFieldStrings(err)); diff != "" {
					t.Fatalf("errors (-want +got):\n%s", diff)
				}
				return
			}
			for i, st := range got {
				f := refs.Flows[st.FlowID]
				if st.Order != i || st.FlowName != f.Name || st.FieldMappings == nil || len(st.FieldSchema) != len(f.Fields()) {
					t.Fatalf("step %d not normalized: %+v", i, st)
				}
				if st.AssigneeID != nil && *st.AssigneeID == "" {
					t.Fatalf("empty assigneeId kept")
				}
				if st.StatusMapping != nil && *st.StatusMapping == "loaded" {
					t.Fatalf("statusMapping not respelled")
				}
			}
		})
	}

	// The server sets order, flowName and fieldSchema whatever the input says, and fills both
	// source keys of a step mapping.
	got, err := fieldwork.ValidateSteps([]fieldwork.Step{
		{Order: 5, FlowID: pickupID, FlowName: "Wrong", FieldSchema: []fieldwork.FlowField{}},
		{Order: 9, FlowID: deliveryID, FieldMappings: []fieldwork.FieldMapping{{TargetField: "recipientName", SourceType: "step", SourceStepID: wfPtr(pickupID), SourceField: "$Pickup.customerName"}}},
	}, statuses, refs)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Order != 0 || got[1].Order != 1 || got[0].FlowName != "Pickup" || len(got[0].FieldSchema) != 7 || got[0].FieldSchema[6].Page != "page1" {
		t.Fatalf("steps not normalized: %+v", got)
	}
	m := got[1].FieldMappings[0]
	if *m.SourceStep != 0 || *m.SourceStepID != pickupID || m.SourceField != "customerName" {
		t.Fatalf("mapping not normalized: %+v", m)
	}
}
