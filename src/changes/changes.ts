// The one write path. Every change of an access code, an unmanaged code, a device, an action
// attempt or an observed slot goes through one method here, which in one transaction (joining the
// caller's, if any) saves the row, appends the change's events and queues the retained state; the
// lock is woken only after the commit is on disk. On its own (not inside a request's transaction)
// a change is group-committed: the locks' answers of one turn of the event loop share one fsync. What the change is, is decided by the pure core
// (lifecycle, device, unmanaged-code, action-attempt); this file only writes it down.
import type { AttemptChange } from '../core/action-attempt.ts';
import type { Device, DeviceChange, DriverKind } from '../core/device.ts';
import type { EventDraft } from '../core/events.ts';
import type { Transition } from '../core/lifecycle.ts';
import type { ObservedSlot } from '../core/slot.ts';
import type { UnmanagedChange } from '../core/unmanaged-code.ts';
import { isStorageError } from '../store/storage-health.ts';
import type { Store } from '../store/store.ts';
import type { TxOptions } from '../store/transaction.ts';
import { accessCodeView } from '../views/access-code-view.ts';
import { deviceView } from '../views/device-view.ts';

const SOON: TxOptions = { durable: 'soon' };

export class Changes {
  private quietView: Changes | null = null;

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    /** Shared with the quiet view, which never calls them (see quiet()). */
    private readonly wakeListeners = new Set<(deviceId: string) => void>(),
    private readonly touchListeners = new Set<(deviceId: string, accessCodeId: string | null) => void>(),
    private readonly wakes = true,
  ) {}

  /**
   * The same write path without waking the lock: for the reconciler's own writes during a lock's
   * step, which decides by itself whether to look at the lock again (a wake would cost a whole
   * step more for nothing).
   */
  quiet(): Changes {
    this.quietView ??= new Changes(this.store, this.now, this.wakeListeners, this.touchListeners, false);
    return this.quietView;
  }

  /** Someone (the reconciler) acts on a lock whose state changed; called after each commit. */
  onWake(listener: (deviceId: string) => void): () => void {
    this.wakeListeners.add(listener);
    return () => this.wakeListeners.delete(listener);
  }

  /**
   * Someone other than the reconciler changes a lock's access code (managed or unmanaged:
   * accessCodeId) or device (null): called at once, before the commit (what the reconciler
   * planned for that lock may be stale from now on).
   */
  onTouch(listener: (deviceId: string, accessCodeId: string | null) => void): () => void {
    this.touchListeners.add(listener);
    return () => this.touchListeners.delete(listener);
  }

  /** Several changes that commit together (nested calls join the outer transaction). */
  transaction<T>(work: () => T): T {
    return this.write(work);
  }

  /** A managed code: saved, or removed when the transition says it is gone. */
  accessCode(t: Transition): void {
    const { code } = t;
    this.write(() => {
      if (t.gone) this.store.codes.remove(code.access_code_id);
      else this.store.codes.save(code);
      this.appendEvents(t.events);
      // A deleted code's retained state was emptied when it was deleted, not when it left the lock.
      const alreadyEmptied = t.gone && code.deleted_at !== null;
      if (!alreadyEmptied) {
        const visible = !t.gone && code.deleted_at === null;
        this.store.retained.put('access_code', code.access_code_id, visible ? accessCodeView(code) : null);
      }
      this.wakeAfterCommit(code.device_id, code.access_code_id);
    });
  }

  unmanagedCode(change: UnmanagedChange): void {
    const { unmanaged } = change;
    this.write(() => {
      if (change.gone) this.store.unmanaged.remove(unmanaged.access_code_id);
      else this.store.unmanaged.save(unmanaged);
      this.appendEvents(change.events);
      this.wakeAfterCommit(unmanaged.device_id, unmanaged.access_code_id);
    });
  }

  /** The device for a driver identity, created (offline, never read) the first time it is seen. */
  deviceSeen(identity: string, driver: DriverKind, name: string): Device {
    return this.write(() => {
      const { device, created } = this.store.devices.ensure(identity, driver, name, this.now());
      if (created) this.store.retained.put('device', device.device_id, deviceView(device));
      return device;
    });
  }

  device(change: DeviceChange): void {
    const { device } = change;
    this.write(() => {
      this.store.devices.save(device);
      this.appendEvents(change.events);
      this.store.retained.put('device', device.device_id, deviceView(device));
      this.wakeAfterCommit(device.device_id, null);
    });
  }

  attempt(change: AttemptChange): void {
    this.write(() => {
      this.store.attempts.save(change.attempt, this.now());
      this.appendEvents(change.events);
    });
  }

  /**
   * What the bridge now believes a lock's slot holds. `durable: false` for the intent recorded
   * before a write: it reaches the disk with the lock's answer, and a lock that can read codes
   * back tells the bridge what it holds should both be lost in a power cut.
   */
  slot(deviceId: string, slot: ObservedSlot, options: TxOptions = SOON): void {
    this.write(() => this.store.slots.put(deviceId, slot), options);
  }

  /** Events that change no stored object (a keypad unlock, say). */
  events(events: readonly EventDraft[]): void {
    if (events.length > 0) this.write(() => this.appendEvents(events));
  }

  /** Never refused: while the store can't write, the info goes out from memory (it says why). */
  bridgeInfo(info: object): void {
    try {
      this.write(() => this.store.retained.put('bridge_info', '', info));
    } catch (error) {
      if (!isStorageError(error)) throw error;
      this.store.retained.putInMemory('bridge_info', '', info);
    }
  }

  /** On its own, a change is group-committed; inside a request's transaction it joins that one. */
  private write<T>(work: () => T, options: TxOptions = SOON): T {
    return this.store.tx.run(work, options);
  }

  private appendEvents(events: readonly EventDraft[]): void {
    const now = this.now();
    for (const event of events) this.store.events.append(event, now);
  }

  private wakeAfterCommit(deviceId: string, accessCodeId: string | null): void {
    if (!this.wakes) return;
    for (const listener of this.touchListeners) listener(deviceId, accessCodeId);
    this.store.tx.afterCommit(() => {
      for (const listener of this.wakeListeners) listener(deviceId);
    });
  }
}
