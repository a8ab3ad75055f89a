// One task: its summary, every field of its flow rendered by component kind, an activity's
// steps, and its histories (who changed what; for roll-ups, the step change that caused it).

import { api, lookups, seg } from './api.js';
import { h, fmtTime, schedule, statusBadge, subStatusBadge, people, errorBox, toast, taskLink } from './dom.js';
import { displayValue, pageTitle } from './fields.js';
import { assignDialog, completeDialog } from './actions.js';

export async function taskPage(root, params, id) {
  let t;
  try {
    t = (await api('GET', `/task/${id}`)).task;
  } catch (err) {
    root.append(h('h1', null, 'Task'), errorBox(err));
    return;
  }
  const { hubs } = await lookups();
  const isMaster = t.taskType === 'activityMaster';
  // An activity's steps, and for a step its master: both name the tasks histories point at.
  let master = null;
  if (isMaster || t.parentId) {
    try {
      master = (await api('GET', `/activity/${isMaster ? t._id : t.parentId}?expand=children`)).data;
    } catch {
      master = null;
    }
  }
  const children = (master && master.children) || [];
  const stepOf = (taskId) => children.find((c) => c._id === taskId);

  const rerender = async () => {
    const fresh = h('div');
    root.replaceWith(fresh);
    await taskPage(fresh, params, id);
    const heading = fresh.querySelector('h1');
    if (heading) heading.focus();
  };
  const action = (label, dialog, verb) => h('button', {
    type: 'button', class: 'secondary',
    onclick: async () => { if (await dialog(t)) { toast(`Task ${verb}.`); await rerender(); } },
  }, label);

  root.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/tasks' }, '← Tasks'),
      t.parentId ? [' · ', h('a', { href: `#/task/${t.parentId}` }, `Activity${master ? ` “${master.title}”` : ''}`)] : null),
    h('div', { class: 'page-head' },
      h('h1', { tabindex: '-1' }, t.title || t.flow),
      h('div', { class: 'badges' }, statusBadge(t.status), isMaster ? subStatusBadge(t.subStatus, t.workflow) : null),
      !isMaster && t.status !== 'DONE'
        ? h('div', { class: 'buttons' },
          action('Assign', assignDialog, 'assigned'),
          t.status === 'ONGOING' ? action('Complete', completeDialog, 'completed') : null)
        : null),
    summary(t, master, hubs));

  if (isMaster) root.append(stepsSection(t, children));
  else root.append(await fieldsSection(t));
  root.append(historiesSection(t, stepOf));
}

function summary(t, master, hubs) {
  const rows = [];
  const row = (k, v) => { if (v !== null && v !== undefined && v !== '') rows.push(h('dt', null, k), h('dd', null, v)); };
  if (t.taskType === 'activityMaster') {
    row('Workflow', t.workflow ? `${t.workflow.name} (version ${t.workflow.version})` : '');
  } else {
    row('Flow', t.flow);
  }
  if (t.parentId) {
    row('Step', `${(t.stepOrder ?? 0) + 1} of ${master ? master.subId.length : '?'}`);
  }
  row('Hub', (t.hub && t.hub.name) || (hubs.find((x) => x._id === t.hubId) || {}).name);
  row('Schedule', schedule(t));
  row('Assignees', people(t.assignee));
  if (t.assignedBy) row('Assigned', `${fmtTime(t.assignedTime)} by ${t.assignedBy}`);
  row('Done', t.doneTime ? `${fmtTime(t.doneTime)} by ${t.doneBy} (${t.doneFrom || 'WEB'})` : '');
  row('Content', t.content);
  row('Label', t.label);
  row('Reference', t.refId);
  row('Created', `${fmtTime(t.createdTime)} by ${t.createdBy} (${t.createdFrom})`);
  row('Updated', `${fmtTime(t.updatedTime)} by ${t.updatedBy} · version ${t.version}`);
  return h('dl', { class: 'summary-list' }, rows);
}

// stepsSection lists an activity's steps in order.
function stepsSection(m, children) {
  const steps = (m.workflow && m.workflow.steps) || [];
  return h('section', { 'aria-labelledby': 'steps-title' },
    h('h2', { id: 'steps-title' }, 'Steps'),
    h('table', { class: 'tasks' },
      h('thead', null, h('tr', null, ['Step', 'Task', 'Flow', 'Status', 'Sets sub-status', 'Assignees', 'Done'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, children.map((c) => {
        const s = steps.find((x) => x.order === c.stepOrder) || {};
        return h('tr', null,
          h('td', null, String((c.stepOrder ?? 0) + 1)),
          h('td', null, taskLink(c)),
          h('td', null, c.flow),
          h('td', null, statusBadge(c.status)),
          h('td', null, s.statusMapping || h('span', { class: 'muted' }, '—')),
          h('td', null, people(c.assignee)),
          h('td', null, c.doneTime ? `${fmtTime(c.doneTime)} by ${c.doneBy}` : ''));
      }))));
}

// fieldsSection renders every component of the task's flow, page by page.
async function fieldsSection(t) {
  const section = h('section', { 'aria-labelledby': 'fields-title' }, h('h2', { id: 'fields-title' }, 'Fields'));
  let flow = null;
  if (t.flowId) {
    try {
      flow = (await api('GET', `/flow/${seg(t.flowId)}`)).flow;
    } catch {
      flow = null;
    }
  }
  if (!flow) {
    section.append(h('p', { class: 'muted' }, 'The flow of this task no longer exists.'));
    return section;
  }
  (flow.pages || []).forEach((p, i) => {
    const comps = p.components || [];
    section.append(h('h3', null, pageTitle(p, i)),
      comps.length
        ? h('dl', { class: 'summary-list' }, comps.map((c) => [h('dt', null, c.title || c.id), h('dd', { 'data-field': c.id }, displayValue(c, t[c.id]))]))
        : h('p', { class: 'muted' }, 'No fields.'));
  });
  return section;
}

// show formats a value of a history change.
function show(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (Array.isArray(v)) return v.length ? v.join(', ') : '—';
  if (typeof v === 'object') return v.email || v.name || JSON.stringify(v); // e.g. assignedTo: a user
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(v)) return fmtTime(v);
  return String(v);
}

function historiesSection(t, stepOf) {
  const hs = t.histories || [];
  const cause = (c) => {
    if (!c) return h('span', { class: 'muted' }, '—');
    const step = stepOf(c.taskId);
    const text = step ? `Step ${(step.stepOrder ?? 0) + 1} (${step.title || step.flow})` : 'Task';
    return [h('a', { href: `#/task/${c.taskId}` }, text), `: ${c.action}`];
  };
  return h('section', { 'aria-labelledby': 'hist-title' },
    h('h2', { id: 'hist-title' }, 'History'),
    h('table', { class: 'history' },
      h('thead', null, h('tr', null, ['When', 'Action', 'By', 'What changed', 'Caused by'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, hs.map((e) => h('tr', { 'data-action': e.action },
        h('td', { class: 'when' }, fmtTime(e.createdAt)),
        h('td', null, e.action),
        h('td', null, e.actor),
        h('td', null, Object.keys(e.changes || {}).length
          ? h('ul', { class: 'changes' }, Object.entries(e.changes).map(([k, v]) => h('li', null, h('code', null, k), `: ${show(v.from)} → ${show(v.to)}`)))
          : (e.notes || '')),
        h('td', null, cause(e.cause)))))));
}
