/** kafkajs messages of tbox.frames.v1 → the pipeline's plain records. Wire types stop here. */
import type { KafkaMessage } from 'kafkajs';
import { RECORD_HEADER } from '@telltale/platform/kafka';
import type { UplinkRecord } from '../pipeline/decode-records.js';

export function toUplinkRecords(messages: readonly KafkaMessage[]): UplinkRecord[] {
  return messages.map((m) => ({
    key: m.key?.toString(),
    value: m.value ?? undefined,
    offset: m.offset,
    timestamp: m.timestamp,
    receivedMsHeader: m.headers?.[RECORD_HEADER.receivedMs]?.toString(),
  }));
}
