// Webhooks: every event POSTed to each configured endpoint as Seam delivers them (JSON body, Svix
// signature headers), each endpoint on its own durable event consumer `webhook:<id>`.
import type { Transport, TransportContext } from '../transport.ts';
import { EndpointDelivery, type Post, type WebhookEndpoint } from './endpoint-delivery.ts';

export const webhookConsumer = (id: string): string => `webhook:${id}`;

export class WebhooksTransport implements Transport {
  readonly name = 'webhooks';
  readonly eventConsumers: readonly string[];
  private deliveries: EndpointDelivery[] = [];

  constructor(
    private readonly endpoints: readonly WebhookEndpoint[],
    private readonly post?: Post,
  ) {
    this.eventConsumers = endpoints.map((e) => webhookConsumer(e.id));
  }

  async start(ctx: TransportContext): Promise<void> {
    const log = ctx.log.child({ component: 'webhooks' });
    this.deliveries = this.endpoints.map(
      (endpoint) =>
        new EndpointDelivery(
          endpoint,
          ctx.events.feed(webhookConsumer(endpoint.id)),
          log,
          ctx.statusChanged,
          this.post,
        ),
    );
    for (const delivery of this.deliveries) delivery.start();
    log.info({ endpoints: this.endpoints.map((e) => e.id) }, 'webhooks delivering');
  }

  async stop(): Promise<void> {
    await Promise.all(this.deliveries.map((d) => d.stop()));
    this.deliveries = [];
  }

  status(): Record<string, unknown> {
    return { webhooks: this.deliveries.map((d) => d.status()) };
  }
}
