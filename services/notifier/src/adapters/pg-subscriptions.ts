/** Reads subscriptions for matching (the API writes them). */
import type { Pool } from '@telltale/platform/db';
import { isAlertSeverity, isAlertState, type AlertStateName } from '@telltale/rules/alerts';
import type { Subscription } from '../domain/subscription.js';
import type { SubscriptionSource } from '../pipeline/alert-intake.js';

interface Row {
  subscription_id: string;
  fleet_ids: string[];
  model_ids: string[];
  vins: string[];
  rule_ids: string[];
  min_severity: string;
  states: string[];
  include_backfill: boolean;
  webhook_url: string | null;
}

export class PgSubscriptionReader implements SubscriptionSource {
  constructor(private readonly pool: Pool) {}

  /**
   * Changes with every insert, update or delete of a subscription (trigger in 0006_notifier.sql) and with every
   * revocation of an API key (trigger in 0008).
   */
  async version(): Promise<string> {
    const { rows } = await this.pool.query<{ version: string }>('SELECT version FROM alert_subscriptions_version');
    return rows[0]?.version ?? '0';
  }

  /** Enabled subscriptions whose creating API key is not revoked. */
  async loadActive(): Promise<Subscription[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT subscription_id, fleet_ids, model_ids, vins, rule_ids, min_severity, states, include_backfill,
         webhook_url
       FROM alert_subscriptions s
       WHERE enabled
         AND NOT EXISTS (SELECT 1 FROM api_keys k WHERE k.key_id = s.created_by AND k.revoked_at IS NOT NULL)`,
    );
    return rows.map((r) => ({
      subscriptionId: r.subscription_id,
      filter: {
        fleets: r.fleet_ids,
        models: r.model_ids,
        vins: r.vins,
        rules: r.rule_ids,
        minSeverity: isAlertSeverity(r.min_severity) ? r.min_severity : 'info',
        states: r.states.filter((s): s is AlertStateName => isAlertState(s)),
        includeBackfill: r.include_backfill,
      },
      webhook: r.webhook_url !== null ? { url: r.webhook_url } : null,
    }));
  }
}
