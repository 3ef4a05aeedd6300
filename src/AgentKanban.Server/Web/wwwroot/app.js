// Entry point: sign-in, theme, navigation between the board, a task and the machines page (hash routes).
import { api, signIn, signOut, unauthorizedHandlers } from './api.js';
import { initBoard, showBoard, leaveBoard, currentBoard } from './board.js';
import { initDetail, showTask, leaveTask } from './detail.js';
import { showMachines, leaveMachines } from './machines.js';
import { el, clear, tickCountdowns, tickAges } from './dom.js';
import { lookups, loadLookups } from './lookups.js';

const views = ['sign-in-view', 'board-view', 'task-view', 'machines-view'];
let boards = [];
let signedIn = false;

function show(id) {
  for (const view of views) document.getElementById(view).hidden = view !== id;
  document.getElementById('main-nav').hidden = !signedIn;
  document.getElementById('sign-out').hidden = !signedIn;
  document.getElementById('board-picker-wrap').hidden = !signedIn || boards.length < 2 || id !== 'board-view';
  for (const link of document.querySelectorAll('#main-nav a')) {
    const current = (id === 'machines-view' && link.id === 'nav-machines') || (id !== 'machines-view' && link.id === 'nav-board');
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

export function announce(message) {
  const node = document.getElementById('announcer');
  node.textContent = '';
  // A fresh text node after a tick makes screen readers announce repeated messages too.
  setTimeout(() => { node.textContent = message; }, 50);
}

function connection(connected) {
  const node = document.getElementById('connection');
  node.hidden = connected;
  node.textContent = connected ? '' : 'Live updates interrupted — reconnecting…';
}

// ---- theme ----
function setupTheme() {
  const button = document.getElementById('theme-toggle');
  const sync = () => {
    const light = document.documentElement.dataset.theme === 'light';
    button.setAttribute('aria-pressed', String(light));
    button.textContent = light ? 'Dark theme' : 'Light theme';
    button.setAttribute('aria-label', light ? 'Switch to the dark theme' : 'Switch to the light theme');
  };
  button.addEventListener('click', () => {
    const next = document.documentElement.dataset.theme === 'light' ? 'dark' : 'light';
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem('ak-theme', next);
    } catch {
      // Not remembered, still applied.
    }
    sync();
  });
  sync();
}

// ---- sign-in ----
function setupSignIn() {
  const form = document.getElementById('sign-in-form');
  const error = document.getElementById('sign-in-error');
  if (new URLSearchParams(location.search).get('sign-in') === 'failed') {
    error.textContent = 'That token was not accepted.';
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    const input = document.getElementById('token');
    try {
      await signIn(input.value.trim());
      input.value = '';
      if (location.search) history.replaceState(null, '', '/' + location.hash);
      await start();
    } catch (e) {
      error.textContent = e.message;
      input.focus();
    }
  });
  document.getElementById('sign-out').addEventListener('click', async () => {
    await signOut();
    toSignIn();
  });
  unauthorizedHandlers.push(() => toSignIn());
}

function toSignIn() {
  signedIn = false;
  leaveBoard();
  leaveTask();
  leaveMachines();
  show('sign-in-view');
  document.getElementById('token').focus();
}

// ---- boards ----
function fillPicker(selectedId) {
  const picker = document.getElementById('board-picker');
  clear(picker);
  for (const board of boards) picker.append(el('option', { value: board.id }, board.name));
  if (selectedId) picker.value = selectedId;
}

async function reloadBoards() {
  boards = await api.get('/api/boards');
  document.getElementById('no-boards').hidden = boards.length > 0;
  document.getElementById('columns').hidden = boards.length === 0;
}

/** The board in the address (id or name), else the one shown last in this browser, else the newest board. */
function pickBoard(id) {
  const remembered = localStorage.getItem('ak-board');
  return boards.find((b) => b.id === id || b.name === id)
    || boards.find((b) => b.id === remembered)
    || boards[boards.length - 1]; // the list is oldest first
}

function setupBoardControls() {
  document.getElementById('board-picker').addEventListener('change', (event) => {
    location.hash = '#/board/' + event.target.value;
  });
  document.getElementById('create-board-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const error = document.getElementById('create-board-error');
    error.textContent = '';
    try {
      const board = await api.post('/api/boards', { name: form.elements.name.value.trim(), type: form.elements.type.value });
      form.reset();
      await reloadBoards();
      location.hash = '#/board/' + board.id;
      announce(`Created board ${board.name}`);
    } catch (e) {
      error.textContent = e.message;
    }
  });
}

// ---- routing ----
/** After a navigation, focus moves to the new view's heading so keyboard and screen-reader users start there. */
function focusHeading(viewId) {
  const heading = document.querySelector(`#${viewId} h1`);
  if (heading) heading.focus({ preventScroll: true });
}

async function route(event) {
  if (!signedIn) return;
  const navigated = Boolean(event);
  const [, page, id] = location.hash.replace(/^#\/?/, '#').split(/[#/]/);
  try {
    if (page === 'task' && id) {
      leaveBoard();
      leaveMachines();
      show('task-view');
      if (navigated) focusHeading('task-view');
      await showTask(decodeURIComponent(id));
      return;
    }
    if (page === 'machines') {
      leaveBoard();
      leaveTask();
      show('machines-view');
      if (navigated) focusHeading('machines-view');
      await showMachines();
      return;
    }
    leaveTask();
    leaveMachines();
    show('board-view');
    const board = pickBoard(id && decodeURIComponent(id));
    if (!board) {
      leaveBoard();
      return;
    }
    localStorage.setItem('ak-board', board.id);
    fillPicker(board.id);
    show('board-view');
    if (navigated) focusHeading('board-view');
    if (!currentBoard() || currentBoard().id !== board.id) {
      await showBoard(board);
    }
  } catch (e) {
    if (e.status !== 401) announce('Could not load: ' + e.message);
  }
}

async function start() {
  // Everything the first view needs is asked for at once; a 401 on any of them means "not signed in".
  let me;
  try {
    [me] = await Promise.all([api.get('/api/whoami'), loadLookups(), reloadBoards()]);
  } catch {
    toSignIn();
    return;
  }
  signedIn = true;
  lookups.user = me;
  performance.mark('ak-signed-in');
  await route();
}

setupTheme();
setupSignIn();
setupBoardControls();
initBoard({ announce, connection });
initDetail({ announce, connection });
window.addEventListener('hashchange', route);
setInterval(() => tickCountdowns(), 1000);
setInterval(() => tickAges(), 30000);
start();
