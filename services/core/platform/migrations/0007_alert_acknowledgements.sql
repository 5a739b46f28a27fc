-- Acknowledgements are alert events too: the API records one as a transition with seq 0 and state 'acknowledged'
-- (one per alert; the engine numbers its transitions from 1, so (alert_id, transition_seq) stays unique), in the
-- same transaction as the alerts row, and it reaches vehicle.alerts.v1 through the same outbox.
ALTER TABLE alert_transitions DROP CONSTRAINT alert_transitions_transition_seq_check;
ALTER TABLE alert_transitions DROP CONSTRAINT alert_transitions_state_check;
ALTER TABLE alert_transitions DROP CONSTRAINT alert_transitions_reason_check;
ALTER TABLE alert_transitions ADD CONSTRAINT alert_transitions_state_check
  CHECK (state IN ('raised', 'escalated', 'deescalated', 'cleared', 'acknowledged'));
ALTER TABLE alert_transitions ADD CONSTRAINT alert_transitions_transition_seq_check
  CHECK ((state = 'acknowledged') = (transition_seq = 0) AND transition_seq >= 0);
ALTER TABLE alert_transitions ADD CONSTRAINT alert_transitions_reason_check
  CHECK (reason IN ('condition', 'rule-removed', 'operator'));
-- "rule" (diagnostics), "model" (fault-probability model), "operator" (an acknowledgement through the API).
ALTER TABLE alert_transitions ADD COLUMN origin text NOT NULL DEFAULT 'rule';
