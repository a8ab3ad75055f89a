// Workflows: the list with search, and the editor of a workflow's name, sub-statuses, steps,
// status mapping and field mappings. Before saving an existing workflow, each step's field
// mappings go through POST /workflow/{id}/steps/{i}/validate-field-mappings; its errors are
// shown next to the mapping they concern and stop the save.

import { api, forgetLookups, lookups, query } from './api.js';
import { h, fill, fmtTime, fieldSlot, toast, errorBox, errorSummary, loading } from './dom.js';
import { flowComponents } from './fields.js';

const DEFAULT_STATUSES = ['Unassigned', 'Ongoing', 'Done'];
const MAX_STEPS = 10;

export async function workflowsPage(root, params) {
  root.append(h('div', { class: 'page-head' },
    h('h1', null, 'Workflows'),
    h('a', { class: 'button primary', href: '#/workflows/new' }, 'New workflow')));
  const q = params.get('q') || '';
  const search = h('form', { class: 'filters', role: 'search', 'aria-label': 'Search workflows' },
    h('div', { class: 'field' }, h('label', { for: 'wf-q' }, 'Search'),
      h('input', { id: 'wf-q', type: 'search', name: 'q', value: q, placeholder: 'Workflow or step flow name' })),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Search')));
  search.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = search.querySelector('input').value.trim();
    location.hash = `#/workflows${v ? `?q=${encodeURIComponent(v)}` : ''}`;
  });
  const region = h('section', { 'aria-label': 'Workflows' }, loading());
  root.append(search, region);
  const page = Number(params.get('page') || 1);
  let answer;
  try {
    answer = await api('GET', q
      ? `/internal/workflows/search${query({ q, page, limit: 20 })}`
      : `/internal/workflows${query({ page, limit: 20 })}`);
  } catch (err) {
    region.replaceChildren(errorBox(err));
    return;
  }
  const list = answer.data;
  const pg = answer.pagination;
  if (!list.length) {
    region.replaceChildren(h('p', { class: 'empty' }, q ? `No workflow matches “${q}”.` : 'No workflow yet.'));
    return;
  }
  const link = (n, text) => {
    const p = new URLSearchParams(params);
    p.set('page', n);
    return h('a', { class: 'button secondary', href: `#/workflows?${p}` }, text);
  };
  fill(region,
    h('p', { class: 'summary' }, `${pg.total} ${pg.total === 1 ? 'workflow' : 'workflows'}`),
    h('div', { class: 'table-wrap' }, h('table', { class: 'tasks' },
      h('thead', null, h('tr', null, ['Name', 'Steps', 'Sub-statuses', 'In order', 'Version', 'Updated', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, list.map((w) => h('tr', { 'data-id': w._id },
        h('td', null, h('a', { href: `#/workflow/${w._id}` }, w.name)),
        h('td', null, w.steps.map((s) => s.flowName).join(' → ')),
        h('td', null, w.customStatuses.filter((s) => !s.isDefault).map((s) => s.name).join(', ') || h('span', { class: 'muted' }, '—')),
        h('td', null, w.sequential ? 'Yes' : 'No'),
        h('td', null, String(w.version)),
        h('td', null, fmtTime(w.updatedTime)),
        h('td', null, h('a', { href: `#/activity/new?workflowId=${w._id}` }, 'New activity'))))))),
    pg.last_page > 1
      ? h('nav', { class: 'pager', 'aria-label': 'Pages' },
        page > 1 ? link(page - 1, '← Previous') : null,
        h('span', { 'aria-current': 'page' }, `Page ${page} of ${pg.last_page}`),
        page < pg.last_page ? link(page + 1, 'Next →') : null)
      : null);
}

/** workflowEditor creates (id null) or edits a workflow. */
export async function workflowEditor(root, params, id) {
  forgetLookups(); // flows and users may have changed since the lists were read
  const { flows, users } = await lookups();
  let stored = null;
  if (id) {
    try {
      stored = (await api('GET', `/workflow/${id}`)).data;
    } catch (err) {
      root.append(h('h1', null, 'Workflow'), errorBox(err));
      return;
    }
  }
  const state = stored
    ? {
      name: stored.name,
      sequential: stored.sequential,
      statuses: stored.customStatuses.filter((s) => !s.isDefault).map((s) => s.name),
      steps: stored.steps.map((s) => ({
        flowId: s.flowId,
        assigneeId: s.assigneeId || '',
        statusMapping: s.statusMapping || '',
        fieldMappings: s.fieldMappings.map((m) => ({
          targetField: m.targetField, sourceType: m.sourceType === 'step' ? 'step' : 'manual',
          sourceStep: m.sourceStep ?? 0, sourceField: m.sourceField ?? '',
        })),
      })),
    }
    : { name: '', sequential: true, statuses: [], steps: [{ flowId: '', assigneeId: '', statusMapping: '', fieldMappings: [] }] };

  const title = stored ? `Edit workflow “${stored.name}”` : 'New workflow';
  root.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/workflows' }, '← Workflows')),
    h('h1', { id: 'wf-title' }, title));
  if (!flows.length) {
    root.append(h('p', null, 'There is no flow yet: a workflow step needs one (POST /api/v3/flow).'));
    return;
  }
  const problems = h('div');
  const body = h('div');
  const form = h('form', { class: 'workflow-form', novalidate: true, 'aria-labelledby': 'wf-title' }, problems, body);
  root.append(form);
  const flowOf = (fid) => flows.find((f) => f._id === fid);
  const fieldsOf = (fid) => flowComponents(flowOf(fid)).filter((c) => c.component !== 'view');
  let slots = {}; // error slots by API field path

  const render = () => {
    const focused = document.activeElement && document.activeElement.id;
    slots = {};
    const slot = (path, input) => { const s = fieldSlot(input); slots[path] = { ...s, input }; return s.el; };
    const statuses = [...DEFAULT_STATUSES, ...state.statuses];

    const name = h('input', { id: 'wf-name', value: state.name, autocomplete: 'off', 'aria-required': 'true', oninput: (e) => { state.name = e.target.value; } });
    const sequential = h('input', { id: 'wf-sequential', type: 'checkbox', checked: state.sequential, onchange: (e) => { state.sequential = e.target.checked; } });
    const custom = h('textarea', {
      id: 'wf-statuses', rows: 3, value: state.statuses.join('\n'), 'aria-describedby': 'wf-statuses-hint',
      onchange: (e) => { state.statuses = e.target.value.split('\n').map((s) => s.trim()).filter(Boolean); render(); },
    });
    fill(body,
      h('div', { class: 'row' },
        h('div', { class: 'field' }, h('label', { for: 'wf-name' }, 'Name', h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')), name, slot('name', name)),
        h('div', { class: 'field' }, h('label', { for: 'wf-statuses' }, 'Sub-statuses'), custom,
          h('p', { class: 'hint', id: 'wf-statuses-hint' }, 'One per line. Unassigned, Ongoing and Done always exist.'), slot('customStatuses', custom))),
      h('div', { class: 'field check' }, sequential, h('label', { for: 'wf-sequential' }, 'Steps must be done in order')),
      h('h2', null, 'Steps'),
      stored ? h('p', { class: 'hint' }, 'An existing workflow keeps its number of steps; change a step’s flow instead.') : null,
      state.steps.map((s, i) => stepSection(s, i, statuses, slot)),
      !stored && state.steps.length < MAX_STEPS
        ? h('button', { type: 'button', id: 'wf-add-step', class: 'secondary', onclick: () => { state.steps.push({ flowId: '', assigneeId: '', statusMapping: '', fieldMappings: [] }); render(); focusId(`wf-s${state.steps.length - 1}-flow`); } }, 'Add step')
        : null,
      h('div', { class: 'buttons' },
        h('button', { type: 'submit', class: 'primary', id: 'wf-save' }, stored ? 'Save workflow' : 'Create workflow'),
        h('a', { class: 'button secondary', href: '#/workflows' }, 'Cancel')));
    if (focused) focusId(focused);
  };

  const stepSection = (s, i, statuses, slot) => {
    const p = `wf-s${i}`;
    const flowSelect = h('select', {
      id: `${p}-flow`, 'aria-required': 'true',
      onchange: (e) => { s.flowId = e.target.value; s.fieldMappings = []; render(); },
    }, h('option', { value: '' }, '— choose a flow —'), flows.map((f) => h('option', { value: f._id, selected: f._id === s.flowId }, f.name)));
    const assignee = h('select', { id: `${p}-assignee`, onchange: (e) => { s.assigneeId = e.target.value; } },
      h('option', { value: '' }, 'Nobody'),
      users.filter((u) => u.status === 'active').map((u) => h('option', { value: u._id, selected: u._id === s.assigneeId }, `${u.name} <${u.email}>`)));
    const mapping = h('select', { id: `${p}-status`, onchange: (e) => { s.statusMapping = e.target.value; } },
      h('option', { value: '' }, 'None'),
      statuses.map((n) => h('option', { value: n, selected: n === s.statusMapping }, n)));
    const addMapping = h('button', {
      type: 'button', id: `${p}-add-mapping`, class: 'secondary small', disabled: !s.flowId,
      onclick: () => { s.fieldMappings.push({ targetField: '', sourceType: i === 0 ? 'manual' : 'step', sourceStep: 0, sourceField: '' }); render(); focusId(`${p}-m${s.fieldMappings.length - 1}-target`); },
    }, 'Add field mapping');
    const move = (d) => {
      const j = i + d;
      [state.steps[i], state.steps[j]] = [state.steps[j], state.steps[i]];
      for (const st of state.steps) st.fieldMappings = st.fieldMappings.filter((m) => m.sourceType !== 'step');
      render();
    };
    return h('fieldset', { class: 'step', id: `${p}` },
      h('legend', null, `Step ${i + 1}`, s.flowId && flowOf(s.flowId) ? ` · ${flowOf(s.flowId).name}` : ''),
      h('div', { class: 'fields' },
        h('div', { class: 'field' }, h('label', { for: flowSelect.id }, 'Flow', h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')), flowSelect, slot(`steps[${i}].flowId`, flowSelect)),
        h('div', { class: 'field' }, h('label', { for: assignee.id }, 'Default assignee'), assignee, slot(`steps[${i}].assigneeId`, assignee)),
        h('div', { class: 'field' }, h('label', { for: mapping.id }, 'Sub-status when done'), mapping, slot(`steps[${i}].statusMapping`, mapping))),
      h('h3', { id: `${p}-mappings` }, 'Field mappings'),
      s.fieldMappings.length
        ? h('ul', { class: 'mappings', 'aria-labelledby': `${p}-mappings` }, s.fieldMappings.map((m, j) => mappingRow(s, i, m, j, slot)))
        : h('p', { class: 'muted' }, i === 0 ? 'None. The first step may only use fixed values.' : 'None.'),
      h('div', { class: 'buttons' }, addMapping, slot(`steps[${i}].fieldMappings`, addMapping),
        !stored && i > 0 ? h('button', { type: 'button', class: 'secondary small', id: `${p}-up`, onclick: () => move(-1) }, 'Move up') : null,
        !stored && i < state.steps.length - 1 ? h('button', { type: 'button', class: 'secondary small', id: `${p}-down`, onclick: () => move(1) }, 'Move down') : null,
        !stored && state.steps.length > 1
          ? h('button', {
            type: 'button', class: 'secondary small danger', id: `${p}-remove`,
            onclick: () => {
              state.steps.splice(i, 1);
              for (const st of state.steps) st.fieldMappings = st.fieldMappings.filter((x) => x.sourceType !== 'step');
              render();
              focusId('wf-add-step');
            },
          }, 'Remove step')
          : null),
      h('div', { class: 'notes', id: `${p}-notes`, 'aria-live': 'polite' }));
  };

  const mappingRow = (s, i, m, j, slot) => {
    const p = `wf-s${i}-m${j}`;
    const target = h('select', { id: `${p}-target`, onchange: (e) => { m.targetField = e.target.value; } },
      h('option', { value: '' }, '— field —'),
      fieldsOf(s.flowId).map((c) => h('option', { value: c.id, selected: c.id === m.targetField }, c.title || c.id)));
    const sources = [['manual', 'Fixed value'], ...state.steps.slice(0, i).map((st, k) => [`step:${k}`, `Step ${k + 1}${flowOf(st.flowId) ? ` · ${flowOf(st.flowId).name}` : ''}`])];
    const cur = m.sourceType === 'step' ? `step:${m.sourceStep}` : 'manual';
    const source = h('select', {
      id: `${p}-source`,
      onchange: (e) => {
        const v = e.target.value;
        if (v === 'manual') m.sourceType = 'manual';
        else { m.sourceType = 'step'; m.sourceStep = Number(v.slice(5)); }
        m.sourceField = '';
        render();
      },
    }, sources.map(([v, text]) => h('option', { value: v, selected: v === cur }, text)));
    let from;
    if (m.sourceType === 'step') {
      const srcFlow = (state.steps[m.sourceStep] || {}).flowId;
      from = h('select', { id: `${p}-field`, onchange: (e) => { m.sourceField = e.target.value; } },
        h('option', { value: '' }, '— field —'),
        fieldsOf(srcFlow).map((c) => h('option', { value: c.id, selected: c.id === m.sourceField }, c.title || c.id)));
    } else {
      from = h('input', { id: `${p}-value`, value: m.sourceField, autocomplete: 'off', oninput: (e) => { m.sourceField = e.target.value; } });
    }
    return h('li', { class: 'mapping' },
      h('div', { class: 'field' }, h('label', { for: target.id }, 'Field'), target),
      h('span', { class: 'arrow', 'aria-hidden': 'true' }, '←'),
      h('div', { class: 'field' }, h('label', { for: source.id }, 'From'), source),
      h('div', { class: 'field' }, h('label', { for: from.id }, m.sourceType === 'step' ? 'Source field' : 'Value'), from),
      h('button', {
        type: 'button', class: 'secondary small', 'aria-label': `Remove mapping ${j + 1} of step ${i + 1}`,
        onclick: () => { s.fieldMappings.splice(j, 1); render(); focusId(`wf-s${i}-add-mapping`); },
      }, 'Remove'),
      slot(`steps[${i}].fieldMappings[${j}]`, target));
  };

  const toBody = () => ({
    name: state.name.trim(),
    sequential: state.sequential,
    customStatuses: state.statuses.map((n) => ({ name: n })),
    steps: state.steps.map((s) => {
      const step = { flowId: s.flowId, assigneeId: s.assigneeId || null, fieldMappings: s.fieldMappings.map(mappingBody) };
      if (s.statusMapping) step.statusMapping = s.statusMapping;
      return step;
    }),
  });

  // show places "path: message" problems on their slots (the longest known prefix of the
  // path), and returns them for the summary.
  const show = (problemsList) => {
    const placed = [];
    for (const { field, message } of problemsList) {
      let path = field;
      while (path && !slots[path]) path = parentPath(path);
      if (!path) continue;
      slots[path].show(message);
      placed.push({ field, label: label(field), message, input: slots[path].input });
    }
    return placed;
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    render(); // clears earlier errors
    problems.replaceChildren();
    const save = form.querySelector('#wf-save');
    save.disabled = true;
    try {
      const body = toBody();
      if (stored) {
        const invalid = await validateMappings(body);
        if (invalid) {
          const err = { status: 400, message: 'Some field mappings are not valid; nothing was saved.', fieldErrors: invalid };
          fail(err, show(invalid));
          return;
        }
      }
      const ans = stored
        ? await api('PUT', `/workflow/${stored._id}`, body, { 'If-Match': `"${stored.version}"` })
        : await api('POST', '/internal/workflows', body);
      toast(`Workflow “${ans.data.name}” ${stored ? 'saved' : 'created'}.`);
      location.hash = '#/workflows';
    } catch (err) {
      if (err.status === 412) err.message = 'Someone else changed this workflow meanwhile: reload the page to edit the latest version.';
      fail(err, show(err.fieldErrors || []));
    } finally {
      save.disabled = false;
    }
  });

  const fail = (err, placed) => {
    const summary = errorSummary(err, placed);
    problems.replaceChildren(summary);
    summary.focus();
  };

  /**
   * validateMappings asks the server to check each step's mappings against the stored
   * workflow (validate-field-mappings reads the saved steps). When a step's flow was changed
   * here, the stored steps no longer match, so the check is left to the save itself, which
   * validates the same rules. Warnings are shown under their step; errors are returned.
   */
  const validateMappings = async (body) => {
    if (body.steps.some((s, i) => s.flowId !== stored.steps[i].flowId)) return null;
    const errors = [];
    await Promise.all(body.steps.map(async (s, i) => {
      if (!s.fieldMappings.length) return; // nothing to check
      let v;
      try {
        v = (await api('POST', `/workflow/${stored._id}/steps/${i}/validate-field-mappings`, { fieldMappings: s.fieldMappings })).data;
      } catch (err) {
        // A body the endpoint refuses outright (400 workf-047) names fields as fieldMappings[j]….
        if (err.status !== 400 || !err.fieldErrors.length) throw err;
        for (const fe of err.fieldErrors) errors.push({ field: `steps[${i}].${fe.field}`, message: fe.message });
        return;
      }
      // Warnings: a required field no mapping fills (the user may still type it).
      const notes = document.getElementById(`wf-s${i}-notes`);
      if (notes && v.warnings.length) {
        notes.replaceChildren(h('ul', { class: 'warnings' }, v.warnings.map((w) => h('li', null, `Note: ${w}`))));
      }
      for (const e of v.errors) {
        const k = e.indexOf(': ');
        errors.push({ field: `steps[${i}].${e.slice(0, k)}`, message: e.slice(k + 2) });
      }
    }));
    return errors.length ? errors : null;
  };

  render();
}

function mappingBody(m) {
  if (m.sourceType === 'step') {
    return { targetField: m.targetField, sourceType: 'step', sourceStep: m.sourceStep, sourceField: m.sourceField };
  }
  return { targetField: m.targetField, sourceType: 'manual', sourceField: m.sourceField };
}

// label names an API field path for people: steps[1].fieldMappings[0].sourceField → "Step 2,
// mapping 1: sourceField".
function label(path) {
  const m = /^steps\[(\d+)\](?:\.fieldMappings\[(\d+)\])?\.?(.*)$/.exec(path);
  if (!m) return path;
  return `Step ${Number(m[1]) + 1}${m[2] !== undefined ? `, mapping ${Number(m[2]) + 1}` : ''}${m[3] ? `: ${m[3]}` : ''}`;
}

// parentPath drops the last key or index of a field path ("" at the top).
function parentPath(p) {
  const q = p.replace(/(\.[^.[\]]*|\[\d+\])$/, '');
  return q === p ? '' : q;
}

function focusId(id) {
  const el = id && document.getElementById(id);
  if (el) el.focus();
}
