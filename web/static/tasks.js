// The task list: filters, sorting and pagination kept in the page address, activity masters as
// expandable rows with their steps beneath in order, and the assign/complete actions.

import { api, lookups, query } from './api.js';
import { h, fill, nextId, schedule, statusBadge, subStatusBadge, people, toast, errorBox, loading, taskLink } from './dom.js';
import { assignDialog, completeDialog } from './actions.js';

// "Show" choices: which task types the list holds. By default plain tasks and activity masters,
// so every step sits under its master; a flow filter also lists steps (their flow is the
// step's; a master's flow is always ActivityWorkflow).
const SHOW = [
  ['', 'Tasks and activities'],
  ['activityMaster', 'Activities only'],
  ['task', 'Plain tasks only'],
  ['activityChild', 'Activity steps only'],
  ['all', 'Everything'],
];
const SORTS = [
  ['createdTime', 'Created'], ['updatedTime', 'Updated'], ['startTime', 'Start time'],
  ['endTime', 'End time'], ['doneTime', 'Done time'], ['orderIndex', 'Order index'],
];
const COLUMNS = ['', 'Task', 'Flow or workflow', 'Status', 'Sub-status', 'Hub', 'Schedule', 'Assignees', 'Actions'];

/** apiQuery turns the page's parameters into GET /tasks query parameters. */
function apiQuery(p) {
  let taskType = p.get('show') || '';
  if (taskType === 'all') taskType = '';
  else if (taskType === '') taskType = p.get('flow') ? '' : 'task,activityMaster';
  // A date range covers whole days of the browser's time zone.
  const day = (d, end) => (d ? new Date(`${d}T${end ? '23:59:59.999' : '00:00:00'}`).toISOString() : '');
  return query({
    q: p.get('q'), status: p.get('status'), hubId: p.get('hubId'), flow: p.get('flow'),
    assignee: p.get('assignee'), taskType,
    timeBy: p.get('from') || p.get('to') ? (p.get('timeBy') || 'createdTime') : '',
    timeFrom: day(p.get('from'), false), timeTo: day(p.get('to'), true),
    sortBy: p.get('sortBy') || 'createdTime', sortOrder: p.get('sortOrder') || 'desc',
    page: p.get('page') || 1, limit: p.get('limit') || 20,
  });
}

/** tasksPage renders the list for the page parameters (the query of #/tasks?…). */
export async function tasksPage(root, params) {
  root.append(h('div', { class: 'page-head' },
    h('h1', null, 'Tasks'),
    h('a', { class: 'button primary', href: '#/activity/new' }, 'New activity')));
  const { hubs, flows, users } = await lookups();
  root.append(filterForm(params, hubs, flows, users));
  const region = h('section', { 'aria-labelledby': 'results-title' }, loading());
  root.append(region);
  let answer;
  try {
    answer = await api('GET', `/tasks${apiQuery(params)}`);
  } catch (err) {
    region.replaceChildren(errorBox(err));
    return;
  }
  const page = answer.tasks;
  const hubName = (id) => (hubs.find((x) => x._id === id) || {}).name || '';
  const summary = h('p', { class: 'summary' }, counting(answer));
  // After an action the counts change too: read them again (one task, same filters).
  const recount = async () => {
    const p = new URLSearchParams(params);
    p.set('page', '1');
    p.set('limit', '1');
    try {
      summary.textContent = counting(await api('GET', `/tasks${apiQuery(p)}`));
    } catch {
      // keep the old counts
    }
  };
  fill(region,
    h('h2', { id: 'results-title', class: 'visually-hidden' }, 'Results'),
    summary,
    page.data.length ? taskTable(page.data, hubName, recount) : h('p', { class: 'empty' }, 'No task matches these filters.'),
    pager(params, page));
}

// counting describes a list answer: its total and the ONGOING and DONE counts among it.
function counting(answer) {
  const total = answer.tasks.total;
  const c = (answer.metadata && answer.metadata.counting) || {};
  return `${total} ${total === 1 ? 'task' : 'tasks'}${c.ongoingTotal != null ? ` · ${c.ongoingTotal} ongoing · ${c.doneTotal} done` : ''}`;
}

// filterForm edits the page parameters; applying it changes the address, which re-renders.
function filterForm(p, hubs, flows, users) {
  const field = (label, control) => {
    control.id = control.id || nextId('flt');
    return h('div', { class: 'field' }, h('label', { for: control.id }, label), control);
  };
  const select = (name, options, value) => h('select', { name },
    options.map(([v, text]) => h('option', { value: v, selected: v === (value || '') }, text)));
  const usersList = nextId('users');
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter tasks' },
    field('Search', h('input', { type: 'search', name: 'q', value: p.get('q') || '', placeholder: 'Title, content or label' })),
    field('Status', select('status', [['', 'Any'], ['UNASSIGNED', 'Unassigned'], ['ONGOING', 'Ongoing'], ['DONE', 'Done']], p.get('status'))),
    field('Show', select('show', SHOW, p.get('show'))),
    field('Hub', select('hubId', [['', 'Any hub'], ...hubs.map((x) => [x._id, x.name])], p.get('hubId'))),
    field('Flow', select('flow', [['', 'Any flow'], ...flows.map((f) => [f.name, f.name])], p.get('flow'))),
    field('Assignee', h('input', { type: 'email', name: 'assignee', value: p.get('assignee') || '', list: usersList, autocomplete: 'off' })),
    h('datalist', { id: usersList }, users.map((u) => h('option', { value: u.email }, u.name))),
    field('Date of', select('timeBy', [['createdTime', 'Creation'], ['startTime', 'Start'], ['doneTime', 'Completion']], p.get('timeBy'))),
    field('From', h('input', { type: 'date', name: 'from', value: p.get('from') || '' })),
    field('To', h('input', { type: 'date', name: 'to', value: p.get('to') || '' })),
    field('Sort by', select('sortBy', SORTS, p.get('sortBy') || 'createdTime')),
    field('Order', select('sortOrder', [['desc', 'Newest first'], ['asc', 'Oldest first']], p.get('sortOrder'))),
    field('Per page', select('limit', [['20', '20'], ['50', '50'], ['100', '100']], p.get('limit') || '20')),
    h('div', { class: 'buttons' },
      h('button', { type: 'submit', class: 'primary' }, 'Apply'),
      h('a', { class: 'button secondary', href: '#/tasks' }, 'Reset')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) next.set(k, v);
    if (next.get('sortBy') === 'createdTime') next.delete('sortBy');
    if (next.get('sortOrder') === 'desc') next.delete('sortOrder');
    if (next.get('limit') === '20') next.delete('limit');
    if (!next.get('from') && !next.get('to')) next.delete('timeBy');
    const s = next.toString();
    location.hash = `#/tasks${s ? `?${s}` : ''}`;
  });
  return form;
}

// pager links to the previous and next pages.
function pager(params, page) {
  if (!page.last_page || page.last_page <= 1) return null;
  const link = (n, text, rel) => {
    const p = new URLSearchParams(params);
    p.set('page', n);
    return h('a', { class: 'button secondary', href: `#/tasks?${p}`, rel }, text);
  };
  const cur = page.current_page;
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    cur > 1 ? link(cur - 1, '← Previous', 'prev') : null,
    h('span', { 'aria-current': 'page' }, `Page ${cur} of ${page.last_page}`),
    cur < page.last_page ? link(cur + 1, 'Next →', 'next') : null);
}

function taskTable(tasks, hubName, recount) {
  const tbody = h('tbody');
  const table = h('table', { class: 'tasks' },
    h('caption', { class: 'visually-hidden' }, 'Tasks; activities expand to their steps'),
    h('thead', null, h('tr', null, COLUMNS.map((c) => h('th', { scope: 'col' }, c || h('span', { class: 'visually-hidden' }, 'Expand'))))),
    tbody);
  const ctx = { tbody, hubName, recount };
  for (const t of tasks) {
    tbody.append(t.taskType === 'activityMaster' ? masterRow(ctx, t) : taskRow(ctx, t, null));
  }
  return h('div', { class: 'table-wrap' }, table);
}

// masterRow is an activity: workflow, status, coloured subStatus, schedule, assignees, and a
// button that shows its steps beneath it.
function masterRow(ctx, m) {
  const expander = h('button', {
    type: 'button', class: 'expander', 'aria-expanded': 'false',
    'aria-label': `Show the steps of ${m.title}`, 'data-expand': m._id,
  }, '▸');
  const row = h('tr', { class: 'master', 'data-id': m._id },
    h('td', null, expander),
    h('td', null, taskLink(m)),
    h('td', null, h('span', { class: 'kind' }, 'Activity'), ' ', (m.workflow && m.workflow.name) || ''),
    h('td', null, statusBadge(m.status)),
    h('td', { class: 'substatus' }, subStatusBadge(m.subStatus, m.workflow)),
    h('td', null, (m.hub && m.hub.name) || ctx.hubName(m.hubId)),
    h('td', null, schedule(m)),
    h('td', null, people(m.assignee)),
    h('td', null, h('a', { href: `#/task/${m._id}` }, 'Details')));
  expander.addEventListener('click', async () => {
    if (expander.getAttribute('aria-expanded') === 'true') {
      removeSteps(ctx, m._id);
      expander.setAttribute('aria-expanded', 'false');
      expander.setAttribute('aria-label', `Show the steps of ${m.title}`);
      expander.textContent = '▸';
      return;
    }
    expander.setAttribute('aria-busy', 'true');
    await refreshActivity(ctx, m._id, true);
  });
  return row;
}

// taskRow is a plain task or, with a master, one step of it.
function taskRow(ctx, t, master) {
  const step = master ? (t.stepOrder ?? 0) + 1 : null;
  const actions = h('td', { class: 'actions' });
  if (t.status !== 'DONE') {
    actions.append(
      h('button', { type: 'button', class: 'small', 'data-action': 'assign', 'aria-label': `Assign ${stepName(t, step)}`, onclick: () => act(ctx, t, assignDialog, 'assigned') }, 'Assign'),
      t.status === 'ONGOING'
        ? h('button', { type: 'button', class: 'small', 'data-action': 'complete', 'aria-label': `Complete ${stepName(t, step)}`, onclick: () => act(ctx, t, completeDialog, 'completed') }, 'Complete')
        : null);
  } else {
    actions.append(h('span', { class: 'muted' }, `Done by ${t.doneBy || '—'}`));
  }
  return h('tr', { class: master ? 'step' : 'plain', 'data-id': t._id, 'data-parent': master ? master._id : null },
    h('td', null, master ? h('span', { class: 'step-no' }, `Step ${step}`) : null),
    h('td', null, taskLink(t)),
    h('td', null, t.flow || ''),
    h('td', null, statusBadge(t.status)),
    h('td', null, master ? stepMapping(master, t) : null),
    h('td', null, (t.hub && t.hub.name) || ctx.hubName(t.hubId)),
    h('td', null, schedule(t)),
    h('td', null, people(t.assignee)),
    actions);
}

const stepName = (t, step) => (step ? `step ${step} (${t.title || t.flow})` : (t.title || t.flow));

// stepMapping shows which sub-status a step sets once done (its statusMapping), if any.
function stepMapping(master, child) {
  const steps = (master.workflow && master.workflow.steps) || [];
  const s = steps.find((x) => x.order === child.stepOrder);
  if (!s || !s.statusMapping) return null;
  return h('span', { class: 'muted', title: 'Sub-status once this step is done' }, `→ ${s.statusMapping}`);
}

function removeSteps(ctx, masterId) {
  for (const r of ctx.tbody.querySelectorAll(`tr[data-parent="${masterId}"]`)) r.remove();
}

/**
 * refreshActivity reads an activity with its steps (GET /activity/{id}?expand=children) and
 * redraws its row, with its steps beneath it when they are shown (or expand is set).
 */
async function refreshActivity(ctx, id, expand) {
  const old = ctx.tbody.querySelector(`tr.master[data-id="${id}"]`);
  if (!old) return null;
  let m;
  try {
    m = (await api('GET', `/activity/${id}?expand=children`)).data;
  } catch (err) {
    toast(err.message);
    old.querySelector('.expander').removeAttribute('aria-busy');
    return null;
  }
  const wasOpen = expand || old.querySelector('.expander').getAttribute('aria-expanded') === 'true';
  const row = masterRow(ctx, m);
  old.replaceWith(row);
  removeSteps(ctx, id);
  if (wasOpen) {
    const ex = row.querySelector('.expander');
    ex.setAttribute('aria-expanded', 'true');
    ex.setAttribute('aria-label', `Hide the steps of ${m.title}`);
    ex.textContent = '▾';
    const rows = (m.children || []).map((c) => taskRow(ctx, c, m));
    ex.setAttribute('aria-controls', rows.map((r) => { r.id = `row-${r.dataset.id}`; return r.id; }).join(' '));
    row.after(...rows);
    if (expand) ex.focus();
  }
  return m;
}

// act runs a dialog action on a task, then redraws what it changed: a step's whole activity
// (the master's status, sub-status, schedule and assignees follow its steps), or the task row.
async function act(ctx, t, dialog, verb) {
  const changed = await dialog(t);
  if (!changed) return;
  ctx.recount();
  if (t.parentId && ctx.tbody.querySelector(`tr.master[data-id="${t.parentId}"]`)) {
    const m = await refreshActivity(ctx, t.parentId, false);
    const again = ctx.tbody.querySelector(`tr[data-id="${t._id}"] a`);
    if (again) again.focus();
    if (m) toast(`Step ${(t.stepOrder ?? 0) + 1} ${verb}. Activity “${m.title}”: ${m.status}${m.subStatus ? ` · ${m.subStatus}` : ''}.`);
    return;
  }
  try {
    const fresh = (await api('GET', `/task/${t._id}`)).task;
    const old = ctx.tbody.querySelector(`tr[data-id="${t._id}"]`);
    const row = taskRow(ctx, fresh, null);
    old.replaceWith(row);
    row.querySelector('a').focus();
    toast(`Task “${fresh.title || fresh.flow}” ${verb}: ${fresh.status}.`);
  } catch (err) {
    toast(err.message);
  }
}
