-- Vehicle registry: fleets own vehicles; a vehicle has a model and catalog version; a T-Box device is bound to one
-- VIN and authenticates at the MQTT broker with a PBKDF2-SHA512 credential (mosquitto's $7$ format), so the
-- broker's password file is generated from here without any plaintext secret being stored.
CREATE TABLE fleets (
  fleet_id    text PRIMARY KEY CHECK (fleet_id ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE vehicles (
  vin              text PRIMARY KEY CHECK (vin ~ '^[A-HJ-NPR-Z0-9]{17}$'),
  fleet_id         text NOT NULL REFERENCES fleets (fleet_id),
  model_id         text NOT NULL,
  catalog_version  text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vehicles_fleet_idx ON vehicles (fleet_id);

CREATE TABLE devices (
  device_id        text PRIMARY KEY CHECK (device_id ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$'),
  vin              text NOT NULL REFERENCES vehicles (vin),
  credential_hash  text NOT NULL,
  enabled          boolean NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
-- One active T-Box per vehicle: the broker user name is the VIN.
CREATE UNIQUE INDEX devices_one_enabled_per_vin ON devices (vin) WHERE enabled;

-- Bumped on every registry change so caches (gateway, decoder) can refresh cheaply.
CREATE TABLE registry_version (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version    bigint NOT NULL
);
INSERT INTO registry_version VALUES (true, 1);
