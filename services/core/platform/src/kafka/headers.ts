/**
 * Kafka record headers Telltale writes, in one place. Dead-letter records (`*.dlq.v1`) carry `reason` (a stable
 * code from the closed list of the service that rejected the record), `detail` (one sentence for people) and, when
 * the record came from another topic, `sourceOffset`; the gateway stamps `receivedMs` and `mqttTopic` on uplinks.
 */
export const RECORD_HEADER = {
  /** Wall-clock time the gateway received the MQTT publish, ms since the Unix epoch (decimal string). */
  receivedMs: 'telltale-received-ms',
  /** The MQTT topic an uplink (or its dead letter) arrived on. */
  mqttTopic: 'telltale-mqtt-topic',
  /** Dead letters: the stable reject reason code. */
  reason: 'telltale-reason',
  /** Dead letters: a human-readable sentence about the reason. */
  detail: 'telltale-detail',
  /** Dead letters from the decoder: the per-frame reasons, comma-separated. */
  frameReasons: 'telltale-frame-reasons',
  /** Dead letters of a consumer: the offset of the rejected source record in its partition. */
  sourceOffset: 'telltale-source-offset',
} as const;
