package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestConsoleEndToEnd drives the console in a real headless chromium against the real server:
// sign in, create an activity through the form (with a field error of step 2 shown next to
// its input, then fixed), expand it in the task list, assign and complete its steps there and
// watch the master's status and sub-status badges follow, read its histories, and edit the
// workflow's field mappings with validate-field-mappings refusing a bad one.
//
// FIELDWORK_SCREENSHOTS=dir writes the screenshots of docs/console.md into dir.
func TestConsoleEndToEnd(t *testing.T) {
	b := newBrowser(t, 90*time.Second)
	s := startServer(t)
	start := time.Now()

	// Flows and a workflow, through the API.
	s.api("POST", "/hub", map[string]any{"name": "Jakarta", "address": "Jl. Sudirman 1", "lat": -6.2, "lng": 106.8}, 200)
	pickup := s.api("POST", "/flow", map[string]any{"name": "Pickup", "pages": []any{
		map[string]any{"id": "page0", "components": []any{
			map[string]any{"component": "input", "id": "orderNo", "title": "Order", "required": true, "showAs": "title"},
			map[string]any{"component": "input", "id": "customerName", "title": "Customer", "required": true},
			map[string]any{"component": "select", "id": "size", "title": "Parcel size", "type": "dropdown", "options": []string{"S", "M", "L"}},
		}},
	}}, 201)["flow"].(map[string]any)["_id"].(string)
	dropoff := s.api("POST", "/flow", map[string]any{"name": "Drop-off", "pages": []any{
		map[string]any{"id": "page0", "components": []any{
			map[string]any{"component": "input", "id": "recipientName", "title": "Recipient", "required": true, "showAs": "title"},
			map[string]any{"component": "input", "id": "phone", "title": "Recipient phone", "type": "PhoneNumber"},
		}},
		map[string]any{"id": "page1", "components": []any{
			map[string]any{"component": "signature", "id": "signature", "title": "Signature", "required": true},
		}},
	}}, 201)["flow"].(map[string]any)["_id"].(string)
	wf := s.api("POST", "/internal/workflows", map[string]any{
		"name":           "Pickup to Delivery",
		"customStatuses": []any{map[string]any{"name": "Picked up"}, map[string]any{"name": "Delivered"}},
		"steps": []any{
			map[string]any{"flowId": pickup, "statusMapping": "Picked up"},
			map[string]any{"flowId": dropoff, "statusMapping": "Delivered", "fieldMappings": []any{
				map[string]any{"targetField": "recipientName", "sourceType": "step", "sourceStep": 0, "sourceField": "customerName"},
			}},
		},
	}, 201)["data"].(map[string]any)["_id"].(string)

	// Sign in: a wrong token is refused on the page, the Owner's is accepted.
	b.do("open the console", chromedp.Navigate(s.URL+"/"))
	b.waitFor("the sign-in form", `document.activeElement && document.activeElement.id === 'token'`)
	b.shot("signin")
	b.typeInto("#token", "not-a-token-not-a-token-not-a-token")
	b.click("sign in", "form.signin button[type=submit]")
	b.waitFor("the refusal", `document.querySelector('form.signin [role=alert]')?.textContent.includes('not accepted')`)
	b.clear("#token")
	b.typeInto("#token", ownerToken)
	b.click("sign in", "form.signin button[type=submit]")
	b.waitFor("the task list", `document.querySelector('main h1')?.textContent === 'Tasks' && document.querySelector('main .summary')`)
	if who := b.eval(`document.getElementById('who-name').textContent`); !strings.Contains(who, "Owner") || !strings.Contains(who, "Acme") {
		t.Errorf("header shows %q, want the Owner of Acme", who)
	}

	// New activity: one section per step; step 2's recipient follows step 1's customer as it is typed.
	b.click("New activity", `#nav a[data-nav=activity]`)
	b.waitFor("the workflow picker", `document.querySelector('#act-workflow')`)
	b.choose("#act-workflow", wf)
	b.waitFor("the step sections", `document.querySelectorAll('fieldset.step').length === 2`)
	if got := b.eval(`[...document.querySelectorAll('fieldset.step legend')].map((l) => l.textContent).join(' | ')`); !strings.Contains(got, "Step 1 · Pickup") || !strings.Contains(got, "Step 2 · Drop-off") {
		t.Errorf("step legends %q", got)
	}
	if got := b.eval(`[...document.querySelectorAll('#s0-size option')].map((o) => o.value).join(',')`); got != ",S,M,L" {
		t.Errorf("select options %q, want ,S,M,L", got)
	}
	if got := b.eval(`document.querySelector('label[for=s0-orderNo]').textContent`); got != "Order *" {
		t.Errorf("required label %q, want %q", got, "Order *")
	}
	if got := b.eval(`document.getElementById('s1-phone').type`); got != "tel" {
		t.Errorf("phone input type %q, want tel", got)
	}
	b.typeInto("#s0-customerName", "Budi")
	b.waitFor("the mapped recipient", `document.getElementById('s1-recipientName').value === 'Budi'`)
	// Submit with the order missing and a bad phone: each error sits next to its own input.
	b.typeInto("#s1-phone", "call me")
	b.choose("#s0-size", "M")
	b.click("Create activity", `form.activity-form button[type=submit]`)
	b.waitFor("the field errors", `document.querySelector('form.activity-form [role=alert]')`)
	if msg := b.errorOf("#s1-phone"); msg == "" {
		t.Errorf("no error shown next to step 2's phone; page:\n%s", b.pageText())
	}
	if msg := b.errorOf("#s0-orderNo"); !strings.Contains(msg, "required") {
		t.Errorf("error next to step 1's order = %q, want 'is required'", msg)
	}
	if msg := b.errorOf("#s0-customerName"); msg != "" {
		t.Errorf("error next to a valid field: %q", msg)
	}
	if got := b.eval(`document.getElementById('s1-phone').closest('fieldset').querySelector('legend').textContent`); !strings.HasPrefix(got, "Step 2") {
		t.Errorf("the phone error is in %q, want step 2", got)
	}
	if got := b.eval(`document.getElementById('s1-phone').getAttribute('aria-invalid')`); got != "true" {
		t.Errorf("aria-invalid = %q", got)
	}
	b.shot("new-activity")
	b.typeInto("#s0-orderNo", "Order #123")
	b.clear("#s1-phone")
	b.typeInto("#s1-phone", "+62 812 555")
	b.click("Create activity", `form.activity-form button[type=submit]`)
	b.waitFor("the list with the new activity", `location.hash === '#/tasks' && document.querySelector('tr.master')`)

	// Expand the activity from the keyboard: its two steps, in order, beneath it.
	b.do("expand with the keyboard", chromedp.Focus(chromedp.CSS("tr.master button.expander")), chromedp.KeyEvent("\r"))
	b.waitFor("the steps", `document.querySelectorAll('tr.step').length === 2`)
	steps := strings.Split(b.eval(`[...document.querySelectorAll('tr.step')].map((r) => r.dataset.id).join(' ')`), " ")
	if got := b.eval(`[...document.querySelectorAll('tr.step td:nth-child(2)')].map((c) => c.textContent).join(' | ')`); got != "Order #123 | Budi" {
		t.Errorf("steps %q, want Order #123 | Budi", got)
	}
	if got := b.eval(`document.querySelector('tr.master').getAttribute('data-id') && document.querySelector('tr.master .expander').getAttribute('aria-expanded')`); got != "true" {
		t.Errorf("aria-expanded = %q", got)
	}
	masterBadge := `document.querySelector('tr.master td:nth-child(4)').textContent + ' / ' + document.querySelector('tr.master td.substatus').textContent`
	if got := b.eval(masterBadge); got != "UNASSIGNED / —" {
		t.Errorf("master %q, want UNASSIGNED / —", got)
	}

	// A dialog closes with Escape and gives the focus back to the button that opened it.
	b.click("assign", `tr.step[data-id="`+steps[0]+`"] button[data-action=assign]`)
	b.waitFor("the assign dialog", `document.querySelector('dialog[open] input') === document.activeElement`)
	b.do("press Escape", chromedp.KeyEvent(kb.Escape))
	b.waitFor("the focus back on Assign", `!document.querySelector('dialog') && document.activeElement?.dataset.action === 'assign'`)

	// Assign both steps from their rows; the master follows.
	for i, id := range steps {
		b.click("assign", `tr.step[data-id="`+id+`"] button[data-action=assign]`)
		b.waitFor("the assign dialog", `document.querySelector('dialog[open] input')`)
		b.typeInto("dialog[open] input", "owner@acme.test")
		b.click("save assignees", "dialog[open] button[type=submit]")
		b.waitFor("the assigned step", `!document.querySelector('dialog[open]') && document.querySelector('tr.step[data-id="`+id+`"] td:nth-child(4)')?.textContent === 'ONGOING'`)
		if i == 0 {
			if got := b.eval(masterBadge); got != "ONGOING / —" {
				t.Errorf("master after one assignment %q, want ONGOING / —", got)
			}
		}
	}

	// Complete step 1 (no fields when done): the master's sub-status badge becomes "Picked up".
	b.click("complete step 1", `tr.step[data-id="`+steps[0]+`"] button[data-action=complete]`)
	b.waitFor("the complete dialog", `document.querySelector('dialog[open] button[type=submit]')`)
	b.click("complete", "dialog[open] button[type=submit]")
	b.waitFor("the sub-status badge", `document.querySelector('tr.master td.substatus .badge')?.textContent === 'Picked up'`)
	if got := b.eval(masterBadge); got != "ONGOING / Picked up" {
		t.Errorf("master after step 1 %q, want ONGOING / Picked up", got)
	}
	b.shot("tasks")

	// Complete step 2: its signature is required when done; the error sits next to it, then the fix.
	b.click("complete step 2", `tr.step[data-id="`+steps[1]+`"] button[data-action=complete]`)
	b.waitFor("the signature input", `document.querySelector('dialog[open] input[name=signature]')`)
	b.click("complete", "dialog[open] button[type=submit]")
	b.waitFor("the signature error", `document.querySelector('dialog[open] [role=alert]')`)
	if msg := b.errorOf("dialog[open] input[name=signature]"); !strings.Contains(msg, "required") {
		t.Errorf("signature error %q, want 'is required'", msg)
	}
	b.shot("complete-step")
	b.typeInto("dialog[open] input[name=signature]", signatureServer(t))
	b.click("complete", "dialog[open] button[type=submit]")
	b.waitFor("the master DONE", `document.querySelector('tr.master td.substatus .badge')?.textContent === 'Delivered'`)
	if got := b.eval(masterBadge); got != "DONE / Delivered" {
		t.Errorf("master after step 2 %q, want DONE / Delivered", got)
	}
	// Each sub-status has its workflow's colour: Delivered is the 5th of customStatuses.
	if got := b.eval(`document.querySelector('tr.master td.substatus .badge').className`); got != "badge sub sub-4" {
		t.Errorf("Delivered badge class %q, want badge sub sub-4", got)
	}

	// The master's detail page: its steps and histories, roll-ups naming the step that caused them.
	b.click("the activity", "tr.master td:nth-child(2) a")
	b.waitFor("the detail page", `document.querySelector('main h1')?.textContent === 'Pickup to Delivery' && document.querySelector('table.history')`)
	causes := b.eval(`[...document.querySelectorAll('table.history tr[data-action=rollup] td:last-child')].map((c) => c.textContent).join(' | ')`)
	if !strings.Contains(causes, "Step 1 (Order #123): done") || !strings.Contains(causes, "Step 2 (Budi): done") {
		t.Errorf("roll-up causes %q", causes)
	}
	b.shot("task-detail")
	// A step's detail page renders its flow's fields by kind.
	b.click("step 2", `a[href="#/task/`+steps[1]+`"]`)
	b.waitFor("the step's fields", `document.querySelector('dd[data-field=signature] img.signature')?.naturalWidth === 240`)
	if got := b.eval(`document.querySelector('dd[data-field=phone]').textContent`); got != "+62 812 555" {
		t.Errorf("phone shown as %q", got)
	}
	b.shot("step-detail")

	// Filters: text, type and status find the step alone; a date range after today finds nothing.
	b.click("Tasks", `#nav a[data-nav=tasks]`)
	b.waitFor("the list", `document.querySelector('form.filters') && document.querySelector('tr.master')`)
	b.typeInto("form.filters input[name=q]", "Budi")
	b.choose("form.filters select[name=show]", "all")
	b.choose("form.filters select[name=status]", "DONE")
	// Each render makes a new tbody: mark the one shown, so the wait sees the filtered list and
	// not the previous one (which may also have one row).
	b.eval(`document.querySelector('main tbody').dataset.stale = '1'`)
	b.click("apply", "form.filters button[type=submit]")
	b.waitFor("the filtered list", `location.hash === '#/tasks?q=Budi&status=DONE&show=all' && document.querySelector('main tbody:not([data-stale])') && document.querySelectorAll('main tbody tr').length === 1`)
	if got := b.eval(`document.querySelector('main tbody tr').dataset.id`); got != steps[1] {
		t.Errorf("filtered list shows %s, want step 2 %s", got, steps[1])
	}
	b.eval(`document.querySelector('form.filters input[name=from]').value = new Date(Date.now() + 2 * 86400000).toISOString().slice(0, 10)`)
	b.click("apply", "form.filters button[type=submit]")
	b.waitFor("the empty list", `location.hash.includes('from=') && document.querySelector('main .empty')`)

	// Workflows: list and search, then the editor. A mapping of a text field into a phone
	// field is refused by validate-field-mappings before anything is saved.
	b.click("Workflows", `#nav a[data-nav=workflows]`)
	b.waitFor("the workflow list", `document.querySelector('main tr[data-id]')`)
	b.typeInto("#wf-q", "drop")
	b.click("search", "form[role=search] button[type=submit]")
	b.waitFor("the search result", `location.hash === '#/workflows?q=drop' && document.querySelector('main tr[data-id="`+wf+`"]')`)
	b.shot("workflows")
	b.click("edit", `tr[data-id="`+wf+`"] a`)
	b.waitFor("the editor", `document.getElementById('wf-s1-m0-target')?.value === 'recipientName'`)
	b.click("add a mapping", "#wf-s1-add-mapping")
	b.choose("#wf-s1-m1-target", "phone")
	b.choose("#wf-s1-m1-field", "customerName")
	b.click("save", "#wf-save")
	b.waitFor("the mapping error", `document.querySelector('form.workflow-form [role=alert]')`)
	if msg := b.errorOf("#wf-s1-m1-target"); msg == "" {
		t.Errorf("no error next to the bad mapping; page:\n%s", b.pageText())
	}
	if got := s.api("GET", "/workflow/"+wf, nil, 200)["data"].(map[string]any)["version"]; got != float64(1) {
		t.Errorf("workflow version %v after a refused save, want 1", got)
	}
	b.shot("workflow-edit")
	b.choose("#wf-s1-m1-source", "manual")
	b.typeInto("#wf-s1-m1-value", "+62 811 000")
	b.click("save", "#wf-save")
	b.waitFor("the list after saving", `location.hash === '#/workflows' && document.querySelector('main tr[data-id]')`)
	saved := s.api("GET", "/workflow/"+wf, nil, 200)["data"].(map[string]any)
	maps := saved["steps"].([]any)[1].(map[string]any)["fieldMappings"].([]any)
	if saved["version"] != float64(2) || len(maps) != 2 || maps[1].(map[string]any)["sourceField"] != "+62 811 000" {
		t.Errorf("saved workflow: version %v, mappings %v", saved["version"], maps)
	}

	// A new workflow through the editor: two steps, a status mapping and a step mapping; a
	// taken name is shown next to the name input, then fixed.
	b.click("New workflow", `main a[href="#/workflows/new"]`)
	b.waitFor("the empty editor", `document.getElementById('wf-s0-flow')`)
	b.typeInto("#wf-name", "pickup to delivery")
	b.typeInto("#wf-statuses", "Collected")
	b.do("leave the statuses", chromedp.Focus(chromedp.CSS("#wf-name")))
	b.choose("#wf-s0-flow", pickup)
	b.choose("#wf-s0-status", "Collected")
	b.click("add a step", "#wf-add-step")
	b.choose("#wf-s1-flow", dropoff)
	b.click("add a mapping", "#wf-s1-add-mapping")
	b.choose("#wf-s1-m0-target", "recipientName")
	b.choose("#wf-s1-m0-field", "customerName")
	b.click("create", "#wf-save")
	b.waitFor("the name error", `document.querySelector('form.workflow-form [role=alert]')`)
	if msg := b.errorOf("#wf-name"); !strings.Contains(msg, "already exists") {
		t.Errorf("name error %q, want 'Workflow name already exists'", msg)
	}
	b.clear("#wf-name")
	b.typeInto("#wf-name", "Collect and deliver")
	b.click("create", "#wf-save")
	b.waitFor("the list with two workflows", `location.hash === '#/workflows' && document.querySelectorAll('main tr[data-id]').length === 2`)
	created := s.api("GET", "/internal/workflows/search?q=collect", nil, 200)["data"].([]any)
	if len(created) != 1 {
		t.Fatalf("search collect: %v", created)
	}
	cw := created[0].(map[string]any)
	cs := cw["steps"].([]any)
	if cs[0].(map[string]any)["statusMapping"] != "Collected" || len(cs[1].(map[string]any)["fieldMappings"].([]any)) != 1 {
		t.Errorf("created workflow steps: %v", cs)
	}
	t.Logf("console end-to-end run: %s", time.Since(start).Round(time.Millisecond))
}
