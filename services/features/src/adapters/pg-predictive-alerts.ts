/**
 * Predictive alerts through the platform's alert lifecycle (migration 0005): transitions go into alert_transitions
 * (origin 'model'; key alert id + transition seq, deterministic, so a replay inserts nothing) and the alert's row into
 * `alerts`, in one transaction; the new transitions are then published to vehicle.alerts.v1 (the same record the
 * diagnostics service writes, so the notifier's webhooks and streams deliver them like any alert) and marked
 * published. A crash between the insert and the mark leaves them to the outbox relay (diagnostics republishes
 * unpublished transitions), so delivery is at least once with a stable dedupe key, as for rule alerts.
 */
import type { Message } from 'kafkajs';
import { TelltaleError } from '@telltale/platform';
import type { Pool } from '@telltale/platform/db';
import type { ReliableProducer } from '@telltale/platform/kafka';
import { Alert } from '@telltale/platform/proto';
import { alertMessageOf, type AlertEvent } from '@telltale/rules/alerts';
import type { PredictiveAlertSink } from '../pipeline/ports.js';

function alertRecordOf(event: AlertEvent): Message {
  return {
    key: event.vin,
    value: Buffer.from(Alert.encode(alertMessageOf(event)).finish()),
    headers: { 'telltale-alert-id': event.alertId, 'telltale-transition-seq': String(event.transitionSeq) },
  };
}

export class PgPredictiveAlerts implements PredictiveAlertSink {
  constructor(
    private readonly pool: Pool,
    private readonly producer: Pick<ReliableProducer, 'send'>,
    private readonly topic: string,
  ) {}

  async record(events: readonly AlertEvent[]): Promise<void> {
    const fresh = await this.insert(events);
    if (fresh.length === 0) return;
    await this.producer.send(this.topic, fresh.map(alertRecordOf));
    await this.pool
      .query(
        `UPDATE alert_transitions t SET published_ms = $3
         FROM unnest($1::uuid[], $2::int[]) AS k (alert_id, transition_seq)
         WHERE t.alert_id = k.alert_id AND t.transition_seq = k.transition_seq`,
        [fresh.map((e) => e.alertId), fresh.map((e) => e.transitionSeq), Date.now()],
      )
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
  }

  private async insert(events: readonly AlertEvent[]): Promise<AlertEvent[]> {
    const client = await this.pool.connect().catch((cause: unknown) => {
      throw unavailable(cause);
    });
    try {
      await client.query('BEGIN');
      const fresh: AlertEvent[] = [];
      for (const e of events) {
        const { rowCount } = await client.query(
          `INSERT INTO alert_transitions (alert_id, transition_seq, vin, fleet_id, model_id, catalog_version, rule_id,
             rule_version, rule_name, state, severity, previous_severity, event_time_ms, episode_start_ms,
             emit_time_ms, evidence, message, backfill, timer, reason, origin)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, $12, $13, $14, $15, $16, false, false,
             'condition', 'model')
           ON CONFLICT (alert_id, transition_seq) DO NOTHING`,
          [
            e.alertId,
            e.transitionSeq,
            e.vin,
            e.fleetId,
            e.modelId,
            e.catalogVersion,
            e.ruleId,
            e.ruleVersion,
            e.ruleName,
            e.state,
            e.severity,
            e.eventTimeMs,
            e.episodeStartMs,
            e.emitTimeMs,
            JSON.stringify(e.evidence),
            e.message,
          ],
        );
        if (rowCount !== 1) continue;
        fresh.push(e);
        await client.query(
          `INSERT INTO alerts AS a (alert_id, vin, fleet_id, model_id, rule_id, rule_version, rule_name, origin, state,
             severity, peak_severity, message, episode_start_ms, raised_ms, updated_ms, cleared_ms, last_seq, backfill)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'model', $8, $9, $9, $10, $11, $12, $12,
             CASE WHEN $8 = 'cleared' THEN $12::bigint END, $13, false)
           ON CONFLICT (alert_id) DO UPDATE SET state = EXCLUDED.state, message = EXCLUDED.message,
             updated_ms = EXCLUDED.updated_ms, cleared_ms = EXCLUDED.cleared_ms, last_seq = EXCLUDED.last_seq
           WHERE a.last_seq < EXCLUDED.last_seq`,
          [
            e.alertId,
            e.vin,
            e.fleetId,
            e.modelId,
            e.ruleId,
            e.ruleVersion,
            e.ruleName,
            e.state,
            e.severity,
            e.message,
            e.episodeStartMs,
            e.eventTimeMs,
            e.transitionSeq,
          ],
        );
      }
      await client.query('COMMIT');
      return fresh;
    } catch (cause) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw unavailable(cause);
    } finally {
      client.release();
    }
  }
}

function unavailable(cause: unknown): TelltaleError {
  if (cause instanceof TelltaleError) return cause;
  return new TelltaleError('ALERT_STORE_UNAVAILABLE', `Predictive alert write failed: ${(cause as Error).message}`, {
    retryable: true,
    cause,
  });
}
