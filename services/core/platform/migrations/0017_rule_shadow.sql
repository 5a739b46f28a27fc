-- Shadow mode for rule versions. A rule may have, beside its current (active) version, one saved version deployed as
-- `shadow`: diagnostics evaluates it live, with its own engine state, and records its transitions in
-- shadow_transitions only — never in alert_transitions (the outbox of vehicle.alerts.v1), so no subscriber ever sees
-- them. Promoting makes the shadow version current; versions stay immutable history.
ALTER TABLE rules ADD COLUMN shadow_version integer;
ALTER TABLE rules ADD COLUMN shadow_since timestamptz;
ALTER TABLE rules ADD CONSTRAINT rules_shadow_not_current CHECK (shadow_version IS NULL OR shadow_version <> current_version);
ALTER TABLE rules ADD CONSTRAINT rules_shadow_since CHECK ((shadow_version IS NULL) = (shadow_since IS NULL));
ALTER TABLE rules ADD CONSTRAINT rules_shadow_version_fk FOREIGN KEY (rule_id, shadow_version)
  REFERENCES rule_versions (rule_id, version) DEFERRABLE INITIALLY DEFERRED;

ALTER TABLE rule_audit DROP CONSTRAINT rule_audit_action_check;
ALTER TABLE rule_audit ADD CONSTRAINT rule_audit_action_check
  CHECK (action IN ('create', 'update', 'enable', 'disable', 'shadow', 'unshadow', 'promote'));

-- One row per transition a shadow version made. Keyed like alert_transitions plus the version: alert ids are
-- deterministic (vin, rule, episode start), so the shadow and the active version of a rule give one episode the same
-- id, which is what the side-by-side comparison matches on; a replay after a restart inserts nothing.
CREATE TABLE shadow_transitions (
  rule_id            text NOT NULL,
  rule_version       integer NOT NULL,
  alert_id           uuid NOT NULL,
  transition_seq     integer NOT NULL CHECK (transition_seq >= 1),
  vin                text NOT NULL,
  fleet_id           text NOT NULL,
  model_id           text NOT NULL,
  catalog_version    text NOT NULL,
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
  PRIMARY KEY (rule_id, rule_version, alert_id, transition_seq)
);
CREATE INDEX shadow_transitions_rule_time_idx ON shadow_transitions (rule_id, event_time_ms);
-- The comparison reads the active side from alert_transitions by rule and event time.
CREATE INDEX alert_transitions_rule_time_idx ON alert_transitions (rule_id, event_time_ms);
