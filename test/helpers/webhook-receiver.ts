// A webhook endpoint for tests: an HTTP server on a free loopback port that verifies every delivery
// with Seam's own @seamapi/webhook (Svix signatures) and keeps the events in the order they came.
// It can answer 503 for a while, or stop listening altogether (connection refused).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SeamWebhook } from '@seamapi/webhook';
import { eventually } from './api-client.ts';

export interface Delivery {
  event_id: string;
  event_type: string;
  [key: string]: unknown;
}

export const newWebhookSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

export class WebhookReceiver {
  /** Verified deliveries, in the order they arrived (repeats included). */
  readonly deliveries: Delivery[] = [];
  /** Deliveries whose signature did not verify (never expected). */
  readonly rejected: string[] = [];
  /** Requests answered 503 while `failing`. */
  refused = 0;
  failing = false;
  private server: Server;
  private port = 0;

  private constructor(readonly secret: string) {
    this.server = this.makeServer();
  }

  static async start(secret = newWebhookSecret()): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(secret);
    await receiver.listen(0);
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/seam-webhook`;
  }

  /** The event ids received, each once, in the order first received. */
  uniqueIds(): string[] {
    return [...new Set(this.deliveries.map((d) => d.event_id))];
  }

  async waitFor(check: (r: WebhookReceiver) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    await eventually(() => check(this), timeoutMs, what);
  }

  /** Stops listening: deliveries meet a refused connection until up() again (same port). */
  async down(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  async up(): Promise<void> {
    this.server = this.makeServer();
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    if (this.server.listening) await this.down();
  }

  private makeServer(): Server {
    const webhook = new SeamWebhook(this.secret);
    return createServer(async (req, res) => {
      const body = await readAll(req);
      if (this.failing) {
        this.refused++;
        res.writeHead(503).end();
        return;
      }
      try {
        const headers = Object.fromEntries(
          Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
        );
        this.deliveries.push(webhook.verify(body, headers) as unknown as Delivery);
        res.writeHead(204).end();
      } catch (error) {
        this.rejected.push((error as Error).message);
        res.writeHead(400).end();
      }
    });
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }
}

async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
