// Small DOM and formatting helpers. Text is always set through textContent: nothing from the API becomes markup.

/** el('div', {class: 'x', dataset: {a: 1}}, child, 'text', …) */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) {
        continue;
      }
      if (key === 'class') {
        node.className = value;
      } else if (key === 'dataset') {
        Object.assign(node.dataset, value);
      } else if (key === 'text') {
        node.textContent = value;
      } else if (key.startsWith('on') && typeof value === 'function') {
        node.addEventListener(key.slice(2), value);
      } else {
        node.setAttribute(key, value === true ? '' : String(value));
      }
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(node, child);
    } else {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
}

export function clear(node) {
  while (node.firstChild) {
    node.firstChild.remove();
  }
}

/** "3 s", "5 min", "2 h", "4 d" for a duration in milliseconds. */
export function shortDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return s + ' s';
  const m = Math.floor(s / 60);
  if (m < 60) return m + ' min';
  const h = Math.floor(m / 60);
  if (h < 48) return h + ' h';
  return Math.floor(h / 24) + ' d';
}

/** "1h 02m 03s" until a moment; "now" once it passed. */
export function countdown(untilIso, now = Date.now()) {
  const ms = Date.parse(untilIso) - now;
  if (!(ms > 0)) return 'now';
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n) => String(n).padStart(2, '0');
  return (h > 0 ? h + 'h ' + pad(m) + 'm ' : m > 0 ? m + 'm ' : '') + pad(sec) + 's';
}

// One formatter for the page: Date.toLocaleString builds a new one per call, which costs more than a whole card.
const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function localTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return isNaN(date) ? String(iso) : timeFormat.format(date);
}

export function usd(micro) {
  return '$' + (Number(micro || 0) / 1e6).toFixed(4);
}

export function dollars(value) {
  return '$' + Number(value || 0).toFixed(4);
}

const countFormat = new Intl.NumberFormat('en-US');

export function count(n) {
  return countFormat.format(Number(n || 0));
}

export const statusNames = {
  todo: 'To do',
  in_progress: 'In progress',
  in_review: 'In review',
  done: 'Done',
  cancelled: 'Cancelled',
};

/** A countdown element the page's ticker keeps current (data-countdown = ISO time, data-prefix = label). */
export function countdownEl(untilIso, prefix) {
  return el('span', { class: 'countdown', dataset: { countdown: untilIso, prefix: prefix || '' } }, (prefix || '') + countdown(untilIso));
}

/** Refreshes every countdown on the page (once a second). */
export function tickCountdowns(root = document) {
  const now = Date.now();
  for (const node of root.querySelectorAll('[data-countdown]')) {
    node.textContent = (node.dataset.prefix || '') + countdown(node.dataset.countdown, now);
  }
}

/** Refreshes every "age" on the page (data-since = ISO time). */
export function tickAges(root = document) {
  const now = Date.now();
  for (const node of root.querySelectorAll('[data-since]')) {
    node.textContent = shortDuration(now - Date.parse(node.dataset.since));
  }
}
