// Svix-style webhook signatures, as Seam signs its webhooks (and @seamapi/webhook verifies them):
// HMAC-SHA256 over `<id>.<timestamp>.<body>` with the secret after its `whsec_` prefix, base64.
import { createHmac } from 'node:crypto';

export interface SignedHeaders {
  'svix-id': string;
  'svix-timestamp': string;
  'svix-signature': string;
}

export function signWebhook(secret: string, id: string, timestampS: number, body: string): SignedHeaders {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestampS}.${body}`).digest('base64');
  return { 'svix-id': id, 'svix-timestamp': String(timestampS), 'svix-signature': `v1,${signature}` };
}
