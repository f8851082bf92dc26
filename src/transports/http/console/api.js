// The console's only way to the hub: the same HTTP API as everyone (the key in a Bearer header),
// and the live event stream read with fetch (EventSource cannot send the key).

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.type = error?.type ?? 'http_error';
    this.validation = error?.validation_errors ?? null;
  }

  /** The messages for one form field, from zod's error tree. */
  fieldMessages(field) {
    return this.validation?.[field]?._errors ?? [];
  }
}

export function createApi(key) {
  return async function call(route, params = {}) {
    let response;
    try {
      response = await fetch(`/${route}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(params),
      });
    } catch {
      throw new ApiError(0, { type: 'unreachable', message: 'The hub does not answer. Is it running?' });
    }
    const body = await response.json().catch(() => null);
    if (!response.ok || body?.ok === false) throw new ApiError(response.status, body?.error);
    return body;
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads GET /events/stream and calls onEvent for each event; reconnects with Last-Event-ID (so
 * nothing is missed) after a growing pause. onState: 'live', 'reconnecting' or 'unauthorized'.
 * Returns a function that stops it.
 */
export function watchEvents(key, onEvent, onState) {
  let stopped = false;
  let controller = null;
  let lastId = null;
  const run = async () => {
    let pause = 1000;
    while (!stopped) {
      controller = new AbortController();
      try {
        const headers = { authorization: `Bearer ${key}` };
        if (lastId !== null) headers['last-event-id'] = lastId;
        const response = await fetch('/events/stream', { headers, signal: controller.signal });
        if (response.status === 401) {
          onState('unauthorized');
          return;
        }
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        onState('live');
        pause = 1000;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer += value;
          let end = buffer.indexOf('\n\n');
          while (end !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let id = null;
            let data = '';
            for (const line of block.split('\n')) {
              if (line.startsWith('id: ')) id = line.slice(4);
              else if (line.startsWith('data: ')) data += line.slice(6);
            }
            if (data) {
              if (id !== null) lastId = id;
              onEvent(JSON.parse(data));
            }
            end = buffer.indexOf('\n\n');
          }
        }
      } catch {
        // the hub went away or the page stopped the stream: reconnect below, unless stopped
      }
      if (stopped) return;
      onState('reconnecting');
      await sleep(pause);
      pause = Math.min(pause * 2, 30_000);
    }
  };
  run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}
