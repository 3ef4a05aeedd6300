// One task card on the board: title, labels, assignee and runtime, age in its column, badges, "why" line.
import { el, countdownEl, shortDuration, localTime } from './dom.js';
import { agentName, agentRuntime, rateLimitFor, repositoryName } from './lookups.js';

/** Why a waiting (todo) task is not running: the daemon's own reason when it gave one, else what the board knows. */
export function waitingReason(task, limit, now = Date.now()) {
  if (task.status !== 'todo') return null;
  if (task.why) return task.why;
  if (task.blocked) return 'waiting for its dependencies to finish';
  if (task.scheduled_at && Date.parse(task.scheduled_at) > now) return 'scheduled for ' + localTime(task.scheduled_at);
  if (!task.assigned_to) return 'not assigned to an agent';
  if (limit) return agentRuntime(task.assigned_to) + ' is rate-limited';
  return 'waiting for a machine with ' + (agentRuntime(task.assigned_to) || 'its runtime') + ' to pick it up';
}

export function buildCard(task, since) {
  const card = el('article', { class: 'card', dataset: { taskId: task.id } });
  fillCard(card, task, since);
  return card;
}

/** (Re)fills a card in place; the element survives so moving it between columns does not flicker. */
export function fillCard(card, task, since) {
  const now = Date.now();
  const limit = task.status === 'todo' || task.status === 'in_progress' ? rateLimitFor(task, now) : null;
  const badges = el('p', { class: 'badges' });
  if (task.blocked) badges.append(el('span', { class: 'badge blocked', text: 'blocked' }));
  if (task.scheduled_at && Date.parse(task.scheduled_at) > now) {
    badges.append(el('span', { class: 'badge scheduled', title: localTime(task.scheduled_at) }, 'scheduled ', countdownEl(task.scheduled_at, 'in ')));
  }
  if (limit) {
    badges.append(el('span', { class: 'badge limited', title: 'on ' + limit.machine }, 'rate-limited ', countdownEl(limit.reset_at, 'resets in ')));
  }
  const labels = task.labels && task.labels.length
    ? el('ul', { class: 'labels', 'aria-label': 'Labels' }, task.labels.map((l) => el('li', { class: 'label', text: l })))
    : null;
  const assignee = task.assigned_to
    ? el('span', { class: 'assignee' }, agentName(task.assigned_to), ' · ', el('span', { class: 'runtime', text: agentRuntime(task.assigned_to) || '?' }))
    : el('span', { class: 'assignee unassigned', text: 'unassigned' });
  const age = since ? el('span', { class: 'age', title: 'in this column since ' + localTime(since) },
    el('span', { dataset: { since }, text: shortDuration(now - Date.parse(since)) })) : null;
  const why = waitingReason(task, limit, now);
  // replaceChildren would write a null as the text "null": absent parts are filtered out.
  card.replaceChildren(...[
    el('h3', { class: 'card-title' }, el('a', { href: '#/task/' + task.id, class: 'card-link' }, task.title)),
    el('p', { class: 'card-meta' }, el('span', { class: 'seq', text: '#' + task.seq }), ' ', assignee, age ? ' · ' : null, age),
    task.repository_id ? el('p', { class: 'repo', text: repositoryName(task.repository_id) }) : null,
    labels,
    badges.childNodes.length ? badges : null,
    why ? el('p', { class: 'why' }, el('span', { class: 'why-label', text: 'Why not running: ' }), why) : null,
  ].filter(Boolean));
}
