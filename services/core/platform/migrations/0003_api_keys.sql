-- API keys (read by `telltale api`, managed by its /v1/keys routes and `telltale keys`). A key is the bearer token
-- `tt_<key_id>_<secret>`; only the SHA-256 of the secret is stored (secrets are 192-bit random, so a fast hash is
-- enough) and the token is shown once, when created. role: viewer < engineer < admin. fleet_ids is what the key
-- sees: no fleet = nothing, '*' = every fleet (admin keys only). Keys are revoked, never deleted.
CREATE TABLE api_keys (
  key_id         text PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{12}$'),
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  secret_sha256  text NOT NULL CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
  role           text NOT NULL CHECK (role IN ('viewer', 'engineer', 'admin')),
  fleet_ids      text[] NOT NULL DEFAULT '{}',
  -- Key id of the admin key that created it, or 'cli'.
  created_by     text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  revoked_at     timestamptz,
  last_used_at   timestamptz,
  CONSTRAINT api_keys_all_fleets_admin_only CHECK (role = 'admin' OR NOT ('*' = ANY (fleet_ids)))
);
