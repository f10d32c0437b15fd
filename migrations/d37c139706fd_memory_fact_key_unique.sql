-- Revision: d37c139706fd
-- Parent: b7d3e9f2a4c6
-- Message: one global fact per key: a unique index the remember tool upserts on
-- Created: 2026-12-05 02:40:00

-- +upgrade
--
-- The remember tool (src/model/memory_fact.c) keeps one global fact per key.
-- Two calls at once on PostgreSQL could each find no fact and each insert
-- one; with this index the second insert meets the first
-- (INSERT ... ON CONFLICT DO NOTHING) and updates it instead.  Duplicates
-- written before go first: the fact recall and remember used (the most
-- confident, then the newest, then the smallest id) stays.
DELETE FROM memory_facts WHERE scope = 'global' AND EXISTS (
	SELECT 1 FROM memory_facts b
	WHERE b.scope = 'global' AND b.key = memory_facts.key AND b.id <> memory_facts.id
	  AND (b.confidence > memory_facts.confidence
	       OR (b.confidence = memory_facts.confidence
		   AND (b.updated_at > memory_facts.updated_at
			OR (b.updated_at = memory_facts.updated_at AND b.id < memory_facts.id)))));
CREATE UNIQUE INDEX ux_memory_facts_global_key ON memory_facts (key) WHERE scope = 'global';

-- +downgrade
DROP INDEX IF EXISTS ux_memory_facts_global_key;
