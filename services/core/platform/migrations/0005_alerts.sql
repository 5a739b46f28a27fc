-- Alerts (written by `telltale diagnostics`, read and acknowledged through the API) and the diagnostics service's
-- durable state. Times are ms since the Unix epoch (event times come from the vehicles' samples, not arrival).

-- One row per alert transition (raised, escalated, de-escalated, cleared). (alert_id, transition_seq) is
-- deterministic, so a replay after a crash or rebalance inserts nothing new. Rows are also the outbox of
-- vehicle.alerts.v1: published_ms is set once the transition is on Kafka; a restarted instance publishes the rest.
CREATE TABLE alert_transitions (
  alert_id           uuid NOT NULL,
  transition_seq     integer NOT NULL CHECK (transition_seq >= 1),
  vin                text NOT NULL,
  fleet_id           text NOT NULL,
  model_id           text NOT NULL,
  catalog_version    text NOT NULL,
  rule_id            text NOT NULL,
  rule_version       integer NOT NULL,
  rule_name          text NOT NULL,
  state              text NOT NULL CHECK (state IN ('raised', 'escalated', 'deescalated', 'cleared')),
  severity           text NOT NULL CHECK (severity IN ('info', 'warning', 'major', 'critical')),
  previous_severity  text CHECK (previous_severity IN ('info', 'warning', 'major', 'critical')),
  event_time_ms      bigint NOT NULL,
  episode_start_ms   bigint NOT NULL,
  emit_time_ms       bigint NOT NULL,
  -- [{ signal, qualifiedName, value (null: no sample), eventTimeMs, unit }]
  evidence           jsonb NOT NULL,
  message            text NOT NULL,
  backfill           boolean NOT NULL,
  timer              boolean NOT NULL,
  reason             text NOT NULL CHECK (reason IN ('condition', 'rule-removed')),
  published_ms       bigint,
  PRIMARY KEY (alert_id, transition_seq)
);
CREATE INDEX alert_transitions_unpublished_idx ON alert_transitions (emit_time_ms) WHERE published_ms IS NULL;

-- One row per alert: its current state, maintained from the transitions in the same transaction.
CREATE TABLE alerts (
  alert_id           uuid PRIMARY KEY,
  vin                text NOT NULL,
  fleet_id           text NOT NULL,
  model_id           text NOT NULL,
  rule_id            text NOT NULL,
  -- The rule version of the latest transition.
  rule_version       integer NOT NULL,
  rule_name          text NOT NULL,
  origin             text NOT NULL DEFAULT 'rule',
  state              text NOT NULL CHECK (state IN ('raised', 'escalated', 'deescalated', 'cleared')),
  severity           text NOT NULL CHECK (severity IN ('info', 'warning', 'major', 'critical')),
  -- The most severe level the alert reached.
  peak_severity      text NOT NULL CHECK (peak_severity IN ('info', 'warning', 'major', 'critical')),
  message            text NOT NULL,
  episode_start_ms   bigint NOT NULL,
  raised_ms          bigint NOT NULL,
  updated_ms         bigint NOT NULL,
  cleared_ms         bigint,
  last_seq           integer NOT NULL,
  backfill           boolean NOT NULL,
  acknowledged_ms    bigint,
  acknowledged_by    text,
  acknowledge_note   text
);
CREATE INDEX alerts_fleet_raised_idx ON alerts (fleet_id, raised_ms DESC, alert_id);
CREATE INDEX alerts_vin_raised_idx ON alerts (vin, raised_ms DESC, alert_id);
CREATE INDEX alerts_open_idx ON alerts (fleet_id, raised_ms DESC) WHERE cleared_ms IS NULL;

-- Partitions of vehicle.signals.v1 as the diagnostics group processed them. next_offset is the first offset not yet
-- reflected in the persisted vehicle state; epoch fences a former owner after a rebalance (a checkpoint writes only
-- while its epoch is current).
CREATE TABLE diagnostics_partitions (
  topic          text NOT NULL,
  partition      integer NOT NULL,
  next_offset    bigint,
  epoch          bigint NOT NULL DEFAULT 0,
  owner          text,
  checkpoint_ms  bigint,
  PRIMARY KEY (topic, partition)
);

-- The rule engine's state of each vehicle (RuleEngine.snapshotState), as of its partition's next_offset.
CREATE TABLE diagnostics_vehicle_state (
  vin         text PRIMARY KEY,
  topic       text NOT NULL,
  partition   integer NOT NULL,
  state       jsonb NOT NULL,
  updated_ms  bigint NOT NULL
);
CREATE INDEX diagnostics_vehicle_state_partition_idx ON diagnostics_vehicle_state (topic, partition);

-- Lists over all fleets (an admin key) and by rule, newest first.
CREATE INDEX alerts_raised_idx ON alerts (raised_ms DESC, alert_id);
CREATE INDEX alerts_rule_raised_idx ON alerts (rule_id, raised_ms DESC, alert_id);
