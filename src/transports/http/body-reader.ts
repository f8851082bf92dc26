// Reads a request's body from the socket, at most `maxBytes`: a larger Content-Length is refused
// before a byte is read, and a chunked body stops being read as soon as it grows past the limit
// (the answer then closes the connection, so the rest is never parsed as a request).
import type { IncomingMessage } from 'node:http';

export type BodyRead = { ok: true; body: Buffer } | { ok: false; reason: 'too_large' | 'aborted' };

export function readBody(incoming: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  const declared = Number(incoming.headers['content-length'] ?? 0);
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.resolve({ ok: false, reason: 'too_large' });
  }
  if (incoming.readableEnded) return Promise.resolve({ ok: true, body: Buffer.alloc(0) });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyRead) => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onAborted);
      incoming.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      incoming.pause();
      finish({ ok: false, reason: 'too_large' });
    };
    const onEnd = () => finish({ ok: true, body: Buffer.concat(chunks) });
    const onAborted = () => finish({ ok: false, reason: 'aborted' });
    const onClose = () => {
      if (!incoming.complete) onAborted();
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onAborted);
    incoming.on('close', onClose);
  });
}
