// The machines page: each machine online or offline, each runtime's state with a countdown to its reset, usage
// windows as bars; agent sessions with tokens and cost; totals per board and per agent. Refreshed every 5 s.
import { api } from './api.js';
import { el, clear, countdownEl, localTime, usd, count } from './dom.js';
import { lookups, agentName } from './lookups.js';

let timer = 0;
let active = false;

export async function showMachines() {
  active = true;
  await refresh();
  document.getElementById('machines-view').dataset.ready = 'true';
  clearInterval(timer);
  timer = setInterval(() => refresh().catch(() => {}), 5000);
}

export function leaveMachines() {
  active = false;
  clearInterval(timer);
  delete document.getElementById('machines-view').dataset.ready;
}

async function refresh() {
  const [machines, sessions, usage, agents] = await Promise.all([
    api.get('/api/machines'),
    api.get('/api/sessions'),
    api.get('/api/usage'),
    api.get('/api/agents'),
  ]);
  if (!active) return;
  lookups.machines = machines;
  lookups.agents = new Map(agents.map((a) => [a.id, a]));
  drawMachines(machines);
  drawSessions(sessions, machines);
  drawTotals('totals-boards', usage.boards);
  drawTotals('totals-agents', usage.agents);
}

function drawMachines(machines) {
  const list = document.getElementById('machine-list');
  clear(list);
  if (!machines.length) {
    list.append(el('p', { class: 'hint', text: 'No machines yet: run `ak daemon run` (or `ak up`) on a machine.' }));
    return;
  }
  for (const machine of machines) {
    const headingId = 'machine-' + machine.id;
    list.append(el('section', { class: 'panel machine', dataset: { machineId: machine.id, status: machine.status }, 'aria-labelledby': headingId },
      el('h2', { id: headingId }, machine.name, ' ',
        el('span', { class: 'badge ' + (machine.status === 'online' ? 'online' : 'offline'), text: machine.status })),
      el('p', { class: 'meta' }, `${machine.os || '?'} · ak ${machine.version || '?'} · last heartbeat `,
        machine.last_heartbeat_at ? el('time', { datetime: machine.last_heartbeat_at, text: localTime(machine.last_heartbeat_at) }) : 'never'),
      runtimesTable(machine),
      usageBars(machine)));
  }
}

function runtimesTable(machine) {
  if (!machine.runtimes.length) return el('p', { class: 'hint', text: 'No runtimes reported.' });
  return el('table', { class: 'runtimes' },
    el('caption', { text: 'Runtimes' }),
    el('thead', {}, el('tr', {}, ['Runtime', 'Status', 'Resets', 'Detail'].map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, machine.runtimes.map((r) => el('tr', { dataset: { runtime: r.name, status: r.status } },
      el('th', { scope: 'row', text: r.name }),
      el('td', {}, el('span', { class: 'badge rt-' + r.status, text: r.status })),
      el('td', {}, r.reset_at && Date.parse(r.reset_at) > Date.now()
        ? [el('time', { datetime: r.reset_at, text: localTime(r.reset_at) }), ' · ', countdownEl(r.reset_at, 'in ')]
        : r.reset_at ? localTime(r.reset_at) : '—'),
      el('td', { text: r.detail || '' })))));
}

function usageBars(machine) {
  if (!machine.usage.length) return null;
  return el('div', { class: 'usage-windows' },
    el('h3', { text: 'Usage windows' }),
    machine.usage.map((u) => {
      const pct = Math.max(0, Math.min(100, Number(u.utilization) || 0));
      const label = `${u.runtime} ${u.label}`;
      const bar = el('div', { class: 'bar', role: 'meter', 'aria-label': label, 'aria-valuemin': 0, 'aria-valuemax': 100,
        'aria-valuenow': pct, 'aria-valuetext': `${pct.toFixed(0)} % used` }, el('span', { class: 'fill' + (pct >= 90 ? ' high' : '') }));
      bar.firstChild.style.width = pct + '%';
      return el('div', { class: 'usage-row' },
        el('span', { class: 'usage-label', text: label }), bar, el('span', { class: 'usage-pct', text: pct.toFixed(0) + ' %' }),
        u.resets_at ? el('span', { class: 'usage-reset' }, countdownEl(u.resets_at, 'resets in ')) : null);
    }));
}

function drawSessions(sessions, machines) {
  const body = document.querySelector('#session-table tbody');
  clear(body);
  const machineName = (id) => (machines.find((m) => m.id === id) || { name: id }).name;
  for (const s of sessions) {
    body.append(el('tr', { dataset: { sessionId: s.id } },
      el('td', {}, el('code', { text: s.id })),
      el('td', { text: agentName(s.agent_id) }),
      el('td', { text: machineName(s.machine_id) }),
      el('td', {}, s.task_id ? el('a', { href: '#/task/' + s.task_id, text: s.task_id }) : '—'),
      el('td', { text: s.status }),
      el('td', { text: count(s.input_tokens) }),
      el('td', { text: count(s.output_tokens) }),
      el('td', { text: count(s.cache_read_tokens) }),
      el('td', { text: count(s.cache_creation_tokens) }),
      el('td', { text: usd(s.cost_micro_usd) })));
  }
  if (!sessions.length) body.append(el('tr', {}, el('td', { colspan: 10, text: 'No sessions yet.' })));
}

function drawTotals(id, rows) {
  const body = document.querySelector(`#${id} tbody`);
  clear(body);
  for (const r of rows) {
    body.append(el('tr', {},
      el('th', { scope: 'row', text: r.name }),
      el('td', { text: count(r.sessions) }),
      el('td', { text: count(r.input_tokens) }),
      el('td', { text: count(r.output_tokens) }),
      el('td', { text: count(r.cache_read_tokens) }),
      el('td', { text: count(r.cache_creation_tokens) }),
      el('td', { text: usd(r.cost_micro_usd) })));
  }
  if (!rows.length) body.append(el('tr', {}, el('td', { colspan: 7, text: 'Nothing yet.' })));
}
