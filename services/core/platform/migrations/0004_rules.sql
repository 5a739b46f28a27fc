-- Fault rules (read by diagnostics, written through PgRuleStore). A rule is a row in `rules` pointing at its current
-- version; every saved definition is a row of `rule_versions`, never changed or deleted, so any alert's
-- (rule_id, rule_version) can be looked up forever. `rule_audit` records who did what when. Rules are disabled, never
-- deleted.
CREATE TABLE rules (
  rule_id          text PRIMARY KEY CHECK (rule_id ~ '^[A-Za-z0-9._:-]{1,128}$'),
  current_version  integer NOT NULL CHECK (current_version >= 1),
  enabled          boolean NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rule_versions (
  rule_id     text NOT NULL REFERENCES rules (rule_id),
  version     integer NOT NULL CHECK (version >= 1),
  -- The rule JSON as saved (validated by the caller); its id and version always match the row's.
  definition  jsonb NOT NULL CHECK (definition ->> 'id' = rule_id AND definition ->> 'version' = version::text),
  created_by  text NOT NULL CHECK (length(created_by) BETWEEN 1 AND 200),
  created_at  timestamptz NOT NULL DEFAULT now(),
  comment     text,
  PRIMARY KEY (rule_id, version)
);

-- A rule's current version must exist; checked at commit, since the rule row and its first version are written in
-- one transaction.
ALTER TABLE rules ADD CONSTRAINT rules_current_version_fk FOREIGN KEY (rule_id, current_version)
  REFERENCES rule_versions (rule_id, version) DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE rule_audit (
  id        bigserial PRIMARY KEY,
  rule_id   text NOT NULL REFERENCES rules (rule_id),
  version   integer NOT NULL,
  actor     text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
  action    text NOT NULL CHECK (action IN ('create', 'update', 'enable', 'disable')),
  at        timestamptz NOT NULL DEFAULT now(),
  -- create: a summary of the definition; update: the top-level fields changed, before and after.
  summary   jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX rule_audit_rule_idx ON rule_audit (rule_id, id);

-- Versions and audit entries are history: refuse to rewrite it.
CREATE FUNCTION rules_history_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER rule_versions_immutable BEFORE UPDATE OR DELETE ON rule_versions
  FOR EACH ROW EXECUTE FUNCTION rules_history_immutable();
CREATE TRIGGER rule_audit_immutable BEFORE UPDATE OR DELETE ON rule_audit
  FOR EACH ROW EXECUTE FUNCTION rules_history_immutable();

-- Bumped on every rule change, so a reloader that missed a notification notices with one cheap query.
CREATE TABLE rules_version (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version    bigint NOT NULL
);
INSERT INTO rules_version VALUES (true, 1);

-- Any change of a rule row (create, new version, enable, disable) bumps rules_version and notifies reloaders on
-- channel telltale_rules with '<rule_id>:<version>', in the writer's transaction: pg_notify delivers on commit, and
-- not at all on rollback. The channel is database-wide (schemas share it), so listeners treat a notification as a
-- hint to compare rules_version, never as the change itself.
CREATE FUNCTION rules_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('UPDATE %I.rules_version SET version = version + 1', TG_TABLE_SCHEMA);
  PERFORM pg_notify('telltale_rules', NEW.rule_id || ':' || NEW.current_version);
  RETURN NULL;
END $$;
CREATE TRIGGER rules_changed AFTER INSERT OR UPDATE ON rules
  FOR EACH ROW EXECUTE FUNCTION rules_changed();
