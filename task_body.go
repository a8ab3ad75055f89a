package fieldwork

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
)

// TaskPatch is a parsed task body (create, PUT, PATCH or done): the fixed keys that were sent,
// and the candidate component values. A key sent as JSON null is present with a nil value.
type TaskPatch struct {
	Sent map[string]bool

	Flow, FlowID, HubID                   *string
	StartTime, EndTime                    *time.Time
	Assignee                              *[]string
	OrderIndex                            *float64
	RefID, CreatedFrom                    *string
	Title, Content, Label                 *string
	ExpectedCoordinate                    *string
	Status                                *string
	DoneCoordinate, DoneFrom              *string
	TaskType, ParentID, SubID, WorkflowID bool // sent (create refuses them unless allowed)
	TaskTypeValue                         string

	Values map[string]json.RawMessage
}

// Has reports whether key was sent.
func (p *TaskPatch) Has(key string) bool { return p.Sent[key] }

// Created-from and done-from values (SPEC §5.1).
var (
	createdFromValues = []string{"WEB", "API", "Automation", "Mobile"}
	doneFromValues    = []string{"WEB", "MOBILE", "System"}
)

// ParseTaskBody reads a task object. Component candidates are the keys that are not reserved;
// the flow decides later which of them are components. prefix is prepended to error paths
// (`tasks[1]` in bulk and activity bodies).
func ParseTaskBody(body map[string]json.RawMessage, prefix string) (*TaskPatch, FieldErrors) {
	p := &TaskPatch{Sent: map[string]bool{}, Values: map[string]json.RawMessage{}}
	var fe FieldErrors
	path := func(k string) string { return Path(prefix, k) }
	str := func(k string, dst **string) {
		v, ok := body[k]
		if !ok {
			return
		}
		p.Sent[k] = true
		if isNull(v) {
			return
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			fe.Add(path(k), "must be a string")
			return
		}
		*dst = &s
	}
	when := func(k string, dst **time.Time) {
		var s *string
		str(k, &s)
		if s == nil {
			return
		}
		t, err := ParseTime(*s)
		if err != nil {
			fe.Add(path(k), "%s", err.Error())
			return
		}
		*dst = &t
	}
	str("flow", &p.Flow)
	str("flowId", &p.FlowID)
	str("hubId", &p.HubID)
	when("startTime", &p.StartTime)
	when("endTime", &p.EndTime)
	str("refId", &p.RefID)
	str("createdFrom", &p.CreatedFrom)
	str("title", &p.Title)
	str("content", &p.Content)
	str("label", &p.Label)
	str("expectedCoordinate", &p.ExpectedCoordinate)
	str("status", &p.Status)
	str("doneCoordinate", &p.DoneCoordinate)
	str("doneFrom", &p.DoneFrom)
	if v, ok := body["assignee"]; ok {
		p.Sent["assignee"] = true
		list, err := ParseAssignee(v)
		if err != "" {
			fe.Add(path("assignee"), "%s", err)
		} else {
			p.Assignee = &list
		}
	}
	if v, ok := body["orderIndex"]; ok {
		p.Sent["orderIndex"] = true
		var n float64
		if !isNull(v) {
			if err := json.Unmarshal(v, &n); err != nil {
				fe.Add(path("orderIndex"), "must be a number")
			} else {
				p.OrderIndex = &n
			}
		}
	}
	if v, ok := body["taskType"]; ok {
		p.TaskType = true
		_ = json.Unmarshal(v, &p.TaskTypeValue)
	}
	_, p.ParentID = body["parentId"]
	_, p.SubID = body["subId"]
	_, p.WorkflowID = body["workflowId"]
	if p.CreatedFrom != nil && !inList(*p.CreatedFrom, createdFromValues) {
		fe.Add(path("createdFrom"), "must be one of: %s", strings.Join(createdFromValues, ", "))
	}
	if p.DoneFrom != nil && !inList(*p.DoneFrom, doneFromValues) {
		fe.Add(path("doneFrom"), "must be one of: %s", strings.Join(doneFromValues, ", "))
	}
	if p.DoneCoordinate != nil && !flowValidLatLng(*p.DoneCoordinate) {
		fe.Add(path("doneCoordinate"), "must be \"lat,lng\" within range")
	}
	if p.StartTime != nil && p.EndTime != nil && p.StartTime.After(*p.EndTime) {
		fe.Add(path("endTime"), "must not be before startTime")
	}
	for k, v := range body {
		if !taskFixedKeys[k] && !IsReservedTaskKey(k) {
			p.Values[k] = v
		}
	}
	return p, fe
}

// ParseAssignee reads an assignee value: an array of emails or one comma-separated string.
// It returns the lower-cased, de-duplicated emails in first-seen order, or a problem text.
func ParseAssignee(v json.RawMessage) ([]string, string) {
	var raw []string
	if isNull(v) {
		return []string{}, ""
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		raw = strings.Split(s, ",")
	} else if err := json.Unmarshal(v, &raw); err != nil {
		return nil, "must be an array of emails or a comma-separated string"
	}
	out := []string{}
	seen := map[string]bool{}
	for _, e := range raw {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		n, ok := NormalizeEmail(e)
		if !ok {
			return nil, "\"" + e + "\" is not a valid email"
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, ""
}

func isNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

func inList(v string, list []string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
