// The board's HTTP API, called with the session cookie. Every state-changing call carries the X-AK-Request header:
// the server refuses cookie-authenticated mutations without it (cross-site request forgery defence).

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Raised for a 401: the page goes back to the sign-in form. */
export const unauthorizedHandlers = [];

async function request(method, path, body) {
  const headers = { 'Accept': 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  if (method !== 'GET') {
    headers['X-AK-Request'] = 'web';
  }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 204) {
    return null;
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data && data.error ? data.error : { code: 'http_' + response.status, message: text || response.statusText };
    if (response.status === 401) {
      unauthorizedHandlers.forEach((handler) => handler());
    }
    throw new ApiError(response.status, error.code, error.message);
  }
  return data;
}

export const api = {
  get: (path) => request('GET', path),
  post: (path, body) => request('POST', path, body === undefined ? {} : body),
  patch: (path, body) => request('PATCH', path, body),
  del: (path) => request('DELETE', path),
};

/** Signs in with a personal token (form field "token"); the server sets the HttpOnly session cookie. */
export async function signIn(token) {
  const response = await fetch('/web/sign-in', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'X-AK-Request': 'web', 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  if (!response.ok) {
    let message = 'Sign-in failed (' + response.status + ')';
    try {
      message = (await response.json()).error.message;
    } catch {
      // Keep the generic message.
    }
    throw new ApiError(response.status, 'unauthorized', message);
  }
}

export async function signOut() {
  await fetch('/web/sign-out', { method: 'POST', credentials: 'same-origin', headers: { 'X-AK-Request': 'web' } });
}

/**
 * Opens a live stream that stays open. It starts at the log's current end (GET /api/events/latest, asked before the
 * page loads its snapshot, so nothing committed in between is missed). EventSource resumes a dropped connection by
 * itself with Last-Event-ID; but a browser gives up for good when a reconnection attempt fails (the server is still
 * down), so then the stream is reopened here with backoff from the last id seen (?last_event_id=), without a gap or
 * a duplicate. When events after that id were pruned meanwhile, the server starts the stream with a 'reset' event
 * instead (its id is the log's head, where the stream goes on): handlers.reset must reload the page's snapshot, the
 * stream stays open. handlers: { 'task.updated': fn(data), ..., reset: fn(data) }; onState(connected: boolean).
 * Returns { close() }.
 */
export async function openStream(path, handlers, onState) {
  const { last_event_id: start } = await request('GET', '/api/events/latest');
  let lastId = String(start);
  let source = null;
  let closed = false;
  let delay = 1000;
  let timer = 0;

  const connect = () => {
    source = new EventSource(path + (path.includes('?') ? '&' : '?') + 'last_event_id=' + encodeURIComponent(lastId));
    for (const [type, handler] of Object.entries(handlers)) {
      source.addEventListener(type, (event) => {
        if (event.lastEventId) lastId = event.lastEventId;
        let data;
        try {
          data = JSON.parse(event.data);
        } catch {
          return;
        }
        handler(data);
      });
    }
    source.addEventListener('open', () => {
      delay = 1000;
      if (onState) onState(true);
    });
    source.addEventListener('error', () => {
      if (onState) onState(source.readyState === EventSource.OPEN);
      if (source.readyState === EventSource.CLOSED && !closed) {
        // A 401 here means the session ended: the request's handler takes the page back to the sign-in form.
        request('GET', '/api/whoami').then(() => {
          if (closed) return;
          timer = setTimeout(connect, delay);
          delay = Math.min(delay * 2, 15000);
        }, (e) => {
          if (closed || e.status === 401) return;
          timer = setTimeout(connect, delay);
          delay = Math.min(delay * 2, 15000);
        });
      }
    });
  };

  connect();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      if (source) source.close();
    },
  };
}
