// The console's pages: log in, the locks, one lock (its codes, the codes found on it, lock and
// unlock), and the event feed. Plain preact components written with htm: no build step.
import htm from 'htm';
import { h } from 'preact';
import { useState } from 'preact/hooks';
import { ago, eventWords, isBadEvent, lockWords, statusWords, when } from './words.js';

export const html = htm.bind(h);

export function Login({ onLogin, error }) {
  const [key, setKey] = useState('');
  const [remember, setRemember] = useState(false);
  const submit = (e) => {
    e.preventDefault();
    onLogin(key.trim(), remember);
  };
  return html`
    <main class="login">
      <h1>lockbridge</h1>
      <p>Log in with an API key of this hub (<code>lockbridge api-key create</code> makes one).</p>
      <form onSubmit=${submit}>
        <label>API key
          <input name="api-key" type="password" autocomplete="current-password" required
            value=${key} onInput=${(e) => setKey(e.currentTarget.value)} placeholder="seam_…" />
        </label>
        <label class="check">
          <input type="checkbox" checked=${remember} onChange=${(e) => setRemember(e.currentTarget.checked)} />
          Remember on this device
        </label>
        ${error && html`<p class="error" role="alert">${error}</p>`}
        <button type="submit">Log in</button>
      </form>
    </main>`;
}

export function TopBar({ route, live, onLogout }) {
  const tab = (href, label, active) => html`<a href=${href} class=${active ? 'active' : ''}>${label}</a>`;
  return html`
    <header class="top">
      <strong>lockbridge</strong>
      <nav>
        ${tab('#/', 'Locks', route.page !== 'events')}
        ${tab('#/events', 'Events', route.page === 'events')}
      </nav>
      <span class=${`live ${live}`} title="Live updates">${live === 'live' ? 'Live' : 'Reconnecting…'}</span>
      <button class="link" onClick=${onLogout}>Log out</button>
    </header>`;
}

function LockFacts({ device }) {
  const w = lockWords(device);
  return html`
    <ul class="facts">
      <li class=${device.properties.online ? 'good' : 'bad'}>${w.online}</li>
      <li>${w.locked}</li>
      ${w.door && html`<li>${w.door}</li>`}
      <li class=${w.lowBattery ? 'bad' : ''}>${w.battery}</li>
    </ul>`;
}

export function LockList({ devices, activity, names }) {
  if (devices.length === 0) return html`<main><p>No locks yet.</p></main>`;
  return html`
    <main>
      <h1>Locks</h1>
      <ul class="cards">
        ${devices.map((d) => {
          const last = activity.get(d.device_id);
          return html`
            <li key=${d.device_id}>
              <a class="card lock" href=${`#/locks/${d.device_id}`} data-device=${d.device_id}>
                <h2>${d.name}</h2>
                <${LockFacts} device=${d} />
                <p class="last">${last ? `${eventWords(last, names)} · ${ago(last.occurred_at)}` : 'No activity yet'}</p>
              </a>
            </li>`;
        })}
      </ul>
    </main>`;
}

const toLocalInput = (iso) => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

/** Create (code absent) or edit a managed code. */
function CodeForm({ device, code, call, onDone }) {
  const [name, setName] = useState(code?.name ?? '');
  const [pin, setPin] = useState(code?.code ?? '');
  const [starts, setStarts] = useState(toLocalInput(code?.starts_at));
  const [ends, setEnds] = useState(toLocalInput(code?.ends_at));
  const [oneTime, setOneTime] = useState(code?.is_one_time_use ?? false);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const limits = device.properties.code_constraints;
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const window =
      starts || ends
        ? {
            starts_at: starts ? new Date(starts).toISOString() : undefined,
            ends_at: ends ? new Date(ends).toISOString() : undefined,
          }
        : {};
    try {
      if (code) {
        const params = { access_code_id: code.access_code_id, name, is_one_time_use: oneTime, ...window };
        if (pin !== code.code) params.code = pin;
        if (!starts && !ends && code.type === 'time_bound') params.type = 'ongoing';
        await call('access_codes/update', params);
      } else {
        const params = { device_id: device.device_id, name, is_one_time_use: oneTime, ...window };
        if (pin) params.code = pin;
        await call('access_codes/create', params);
      }
      onDone();
    } catch (err) {
      const fields = ['code', 'name', 'starts_at', 'ends_at'].flatMap((f) => err.fieldMessages?.(f) ?? []);
      setError(fields.length > 0 ? `${err.message}: ${fields.join('; ')}` : err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <form class="code-form" onSubmit=${submit}>
      <h3>${code ? `Edit “${code.name ?? 'code'}”` : 'New code'}</h3>
      <label>Name <input name="name" value=${name} onInput=${(e) => setName(e.currentTarget.value)} maxlength="256" /></label>
      <label>PIN
        <input name="pin" inputmode="numeric" pattern="[0-9]*" value=${pin} onInput=${(e) => setPin(e.currentTarget.value)}
          placeholder=${code ? '' : 'leave empty: the hub picks one'} />
        ${limits && html`<small>${limits.min_code_length}–${limits.max_code_length} digits</small>`}
      </label>
      <fieldset>
        <legend>Only between (leave empty for always)</legend>
        <label>From <input name="starts_at" type="datetime-local" value=${starts} onInput=${(e) => setStarts(e.currentTarget.value)} /></label>
        <label>Until <input name="ends_at" type="datetime-local" value=${ends} onInput=${(e) => setEnds(e.currentTarget.value)} /></label>
      </fieldset>
      <label class="check"><input name="one-time" type="checkbox" checked=${oneTime} onChange=${(e) => setOneTime(e.currentTarget.checked)} /> One-time use (removed after it opens the door once)</label>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <div class="buttons">
        <button type="submit" disabled=${busy}>${code ? 'Save' : 'Create code'}</button>
        <button type="button" class="secondary" onClick=${onDone}>Cancel</button>
      </div>
    </form>`;
}

function Pin({ code }) {
  const [shown, setShown] = useState(false);
  if (!code) return html`<span class="muted">not readable</span>`;
  return html`<button class="link pin" onClick=${() => setShown(!shown)} title="Show or hide the PIN">${shown ? code : '••••'}</button>`;
}

function CodeRow({ code, onEdit, onDelete }) {
  const [words, tone] = statusWords(code.status);
  const notes = [
    ...code.errors.map((e) => ['bad', e.message]),
    ...code.warnings.map((w) => ['warn', w.message]),
  ];
  const span = code.type === 'time_bound' ? `${when(code.starts_at)} – ${when(code.ends_at)}` : 'Always';
  return html`
    <tr data-code=${code.access_code_id}>
      <td>${code.name ?? html`<span class="muted">no name</span>`}</td>
      <td><${Pin} code=${code.code} /></td>
      <td>${span}${code.is_one_time_use ? ' · one-time' : ''}</td>
      <td>
        <span class=${`status ${tone}`} data-status=${code.status}>${words}</span>
        ${notes.map(([t, m]) => html`<div class=${`note ${t}`}>${m}</div>`)}
      </td>
      <td class="actions">
        <button class="secondary" onClick=${() => onEdit(code)}>Edit</button>
        <button class="danger" onClick=${() => onDelete(code)}>Delete</button>
      </td>
    </tr>`;
}

export function LockPage({ device, codes, unmanaged, events, names, call, notify }) {
  const [editing, setEditing] = useState(null); // null, 'new' or a code
  const act = async (label, route, params) => {
    try {
      const answer = await call(route, params);
      const attempt = answer.action_attempt;
      if (attempt?.status === 'error')
        notify(`${label} failed: ${attempt.error?.message ?? 'the lock refused'}`);
      else notify(attempt?.status === 'success' ? `${label}: done` : `${label}: asked the lock`);
    } catch (err) {
      notify(`${label} failed: ${err.message}`);
    }
  };
  const remove = (code) => {
    if (confirm(`Delete the code “${code.name ?? code.code}”? It is removed from the lock.`))
      act('Delete', 'access_codes/delete', { access_code_id: code.access_code_id });
  };
  return html`
    <main>
      <p><a href="#/">← All locks</a></p>
      <h1>${device.name}</h1>
      <${LockFacts} device=${device} />
      <div class="buttons">
        <button onClick=${() => act('Lock', 'locks/lock_door', { device_id: device.device_id })}>Lock</button>
        <button onClick=${() => act('Unlock', 'locks/unlock_door', { device_id: device.device_id })}>Unlock</button>
      </div>

      <section>
        <h2>Access codes</h2>
        ${
          codes.length === 0
            ? html`<p class="muted">No codes on this lock.</p>`
            : html`
          <div class="scroll"><table class="codes">
            <thead><tr><th>Name</th><th>PIN</th><th>When</th><th>Status</th><th></th></tr></thead>
            <tbody>${codes.map((c) => html`<${CodeRow} key=${c.access_code_id} code=${c} onEdit=${setEditing} onDelete=${remove} />`)}</tbody>
          </table></div>`
        }
        ${
          editing === null
            ? html`<button onClick=${() => setEditing('new')}>New code</button>`
            : html`<${CodeForm} key=${editing === 'new' ? 'new' : editing.access_code_id} device=${device}
              code=${editing === 'new' ? null : editing} call=${call} onDone=${() => setEditing(null)} />`
        }
      </section>

      <section>
        <h2>Codes found on the lock</h2>
        <p class="muted">Codes the hub did not set (typed in at the keypad, or left by another system).</p>
        ${
          unmanaged.length === 0
            ? html`<p class="muted">None.</p>`
            : html`
          <div class="scroll"><table class="unmanaged">
            <thead><tr><th>Where</th><th>PIN</th><th></th></tr></thead>
            <tbody>${unmanaged.map(
              (u) => html`
              <tr key=${u.access_code_id} data-code=${u.access_code_id}>
                <td>${u.name}</td>
                <td><${Pin} code=${u.code} /></td>
                <td class="actions">
                  <button class="secondary" onClick=${() => act('Take over', 'access_codes/unmanaged/convert_to_managed', { access_code_id: u.access_code_id })}>Manage</button>
                  <button class="danger" onClick=${() => act('Remove', 'access_codes/unmanaged/delete', { access_code_id: u.access_code_id })}>Remove</button>
                </td>
              </tr>`,
            )}
            </tbody>
          </table></div>`
        }
      </section>

      <section>
        <h2>Recent events</h2>
        <${EventList} events=${events.filter((e) => e.device_id === device.device_id).slice(0, 20)} names=${names} />
      </section>
    </main>`;
}

function EventList({ events, devices, names }) {
  if (events.length === 0) return html`<p class="muted">Nothing yet.</p>`;
  const lockName = (id) => devices?.find((d) => d.device_id === id)?.name;
  return html`
    <ol class="events">
      ${events.map(
        (e) => html`
        <li key=${e.event_id} class=${isBadEvent(e) ? 'bad' : ''} data-event=${e.event_type}>
          <time datetime=${e.occurred_at} title=${when(e.occurred_at)}>${ago(e.occurred_at)}</time>
          ${devices && html`<span class="where">${lockName(e.device_id) ?? ''}</span>`}
          <span>${eventWords(e, names)}</span>
        </li>`,
      )}
    </ol>`;
}

export function EventFeed({ events, devices, names }) {
  return html`
    <main>
      <h1>Events</h1>
      <${EventList} events=${events} devices=${devices} names=${names} />
    </main>`;
}
