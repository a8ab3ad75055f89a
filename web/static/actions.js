// Actions on one task (a plain task or an activity step): assign and complete, each in a
// modal <dialog> (focus stays inside it, Escape closes it, focus returns to the opener).

import { api, lookups, seg } from './api.js';
import { h, nextId, errorSummary } from './dom.js';
import { fieldInput, flowComponents, isInput } from './fields.js';

/**
 * openDialog shows a modal with a title and a form built by build(form); submit(form) runs on
 * submit and closes the dialog when it resolves, or shows the error it throws. Resolves to true
 * when the action was done, false when cancelled.
 */
function openDialog(title, build, submit, submitLabel) {
  return new Promise((resolve) => {
    const titleId = nextId('dlg');
    const problems = h('div');
    const form = h('form', { class: 'dialog-form', novalidate: true });
    const dialog = h('dialog', { 'aria-labelledby': titleId },
      h('h2', { id: titleId }, title), problems, form);
    let done = false;
    const cancel = h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Cancel');
    const ok = h('button', { type: 'submit', class: 'primary' }, submitLabel);
    Promise.resolve(build(form)).then(() => {
      form.append(h('div', { class: 'buttons' }, ok, cancel));
      const first = form.querySelector('input, select, textarea');
      (first || ok).focus();
    });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      ok.disabled = true;
      problems.replaceChildren();
      try {
        await submit(form, problems);
        done = true;
        dialog.close();
      } catch (err) {
        const summary = errorSummary(err, err.placed || []);
        problems.replaceChildren(summary);
        summary.focus();
      } finally {
        ok.disabled = false;
      }
    });
    dialog.addEventListener('close', () => { dialog.remove(); resolve(done); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** emails splits "a@x, b@y" into a list. */
const emails = (s) => s.split(/[,\s]+/).map((x) => x.trim()).filter(Boolean);

/** assignDialog assigns a task (PUT /task/{id}/assign); an empty list unassigns it. */
export async function assignDialog(task) {
  const { users } = await lookups();
  const listId = nextId('users');
  const id = nextId('assignee');
  let input;
  return openDialog(`Assign “${task.title || task.flow}”`, (form) => {
    input = h('input', { id, type: 'text', value: (task.assignee || []).join(', '), list: listId, autocomplete: 'off', 'aria-describedby': `${id}-hint` });
    form.append(
      h('div', { class: 'field' },
        h('label', { for: id }, 'Assignees'),
        input,
        h('p', { class: 'hint', id: `${id}-hint` }, 'Emails, separated by commas. Leave empty to unassign.')),
      h('datalist', { id: listId }, users.filter((u) => u.status === 'active').map((u) => h('option', { value: u.email }, u.name))));
  }, async () => {
    await api('PUT', `/task/${task._id}/assign`, { assignee: emails(input.value) });
  }, 'Save assignees');
}

/**
 * completeDialog completes a task (POST /task/{id}/done) with the fields of its flow's later
 * pages (page1…), which the worker fills when the task is done. Field errors of the answer
 * are shown next to their inputs.
 */
export async function completeDialog(task) {
  let inputs = [];
  return openDialog(`Complete “${task.title || task.flow}”`, async (form) => {
    let flow = null;
    if (task.flowId) {
      try {
        flow = (await api('GET', `/flow/${seg(task.flowId)}`)).flow;
      } catch {
        flow = null; // the flow was deleted: complete without its fields
      }
    }
    const later = flowComponents(flow).filter((c) => c.page !== 'page0' && isInput(c));
    inputs = later.map((c) => fieldInput(c));
    for (const f of inputs) f.set(task[f.component.id]);
    form.append(inputs.length
      ? h('div', { class: 'fields' }, inputs.map((f) => f.el))
      : h('p', null, 'This step has no fields to fill when done.'));
  }, async () => {
    const body = {};
    for (const f of inputs) {
      f.error.clear();
      const v = f.read();
      if (v !== undefined) body[f.component.id] = v;
    }
    try {
      await api('POST', `/task/${task._id}/done`, body);
    } catch (err) {
      // The done endpoint names fields by their component id ("signature").
      err.placed = [];
      for (const fe of err.fieldErrors) {
        const f = inputs.find((x) => x.component.id === fe.field);
        if (!f) continue;
        f.error.show(fe.message);
        err.placed.push({ field: fe.field, label: f.component.title || fe.field, message: fe.message, input: f.input });
      }
      throw err;
    }
  }, 'Complete');
}
