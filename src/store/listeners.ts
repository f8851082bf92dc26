// A tiny synchronous listener set (EventEmitter is more than an outbox notification needs).
export class Listeners {
  private readonly set = new Set<() => void>();

  add(listener: () => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }

  emit(): void {
    for (const listener of this.set) listener();
  }
}
