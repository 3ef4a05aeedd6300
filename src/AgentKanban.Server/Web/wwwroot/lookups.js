// Names and runtime state the board and the detail page show next to ids: agents, repositories, machines.
import { api } from './api.js';

export const lookups = {
  agents: new Map(),
  repositories: new Map(),
  machines: [],
  user: null,
};

export async function loadLookups() {
  const [agents, repositories, machines] = await Promise.all([
    api.get('/api/agents'),
    api.get('/api/repositories'),
    api.get('/api/machines'),
  ]);
  lookups.agents = new Map(agents.map((a) => [a.id, a]));
  lookups.repositories = new Map(repositories.map((r) => [r.id, r]));
  lookups.machines = machines;
}

let agentsReload = null;

/**
 * True when the agent is known; otherwise starts one reload of the agent list (shared by every caller meanwhile)
 * and calls onLoaded when it is done — an agent created after the page loaded shows by name, not by id.
 */
export function knowsAgent(id, onLoaded) {
  if (!id || lookups.agents.has(id)) return true;
  if (!agentsReload) {
    agentsReload = api.get('/api/agents')
      .then((agents) => { lookups.agents = new Map(agents.map((a) => [a.id, a])); })
      .catch(() => {})
      .finally(() => { setTimeout(() => { agentsReload = null; }, 5000); });
  }
  agentsReload.then(() => lookups.agents.has(id) && onLoaded());
  return false;
}

export async function refreshMachines() {
  lookups.machines = await api.get('/api/machines');
}

export function agentName(id) {
  if (!id) return '';
  const agent = lookups.agents.get(id);
  return agent ? agent.username : id;
}

export function agentRuntime(id) {
  const agent = id && lookups.agents.get(id);
  return agent ? agent.runtime : '';
}

export function repositoryName(id) {
  if (!id) return '';
  const repository = lookups.repositories.get(id);
  return repository ? repository.name : id;
}

export function machineName(id) {
  const machine = lookups.machines.find((m) => m.id === id);
  return machine ? machine.name : id;
}

/**
 * The rate limit that holds this task back, if any: the assignee's runtime reported "limited" with a reset time
 * in the future — on the machine holding the task's lease when there is one, otherwise on any online machine
 * (the task cannot start anywhere while every machine that has the runtime is paused).
 */
export function rateLimitFor(task, now = Date.now()) {
  const runtime = agentRuntime(task.assigned_to);
  if (!runtime) return null;
  const candidates = task.lease
    ? lookups.machines.filter((m) => m.id === task.lease.machine_id)
    : lookups.machines.filter((m) => m.status === 'online');
  let limit = null;
  for (const machine of candidates) {
    for (const r of machine.runtimes || []) {
      if (r.name === runtime && r.status === 'limited' && r.reset_at && Date.parse(r.reset_at) > now) {
        if (!limit || Date.parse(r.reset_at) < Date.parse(limit.reset_at)) {
          limit = { machine: machine.name, reset_at: r.reset_at, detail: r.detail };
        }
      }
    }
  }
  return limit;
}
