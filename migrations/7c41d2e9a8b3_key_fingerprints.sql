-- Revision: 7c41d2e9a8b3
-- Parent: 9d3f61a0c2b7
-- Message: key fingerprints
-- Created: 2026-12-04 14:00:00

-- +upgrade
--
-- Fingerprints of keys every host sharing this database must agree on
-- (name 'SECRET_KEY'): the first host to start records its key's
-- fingerprint (a keyed BLAKE2b, never the key), and a host whose key gives
-- another fingerprint refuses to start.
CREATE TABLE key_fingerprints (
	name VARCHAR(64) NOT NULL,
	fingerprint VARCHAR(128) NOT NULL,
	created_at TEXT NOT NULL,
	CONSTRAINT pk_key_fingerprints PRIMARY KEY (name)
);

-- +downgrade
DROP TABLE IF EXISTS key_fingerprints;
