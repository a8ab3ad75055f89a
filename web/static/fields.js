// Flow components (SPEC §4) as form inputs and as read-only values, one kind at a time.

import { h, nextId, fieldSlot, fmtTime, localInputToISO, isoToLocalInput } from './dom.js';

/** components lists a flow's components with their page id, pages in order (like fieldSchema). */
export function flowComponents(flow) {
  const out = [];
  for (const p of (flow && flow.pages) || []) {
    for (const c of p.components || []) out.push({ ...c, page: p.id });
  }
  return out;
}

/** pageTitle names a flow page for people. */
export function pageTitle(page, index) {
  if (page.title) return page.title;
  return index === 0 ? 'Fields given at creation' : `Fields filled when done (${page.id})`;
}

// kind maps a component to the input that edits it.
function kind(c) {
  switch (c.component) {
    case 'input':
      return {
        String: 'text', Address: 'textarea', PhoneNumber: 'tel', URL: 'url', Numeric: 'number',
        Currency: 'number', Date: 'date', Datetime: 'datetime', Time: 'time', Geolocation: 'geo',
      }[c.type || 'String'] || 'text';
    case 'select':
      return c.max > 1 ? 'checkboxes' : 'select';
    case 'photo':
      return 'urls';
    case 'signature':
      return 'url';
    case 'view':
      return 'view';
    default: // bill, list, timer, voice, capture: any JSON value
      return 'json';
  }
}

/** isInput reports whether a component takes a value (every kind but view). */
export const isInput = (c) => c.component !== 'view';

const hints = {
  tel: 'Digits, spaces and + - ( )',
  geo: 'Latitude,longitude — for example -6.2,106.8',
  urls: 'One URL per line',
  url: 'An http(s) URL',
  json: 'A JSON value, or plain text',
};

/**
 * fieldInput renders a labelled input for a component and returns a controller:
 * {el, input, read(), set(v), raw(), error}. read() is the JSON value to send (undefined when
 * empty); set(v) writes a value read from a task or another field; raw() is a comparable text.
 */
export function fieldInput(c, opts = {}) {
  const id = opts.id || nextId('fld');
  const k = kind(c);
  const required = !!c.required;
  const labelText = c.title || c.id;
  const mark = required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null;
  const hintText = opts.hint || hints[k];
  const hint = hintText ? h('p', { class: 'hint', id: `${id}-hint` }, hintText) : null;
  let input;
  let read;
  let set;
  let el;

  const common = { id, name: c.id, 'aria-required': required ? 'true' : null, 'aria-describedby': hint ? hint.id : null };
  const label = () => h('label', { for: id }, labelText, mark);

  switch (k) {
    case 'view':
      return {
        el: h('div', { class: 'field view' }, h('span', { class: 'label' }, labelText), h('p', null, c.value != null ? String(c.value) : '')),
        input: null, read: () => undefined, set() {}, raw: () => '', error: { show() {}, clear() {} },
      };
    case 'select': {
      input = h('select', common, h('option', { value: '' }, '— choose —'),
        (c.options || []).map((o) => h('option', { value: o }, o)));
      read = () => input.value || undefined;
      set = (v) => { input.value = Array.isArray(v) ? (v[0] ?? '') : (v ?? ''); };
      break;
    }
    case 'checkboxes': {
      // A group of checkboxes in a fieldset: its legend is the label.
      const boxes = (c.options || []).map((o) => {
        const bid = nextId('opt');
        return h('span', { class: 'check' }, h('input', { type: 'checkbox', id: bid, value: o, name: c.id }), h('label', { for: bid }, o));
      });
      input = h('fieldset', { class: 'field checks', id, 'aria-required': required ? 'true' : null, tabindex: '-1' },
        h('legend', null, labelText, mark), boxes);
      const all = () => [...input.querySelectorAll('input[type=checkbox]')];
      read = () => { const v = all().filter((b) => b.checked).map((b) => b.value); return v.length ? v : undefined; };
      set = (v) => { const want = [].concat(v ?? []); for (const b of all()) b.checked = want.includes(b.value); };
      el = input;
      break;
    }
    case 'textarea':
      input = h('textarea', { ...common, rows: 2 });
      break;
    case 'urls':
      input = h('textarea', { ...common, rows: 2 });
      read = () => { const v = input.value.split('\n').map((s) => s.trim()).filter(Boolean); return v.length ? v : undefined; };
      set = (v) => { input.value = [].concat(v ?? []).join('\n'); };
      break;
    case 'json':
      input = h('textarea', { ...common, rows: 2 });
      read = () => {
        const s = input.value.trim();
        if (!s) return undefined;
        try { return JSON.parse(s); } catch { return s; }
      };
      set = (v) => { input.value = v == null ? '' : (typeof v === 'string' ? v : JSON.stringify(v)); };
      break;
    case 'number':
      input = h('input', { ...common, type: 'number', step: 'any', inputmode: 'decimal' });
      read = () => (input.value === '' ? undefined : Number(input.value));
      break;
    case 'datetime':
      input = h('input', { ...common, type: 'datetime-local' });
      read = () => localInputToISO(input.value);
      set = (v) => { input.value = isoToLocalInput(v); };
      break;
    default: // text, tel, url, date, time, geo
      input = h('input', { ...common, type: { geo: 'text' }[k] || k, autocomplete: 'off' });
  }
  if (!read) read = () => (input.value.trim() === '' ? undefined : input.value.trim());
  if (!set) set = (v) => { input.value = v == null ? '' : (Array.isArray(v) ? v.join(', ') : String(v)); };
  if (c.default !== undefined && c.default !== null && c.default !== '') set(c.default);
  const error = fieldSlot(input);
  if (!el) el = h('div', { class: 'field' }, label(), input);
  if (hint) el.append(hint);
  el.append(error.el);
  return { el, input, read, set, raw: () => JSON.stringify(read() ?? null), error, component: c };
}

/** displayValue renders a stored value by component kind (read-only). */
export function displayValue(c, v) {
  const empty = () => h('span', { class: 'muted' }, '—');
  if (c.component === 'view') return c.value != null ? String(c.value) : empty();
  if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) return empty();
  switch (kind(c)) {
    case 'urls':
      return h('ul', { class: 'thumbs' }, [].concat(v).map((u) =>
        h('li', null, h('a', { href: u, target: '_blank', rel: 'noopener noreferrer' }, h('img', { src: u, alt: `${c.title || c.id}`, loading: 'lazy' })))));
    case 'url':
      return c.component === 'signature'
        ? h('a', { href: v, target: '_blank', rel: 'noopener noreferrer' }, h('img', { class: 'signature', src: v, alt: c.title || 'Signature' }))
        : h('a', { href: v, target: '_blank', rel: 'noopener noreferrer' }, v);
    case 'datetime':
      return fmtTime(v);
    case 'checkboxes':
    case 'select':
      return [].concat(v).join(', ');
    case 'json':
      return typeof v === 'string' ? v : h('pre', null, JSON.stringify(v, null, 2));
    default:
      return String(v);
  }
}
