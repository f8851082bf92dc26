// Reads a Server-Sent Events response (fetch's body stream) message by message, for tests of
// GET /events/stream. Only what the bridge sends: `id:` and `data:` lines, comments, `retry:`.
export interface SseMessage {
  id: string | undefined;
  data: string;
}

export class SseReader {
  private buffer = '';
  private readonly decoder = new TextDecoder();
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly messages: SseMessage[] = [];

  constructor(response: Response) {
    if (!response.body) throw new Error('no body');
    this.reader = response.body.getReader();
  }

  /** Reads until `count` messages have come (in all), or throws after timeoutMs. */
  async until(count: number, timeoutMs = 10_000): Promise<SseMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`only ${this.messages.length} of ${count} events within ${timeoutMs} ms`);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`only ${this.messages.length} of ${count} events`)), left);
      });
      const { done, value } = await Promise.race([this.reader.read(), timeout]).finally(() =>
        clearTimeout(timer),
      );
      if (done) throw new Error('the stream ended');
      this.buffer += this.decoder.decode(value, { stream: true });
      this.parse();
    }
    return this.messages.slice(0, count);
  }

  async close(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }

  private parse(): void {
    let end = this.buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let id: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) this.messages.push({ id, data: data.join('\n') });
      end = this.buffer.indexOf('\n\n');
    }
  }
}
