package fieldwork

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Failed codes of workflows (SPEC §11). They are exported because the HTTP layer reports body
// problems (wrong JSON types, unknown keys) under the same codes as the rules below.
const (
	CodeWorkflowSharedFlow   = "workf-002" // two steps share a flow
	CodeWorkflowName         = "workf-003" // invalid name or stepOrder
	CodeWorkflowInvalid      = "workf-030" // other invalid body or query (statuses, assigneeId, …)
	CodeWorkflowDuplicate    = "workf-031" // name already used
	CodeWorkflowInUse        = "workf-032" // still used by activities
	CodeWorkflowNotFound     = "workf-033" // workflow or step not found
	CodeWorkflowStepCount    = "workf-040" // step count outside 1..10
	CodeWorkflowStepFlow     = "workf-046" // step flow not in the organization
	CodeWorkflowMapping      = "workf-047" // bad field mapping
	CodeWorkflowStepsFrozen  = "workf-048" // step count changed by PUT
	CodeWorkflowStatusMapped = "workf-049" // statusMapping not in customStatuses
)

// Workflow limits (SPEC §6.1).
const (
	WorkflowMaxSteps          = 10
	WorkflowMaxCustomStatuses = 20 // custom names, the three locked defaults not counted
	workflowNameMin           = 2
	workflowNameMax           = 100
	customStatusMax           = 50
)

// DefaultStatusNames are the locked custom statuses every workflow starts with, in order.
var DefaultStatusNames = []string{"Unassigned", "Ongoing", "Done"}

// NormalizeWorkflowName trims a workflow name and checks it: 2–100 characters, no control
// characters (else workf-003).
func NormalizeWorkflowName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case n < workflowNameMin || n > workflowNameMax:
		return name, InvalidField(CodeWorkflowName, "name", "must be %d to %d characters", workflowNameMin, workflowNameMax)
	case hasControl(name):
		return name, InvalidField(CodeWorkflowName, "name", "must not contain control characters")
	}
	return name, nil
}

// NormalizeCustomStatuses returns the customStatuses of a workflow: the locked defaults first
// (isDefault true, re-added when missing), then the client's names in order (isDefault false;
// the isDefault sent is ignored). A name spelled exactly like a default is that default and is
// dropped, so a list read from the API can be sent back unchanged. Custom names must be 1–50
// characters without control characters, unique case-insensitively (defaults included), at most
// 20 of them; every problem is reported (workf-030).
func NormalizeCustomStatuses(in []CustomStatus) ([]CustomStatus, error) {
	out := make([]CustomStatus, 0, len(DefaultStatusNames)+len(in))
	seen := map[string]bool{}
	for _, d := range DefaultStatusNames {
		out = append(out, CustomStatus{Name: d, IsDefault: true})
		seen[strings.ToLower(d)] = true
	}
	defaultSent := map[string]bool{}
	var fe FieldErrors
	custom := 0
	for i, st := range in {
		name := strings.TrimSpace(st.Name)
		path := Path("customStatuses", i, "name")
		if isDefaultStatus(name) && !defaultSent[name] {
			defaultSent[name] = true
			continue
		}
		switch n := utf8.RuneCountInString(name); {
		case n == 0 || n > customStatusMax:
			fe.Add(path, "must be 1 to %d characters", customStatusMax)
		case hasControl(name):
			fe.Add(path, "must not contain control characters")
		case seen[strings.ToLower(name)]:
			fe.Add(path, "%q is used more than once", name)
		default:
			seen[strings.ToLower(name)] = true
			out = append(out, CustomStatus{Name: name})
			custom++
		}
	}
	if custom > WorkflowMaxCustomStatuses {
		fe.Add("customStatuses", "must hold at most %d custom statuses", WorkflowMaxCustomStatuses)
	}
	if err := fe.Err(CodeWorkflowInvalid); err != nil {
		return nil, err
	}
	return out, nil
}

func isDefaultStatus(name string) bool {
	for _, d := range DefaultStatusNames {
		if name == d {
			return true
		}
	}
	return false
}

// CheckStatusMappings checks that every step's statusMapping, when set, is the name of one of
// statuses (compared case-insensitively) and spells it as the status does; problems are
// workf-049.
func CheckStatusMappings(steps []Step, statuses []CustomStatus) error {
	var fe FieldErrors
	for i := range steps {
		m := steps[i].StatusMapping
		if m == nil {
			continue
		}
		found := false
		for _, st := range statuses {
			if strings.EqualFold(st.Name, *m) {
				name := st.Name
				steps[i].StatusMapping = &name
				found = true
				break
			}
		}
		if !found {
			fe.Add(Path("steps", i, "statusMapping"), "%q is not a name in customStatuses", *m)
		}
	}
	return fe.Err(CodeWorkflowStatusMapped)
}

// WorkflowRefs are the objects of the organization that workflow steps name, looked up by the
// service before the pure rules run. Ids that name nothing are simply absent.
type WorkflowRefs struct {
	Flows map[ID]*Flow
	Users map[ID]*User
}

// ValidateSteps checks the steps of a workflow against its customStatuses and returns them
// normalized: `order` is the index, `flowName` and `fieldSchema` come from the step's flow,
// an assigneeId of "" is none (nil), statusMapping takes the status's spelling and each field
// mapping is normalized by ValidateFieldMappings. The rules run in this order and the first
// that fails is returned, listing all its problems: 1–10 steps (workf-040), each flowId a flow
// of the organization (workf-046), no flow used twice (workf-002), assigneeId an active user
// (workf-030), statusMapping in statuses (workf-049), field mappings (workf-047).
func ValidateSteps(steps []Step, statuses []CustomStatus, refs WorkflowRefs) ([]Step, error) {
	if len(steps) < 1 || len(steps) > WorkflowMaxSteps {
		return nil, InvalidField(CodeWorkflowStepCount, "steps", "must hold 1 to %d steps", WorkflowMaxSteps)
	}
	out := make([]Step, len(steps))
	flows := make([]*Flow, len(steps))
	var flowErrs, sharedErrs, userErrs FieldErrors
	firstUse := map[ID]int{}
	for i, st := range steps {
		path := Path("steps", i, "flowId")
		st.Order = i
		if st.FieldMappings == nil {
			st.FieldMappings = []FieldMapping{}
		}
		f := refs.Flows[st.FlowID]
		switch {
		case st.FlowID == "":
			flowErrs.Add(path, "is required")
		case f == nil:
			flowErrs.Add(path, "is not a flow of the organization")
		default:
			st.FlowName, st.FieldSchema = f.Name, f.Fields()
			flows[i] = f
		}
		if j, ok := firstUse[st.FlowID]; ok && st.FlowID != "" {
			sharedErrs.Add(path, "is already used by steps[%d]", j)
		} else {
			firstUse[st.FlowID] = i
		}
		if st.AssigneeID != nil && *st.AssigneeID == "" {
			st.AssigneeID = nil
		}
		if st.AssigneeID != nil {
			if u := refs.Users[*st.AssigneeID]; u == nil || u.Status != UserActive {
				userErrs.Add(Path("steps", i, "assigneeId"), "must be the _id of an active user of the organization")
			}
		}
		out[i] = st
	}
	for _, group := range []struct {
		errs FieldErrors
		code string
	}{{flowErrs, CodeWorkflowStepFlow}, {sharedErrs, CodeWorkflowSharedFlow}, {userErrs, CodeWorkflowInvalid}} {
		if err := group.errs.Err(group.code); err != nil {
			return nil, err
		}
	}
	if err := CheckStatusMappings(out, statuses); err != nil {
		return nil, err
	}
	var mapErrs FieldErrors
	for i := range out {
		norm, errs, _ := ValidateFieldMappings(out, flows, i, out[i].FieldMappings, Path("steps", i, "fieldMappings"))
		out[i].FieldMappings = norm
		mapErrs = append(mapErrs, errs...)
	}
	if err := mapErrs.Err(CodeWorkflowMapping); err != nil {
		return nil, err
	}
	return out, nil
}

// ValidateFieldMappings checks the field mappings of steps[stepIndex] (SPEC §6.1) and returns
// them normalized, the problems (one per bad mapping, at Path(prefix, i, key)) and warnings.
// flows[i] is the flow of steps[i] (nil when it is unknown).
//
//   - targetField: a component of this step's flow, not a view, at most one mapping per target.
//   - sourceType manual or direct: sourceField is a literal valid for the target component
//     (Flow.CheckValues); sourceStep and sourceStepId become null.
//   - sourceType step (not on the first step): the source step is named by sourceStep (its
//     order) or sourceStepId (its flowId), which must agree when both are sent, and both are
//     filled in; it must come before this step. sourceField loses a leading `$` and anything up
//     to its last `.` and must be a component of the source step's flow of the same component
//     and type as the target, unless the target is an input of type String.
//
// A required component of this step's flow (views aside) that no mapping fills is a warning.
func ValidateFieldMappings(steps []Step, flows []*Flow, stepIndex int, mappings []FieldMapping, prefix string) ([]FieldMapping, FieldErrors, []string) {
	out := make([]FieldMapping, 0, len(mappings))
	var errs FieldErrors
	targeted := map[string]bool{}
	var target *Flow
	if stepIndex >= 0 && stepIndex < len(flows) {
		target = flows[stepIndex]
	}
	for i, m := range mappings {
		nm, problem := checkFieldMapping(steps, flows, stepIndex, target, m, targeted)
		if problem != nil {
			errs = append(errs, FieldError{Field: Path(prefix, i, problem.Field), Message: problem.Message})
		}
		out = append(out, nm)
	}
	warnings := []string{}
	if target != nil {
		target.components(func(c *Component, _ string) {
			if c.Required && !strings.EqualFold(c.Component, KindView) && !targeted[c.ID] {
				warnings = append(warnings, fmt.Sprintf("%s: required field %q is not filled by any mapping", prefix, c.ID))
			}
		})
	}
	return out, errs, warnings
}

// checkFieldMapping checks one mapping of the step at stepIndex (whose flow is target) and
// returns it normalized with its first problem, if any (Field relative to the mapping).
// targeted collects the target fields already mapped.
func checkFieldMapping(steps []Step, flows []*Flow, stepIndex int, target *Flow, m FieldMapping, targeted map[string]bool) (FieldMapping, *FieldError) {
	fail := func(field, format string, args ...any) (FieldMapping, *FieldError) {
		return m, &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
	}
	m.SourceType = strings.ToLower(strings.TrimSpace(m.SourceType))
	if m.SourceType == SourceManual || m.SourceType == SourceDirect {
		m.SourceStep, m.SourceStepID = nil, nil
	}

	if m.TargetField == "" {
		return fail("targetField", "is required")
	}
	if target == nil {
		return fail("targetField", "cannot be checked: the step's flow no longer exists")
	}
	tc, _, ok := target.FindComponent(m.TargetField)
	switch {
	case !ok:
		return fail("targetField", "%q is not a field of flow %q", m.TargetField, target.Name)
	case strings.EqualFold(tc.Component, KindView):
		return fail("targetField", "%q is a view and cannot be filled", m.TargetField)
	case targeted[m.TargetField]:
		return fail("targetField", "%q is already filled by another mapping", m.TargetField)
	}
	targeted[m.TargetField] = true

	switch m.SourceType {
	case SourceManual, SourceDirect:
		if m.SourceField == "" {
			return fail("sourceField", "is required")
		}
		lit, _ := json.Marshal(m.SourceField)
		if _, verrs := target.CheckValues(map[string]json.RawMessage{tc.ID: lit}, ""); len(verrs) > 0 {
			return fail("sourceField", "%s", verrs[0].Message)
		}
		return m, nil
	case SourceStep:
	case "":
		return fail("sourceType", "is required")
	default:
		return fail("sourceType", "must be one of: %s, %s, %s", SourceManual, SourceDirect, SourceStep)
	}

	if stepIndex == 0 {
		return fail("sourceType", "the first step may only use manual or direct mappings")
	}
	if m.SourceStepID != nil && *m.SourceStepID == "" {
		m.SourceStepID = nil
	}
	src := -1
	if m.SourceStep != nil {
		if *m.SourceStep < 0 || *m.SourceStep >= len(steps) {
			return fail("sourceStep", "must be the order of a step of the workflow")
		}
		src = *m.SourceStep
	}
	if m.SourceStepID != nil {
		k := -1
		for j := range steps {
			if steps[j].FlowID == *m.SourceStepID {
				k = j
				break
			}
		}
		switch {
		case k < 0:
			return fail("sourceStepId", "must be the flowId of a step of the workflow")
		case src >= 0 && src != k:
			return fail("sourceStepId", "names steps[%d] but sourceStep names steps[%d]", k, src)
		}
		src = k
	}
	if src < 0 {
		return fail("sourceStep", "is required (or sourceStepId)")
	}
	if src >= stepIndex {
		return fail("sourceStep", "must be a step before this one")
	}
	m.SourceStep, m.SourceStepID = ptr(src), ptr(steps[src].FlowID)

	m.SourceField = sourceFieldID(m.SourceField)
	if m.SourceField == "" {
		return fail("sourceField", "is required")
	}
	sf := flows[src]
	if sf == nil {
		return fail("sourceField", "cannot be checked: the source step's flow no longer exists")
	}
	sc, _, ok := sf.FindComponent(m.SourceField)
	if !ok {
		return fail("sourceField", "%q is not a field of flow %q", m.SourceField, sf.Name)
	}
	if !kindsMatch(sc, tc) {
		return fail("sourceField", "%q (%s) cannot fill %q (%s)", sc.ID, componentKind(sc), tc.ID, componentKind(tc))
	}
	return m, nil
}

// sourceFieldID reduces a step mapping's sourceField to a component id: `$Pickup.customerName`
// means `customerName`.
func sourceFieldID(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "$")
	if i := strings.LastIndexByte(s, '.'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// kindsMatch reports whether a value of component src may fill component dst: same component
// and type, or dst an input of type String (every value has a text form).
func kindsMatch(src, dst *Component) bool {
	if strings.EqualFold(dst.Component, KindInput) && strings.EqualFold(componentType(dst), TypeString) {
		return true
	}
	return strings.EqualFold(src.Component, dst.Component) && strings.EqualFold(componentType(src), componentType(dst))
}

// componentType is c's type with the defaults ValidateFlow applies (input and view: String).
func componentType(c *Component) string {
	if c.Type == "" && (strings.EqualFold(c.Component, KindInput) || strings.EqualFold(c.Component, KindView)) {
		return TypeString
	}
	return c.Type
}

// componentKind names a component's kind for messages: "input/Numeric", "photo".
func componentKind(c *Component) string {
	if t := componentType(c); t != "" {
		return c.Component + "/" + t
	}
	return c.Component
}
