-- Revision: c9c11d0a591b
-- Parent: e7a3c1d9b5f2
-- Message: webhook secret
-- Created: 2026-12-04 17:30:00

-- +upgrade
--
-- The HMAC secret of a trigger_webhook node, sealed under
-- FIELD_ENCRYPTION_KEY and bound to webhook_paths.secret and the node's
-- row (node_pk), as every secret at rest is (model/secrets.c re-seals it
-- on key rotation).  The node's extra_config shows only a mask.  NULL: the
-- webhook's deliveries are not signed.
ALTER TABLE webhook_paths ADD COLUMN secret TEXT;

-- +downgrade
ALTER TABLE webhook_paths DROP COLUMN secret;
