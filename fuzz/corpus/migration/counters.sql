-- Revision: fafda19e6f04
-- Parent: fc1eea6776b9
-- Message: workflow counters kept by triggers
-- Created: 2026-11-26 01:35:00

-- +upgrade sqlite
--
-- The workflow list shows, per row, how many nodes, edges and trigger nodes
-- the workflow has, and the page's total.  Counting them on every request
-- costs more the more rows there are; here the database keeps the counts
-- itself, with triggers, so that every writer (the API, foreign key
-- cascades, plain SQL from a shell) leaves them exact and a list costs the
-- same at any size.
--
-- * workflows.node_count, edge_count, trigger_count: INTEGER, like the other
--   per-row numbers; a workflow cannot hold 2^31 nodes.  A trigger node is
--   one whose component_type starts with "trigger_".
-- * workflow_owner_totals: one row per owner who has at least one workflow,
--   with how many.  A row that falls to zero is deleted, so the table always
--   equals SELECT owner_id, count(*) FROM workflows GROUP BY owner_id.
-- * Decrements are plain UPDATEs, never upserts: when a user is deleted, the
--   cascade may already have removed the owner's totals row, and an upsert
--   would insert a row pointing at the deleted user.
ALTER TABLE workflows ADD COLUMN node_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workflows ADD COLUMN edge_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workflows ADD COLUMN trigger_count INTEGER NOT NULL DEFAULT 0;

CREATE TABLE workflow_owner_totals (
	owner_id INTEGER NOT NULL PRIMARY KEY
		CONSTRAINT fk_workflow_owner_totals_owner_id
		REFERENCES user_profiles (id) ON DELETE CASCADE,
	total INTEGER NOT NULL
);

CREATE TRIGGER tr_workflow_nodes_count_insert AFTER INSERT ON workflow_nodes
BEGIN
	UPDATE workflows SET node_count = node_count + 1,
		trigger_count = trigger_count + (substr(NEW.component_type, 1, 8) = 'trigger_')
		WHERE id = NEW.workflow_id;
END;

CREATE TRIGGER tr_workflow_nodes_count_delete AFTER DELETE ON workflow_nodes
BEGIN
	UPDATE workflows SET node_count = node_count - 1,
		trigger_count = trigger_count - (substr(OLD.component_type, 1, 8) = 'trigger_')
		WHERE id = OLD.workflow_id;
END;

CREATE TRIGGER tr_workflow_nodes_count_update
AFTER UPDATE OF workflow_id, component_type ON workflow_nodes
BEGIN
	UPDATE workflows SET node_count = node_count - 1,
		trigger_count = trigger_count - (substr(OLD.component_type, 1, 8) = 'trigger_')
		WHERE id = OLD.workflow_id;
	UPDATE workflows SET node_count = node_count + 1,
		trigger_count = trigger_count + (substr(NEW.component_type, 1, 8) = 'trigger_')
		WHERE id = NEW.workflow_id;
END;

CREATE TRIGGER tr_workflow_edges_count_insert AFTER INSERT ON workflow_edges
BEGIN
	UPDATE workflows SET edge_count = edge_count + 1 WHERE id = NEW.workflow_id;
END;

CREATE TRIGGER tr_workflow_edges_count_delete AFTER DELETE ON workflow_edges
BEGIN
	UPDATE workflows SET edge_count = edge_count - 1 WHERE id = OLD.workflow_id;
END;

CREATE TRIGGER tr_workflow_edges_count_update AFTER UPDATE OF workflow_id ON workflow_edges
BEGIN
	UPDATE workflows SET edge_count = edge_count - 1 WHERE id = OLD.workflow_id;
	UPDATE workflows SET edge_count = edge_count + 1 WHERE id = NEW.workflow_id;
END;

CREATE TRIGGER tr_workflows_total_insert AFTER INSERT ON workflows
BEGIN
	INSERT INTO workflow_owner_totals (owner_id, total) VALUES (NEW.owner_id, 1)
		ON CONFLICT (owner_id) DO UPDATE SET total = workflow_owner_totals.total + 1;
END;

CREATE TRIGGER tr_workflows_total_delete AFTER DELETE ON workflows
BEGIN
	UPDATE workflow_owner_totals SET total = total - 1 WHERE owner_id = OLD.owner_id;
	DELETE FROM workflow_owner_totals WHERE owner_id = OLD.owner_id AND total <= 0;
END;

CREATE TRIGGER tr_workflows_total_update AFTER UPDATE OF owner_id ON workflows
WHEN OLD.owner_id IS NOT NEW.owner_id
BEGIN
	UPDATE workflow_owner_totals SET total = total - 1 WHERE owner_id = OLD.owner_id;
	DELETE FROM workflow_owner_totals WHERE owner_id = OLD.owner_id AND total <= 0;
	INSERT INTO workflow_owner_totals (owner_id, total) VALUES (NEW.owner_id, 1)
		ON CONFLICT (owner_id) DO UPDATE SET total = workflow_owner_totals.total + 1;
END;

-- The back-fill: the same recount as db_recount_counters() (src/db/counters.c).
UPDATE workflows SET
	node_count = (SELECT count(*) FROM workflow_nodes n WHERE n.workflow_id = workflows.id),
	edge_count = (SELECT count(*) FROM workflow_edges e WHERE e.workflow_id = workflows.id),
	trigger_count = (SELECT count(*) FROM workflow_nodes n WHERE n.workflow_id = workflows.id
		AND substr(n.component_type, 1, 8) = 'trigger_');
INSERT INTO workflow_owner_totals (owner_id, total)
	SELECT owner_id, count(*) FROM workflows GROUP BY owner_id;

-- +upgrade postgresql
--
-- The same counters as on SQLite (see there for why), kept by plpgsql
-- functions, one per counted table, run AFTER each row.
ALTER TABLE workflows ADD COLUMN node_count INTEGER NOT NULL DEFAULT 0,
	ADD COLUMN edge_count INTEGER NOT NULL DEFAULT 0,
	ADD COLUMN trigger_count INTEGER NOT NULL DEFAULT 0;

CREATE TABLE workflow_owner_totals (
	owner_id INTEGER NOT NULL PRIMARY KEY
		CONSTRAINT fk_workflow_owner_totals_owner_id
		REFERENCES user_profiles (id) ON DELETE CASCADE,
	total INTEGER NOT NULL
);

CREATE FUNCTION workflow_nodes_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('DELETE', 'UPDATE') THEN
		UPDATE workflows SET node_count = node_count - 1,
			trigger_count = trigger_count
				- CASE WHEN substr(OLD.component_type, 1, 8) = 'trigger_' THEN 1 ELSE 0 END
			WHERE id = OLD.workflow_id;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		UPDATE workflows SET node_count = node_count + 1,
			trigger_count = trigger_count
				+ CASE WHEN substr(NEW.component_type, 1, 8) = 'trigger_' THEN 1 ELSE 0 END
			WHERE id = NEW.workflow_id;
	END IF;
	RETURN NULL;
END;
$$;

CREATE FUNCTION workflow_edges_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('DELETE', 'UPDATE') THEN
		UPDATE workflows SET edge_count = edge_count - 1 WHERE id = OLD.workflow_id;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		UPDATE workflows SET edge_count = edge_count + 1 WHERE id = NEW.workflow_id;
	END IF;
	RETURN NULL;
END;
$$;

CREATE FUNCTION workflows_owner_total() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('DELETE', 'UPDATE') THEN
		UPDATE workflow_owner_totals SET total = total - 1 WHERE owner_id = OLD.owner_id;
		DELETE FROM workflow_owner_totals WHERE owner_id = OLD.owner_id AND total <= 0;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		INSERT INTO workflow_owner_totals (owner_id, total) VALUES (NEW.owner_id, 1)
			ON CONFLICT (owner_id) DO UPDATE SET total = workflow_owner_totals.total + 1;
	END IF;
	RETURN NULL;
END;
$$;

CREATE TRIGGER tr_workflow_nodes_count
	AFTER INSERT OR DELETE OR UPDATE OF workflow_id, component_type ON workflow_nodes
	FOR EACH ROW EXECUTE FUNCTION workflow_nodes_count();
CREATE TRIGGER tr_workflow_edges_count
	AFTER INSERT OR DELETE OR UPDATE OF workflow_id ON workflow_edges
	FOR EACH ROW EXECUTE FUNCTION workflow_edges_count();
CREATE TRIGGER tr_workflows_total_change
	AFTER INSERT OR DELETE ON workflows
	FOR EACH ROW EXECUTE FUNCTION workflows_owner_total();
CREATE TRIGGER tr_workflows_total_move
	AFTER UPDATE OF owner_id ON workflows
	FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id)
	EXECUTE FUNCTION workflows_owner_total();

-- The back-fill: the same recount as db_recount_counters() (src/db/counters.c).
UPDATE workflows SET
	node_count = (SELECT count(*) FROM workflow_nodes n WHERE n.workflow_id = workflows.id),
	edge_count = (SELECT count(*) FROM workflow_edges e WHERE e.workflow_id = workflows.id),
	trigger_count = (SELECT count(*) FROM workflow_nodes n WHERE n.workflow_id = workflows.id
		AND substr(n.component_type, 1, 8) = 'trigger_');
INSERT INTO workflow_owner_totals (owner_id, total)
	SELECT owner_id, count(*) FROM workflows GROUP BY owner_id;

-- +downgrade sqlite
DROP TRIGGER tr_workflows_total_update;
DROP TRIGGER tr_workflows_total_delete;
DROP TRIGGER tr_workflows_total_insert;
DROP TRIGGER tr_workflow_edges_count_update;
DROP TRIGGER tr_workflow_edges_count_delete;
DROP TRIGGER tr_workflow_edges_count_insert;
DROP TRIGGER tr_workflow_nodes_count_update;
DROP TRIGGER tr_workflow_nodes_count_delete;
DROP TRIGGER tr_workflow_nodes_count_insert;
DROP TABLE workflow_owner_totals;
ALTER TABLE workflows DROP COLUMN trigger_count;
ALTER TABLE workflows DROP COLUMN edge_count;
ALTER TABLE workflows DROP COLUMN node_count;

-- +downgrade postgresql
DROP TRIGGER tr_workflows_total_move ON workflows;
DROP TRIGGER tr_workflows_total_change ON workflows;
DROP TRIGGER tr_workflow_edges_count ON workflow_edges;
DROP TRIGGER tr_workflow_nodes_count ON workflow_nodes;
DROP FUNCTION workflows_owner_total();
DROP FUNCTION workflow_edges_count();
DROP FUNCTION workflow_nodes_count();
DROP TABLE workflow_owner_totals;
ALTER TABLE workflows DROP COLUMN trigger_count, DROP COLUMN edge_count, DROP COLUMN node_count;
