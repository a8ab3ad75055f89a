package fieldwork

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCheckDone(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name    string
		task    Task
		wantMsg string
	}{
		{"ongoing in time", Task{Status: StatusOngoing, Assignee: []string{"a@x.test"}, EndTime: NewTime(now.Add(time.Hour))}, ""},
		{"ongoing at endTime", Task{Status: StatusOngoing, Assignee: []string{"a@x.test"}, EndTime: NewTime(now)}, ""},
		{"unassigned", Task{Status: StatusUnassigned, EndTime: NewTime(now.Add(time.Hour))}, "The task is not assigned"},
		{"done", Task{Status: StatusDone, Assignee: []string{"a@x.test"}}, "The task is already DONE"},
		{"past endTime", Task{Status: StatusOngoing, Assignee: []string{"a@x.test"}, EndTime: NewTime(now.Add(-time.Second))}, "The task's endTime has passed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckDone(&tt.task, now)
			got := ""
			if err != nil {
				e := err.(*Error)
				if e.FailedCode != "task-032" || e.Code != EINVALID {
					t.Fatalf("error %+v", e)
				}
				got = e.Message
			}
			if got != tt.wantMsg {
				t.Fatalf("CheckDone = %q, want %q", got, tt.wantMsg)
			}
		})
	}
	if err := CheckChangeable(&Task{Status: StatusDone}); err == nil {
		t.Fatal("a DONE task is changeable")
	}
	if err := CheckChangeable(&Task{Status: StatusOngoing}); err != nil {
		t.Fatal(err)
	}
}

func TestParseAssignee(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{`["A@x.test","b@x.test","a@x.test"]`, []string{"a@x.test", "b@x.test"}, false},
		{`"a@x.test, B@x.test"`, []string{"a@x.test", "b@x.test"}, false},
		{`""`, []string{}, false},
		{`[]`, []string{}, false},
		{`null`, []string{}, false},
		{`"nope"`, nil, true},
		{`5`, nil, true},
		{`[1]`, nil, true},
	} {
		got, problem := ParseAssignee(json.RawMessage(tt.in))
		if (problem != "") != tt.wantErr {
			t.Errorf("%s: problem %q", tt.in, problem)
			continue
		}
		if !tt.wantErr {
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s: (-want +got)\n%s", tt.in, diff)
			}
		}
	}
}

func TestParseTaskBody(t *testing.T) {
	body := map[string]json.RawMessage{}
	_ = json.Unmarshal([]byte(`{"flow":"F","hubId":"h","startTime":"2026-01-02 03:04:05","endTime":"2026-01-01T00:00:00Z",
		"orderIndex":"x","createdFrom":"Fax","doneFrom":"MOBILE","doneCoordinate":"91,0","title":null,"status":"DONE",
		"weight":"5","hub":{"x":1},"histories":[]}`), &body)
	p, fe := ParseTaskBody(body, "tasks[2]")
	var fields []string
	for _, f := range fe {
		fields = append(fields, f.Field)
	}
	want := []string{"tasks[2].orderIndex", "tasks[2].createdFrom", "tasks[2].doneCoordinate", "tasks[2].endTime"}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Fatalf("problems (-want +got)\n%s", diff)
	}
	if *p.Flow != "F" || *p.Status != "DONE" || !p.Has("title") || p.Title != nil || *p.DoneFrom != "MOBILE" {
		t.Fatalf("parsed %+v", p)
	}
	if len(p.Values) != 1 || string(p.Values["weight"]) != `"5"` {
		t.Fatalf("values %v (reserved keys must not be component candidates)", p.Values)
	}
}

func TestTaskJSON(t *testing.T) {
	now := NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	plain := &Task{ID: "a", Flow: "F", Status: StatusOngoing, TaskType: TaskTypeTask, Assignee: []string{}, StartTime: now,
		Values: map[string]json.RawMessage{"weight": json.RawMessage(`5`)}}
	b, err := json.Marshal(plain)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if m["weight"] != float64(5) || m["startTime"] != "2026-01-02T03:04:05+00:00" || m["doneTime"] != nil {
		t.Fatalf("encoded %s", b)
	}
	for _, k := range []string{"subStatus", "parentId", "subId", "name", "tasks", "histories"} {
		if _, ok := m[k]; ok {
			t.Errorf("plain task has %q", k)
		}
	}
	var back Task
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(plain, &back, cmp.AllowUnexported(Task{})); diff != "" {
		t.Fatalf("round trip (-want +got)\n%s", diff)
	}
	master := &Task{ID: "m", TaskType: TaskTypeActivityMaster, Title: ptr("Job"), SubID: []ID{"c1", "c2"}}
	b, _ = json.Marshal(master)
	m = nil
	_ = json.Unmarshal(b, &m)
	if _, ok := m["subStatus"]; !ok || m["name"] != "Job" || len(m["tasks"].([]any)) != 2 {
		t.Fatalf("master encoded %s", b)
	}
}

func TestTimeBounds(t *testing.T) {
	day := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	before := time.Unix(-10, 0)
	show := func(p *int64) string {
		if p == nil {
			return "none"
		}
		return fmt.Sprint(*p)
	}
	for _, tt := range []struct {
		f        TaskFilter
		from, to string
	}{
		{TaskFilter{TimeBy: "startTime"}, "none", "none"},
		{TaskFilter{TimeBy: "startTime", TimeTo: &day}, "1", fmt.Sprint(day.UnixMicro())},
		{TaskFilter{TimeBy: "doneTime", TimeFrom: &before}, "1", "none"},
		{TaskFilter{TimeBy: "startTime", TimeFrom: &day}, fmt.Sprint(day.UnixMicro()), "none"},
		{TaskFilter{TimeBy: "createdTime", TimeFrom: &before}, fmt.Sprint(before.UnixMicro()), "none"},
		{TaskFilter{TimeTo: &day}, "none", fmt.Sprint(day.UnixMicro())},
	} {
		from, to := tt.f.TimeBounds()
		if show(from) != tt.from || show(to) != tt.to {
			t.Errorf("%+v: TimeBounds = %s, %s, want %s, %s", tt.f, show(from), show(to), tt.from, tt.to)
		}
	}
}
