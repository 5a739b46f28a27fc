-- Feature sets, the features service's checkpoints and the fault-model registry.
--
-- feature_sets / feature_set_versions: versioned like rules (0004): a set points at its current version; every saved
--   definition is an immutable row. feature_sets_version is bumped on every change (and on a model activation), so
--   a features instance notices a change with one cheap query (hot reload).
-- features_partitions: per partition of vehicle.signals.v1, the first offset the persisted window state does not
--   reflect, and the epoch that fences a former owner after a rebalance.
-- features_vehicle_state: each vehicle's open windows, newest values and alert hysteresis as of its partition's
--   next_offset, written in the same transaction as that offset.
-- fault_models: every model version (ONNX bytes, its model card, the feature set it reads); never changed.
-- fault_model_activations: which model version is active per vehicle model, and who activated it; the log keeps
--   every activation.
CREATE TABLE feature_sets (
  set_id           text PRIMARY KEY CHECK (set_id ~ '^[A-Za-z0-9._:-]{1,128}$'),
  current_version  integer NOT NULL CHECK (current_version >= 1),
  enabled          boolean NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE feature_set_versions (
  set_id      text NOT NULL REFERENCES feature_sets (set_id),
  version     integer NOT NULL CHECK (version >= 1),
  definition  jsonb NOT NULL CHECK (definition ->> 'id' = set_id),
  created_by  text NOT NULL CHECK (length(created_by) BETWEEN 1 AND 200),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (set_id, version)
);
ALTER TABLE feature_sets ADD CONSTRAINT feature_sets_current_version_fk FOREIGN KEY (set_id, current_version)
  REFERENCES feature_set_versions (set_id, version) DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE feature_sets_version (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version    bigint NOT NULL
);
INSERT INTO feature_sets_version VALUES (true, 1);

CREATE FUNCTION feature_sets_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('UPDATE %I.feature_sets_version SET version = version + 1', TG_TABLE_SCHEMA);
  PERFORM pg_notify('telltale_features', TG_TABLE_NAME);
  RETURN NULL;
END $$;
CREATE TRIGGER feature_sets_changed AFTER INSERT OR UPDATE ON feature_sets
  FOR EACH ROW EXECUTE FUNCTION feature_sets_changed();

CREATE TABLE features_partitions (
  topic          text NOT NULL,
  partition      integer NOT NULL,
  next_offset    bigint,
  epoch          bigint NOT NULL DEFAULT 0,
  owner          text,
  checkpoint_ms  bigint,
  PRIMARY KEY (topic, partition)
);

CREATE TABLE features_vehicle_state (
  vin         text PRIMARY KEY,
  topic       text NOT NULL,
  partition   integer NOT NULL,
  state       jsonb NOT NULL,
  updated_ms  bigint NOT NULL
);
CREATE INDEX features_vehicle_state_partition_idx ON features_vehicle_state (topic, partition);

CREATE TABLE fault_models (
  model_id             text NOT NULL CHECK (model_id ~ '^[A-Za-z0-9._:-]{1,128}$'),
  version              integer NOT NULL CHECK (version >= 1),
  vehicle_model        text NOT NULL,
  feature_set_id       text NOT NULL,
  feature_set_version  integer NOT NULL,
  fault                text NOT NULL,
  onnx                 bytea NOT NULL,
  card                 jsonb NOT NULL,
  created_by           text NOT NULL CHECK (length(created_by) BETWEEN 1 AND 200),
  created_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model_id, version)
);
CREATE TRIGGER fault_models_immutable BEFORE UPDATE OR DELETE ON fault_models
  FOR EACH ROW EXECUTE FUNCTION rules_history_immutable();

CREATE TABLE fault_model_activations (
  vehicle_model  text PRIMARY KEY,
  model_id       text NOT NULL,
  version        integer NOT NULL,
  activated_by   text NOT NULL CHECK (length(activated_by) BETWEEN 1 AND 200),
  activated_at   timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (model_id, version) REFERENCES fault_models (model_id, version)
);

CREATE TABLE fault_model_activation_log (
  id             bigserial PRIMARY KEY,
  vehicle_model  text NOT NULL,
  model_id       text,
  version        integer,
  activated_by   text NOT NULL,
  activated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION fault_model_activated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('UPDATE %I.feature_sets_version SET version = version + 1', TG_TABLE_SCHEMA);
  PERFORM pg_notify('telltale_features', TG_TABLE_NAME);
  RETURN NULL;
END $$;
CREATE TRIGGER fault_model_activated AFTER INSERT OR UPDATE OR DELETE ON fault_model_activations
  FOR EACH ROW EXECUTE FUNCTION fault_model_activated();
