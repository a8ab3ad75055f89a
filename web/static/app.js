// The console's entry point: sign-in, the page router (the address's hash: #/tasks,
// #/task/{id}, #/activity/new, #/workflows, #/workflow/{id}) and the header.

import { api, session, forgetLookups } from './api.js';
import { h, errorBox, staleToast } from './dom.js';
import { tasksPage } from './tasks.js';
import { taskPage } from './task.js';
import { newActivityPage } from './activity.js';
import { workflowsPage, workflowEditor } from './workflows.js';

const ID = '([0-9a-f]{24})';
const routes = [
  { re: /^\/tasks$/, nav: 'tasks', title: 'Tasks', page: tasksPage },
  { re: new RegExp(`^/task/${ID}$`), nav: 'tasks', title: 'Task', page: taskPage },
  { re: /^\/activity\/new$/, nav: 'activity', title: 'New activity', page: newActivityPage },
  { re: /^\/workflows$/, nav: 'workflows', title: 'Workflows', page: workflowsPage },
  { re: /^\/workflows\/new$/, nav: 'workflows', title: 'New workflow', page: (root, p) => workflowEditor(root, p, null) },
  { re: new RegExp(`^/workflow/${ID}$`), nav: 'workflows', title: 'Workflow', page: workflowEditor },
];

const main = document.getElementById('main');
let me = null; // the signed-in user (GET /user)
let first = true;

async function route() {
  // In-page anchors such as the skip link are not pages.
  if (location.hash && !location.hash.startsWith('#/')) return;
  if (!session.token()) {
    signInPage();
    return;
  }
  if (!me) {
    try {
      me = await api('GET', '/user');
    } catch (err) {
      if (err.status === 401) signInPage('This token is no longer valid: sign in again.');
      else main.replaceChildren(errorBox(err));
      return;
    }
  }
  showHeader();
  const [path, q = ''] = (location.hash.slice(1) || '/tasks').split('?');
  const r = routes.find((x) => x.re.test(path));
  if (!r) {
    location.replace('#/tasks');
    return;
  }
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.nav === r.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${r.title} · Fieldwork`;
  staleToast();
  // Each page draws into its own element: a page still loading when the user moves on
  // writes into a detached element, never over the next page.
  const root = h('div', { class: 'page' });
  main.replaceChildren(root);
  if (!first) main.focus({ preventScroll: false });
  first = false;
  try {
    await r.page(root, new URLSearchParams(q), ...path.match(r.re).slice(1));
  } catch (err) {
    root.append(errorBox(err));
  }
}

function showHeader() {
  document.getElementById('nav').hidden = false;
  document.getElementById('who').hidden = false;
  const org = me.organization ? ` · ${me.organization.name}` : '';
  document.getElementById('who-name').textContent = `${me.name} (${me.role ? me.role.name : ''})${org}`;
}

function signInPage(message) {
  me = null;
  document.getElementById('nav').hidden = true;
  document.getElementById('who').hidden = true;
  document.title = 'Sign in · Fieldwork';
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'token-hint', required: true });
  const problem = h('div');
  const form = h('form', { class: 'signin', novalidate: true, 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in to Fieldwork'),
    message ? h('div', { class: 'error-box', role: 'alert' }, message) : null,
    problem,
    h('div', { class: 'field' }, h('label', { for: 'token' }, 'API token'), input,
      h('p', { class: 'hint', id: 'token-hint' },
        'Paste your personal API token. It is kept in this browser tab only, until you sign out or close the tab. ',
        'An Owner gets one from ', h('code', null, 'fieldwork org create'), ' or the first start; anyone signed in can make more with ',
        h('code', null, 'POST /api/v3/token'), '.')),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = input.value.trim();
    if (!token) {
      problem.replaceChildren(h('div', { class: 'error-box', role: 'alert' }, 'Paste a token first.'));
      input.focus();
      return;
    }
    session.signIn(token);
    try {
      me = await api('GET', '/user');
    } catch (err) {
      session.signOut();
      const text = err.status === 401 ? 'This token was not accepted: it is unknown, expired or revoked.' : err.message;
      problem.replaceChildren(h('div', { class: 'error-box', role: 'alert' }, text));
      input.focus();
      return;
    }
    if (!location.hash.startsWith('#/')) location.hash = '#/tasks';
    else route();
  });
  main.replaceChildren(form);
  input.focus();
}

document.getElementById('sign-out').addEventListener('click', () => {
  session.signOut();
  forgetLookups();
  me = null;
  history.replaceState(null, '', location.pathname); // no hash, and no hashchange
  signInPage();
});

// A 401 while signed in: the token was revoked or expired meanwhile. (While signing in, or
// reading the user, the caller reports the refusal itself.)
window.addEventListener('fieldwork:signed-out', () => {
  if (!me) return;
  forgetLookups();
  signInPage('Your session has ended (the token is no longer valid). Sign in again.');
});
window.addEventListener('hashchange', route);
route();
