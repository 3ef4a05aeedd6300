// The board page: five columns kept live from the board's event stream, filters, task creation.
import { api, openStream } from './api.js';
import { buildCard, fillCard } from './card.js';
import { el, clear } from './dom.js';
import { lookups, refreshMachines, knowsAgent } from './lookups.js';

const STATUSES = ['todo', 'in_progress', 'in_review', 'done', 'cancelled'];

const state = {
  board: null,
  tasks: new Map(), // id -> task
  since: new Map(), // id -> ISO time the task entered its column
  cards: new Map(), // id -> card element (the <li>)
  stream: null,
  machinesTimer: 0,
};

let hooks = { announce: () => {}, connection: () => {} };

export function initBoard(options) {
  hooks = options;
  document.getElementById('filters').addEventListener('change', applyFilters);
  document.getElementById('create-task-form').addEventListener('submit', createTask);
}

function columnList(status) {
  return document.querySelector(`.column[data-status="${status}"] .cards`);
}

/** Sort order inside a column: todo by board position, the others most recently changed first. */
function before(a, b) {
  if (a.status === 'todo') {
    return a.position !== b.position ? a.position < b.position : a.seq < b.seq;
  }
  return a.updated_at !== b.updated_at ? a.updated_at > b.updated_at : a.seq > b.seq;
}

function sorted(tasks) {
  return tasks.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
}

export async function showBoard(board) {
  leaveBoard();
  state.board = board;
  document.getElementById('board-heading').textContent = board.name;
  fillFilterOptions(board);
  fillCreateOptions(board);
  for (const status of STATUSES) {
    clear(columnList(status));
  }

  // The stream opens first and its events wait until the snapshot is drawn: nothing committed in between is
  // missed, and an event older than the snapshot's copy of a task is ignored (updated_at comparison).
  const pending = [];
  let ready = false;
  let loads = 0;
  const handle = (kind) => (data) => (ready ? apply(kind, data) : pending.push([kind, data]));

  /** Loads the snapshot, draws it (the first time) or brings the drawn board in line with it, then applies the held events. */
  const load = async (first) => {
    const mine = ++loads;
    ready = false;
    const [tasks, times] = await Promise.all([
      api.get(`/api/tasks?board_id=${encodeURIComponent(board.id)}`),
      api.get(`/api/boards/${encodeURIComponent(board.id)}/column-times`),
    ]);
    if (state.board !== board || mine !== loads) return; // another board was picked, or a newer reload runs
    if (first) {
      performance.mark('ak-board-fetched');
      drawSnapshot(tasks, times);
    } else {
      reconcile(tasks, times);
    }
    ready = true;
    for (const [kind, data] of pending.splice(0)) apply(kind, data);
    applyFilters();
    document.getElementById('columns').dataset.ready = 'true';
  };

  // A reset: the server pruned events this page never saw, so its picture may be stale. The stream is already at the
  // head (the reset's id): reload the snapshot as on a first load, holding the events that arrive meanwhile.
  const reload = () => load(false).catch((e) => {
    if (state.board !== board || e.status === 401) return;
    hooks.announce('Could not reload the board: ' + e.message);
    setTimeout(() => state.board === board && reload(), 3000);
  });

  const stream = await openStream(`/api/boards/${encodeURIComponent(board.id)}/events`, {
    'task.created': handle('upsert'),
    'task.updated': handle('upsert'),
    'task.deleted': handle('delete'),
    reset: () => reload(),
  }, hooks.connection);
  if (state.board !== board) {
    stream.close(); // another board was picked meanwhile
    return;
  }
  state.stream = stream;

  await load(true);
  if (state.board !== board) return;
  // Marks for the first-render benchmark: the cards are in the DOM, then the frame that shows them was painted.
  performance.mark('ak-board-drawn');
  requestAnimationFrame(() => setTimeout(() => performance.mark('ak-board-painted'), 0));

  // Runtime pauses come from machine heartbeats, not the board stream: refresh them now and then.
  state.machinesTimer = setInterval(async () => {
    try {
      await refreshMachines();
      redrawAll();
    } catch {
      // The next round retries.
    }
  }, 15000);
}

export function leaveBoard() {
  if (state.stream) state.stream.close();
  state.stream = null;
  clearInterval(state.machinesTimer);
  state.board = null;
  state.tasks.clear();
  state.since.clear();
  state.cards.clear();
  delete document.getElementById('columns').dataset.ready;
}

/** The first drawing of a board: each column built in one go. */
function drawSnapshot(tasks, times) {
  for (const t of times) state.since.set(t.task_id, t.since);
  const byStatus = Object.fromEntries(STATUSES.map((s) => [s, []]));
  for (const task of tasks) {
    state.tasks.set(task.id, task);
    byStatus[task.status].push(task);
  }
  for (const status of STATUSES) {
    const fragment = document.createDocumentFragment();
    for (const task of sorted(byStatus[status])) {
      fragment.append(cardItem(task));
    }
    columnList(status).append(fragment);
  }
}

/**
 * Brings the drawn board in line with a fresh snapshot (after a reset): cards of tasks that are gone are removed, the
 * others updated and moved in place like a live event would (no redraw, focus kept).
 */
function reconcile(tasks, times) {
  const since = new Map(times.map((t) => [t.task_id, t.since]));
  const current = new Set(tasks.map((t) => t.id));
  for (const id of [...state.tasks.keys()]) {
    if (!current.has(id)) removeCard(id);
  }
  for (const task of tasks) {
    upsert(task, since.get(task.id) || task.created_at);
  }
  updateCounts();
}

function cardItem(task) {
  const item = el('li', {}, buildCard(task, state.since.get(task.id) || task.created_at));
  state.cards.set(task.id, item);
  return item;
}

function apply(kind, event) {
  const task = event.task;
  if (!task || !state.board || task.board_id !== state.board.id) return;
  if (kind === 'delete') {
    removeCard(task.id);
    updateCounts();
    return;
  }
  const known = state.tasks.get(task.id);
  if (known && known.updated_at > task.updated_at) return; // stale: the snapshot is newer
  const since = !known ? task.created_at
    : known.status !== task.status ? event.created_at || task.updated_at
      : state.since.get(task.id);
  upsert(task, since);
  updateCounts();
}

function removeCard(id) {
  const item = state.cards.get(id);
  if (item) item.remove();
  state.cards.delete(id);
  state.tasks.delete(id);
}

/** Draws a task's current copy: its card updated (or created) and moved to its place in its column. */
function upsert(task, since) {
  const known = state.tasks.get(task.id);
  state.tasks.set(task.id, task);
  state.since.set(task.id, since);
  if (known && known.status !== task.status) {
    hooks.announce(`“${task.title}” moved to ${task.status.replace('_', ' ')}`);
  }
  let item = state.cards.get(task.id);
  const focused = item && item.contains(document.activeElement);
  if (item) {
    fillCard(item.firstChild, task, since);
  } else {
    item = cardItem(task);
  }
  place(item, task);
  if (focused) item.querySelector('a').focus();
  knowsAgent(task.assigned_to, () => {
    const current = state.tasks.get(task.id);
    const card = state.cards.get(task.id);
    if (current && card) fillCard(card.firstChild, current, state.since.get(task.id));
  });
  item.hidden = !matches(task);
}

/** Puts a card at its sorted place in its column (moving the same element: no flicker, focus kept). */
function place(item, task) {
  const list = columnList(task.status);
  let next = null;
  for (const other of list.children) {
    if (other === item) continue;
    const otherTask = state.tasks.get(other.firstChild.dataset.taskId);
    if (otherTask && before(task, otherTask)) {
      next = other;
      break;
    }
  }
  if (item.parentNode !== list || item.nextSibling !== next) {
    list.insertBefore(item, next);
  }
}

function redrawAll() {
  for (const [id, item] of state.cards) {
    const task = state.tasks.get(id);
    if (task) fillCard(item.firstChild, task, state.since.get(id));
  }
}

function filters() {
  return {
    label: document.getElementById('filter-label').value,
    assignee: document.getElementById('filter-assignee').value,
    repository: document.getElementById('filter-repository').value,
  };
}

function matches(task, f = filters()) {
  return (!f.label || (task.labels || []).includes(f.label))
    && (!f.assignee || task.assigned_to === f.assignee)
    && (!f.repository || task.repository_id === f.repository);
}

function applyFilters() {
  const f = filters();
  for (const [id, item] of state.cards) {
    item.hidden = !matches(state.tasks.get(id), f);
  }
  updateCounts();
}

function updateCounts() {
  for (const status of STATUSES) {
    const list = columnList(status);
    let visible = 0;
    for (const item of list.children) if (!item.hidden) visible++;
    list.parentNode.querySelector('[data-count]').textContent = `(${visible})`;
  }
}

function options(select, entries, first) {
  const current = select.value;
  clear(select);
  select.append(el('option', { value: '' }, first));
  for (const [value, label] of entries) select.append(el('option', { value }, label));
  select.value = entries.some(([v]) => v === current) ? current : '';
}

function fillFilterOptions(board) {
  options(document.getElementById('filter-label'), board.labels.map((l) => [l.name, l.name]), 'Any');
  options(document.getElementById('filter-assignee'), [...lookups.agents.values()].map((a) => [a.id, a.username]), 'Anyone');
  options(document.getElementById('filter-repository'), [...lookups.repositories.values()].map((r) => [r.id, r.name]), 'Any');
}

function fillCreateOptions(board) {
  const workers = [...lookups.agents.values()].filter((a) => a.kind === 'worker');
  options(document.getElementById('new-assignee'), workers.map((a) => [a.id, `${a.username} (${a.runtime})`]), 'Nobody yet');
  options(document.getElementById('new-repository'), [...lookups.repositories.values()].map((r) => [r.id, r.name]), 'None');
  document.getElementById('new-repository').required = board.type === 'dev';
}

function splitList(value) {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

async function createTask(event) {
  event.preventDefault();
  const form = event.target;
  const error = document.getElementById('create-task-error');
  error.textContent = '';
  const data = new FormData(form);
  const body = { board_id: state.board.id, title: data.get('title').trim() };
  if (data.get('description').trim()) body.description = data.get('description');
  if (data.get('assigned_to')) body.assigned_to = data.get('assigned_to');
  if (data.get('repository_id')) body.repository_id = data.get('repository_id');
  const labels = splitList(data.get('labels'));
  if (labels.length) body.labels = labels;
  const dependsOn = splitList(data.get('depends_on'));
  if (dependsOn.length) body.depends_on = dependsOn;
  if (data.get('scheduled_at')) body.scheduled_at = new Date(data.get('scheduled_at')).toISOString();
  try {
    const task = await api.post('/api/tasks', body);
    form.reset();
    // The stream brings the card too; drawing it now makes the answer immediate (the stream copy is deduplicated).
    apply('upsert', { task, created_at: task.created_at });
    hooks.announce(`Created task #${task.seq} “${task.title}”`);
    document.getElementById('new-title').focus();
  } catch (e) {
    error.textContent = e.message;
  }
}

export function currentBoard() {
  return state.board;
}

