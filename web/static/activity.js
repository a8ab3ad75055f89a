// New activity: pick a workflow, fill one section per step (its flow's creation fields, start
// and end time, assignees), submit POST /activity, and show each field error of the answer
// next to its input (tasks[1].recipientName → step 2's "recipientName").

import { api, lookups } from './api.js';
import { h, fill, fieldSlot, localInputToISO, toast, errorBox, errorSummary } from './dom.js';
import { fieldInput, isInput } from './fields.js';

export async function newActivityPage(root, params) {
  root.append(h('div', { class: 'page-head' }, h('h1', null, 'New activity')));
  const { hubs, users } = await lookups();
  let workflows;
  try {
    workflows = (await api('GET', '/internal/workflows?limit=-1')).data;
  } catch (err) {
    root.append(errorBox(err));
    return;
  }
  if (!workflows.length) {
    root.append(h('p', null, 'There is no workflow yet. ', h('a', { href: '#/workflows/new' }, 'Create a workflow'), ' first.'));
    return;
  }
  workflows.sort((a, b) => a.name.localeCompare(b.name));

  const problems = h('div');
  const wfSelect = h('select', { id: 'act-workflow', name: 'workflowId' },
    h('option', { value: '' }, '— choose a workflow —'),
    workflows.map((w) => h('option', { value: w._id }, `${w.name} (${w.steps.length} ${w.steps.length === 1 ? 'step' : 'steps'})`)));
  const hubSelect = h('select', { id: 'act-hub', name: 'hubId', 'aria-required': 'true' },
    h('option', { value: '' }, '— choose a hub —'), hubs.map((x) => h('option', { value: x._id }, x.name)));
  if (hubs.length === 1) hubSelect.value = hubs[0]._id;
  const wfError = fieldSlot(wfSelect);
  const hubError = fieldSlot(hubSelect);
  const stepsBox = h('div', { class: 'steps' });
  const submit = h('button', { type: 'submit', class: 'primary', disabled: true }, 'Create activity');
  const form = h('form', { class: 'activity-form', novalidate: true, 'aria-labelledby': 'new-activity' },
    problems,
    h('div', { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: wfSelect.id }, 'Workflow', h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')), wfSelect, wfError.el),
      h('div', { class: 'field' }, h('label', { for: hubSelect.id }, 'Hub', h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')), hubSelect, hubError.el)),
    stepsBox,
    h('div', { class: 'buttons' }, submit, h('a', { class: 'button secondary', href: '#/tasks' }, 'Cancel')));
  root.querySelector('h1').id = 'new-activity';
  root.append(form);

  let steps = []; // per step: {step, fields: {id: controller}, extra: {startTime, endTime, assignee}}
  const choose = () => {
    const wf = workflows.find((w) => w._id === wfSelect.value);
    problems.replaceChildren();
    steps = wf ? renderSteps(stepsBox, wf, users) : [];
    if (!wf) stepsBox.replaceChildren();
    submit.disabled = !wf;
  };
  wfSelect.addEventListener('change', choose);
  const wanted = params.get('workflowId');
  if (wanted && workflows.some((w) => w._id === wanted)) {
    wfSelect.value = wanted;
    choose();
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const all = [wfError, hubError, ...steps.flatMap((s) => [...Object.values(s.fields), ...Object.values(s.extra)].map((f) => f.error))];
    for (const err of all) err.clear();
    problems.replaceChildren();
    const body = {
      workflowId: wfSelect.value,
      hubId: hubSelect.value || undefined,
      tasks: steps.map((s) => {
        const t = {};
        for (const [id, f] of Object.entries(s.fields)) {
          const v = f.read();
          if (v !== undefined) t[id] = v;
        }
        const start = localInputToISO(s.extra.startTime.input.value);
        const end = localInputToISO(s.extra.endTime.input.value);
        if (start) t.startTime = start;
        if (end) t.endTime = end;
        t.assignee = s.extra.assignee.input.value.split(/[,\s]+/).filter(Boolean);
        return t;
      }),
    };
    submit.disabled = true;
    try {
      const created = (await api('POST', '/activity', body)).data;
      toast(`Activity “${created.title}” created with ${created.subId.length} steps.`);
      location.hash = '#/tasks';
    } catch (err) {
      const placed = placeErrors(err, steps, { wfSelect, wfError, hubSelect, hubError });
      const summary = errorSummary(err, placed);
      problems.replaceChildren(summary);
      summary.focus();
    } finally {
      submit.disabled = false;
    }
  });
}

// renderSteps draws one fieldset per workflow step and wires the field mappings that copy a
// value from an earlier step (or a fixed value) into this step's field.
function renderSteps(box, wf, users) {
  const steps = [];
  const sections = wf.steps.map((step, i) => {
    const mappings = step.fieldMappings || [];
    const fields = {};
    const inputs = (step.fieldSchema || []).filter((c) => c.page === 'page0').map((c) => {
      const m = mappings.find((x) => x.targetField === c.id);
      let hint;
      if (m && m.sourceType === 'step') {
        const src = ((wf.steps[m.sourceStep] || {}).fieldSchema || []).find((x) => x.id === m.sourceField);
        hint = `Filled from step ${m.sourceStep + 1}’s “${(src && src.title) || m.sourceField}” as you type; you may change it.`;
      } else if (m) {
        hint = 'Pre-filled by the workflow; you may change it.';
      }
      const f = fieldInput(c, { id: `s${i}-${c.id}`, hint });
      if (isInput(c)) fields[c.id] = f;
      return f.el;
    });
    const extra = {
      startTime: plainInput(`s${i}-startTime`, 'Start time', 'datetime-local'),
      endTime: plainInput(`s${i}-endTime`, 'End time', 'datetime-local'),
      assignee: plainInput(`s${i}-assignee`, 'Assignees', 'text', 'Emails, separated by commas; empty leaves the step unassigned.'),
    };
    extra.assignee.input.setAttribute('list', 'act-users');
    const def = step.assigneeId && users.find((u) => u._id === step.assigneeId);
    if (def) extra.assignee.input.value = def.email;
    steps.push({ step, fields, extra });
    const legendId = `s${i}-legend`;
    return h('fieldset', { class: 'step', 'aria-labelledby': legendId },
      h('legend', { id: legendId }, `Step ${i + 1} · ${step.flowName}`,
        step.statusMapping ? h('span', { class: 'muted' }, ` — sets “${step.statusMapping}” when done`) : null),
      inputs.length ? h('div', { class: 'fields' }, inputs) : h('p', { class: 'muted' }, 'No fields at creation.'),
      h('div', { class: 'fields when' }, extra.startTime.el, extra.endTime.el, extra.assignee.el));
  });
  fill(box,
    h('datalist', { id: 'act-users' }, users.filter((u) => u.status === 'active').map((u) => h('option', { value: u.email }, u.name))),
    ...sections);
  wireMappings(steps);
  return steps;
}

function plainInput(id, label, type, hint) {
  const input = h('input', { id, type, autocomplete: 'off', 'aria-describedby': hint ? `${id}-hint` : null });
  const error = fieldSlot(input);
  return {
    input, error,
    el: h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null, error.el),
  };
}

/**
 * wireMappings pre-fills mapped fields as the server would at creation (SPEC §7.3): a fixed
 * value at once, a step value as the user types in the source field. A target the user has
 * changed since keeps the user's value.
 */
function wireMappings(steps) {
  steps.forEach((s, i) => {
    for (const m of s.step.fieldMappings || []) {
      const target = s.fields[m.targetField];
      if (!target) continue;
      const prefill = (v) => {
        if (target.raw() !== 'null' && target.raw() !== target.prefilled) return; // the user's own value
        target.set(v);
        target.prefilled = target.raw();
        target.input.dispatchEvent(new Event('input', { bubbles: true })); // chained mappings
      };
      if (m.sourceType !== 'step') {
        prefill(m.sourceField);
        continue;
      }
      const src = steps[m.sourceStep] && m.sourceStep < i ? steps[m.sourceStep].fields[m.sourceField] : null;
      if (!src) continue;
      const copy = () => prefill(src.read());
      src.input.addEventListener('input', copy);
      src.input.addEventListener('change', copy);
    }
  });
}

/**
 * placeErrors shows each fieldError next to its input: tasks[i].<key> belongs to step i+1
 * (a flow field, or startTime/endTime/assignee), hubId and workflowId to the top selects.
 * Returns the placed errors for the summary.
 */
function placeErrors(err, steps, top) {
  const placed = [];
  for (const fe of err.fieldErrors) {
    let target = null;
    let label = fe.field;
    const m = /^tasks\[(\d+)\]\.([^.[]+)/.exec(fe.field);
    if (m && steps[Number(m[1])]) {
      const s = steps[Number(m[1])];
      const key = m[2];
      if (key === 'hubId') {
        target = { input: top.hubSelect, error: top.hubError };
        label = 'Hub';
      } else {
        const f = s.fields[key] || s.extra[key];
        if (f) {
          target = f;
          const title = s.fields[key] ? (f.component.title || key) : { startTime: 'Start time', endTime: 'End time', assignee: 'Assignees' }[key];
          label = `Step ${Number(m[1]) + 1} · ${title}`;
        }
      }
    } else if (fe.field === 'hubId') {
      target = { input: top.hubSelect, error: top.hubError };
      label = 'Hub';
    } else if (fe.field === 'workflowId') {
      target = { input: top.wfSelect, error: top.wfError };
      label = 'Workflow';
    }
    if (!target) continue;
    target.error.show(fe.message);
    placed.push({ field: fe.field, label, message: fe.message, input: target.input });
  }
  return placed;
}
