/** Subscriptions as the notifier uses them: a filter and channels, matched against each alert. */
import { createHash } from 'node:crypto';
import { alertMatches, type AlertEvent, type AlertFilter } from '@telltale/rules/alerts';

export interface Subscription {
  readonly subscriptionId: string;
  readonly filter: AlertFilter;
  /** null: no webhook channel. The secret is not needed to match: the worker reads it when it signs. */
  readonly webhook: { readonly url: string } | null;
}

export interface WebhookDelivery {
  readonly deliveryId: string;
  readonly subscriptionId: string;
  readonly url: string;
  readonly alert: AlertEvent;
  readonly body: string;
}

/**
 * The delivery id doubles as the idempotency key: the same subscription, alert and transition always give the
 * same id, so a replayed record is deduplicated by the queue, and receivers can dedupe the retries they get.
 */
export function deliveryIdOf(subscriptionId: string, alertId: string, transitionSeq: number): string {
  return createHash('sha256').update(`${subscriptionId}\n${alertId}\n${transitionSeq}`).digest('hex').slice(0, 32);
}

/** The webhook body: stable field order, fixed at enqueue time so every attempt sends the same bytes. */
export function webhookBody(deliveryId: string, subscriptionId: string, alert: AlertEvent): string {
  return JSON.stringify({ type: 'alert.transition', deliveryId, subscriptionId, alert });
}

/** Webhook deliveries an alert makes: one per enabled subscription with a webhook whose filter matches. */
export function webhookDeliveriesFor(subscriptions: readonly Subscription[], alert: AlertEvent): WebhookDelivery[] {
  const out: WebhookDelivery[] = [];
  for (const s of subscriptions) {
    if (s.webhook === null || !alertMatches(s.filter, alert)) continue;
    const deliveryId = deliveryIdOf(s.subscriptionId, alert.alertId, alert.transitionSeq);
    out.push({
      deliveryId,
      subscriptionId: s.subscriptionId,
      url: s.webhook.url,
      alert,
      body: webhookBody(deliveryId, s.subscriptionId, alert),
    });
  }
  return out;
}
