// The agent's live stream on the task page: text, thinking (collapsed), tool calls with their input and result,
// turn usage and cost, rate-limit and error banners. Events are keyed by (session, seq): history and the live
// stream may both deliver one, and it is drawn once, in seq order.
import { el, clear, countdownEl, localTime, dollars, count } from './dom.js';

export class AgentStream {
  constructor(container, onRateLimit) {
    this.container = container;
    this.onRateLimit = onRateLimit;
    this.seen = new Set();
    this.toolUses = new Map(); // tool_use id -> element
  }

  reset() {
    clear(this.container);
    this.seen.clear();
    this.toolUses.clear();
    this.container.append(el('p', { class: 'hint empty-stream', text: 'No agent output yet.' }));
  }

  add(event) {
    if (!event || !event.kind) return;
    const key = event.session_id + ':' + event.seq;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const empty = this.container.querySelector('.empty-stream');
    if (empty) empty.remove();
    const node = this.render(event);
    if (!node) return;
    node.classList.add('ev', 'ev-' + event.kind);
    node.dataset.session = event.session_id;
    node.dataset.seq = String(event.seq);
    this.insert(node, event);
  }

  /** Appends, unless a later event of the same session is already drawn (then it goes before it). */
  insert(node, event) {
    let next = null;
    for (const other of this.container.querySelectorAll(`.ev[data-session="${CSS.escape(event.session_id)}"]`)) {
      if (Number(other.dataset.seq) > event.seq) {
        next = other;
        break;
      }
    }
    this.container.insertBefore(node, next);
  }

  render(event) {
    const data = event.data || {};
    switch (event.kind) {
      case 'turn_started':
        return el('p', { class: 'turn' }, 'Turn started · ', el('time', { datetime: event.at, text: localTime(event.at) }));
      case 'text':
        return el('div', { class: 'text' }, el('span', { class: 'who', text: 'Agent' }), el('p', { class: 'prose', text: data.text || '' }));
      case 'thinking':
        return el('details', { class: 'thinking' }, el('summary', { text: 'Thinking' }), el('p', { class: 'prose', text: data.text || '' }));
      case 'tool_use': {
        const node = el('details', { class: 'tool', open: true },
          el('summary', {}, 'Tool call: ', el('code', { text: data.name || '?' })),
          el('h4', { text: 'Input' }),
          el('pre', { text: pretty(data.input) }));
        if (data.id) this.toolUses.set(data.id, node);
        return node;
      }
      case 'tool_result': {
        const body = el('div', { class: 'tool-result' + (data.is_error ? ' is-error' : '') },
          el('h4', { text: data.is_error ? 'Result (error)' : 'Result' }),
          el('pre', { text: typeof data.content === 'string' ? data.content : pretty(data.content) }),
          data.truncated ? el('p', { class: 'hint', text: 'Result truncated.' }) : null);
        const use = data.tool_use_id && this.toolUses.get(data.tool_use_id);
        if (use) {
          // The result belongs inside its call; the marker element keeps (session, seq) bookkeeping uniform.
          use.append(body);
          return null;
        }
        return el('div', { class: 'tool orphan' }, body);
      }
      case 'turn_ended':
        return el('p', { class: 'usage' },
          `Turn ended · in ${count(data.input_tokens)} · out ${count(data.output_tokens)} · cache read ${count(data.cache_read_tokens)}`
          + ` · cache write ${count(data.cache_creation_tokens)} · ${dollars(data.cost_usd)}`);
      case 'rate_limit': {
        const resets = laterReset(data);
        if (this.onRateLimit) this.onRateLimit(data, resets);
        return el('div', { class: 'banner warning', role: 'note' },
          el('strong', { text: 'Rate limit: ' }), `${data.status || 'unknown'}${data.rate_limit_type ? ' (' + data.rate_limit_type + ')' : ''}`,
          resets ? [' · resets ', el('time', { datetime: resets, text: localTime(resets) }), ' · ', countdownEl(resets, 'in ')] : null,
          data.overage_status ? ` · overage ${data.overage_status}` : null);
      }
      case 'error':
        return el('div', { class: 'banner error-banner', role: 'note' }, el('strong', { text: 'Error: ' }), `${data.code || ''} ${data.detail || ''}`);
      default:
        return el('p', { class: 'hint', text: event.kind });
    }
  }
}

/** The reset that actually ends the pause: the overage reset counts only when overage is rejected too. */
export function laterReset(data) {
  const main = data.resets_at ? toIso(data.resets_at) : null;
  const overage = data.overage_status === 'rejected' && data.overage_resets_at ? toIso(data.overage_resets_at) : null;
  if (main && overage) return Date.parse(overage) > Date.parse(main) ? overage : main;
  return main || overage;
}

// Reset times may come as ISO strings or as Unix seconds.
function toIso(value) {
  return typeof value === 'number' ? new Date(value * 1000).toISOString() : String(value);
}

function pretty(value) {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}
