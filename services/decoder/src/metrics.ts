import { counter, createMetricsRegistry, gauge, histogram, type Registry } from '@telltale/platform';
import type { Logger } from 'pino';
import type { ClaimedPartition } from '@telltale/platform/kafka';
import type { DecodeEvents } from './pipeline/decode-records.js';

export interface DecoderMetrics {
  readonly registry: Registry;
  readonly events: DecodeEvents;
  lag(topic: string, partition: number, lag: number): void;
  transactionFailed(error: Error): void;
  /** This instance took over an input partition: its producer fenced the previous owner's. */
  partitionClaimed(claim: ClaimedPartition): void;
  /** Fetched input records skipped because a previous owner of the partition had committed them. */
  replaySkipped(records: number): void;
  producersOpen(count: number): void;
}

export function decoderMetrics(log: Logger): DecoderMetrics {
  const registry = createMetricsRegistry('decoder');
  const framesIn = counter(registry, 'decoder_frames_total', 'CAN frames consumed', ['model']);
  const signalsOut = counter(registry, 'decoder_signals_total', 'Signals produced', ['model']);
  const batches = counter(registry, 'decoder_batches_total', 'Uplink batches decoded', ['model']);
  const frameErrors = counter(
    registry,
    'decoder_frame_errors_total',
    'Frames not decoded (dead-lettered), by model, message and reason',
    ['model', 'message', 'reason'],
  );
  const outOfRange = counter(
    registry,
    'decoder_signal_out_of_range_total',
    'Decoded samples outside their DBC range (minimum, maximum; published all the same), by model and signal',
    ['model', 'signal'],
  );
  const rejected = counter(
    registry,
    'decoder_batches_rejected_total',
    'Uplink batches dead-lettered whole, by reason',
    ['reason'],
  );
  const decodeSeconds = histogram(registry, 'decoder_batch_decode_seconds', 'Decode time per uplink batch', {
    buckets: [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
  });
  const lag = gauge(
    registry,
    'decoder_consumer_lag',
    'Records behind the partition end when the last batch was fetched',
    ['partition'],
  );
  const txFailures = counter(
    registry,
    'decoder_transaction_failures_total',
    'Aborted Kafka transactions (the batch is consumed again)',
  );
  const claims = counter(
    registry,
    'decoder_partition_claims_total',
    'Input partitions taken over: their transactional producer opened, fencing the previous owner',
  );
  const skipped = counter(
    registry,
    'decoder_replay_skipped_records_total',
    'Fetched input records not decoded because a previous owner of the partition had committed them',
  );
  const producers = gauge(
    registry,
    'decoder_partition_producers',
    'Transactional producers open (one per input partition this instance processes)',
  );
  return {
    registry,
    events: {
      batch: (model, frames, signals, seconds) => {
        batches.inc({ model });
        framesIn.inc({ model }, frames);
        signalsOut.inc({ model }, signals);
        decodeSeconds.observe(seconds);
      },
      frameErrors: (model, message, reason, count) => frameErrors.inc({ model, message, reason }, count),
      outOfRange: (model, signal, count) => outOfRange.inc({ model, signal }, count),
      batchRejected: (reason) => {
        rejected.inc({ reason });
        log.warn({ reason }, 'Uplink batch dead-lettered.');
      },
    },
    lag: (_topic, partition, value) => lag.set({ partition: String(partition) }, value),
    transactionFailed: (err) => {
      txFailures.inc();
      log.warn({ err }, 'Kafka transaction aborted; the batch will be consumed again.');
    },
    partitionClaimed: (claim) => {
      claims.inc();
      log.info(
        {
          topic: claim.topic,
          partition: claim.partition,
          transactionalId: claim.transactionalId,
          committedOffset: claim.committedOffset.toString(),
        },
        'Input partition claimed; its previous owner is fenced.',
      );
    },
    replaySkipped: (records) => {
      skipped.inc(records);
      log.info({ records }, 'Skipped input a previous owner of the partition had committed.');
    },
    producersOpen: (count) => producers.set(count),
  };
}
