-- Alert delivery (`telltale notifier`, managed through the API's /v1/subscriptions): who wants which alerts, the
-- durable webhook delivery queue with its attempt log, and dead letters of undecodable alert records.

-- A fleet operator's subscription. Filters: empty arrays mean "any"; fleet_ids is never empty ('*' = every fleet,
-- only for keys that see every fleet). Channels: a webhook (url + secret used for the HMAC signature, so it is
-- stored as given: protect backups of this table) and/or the live stream (GET /v1/alerts/stream?subscription=).
CREATE TABLE alert_subscriptions (
  subscription_id  uuid PRIMARY KEY,
  name             text NOT NULL,
  fleet_ids        text[] NOT NULL CHECK (cardinality(fleet_ids) > 0),
  model_ids        text[] NOT NULL DEFAULT '{}',
  vins             text[] NOT NULL DEFAULT '{}',
  rule_ids         text[] NOT NULL DEFAULT '{}',
  min_severity     text NOT NULL DEFAULT 'info' CHECK (min_severity IN ('info', 'warning', 'major', 'critical')),
  states           text[] NOT NULL DEFAULT '{}',
  include_backfill boolean NOT NULL DEFAULT false,
  webhook_url      text,
  webhook_secret   text,
  stream           boolean NOT NULL DEFAULT false,
  enabled          boolean NOT NULL DEFAULT true,
  created_by       text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK ((webhook_url IS NULL) = (webhook_secret IS NULL))
);

-- Bumped by every change to alert_subscriptions: notifiers compare it before each batch and reload on change, so
-- an alert consumed after a subscription change commits is matched against it.
CREATE TABLE alert_subscriptions_version (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version    bigint NOT NULL
);
INSERT INTO alert_subscriptions_version (version) VALUES (1);

CREATE FUNCTION alert_subscriptions_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE alert_subscriptions_version SET version = version + 1;
  RETURN NULL;
END $$;
CREATE TRIGGER alert_subscriptions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON alert_subscriptions
  FOR EACH STATEMENT EXECUTE FUNCTION alert_subscriptions_bump();

-- The durable webhook queue and its outcome. delivery_id = sha256(subscription id, alert id, transition seq), so
-- a replayed alert record inserts nothing. The body is fixed when the row is made: every attempt sends the same
-- bytes. A worker leases a row (lease_until_ms) while it sends; a crashed worker's lease runs out and the row is
-- sent again (at least once).
CREATE TABLE webhook_deliveries (
  delivery_id       text PRIMARY KEY,
  subscription_id   uuid NOT NULL REFERENCES alert_subscriptions (subscription_id) ON DELETE CASCADE,
  kind              text NOT NULL CHECK (kind IN ('alert', 'ping')),
  alert_id          text,
  transition_seq    integer,
  fleet_id          text,
  vin               text,
  body              text NOT NULL,
  target_host       text NOT NULL,
  status            text NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts          integer NOT NULL DEFAULT 0,
  next_attempt_ms   bigint NOT NULL,
  lease_until_ms    bigint NOT NULL DEFAULT 0,
  emit_time_ms      bigint,
  created_ms        bigint NOT NULL,
  delivered_ms      bigint,
  last_status_code  integer,
  last_error        text
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_ms) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_subscription_idx ON webhook_deliveries (subscription_id, created_ms DESC);

-- One row per HTTP attempt: the delivery log the API shows.
CREATE TABLE webhook_delivery_attempts (
  delivery_id   text NOT NULL REFERENCES webhook_deliveries (delivery_id) ON DELETE CASCADE,
  attempt       integer NOT NULL,
  started_ms    bigint NOT NULL,
  duration_ms   integer NOT NULL,
  outcome       text NOT NULL,
  status_code   integer,
  error         text,
  PRIMARY KEY (delivery_id, attempt)
);

-- Alert records the notifier could not use (undecodable, missing ids), kept for someone to look at.
CREATE TABLE notifier_dead_letters (
  id           bigserial PRIMARY KEY,
  topic        text NOT NULL,
  partition    integer NOT NULL,
  record_offset bigint NOT NULL,
  record_key   text,
  reason       text NOT NULL,
  detail       text NOT NULL,
  payload      bytea,
  created_ms   bigint NOT NULL,
  UNIQUE (topic, partition, record_offset)
);
