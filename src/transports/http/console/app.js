// The web console: log in with an API key, then the locks, one lock's codes, and the event feed,
// kept live by the event stream (each event reloads only what it can have changed).
import { render } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, createApi, watchEvents } from './api.js';
import { EventFeed, html, LockList, LockPage, Login, TopBar } from './views.js';

const KEY = 'lockbridge-api-key';
const FEED_LENGTH = 200;
const WEEK_MS = 7 * 24 * 3600 * 1000;

function routeOf(hash) {
  const lock = /^#\/locks\/([^/]+)$/.exec(hash);
  if (lock) return { page: 'lock', deviceId: decodeURIComponent(lock[1]) };
  if (hash === '#/events') return { page: 'events' };
  return { page: 'locks' };
}

function useHashRoute() {
  const [route, setRoute] = useState(routeOf(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(routeOf(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** Runs fn at most once per `ms`, the last call winning (a burst of events, one reload). */
function useThrottled(fn, ms) {
  const timer = useRef(null);
  const latest = useRef(fn);
  latest.current = fn;
  return useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      latest.current();
    }, ms);
  }, [ms]);
}

/** The last week's events, newest first (events/list pages oldest first from `since`). */
async function recentEvents(call) {
  const seen = new Map();
  let since = new Date(Date.now() - WEEK_MS).toISOString();
  for (let page = 0; page < 10; page++) {
    const { events } = await call('events/list', { since, limit: 1000 });
    for (const e of events) seen.set(e.event_id, e);
    if (events.length < 1000) break;
    since = events.at(-1).created_at;
  }
  return [...seen.values()].reverse().slice(0, FEED_LENGTH);
}

function Console({ apiKey, onLogout }) {
  const call = useMemo(() => createApi(apiKey), [apiKey]);
  const route = useHashRoute();
  const [devices, setDevices] = useState([]);
  const [codes, setCodes] = useState(new Map()); // device_id → managed codes
  const [unmanaged, setUnmanaged] = useState(new Map());
  const [events, setEvents] = useState([]);
  const [live, setLive] = useState('reconnecting');
  const [notice, setNotice] = useState(null);
  const openLock = route.page === 'lock' ? route.deviceId : null;

  const fail = useCallback(
    (err) => {
      if (err instanceof ApiError && err.status === 401) onLogout('The API key is no longer accepted.');
      else setNotice(err.message);
    },
    [onLogout],
  );
  const loadDevices = useCallback(
    () => call('devices/list').then((b) => setDevices(b.devices), fail),
    [call, fail],
  );
  const loadLock = useCallback(
    (deviceId) =>
      Promise.all([
        call('access_codes/list', { device_id: deviceId }),
        call('access_codes/unmanaged/list', { device_id: deviceId }),
      ]).then(([managed, found]) => {
        setCodes((m) => new Map(m).set(deviceId, managed.access_codes));
        setUnmanaged((m) => new Map(m).set(deviceId, found.access_codes));
      }, fail),
    [call, fail],
  );
  const reloadDevices = useThrottled(loadDevices, 250);
  const reloadLock = useThrottled(() => openLock && loadLock(openLock), 150);

  useEffect(() => {
    loadDevices();
    recentEvents(call).then(setEvents, fail);
  }, [call, loadDevices, fail]);
  useEffect(() => {
    if (openLock) loadLock(openLock);
  }, [openLock, loadLock]);

  // Live: every event goes to the feed, and reloads what it may have changed.
  const onEvent = useRef(null);
  onEvent.current = (event) => {
    setEvents((list) => [event, ...list.filter((e) => e.event_id !== event.event_id)].slice(0, FEED_LENGTH));
    if (/^(device|lock|action_attempt)\./.test(event.event_type)) reloadDevices();
    if (event.device_id === openLock) reloadLock();
  };
  useEffect(
    () =>
      watchEvents(
        apiKey,
        (event) => onEvent.current(event),
        (state) =>
          state === 'unauthorized' ? onLogout('The API key is no longer accepted.') : setLive(state),
      ),
    [apiKey, onLogout],
  );

  // Names stay known after a code is deleted: its last events still name it.
  const known = useRef(new Map());
  const names = useMemo(() => {
    for (const list of codes.values())
      for (const c of list) known.current.set(c.access_code_id, c.name ?? c.code);
    return new Map(known.current);
  }, [codes]);
  const activity = useMemo(() => {
    const map = new Map();
    for (const e of events) if (!map.has(e.device_id)) map.set(e.device_id, e);
    return map;
  }, [events]);

  let page;
  if (route.page === 'events')
    page = html`<${EventFeed} events=${events} devices=${devices} names=${names} />`;
  else if (openLock) {
    const device = devices.find((d) => d.device_id === openLock);
    page = device
      ? html`<${LockPage} device=${device} codes=${codes.get(openLock) ?? []} unmanaged=${unmanaged.get(openLock) ?? []}
          events=${events} names=${names} call=${call} notify=${setNotice} />`
      : html`<main><p>Loading…</p></main>`;
  } else page = html`<${LockList} devices=${devices} activity=${activity} names=${names} />`;

  return html`
    <${TopBar} route=${route} live=${live} onLogout=${() => onLogout(null)} />
    ${notice && html`<p class="notice" role="status">${notice} <button class="link" onClick=${() => setNotice(null)}>Dismiss</button></p>`}
    ${page}`;
}

function App() {
  const [apiKey, setApiKey] = useState(sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY));
  const [error, setError] = useState(null);
  const login = async (key, remember) => {
    try {
      await createApi(key)('devices/list');
    } catch (err) {
      setError(err.status === 401 ? 'This key is not accepted by the hub.' : err.message);
      return;
    }
    (remember ? localStorage : sessionStorage).setItem(KEY, key);
    setError(null);
    setApiKey(key);
  };
  const logout = useCallback((why) => {
    sessionStorage.removeItem(KEY);
    localStorage.removeItem(KEY);
    setError(why);
    setApiKey(null);
  }, []);
  return apiKey
    ? html`<${Console} apiKey=${apiKey} onLogout=${logout} />`
    : html`<${Login} onLogin=${login} error=${error} />`;
}

const root = document.getElementById('app');
root.textContent = ''; // the "Loading…" placeholder
render(html`<${App} />`, root);
