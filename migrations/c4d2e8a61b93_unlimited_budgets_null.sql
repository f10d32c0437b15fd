-- Revision: c4d2e8a61b93
-- Parent: b3f1a9d27c40
-- Message: a budget with no limit is stored as no budget
-- Created: 2026-12-05 13:00:00

-- The API stores a budget whose four limits are all null as NULL (no
-- budget), which an LLM call's reservation recognises without reading it
-- and takes without the day's lock (doc/budgets.md).  Budgets saved with
-- four nulls before that took the locked path until saved again: this
-- stores them as NULL too.  Nothing else reads the difference (both
-- render as "budget": null).  A missing key counts as null, as the code
-- reads it.

-- +upgrade sqlite
UPDATE workflows SET budget = NULL
WHERE budget IS NOT NULL AND json_valid(budget)
	AND json_extract(budget, '$.max_tokens_per_execution') IS NULL
	AND json_extract(budget, '$.max_usd_per_execution') IS NULL
	AND json_extract(budget, '$.max_tokens_per_day') IS NULL
	AND json_extract(budget, '$.max_usd_per_day') IS NULL;

-- +upgrade postgresql
UPDATE workflows SET budget = NULL
WHERE budget IS NOT NULL
	AND budget::jsonb ->> 'max_tokens_per_execution' IS NULL
	AND budget::jsonb ->> 'max_usd_per_execution' IS NULL
	AND budget::jsonb ->> 'max_tokens_per_day' IS NULL
	AND budget::jsonb ->> 'max_usd_per_day' IS NULL;

-- +downgrade
-- Nothing to undo: NULL and four nulls mean the same.
SELECT 1;
