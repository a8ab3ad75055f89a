// Small DOM helpers shared by the pages. Text always goes in as text nodes, never as HTML, so
// values from the API cannot inject markup.

/**
 * h creates an element: h('a', {href: '#/x', class: 'btn'}, 'text', child, [more]). Attributes
 * named on* add listeners; value, checked, selected and disabled are set as properties;
 * null, undefined and false leave an attribute out.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'disabled') {
      el[k] = v;
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

/** fill replaces an element's children, taking the same children as h (arrays, nulls). */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

let uid = 0;
/** nextId returns a page-unique id for label/aria wiring. */
export const nextId = (prefix = 'f') => `${prefix}-${++uid}`;

/** fmtTime shows an API date-time in the browser's time zone ("" for none). */
export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** schedule shows a start–end pair. */
export function schedule(t) {
  if (!t.startTime && !t.endTime) return '';
  return `${fmtTime(t.startTime)} – ${fmtTime(t.endTime)}`;
}

/** localInputToISO turns a datetime-local value (browser time) into an API date-time. */
export function localInputToISO(v) {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? v : d.toISOString();
}

/** isoToLocalInput turns an API date-time into a datetime-local value. */
export function isoToLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** statusBadge shows a task status; the word is always shown, colour only adds to it. */
export function statusBadge(status) {
  return h('span', { class: `badge st-${status || 'NONE'}` }, status || '—');
}

/**
 * subStatusBadge shows an activity's subStatus. Its colour follows the status's position in
 * the workflow's customStatuses, so one workflow's statuses always look the same.
 */
export function subStatusBadge(subStatus, workflow) {
  if (!subStatus) return h('span', { class: 'muted' }, '—');
  const names = ((workflow && workflow.customStatuses) || []).map((s) => s.name);
  const i = Math.max(0, names.indexOf(subStatus));
  return h('span', { class: `badge sub sub-${i % 8}`, title: 'Sub-status' }, subStatus);
}

/** people lists assignee emails. */
export function people(emails) {
  if (!emails || emails.length === 0) return h('span', { class: 'muted' }, 'Unassigned');
  return emails.join(', ');
}

/** toast shows a short message in the polite live region for a few seconds. */
let toastTimer = 0;
let toastAt = 0;
export function toast(message) {
  const el = document.getElementById('toast');
  el.textContent = message;
  toastAt = Date.now();
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.textContent = ''; }, 6000);
}

/**
 * staleToast removes a message older than a second when the user moves to another page; a
 * message whose action itself moved to the page (e.g. "Activity created") stays.
 */
export function staleToast() {
  if (Date.now() - toastAt > 1000) document.getElementById('toast').textContent = '';
}

/** errorBox shows an error answer (or any error) in an alert. */
export function errorBox(err) {
  return h('div', { class: 'error-box', role: 'alert' }, err.message || String(err));
}

/** loading is the placeholder of a region whose data is on the way. */
export const loading = (what = 'Loading…') => h('p', { class: 'muted', 'aria-busy': 'true' }, what);

/** taskLink links a task's title to its detail page. */
export function taskLink(t, text) {
  return h('a', { href: `#/task/${t._id}` }, text || t.title || t._id);
}

/**
 * fieldSlot wires an input to its error message: the returned element shows the message and
 * is named by the input's aria-describedby, and the input gets aria-invalid.
 */
export function fieldSlot(input) {
  const slot = h('p', { class: 'field-error', id: nextId('err'), hidden: true });
  const ids = (input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
  input.setAttribute('aria-describedby', [...ids, slot.id].join(' '));
  return {
    el: slot,
    show(message) {
      const prev = slot.hidden ? '' : `${slot.textContent}; `;
      slot.textContent = prev + message;
      slot.hidden = false;
      input.setAttribute('aria-invalid', 'true');
    },
    clear() {
      slot.textContent = '';
      slot.hidden = true;
      input.removeAttribute('aria-invalid');
    },
  };
}

// headline sums up a failed submit. When the answer's message only repeats its first field
// error (the API's habit), the count of problems says more.
function headline(err) {
  const fes = err.fieldErrors || [];
  if (fes.length && err.message === `${fes[0].field}: ${fes[0].message}`) {
    return fes.length === 1 ? 'Nothing was saved: 1 problem to fix' : `Nothing was saved: ${fes.length} problems to fix`;
  }
  return err.message;
}

/**
 * errorSummary renders the problems of a failed submit above a form: the message, and one
 * link per placed field error that moves focus to its input. Returns the element (focused by
 * the caller so screen readers read it).
 */
export function errorSummary(err, placed) {
  const items = placed.map(({ label, message, input }) =>
    h('li', null, h('a', {
      href: '#',
      onclick: (e) => { e.preventDefault(); input.focus(); },
    }, `${label}: ${message}`)));
  const unplaced = (err.fieldErrors || []).filter((fe) => !placed.some((p) => p.field === fe.field));
  for (const fe of unplaced) items.push(h('li', null, `${fe.field}: ${fe.message}`));
  return h('div', { class: 'error-box', role: 'alert', tabindex: '-1' },
    h('p', null, h('strong', null, headline(err))),
    items.length ? h('ul', null, items) : null);
}
