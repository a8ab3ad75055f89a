package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// The fixture every phase starts from, made through the API as a client would: one hub, two
// flows of realistic size (about 1 KB per stored task with their values), 100 field workers,
// a 2-step workflow (pickup → delivery, with a field mapping) and a 10-step one (a pickup and
// nine drops).
const pickupFlow = `{"name": "Pickup", "pages": [
 {"id": "page0", "components": [
   {"component": "input", "id": "orderNo", "title": "Order", "required": true, "showAs": "title"},
   {"component": "input", "id": "customerName", "title": "Customer", "required": true},
   {"component": "input", "id": "customerPhone", "title": "Phone", "type": "PhoneNumber"},
   {"component": "input", "id": "pickupAddress", "title": "Address", "type": "Address"},
   {"component": "input", "id": "parcels", "title": "Parcels", "type": "Numeric"},
   {"component": "input", "id": "weightKg", "title": "Weight (kg)", "type": "Numeric"},
   {"component": "select", "id": "vehicle", "title": "Vehicle", "options": ["Motorbike", "Van", "Truck"]},
   {"component": "input", "id": "instructions", "title": "Instructions"}]},
 {"id": "page1", "components": [
   {"component": "input", "id": "pickedNote", "title": "Note", "required": true}]}]}`

// dropFlow is the flow of a drop step; %d numbers it (the steps of a workflow use distinct
// flows).
const dropFlow = `{"name": "Drop %d", "pages": [
 {"id": "page0", "components": [
   {"component": "input", "id": "recipientName", "title": "Recipient", "required": true, "showAs": "title"},
   {"component": "input", "id": "recipientPhone", "title": "Phone", "type": "PhoneNumber"},
   {"component": "input", "id": "dropAddress", "title": "Address", "type": "Address"},
   {"component": "input", "id": "parcelCount", "title": "Parcels", "type": "Numeric"},
   {"component": "input", "id": "codAmount", "title": "Cash on delivery", "type": "Currency"},
   {"component": "select", "id": "size", "title": "Size", "options": ["S", "M", "L", "XL"]},
   {"component": "input", "id": "dropNotes", "title": "Notes"}]},
 {"id": "page1", "components": [
   {"component": "input", "id": "signedBy", "title": "Signed by", "required": true},
   {"component": "input", "id": "receivedNote", "title": "Note"}]}]}`

// Workers are the field users tasks are assigned to (and the assignee filter's values).
const workers = 100

func workerEmail(i int) string { return fmt.Sprintf("worker%02d@bench.test", i%workers) }

type fixture struct {
	hubID, hubName string
	pickupID       string
	dropIDs        []string // Drop 1 … Drop 9
	wf2, wf10      string
}

// setupFixture creates the fixture through the API.
func setupFixture(ctx context.Context, c *client) (*fixture, error) {
	fx := &fixture{hubName: "Jakarta Pusat"}
	var err error
	post := func(path string, body any, want int, key string) string {
		if err != nil {
			return ""
		}
		b, _ := json.Marshal(body)
		var raw []byte
		if raw, err = c.do(ctx, "POST", path, b, want, true); err != nil {
			return ""
		}
		var out map[string]json.RawMessage
		if err = json.Unmarshal(raw, &out); err != nil {
			return ""
		}
		var obj struct {
			ID string `json:"_id"`
		}
		err = json.Unmarshal(out[key], &obj)
		return obj.ID
	}
	fx.hubID = post("/hub", map[string]any{"name": fx.hubName, "address": "Jl. M.H. Thamrin No. 1, Jakarta Pusat",
		"lat": -6.1944, "lng": 106.8229}, http.StatusOK, "data")
	fx.pickupID = post("/flow", json.RawMessage(pickupFlow), http.StatusCreated, "flow")
	for i := 1; i < 10; i++ {
		fx.dropIDs = append(fx.dropIDs, post("/flow", json.RawMessage(fmt.Sprintf(dropFlow, i)), http.StatusCreated, "flow"))
	}
	for i := range workers {
		post("/user", map[string]any{"email": workerEmail(i), "name": fmt.Sprintf("Worker %02d", i), "role": "Field User"},
			http.StatusCreated, "data")
	}
	steps := []any{map[string]any{"flowId": fx.pickupID}, map[string]any{"flowId": fx.dropIDs[0], "statusMapping": "Delivered",
		"fieldMappings": []any{map[string]any{"targetField": "recipientName", "sourceType": "step", "sourceStep": 0,
			"sourceField": "customerName"}}}}
	// Steps of an activity can be completed in any order (sequential: false), so the
	// complete-child load may complete siblings concurrently: they then queue on their master.
	fx.wf2 = post("/internal/workflows", map[string]any{"name": "Pickup and delivery", "sequential": false,
		"customStatuses": []any{map[string]any{"name": "Delivered"}}, "steps": steps}, http.StatusCreated, "data")
	steps10 := []any{map[string]any{"flowId": fx.pickupID}}
	for i := 1; i < 10; i++ {
		steps10 = append(steps10, map[string]any{"flowId": fx.dropIDs[i-1], "statusMapping": fmt.Sprintf("Drop %d done", i)})
	}
	statuses := []any{}
	for i := 1; i < 10; i++ {
		statuses = append(statuses, map[string]any{"name": fmt.Sprintf("Drop %d done", i)})
	}
	fx.wf10 = post("/internal/workflows", map[string]any{"name": "Multi-drop route", "sequential": false,
		"customStatuses": statuses, "steps": steps10}, http.StatusCreated, "data")
	return fx, err
}

// pickupValues and dropValues are the page-0 values a client sends for a step.
func pickupValues(n int) map[string]any {
	return map[string]any{"orderNo": fmt.Sprintf("ORD-2026-%07d", n), "customerName": "PT Sinar Jaya Abadi",
		"customerPhone": "+62 812 3456 7890", "pickupAddress": "Jl. Gatot Subroto Kav. 52, Kuningan, Jakarta Selatan 12950",
		"parcels": 3, "weightKg": 12.5, "vehicle": "Van", "instructions": "Loading dock B, ask for Pak Budi at security"}
}

func dropValues(n, stop int) map[string]any {
	return map[string]any{"recipientName": fmt.Sprintf("Recipient %d-%d", n, stop), "recipientPhone": "+62 813 9876 5432",
		"dropAddress": "Jl. Kemang Raya No. 8, Bangka, Mampang Prapatan, Jakarta Selatan 12730", "parcelCount": 1,
		"codAmount": 250000, "size": "M", "dropNotes": "Leave with the receptionist if the recipient is out"}
}

// activityBody is the POST /activity body of a workflow with steps steps (unassigned).
func (fx *fixture) activityBody(steps int) []byte {
	wf := fx.wf2
	if steps == 10 {
		wf = fx.wf10
	}
	tasks := []any{pickupValues(1)}
	for i := 1; i < steps; i++ {
		tasks = append(tasks, dropValues(1, i))
	}
	b, _ := json.Marshal(map[string]any{"workflowId": wf, "hubId": fx.hubID, "tasks": tasks})
	return b
}

// taskBody is the POST /task body of a plain drop task (unassigned).
func (fx *fixture) taskBody() []byte {
	v := dropValues(1, 1)
	v["flow"], v["hubId"] = "Drop 1", fx.hubID
	b, _ := json.Marshal(v)
	return b
}

// doneBody is the POST /task/{id}/done body of a step: its page-1 values.
func doneBody(step int) []byte {
	if step == 0 {
		return []byte(`{"pickedNote": "3 parcels, sealed", "doneCoordinate": "-6.2297,106.8295"}`)
	}
	return []byte(`{"signedBy": "Ibu Sari", "receivedNote": "Received in good condition", "doneCoordinate": "-6.2607,106.8137"}`)
}

// createActivity creates one activity and returns its master's id and its children's.
func createActivity(ctx context.Context, c *client, body []byte) (string, []string, error) {
	raw, err := c.do(ctx, "POST", "/activity", body, http.StatusCreated, true)
	if err != nil {
		return "", nil, err
	}
	var out struct {
		Data struct {
			ID    string   `json:"_id"`
			SubID []string `json:"subId"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", nil, err
	}
	return out.Data.ID, out.Data.SubID, nil
}
