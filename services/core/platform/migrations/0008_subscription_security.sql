-- Subscriptions (services/notifier, services/api): two hardenings.
--
-- 1. A subscription stops delivering once the API key that created it is revoked. Nothing is copied: the notifier
--    reads "enabled and the creating key not revoked" both when it loads subscriptions to match alerts and when it
--    claims a queued delivery (already queued deliveries of such a subscription end as dead, "key revoked"). So
--    that every notifier reloads at once, revoking a key bumps the subscriptions' version, like a subscription
--    change does.
CREATE TRIGGER api_keys_revocation_bumps_subscriptions
  AFTER UPDATE OF revoked_at ON api_keys
  FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at)
  EXECUTE FUNCTION alert_subscriptions_bump();

-- 2. Webhook secrets are encrypted at rest: AES-256-GCM under SECRETS_KEY, sealed by the API, opened by the
--    notifier to sign (format in services/notifier/src/domain/secret-box.ts). webhook_secret_key_id names the key
--    that sealed the row, so keys can rotate (SECRETS_PREVIOUS_KEYS). The plain column stays for rows written
--    before this migration: the notifier seals them and clears it when it starts (no subscription is lost); a
--    later migration drops it.
ALTER TABLE alert_subscriptions
  ADD COLUMN webhook_secret_key_id text,
  ADD COLUMN webhook_secret_sealed bytea,
  DROP CONSTRAINT alert_subscriptions_check,
  ADD CONSTRAINT alert_subscriptions_webhook_secret_check CHECK (
    (webhook_secret_key_id IS NULL) = (webhook_secret_sealed IS NULL)
    AND NOT (webhook_secret IS NOT NULL AND webhook_secret_sealed IS NOT NULL)
    AND (webhook_url IS NULL) = (webhook_secret IS NULL AND webhook_secret_sealed IS NULL)
  );
COMMENT ON COLUMN alert_subscriptions.webhook_secret IS
  'Deprecated since 0008: plain secrets of older rows, sealed and cleared by the notifier at start.';
