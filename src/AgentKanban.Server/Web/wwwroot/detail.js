// The task page: description, dependencies, PR, activity, chat, the agent's live stream and the human actions.
import { api, openStream } from './api.js';
import { AgentStream } from './agentstream.js';
import { el, clear, localTime, usd, count, countdownEl, statusNames } from './dom.js';
import { agentName, agentRuntime, repositoryName, machineName, rateLimitFor, lookups } from './lookups.js';
import { waitingReason } from './card.js';

const state = {
  taskId: null,
  task: null,
  stream: null,
  seenActivity: new Set(),
  seenMessages: new Set(),
  sessions: new Map(),
  agentStream: null,
  rateLimit: null,
};

let hooks = { announce: () => {}, connection: () => {} };

export function initDetail(options) {
  hooks = options;
  state.agentStream = new AgentStream(document.getElementById('agent-stream'), (data, resets) => {
    state.rateLimit = data.status === 'allowed' ? null : { data, resets };
    drawBanners();
  });
  document.getElementById('action-complete').addEventListener('click', () => transition('complete'));
  document.getElementById('action-cancel').addEventListener('click', () => transition('cancel'));
  document.getElementById('action-release').addEventListener('click', () => transition('release'));
  document.getElementById('reject-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const reason = document.getElementById('reject-reason').value.trim();
    if (reason) transition('reject', { reason });
  });
  document.getElementById('chat-form').addEventListener('submit', sendMessage);
}

export async function showTask(id) {
  leaveTask();
  state.taskId = id;
  clear(document.getElementById('activity-log'));
  clear(document.getElementById('chat-log'));
  state.agentStream.reset();
  document.getElementById('action-error').textContent = '';
  document.getElementById('task-title').textContent = 'Loading…';

  // Same order as the board: stream first, snapshot second, the events that arrive meanwhile held and applied after
  // it (so the logs stay in order), duplicates dropped by id.
  const pending = [];
  let ready = false;
  let loads = 0;
  const handle = (fn) => (data) => (ready ? fn(data) : pending.push(() => fn(data)));

  /** Loads the snapshot into the page, then applies the held events (nothing when the user moved on or a newer load runs). */
  const load = async () => {
    const mine = ++loads;
    ready = false;
    const current = () => state.taskId === id && mine === loads;
    const task = await api.get(`/api/tasks/${encodeURIComponent(id)}`);
    if (!current()) return;
    const [sessions, history] = await Promise.all([
      api.get(`/api/sessions?task_id=${encodeURIComponent(id)}`).catch(() => []),
      // Retained agent events; an older server without the relay answers 404, which just means "none".
      api.get(`/api/tasks/${encodeURIComponent(id)}/agent-events`).catch(() => []),
    ]);
    if (!current()) return;
    setTask(task);
    for (const activity of task.activity || []) addActivity(activity);
    for (const message of task.messages || []) addMessage(message);
    for (const session of sessions) setSession(session);
    for (const event of Array.isArray(history) ? history : history.events || []) state.agentStream.add(event);
    ready = true;
    for (const apply of pending.splice(0)) apply();
    document.getElementById('task-view').dataset.ready = 'true';
  };

  // A reset: the server pruned events this page never saw (say, agent events past the per-session cap). The stream is
  // already at the head (the reset's id): load the snapshot again, merged into what is on screen by id.
  const reload = () => load().catch((e) => {
    if (state.taskId !== id || e.status === 401) return;
    hooks.announce('Could not reload the task: ' + e.message);
    setTimeout(() => state.taskId === id && reload(), 3000);
  });

  const stream = await openStream(`/api/tasks/${encodeURIComponent(id)}/events`, {
    'task.updated': handle((e) => e.task && setTask(e.task)),
    'task.activity': handle((e) => addActivity(e.activity)),
    'task.message': handle((e) => addMessage(e.message)),
    'session.updated': handle((e) => e.session && setSession(e.session)),
    'agent.event': handle((e) => state.agentStream.add(e.agent_event)),
    reset: () => reload(),
  }, hooks.connection);
  if (state.taskId !== id) {
    stream.close(); // the user moved on meanwhile
    return;
  }
  state.stream = stream;

  await load();
}

export function leaveTask() {
  dependencyTitles.clear();
  if (state.stream) state.stream.close();
  state.stream = null;
  state.taskId = null;
  state.task = null;
  state.rateLimit = null;
  state.seenActivity.clear();
  state.seenMessages.clear();
  state.sessions.clear();
  delete document.getElementById('task-view').dataset.ready;
}

function setTask(task) {
  if (task.id !== state.taskId) return;
  if (state.task && state.task.updated_at > task.updated_at) return;
  const moved = state.task && state.task.status !== task.status;
  state.task = task;
  document.getElementById('task-title').textContent = task.title;
  const meta = document.getElementById('task-meta');
  meta.replaceChildren(
    el('span', { class: 'status status-' + task.status, dataset: { status: task.status }, text: statusNames[task.status] || task.status }),
    ` · #${task.seq}`,
    task.assigned_to ? ` · ${agentName(task.assigned_to)} (${agentRuntime(task.assigned_to)})` : ' · unassigned',
  );
  const description = document.getElementById('task-description');
  description.textContent = task.description || 'No description.';
  drawFacts(task);
  drawBanners();
  const status = task.status;
  document.getElementById('action-complete').disabled = status !== 'in_review';
  document.getElementById('action-release').disabled = status !== 'in_progress';
  document.getElementById('action-cancel').disabled = !['todo', 'in_progress', 'in_review'].includes(status);
  document.getElementById('action-reject').disabled = status !== 'in_review';
  if (moved) hooks.announce(`Task is now ${statusNames[status] || status}`);
}

function drawFacts(task) {
  const facts = document.getElementById('task-facts');
  const row = (term, ...value) => [el('dt', { text: term }), el('dd', {}, ...value)];
  const deps = (task.depends_on || []).length
    ? el('ul', { class: 'deps' }, task.depends_on.map((d) => el('li', {}, el('a', { href: '#/task/' + d, dataset: { dependency: d }, text: d }))))
    : 'none';
  const pr = task.pr_url && /^https?:\/\//i.test(task.pr_url)
    ? el('a', { href: task.pr_url, rel: 'noopener noreferrer', target: '_blank', text: task.pr_url })
    : task.pr_url || 'none';
  const totals = [...state.sessions.values()].reduce((sum, s) => ({
    input: sum.input + s.input_tokens, output: sum.output + s.output_tokens, cost: sum.cost + s.cost_micro_usd,
  }), { input: 0, output: 0, cost: 0 });
  nameDependencies(task.depends_on || []);
  facts.replaceChildren(
    ...row('Labels', (task.labels || []).join(', ') || 'none'),
    ...row('Repository', task.repository_id ? repositoryName(task.repository_id) : 'none'),
    ...row('Depends on', deps, task.blocked ? el('span', { class: 'badge blocked', text: 'blocked' }) : null),
    ...row('Pull request', pr),
    ...row('Scheduled', task.scheduled_at ? localTime(task.scheduled_at) : 'no'),
    ...row('Lease', task.lease ? `${machineName(task.lease.machine_id)} (epoch ${task.lease.epoch})` : 'none'),
    ...row('Sessions', `${state.sessions.size} · in ${count(totals.input)} · out ${count(totals.output)} · ${usd(totals.cost)}`),
  );
}

// Dependencies arrive as ids; their titles are fetched once and shown with their status.
const dependencyTitles = new Map();

function nameDependencies(ids) {
  for (const id of ids) {
    if (!dependencyTitles.has(id)) {
      dependencyTitles.set(id, api.get(`/api/tasks/${encodeURIComponent(id)}`)
        .then((t) => `#${t.seq} ${t.title} (${statusNames[t.status] || t.status})`)
        .catch(() => id));
    }
    dependencyTitles.get(id).then((label) => {
      for (const link of document.querySelectorAll(`#task-facts a[data-dependency="${CSS.escape(id)}"]`)) link.textContent = label;
    });
  }
}

function drawBanners() {
  const banners = document.getElementById('task-banners');
  clear(banners);
  const task = state.task;
  if (!task) return;
  const why = waitingReason(task, rateLimitFor(task));
  if (why) banners.append(el('p', { class: 'banner info' }, el('strong', { text: 'Why not running: ' }), why));
  const limit = rateLimitFor(task);
  if (limit) {
    banners.append(el('p', { class: 'banner warning' }, el('strong', { text: 'Rate-limited: ' }),
      `${agentRuntime(task.assigned_to)} on ${limit.machine} · `, countdownEl(limit.reset_at, 'resets in ')));
  }
  if (state.rateLimit && state.rateLimit.resets && Date.parse(state.rateLimit.resets) > Date.now()) {
    banners.append(el('p', { class: 'banner warning' }, el('strong', { text: 'Agent rate-limited: ' }),
      `${state.rateLimit.data.status} · `, countdownEl(state.rateLimit.resets, 'resets in ')));
  }
}

function actorName(type, id) {
  if (type === 'user') return lookups.user && lookups.user.id === id ? 'you' : 'user ' + id;
  if (type === 'machine') return 'machine ' + machineName(id);
  if (type === 'worker' || type === 'leader' || type === 'agent') return agentName(id);
  return type;
}

function addActivity(activity) {
  if (!activity || activity.task_id !== state.taskId || state.seenActivity.has(activity.id)) return;
  state.seenActivity.add(activity.id);
  document.getElementById('activity-log').append(el('li', { dataset: { action: activity.action } },
    el('time', { datetime: activity.created_at, text: localTime(activity.created_at) }), ' ',
    el('strong', { text: actorName(activity.actor_type, activity.actor_id) }), ' ',
    activity.action.replace(/_/g, ' '),
    activity.detail ? [': ', el('span', { class: 'detail', text: activity.action === 'assigned' ? agentName(activity.detail) : activity.detail })] : null));
}

function addMessage(message) {
  if (!message || message.task_id !== state.taskId || state.seenMessages.has(message.id)) return;
  state.seenMessages.add(message.id);
  const who = message.sender_type === 'agent' ? agentName(message.sender_id) : actorName(message.sender_type, message.sender_id);
  document.getElementById('chat-log').append(el('li', { class: 'msg msg-' + message.sender_type, dataset: { sender: message.sender_type } },
    el('p', { class: 'msg-head' }, el('strong', { text: who }), ' · ', el('time', { datetime: message.created_at, text: localTime(message.created_at) })),
    el('p', { class: 'prose', text: message.content })));
}

function setSession(session) {
  if (session.task_id !== state.taskId) return;
  state.sessions.set(session.id, session);
  if (state.task) drawFacts(state.task);
}

async function transition(verb, body) {
  const error = document.getElementById('action-error');
  error.textContent = '';
  try {
    const task = await api.post(`/api/tasks/${encodeURIComponent(state.taskId)}/${verb}`, body || {});
    setTask(task);
    if (verb === 'reject') document.getElementById('reject-reason').value = '';
    hooks.announce(`Task ${verb === 'cancel' ? 'cancelled' : verb + (verb.endsWith('e') ? 'd' : 'ed')}`);
  } catch (e) {
    error.textContent = e.message;
  }
}

async function sendMessage(event) {
  event.preventDefault();
  const input = document.getElementById('chat-input');
  const content = input.value.trim();
  if (!content) return;
  const error = document.getElementById('action-error');
  error.textContent = '';
  try {
    const message = await api.post(`/api/tasks/${encodeURIComponent(state.taskId)}/messages`, { content });
    addMessage(message);
    input.value = '';
    input.focus();
  } catch (e) {
    error.textContent = e.message;
  }
}
