-- Revision: 9d3f61a0c2b7
-- Parent: 5b0e8c2d7a41
-- Message: workflow revision
-- Created: 2026-11-26 02:10:00

-- +upgrade sqlite
--
-- workflows.revision changes whenever anything a workflow's detail shows
-- changes: the workflow's row, its nodes, their component configs, its
-- edges.  Triggers keep it, so every writer (the API, foreign key actions
-- such as a deleted credential nulling a config's reference, plain SQL)
-- moves it.  Responders keep rendered details keyed by (id, revision) and
-- serve one only while the revision is unchanged (src/api/detail_cache.c).
-- * A new workflow starts at a random revision: SQLite may give a new
--   workflow the id of a deleted one, and the pair must never repeat.
-- * Any update of the row moves it by one, unless the update set it.
-- * Inserting or deleting a node or an edge already updates the row (the
--   counters of migration fafda19e6f04), so only updates of nodes, edges and
--   configs need triggers of their own.
ALTER TABLE workflows ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;

CREATE TRIGGER tr_workflows_revision_new AFTER INSERT ON workflows
BEGIN
	UPDATE workflows SET revision = abs(random() % 1000000000000000) WHERE id = NEW.id;
END;

CREATE TRIGGER tr_workflows_revision_bump AFTER UPDATE ON workflows
WHEN NEW.revision = OLD.revision
BEGIN
	UPDATE workflows SET revision = revision + 1 WHERE id = NEW.id;
END;

CREATE TRIGGER tr_workflow_nodes_revision AFTER UPDATE ON workflow_nodes
BEGIN
	UPDATE workflows SET revision = revision + 1 WHERE id IN (OLD.workflow_id, NEW.workflow_id);
END;

CREATE TRIGGER tr_workflow_edges_revision AFTER UPDATE ON workflow_edges
BEGIN
	UPDATE workflows SET revision = revision + 1 WHERE id IN (OLD.workflow_id, NEW.workflow_id);
END;

CREATE TRIGGER tr_component_configs_revision AFTER UPDATE ON component_configs
BEGIN
	UPDATE workflows SET revision = revision + 1
		WHERE id IN (SELECT workflow_id FROM workflow_nodes WHERE component_config_id = NEW.id);
END;

UPDATE workflows SET revision = abs(random() % 1000000000000000);

-- +upgrade postgresql
--
-- See the SQLite section: the same rules.  Here a BEFORE trigger sets the
-- row's own revision (no second update of the row).
ALTER TABLE workflows ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION workflows_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		NEW.revision := floor(random() * 1000000000000000)::bigint;
	ELSIF NEW.revision = OLD.revision THEN
		NEW.revision := OLD.revision + 1;
	END IF;
	RETURN NEW;
END;
$$;

CREATE FUNCTION workflow_part_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE workflows SET revision = revision + 1
		WHERE id = OLD.workflow_id OR id = NEW.workflow_id;
	RETURN NULL;
END;
$$;

CREATE FUNCTION component_configs_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE workflows SET revision = revision + 1
		WHERE id IN (SELECT workflow_id FROM workflow_nodes WHERE component_config_id = NEW.id);
	RETURN NULL;
END;
$$;

CREATE TRIGGER tr_workflows_revision BEFORE INSERT OR UPDATE ON workflows
	FOR EACH ROW EXECUTE FUNCTION workflows_revision();
CREATE TRIGGER tr_workflow_nodes_revision AFTER UPDATE ON workflow_nodes
	FOR EACH ROW EXECUTE FUNCTION workflow_part_revision();
CREATE TRIGGER tr_workflow_edges_revision AFTER UPDATE ON workflow_edges
	FOR EACH ROW EXECUTE FUNCTION workflow_part_revision();
CREATE TRIGGER tr_component_configs_revision AFTER UPDATE ON component_configs
	FOR EACH ROW EXECUTE FUNCTION component_configs_revision();

UPDATE workflows SET revision = floor(random() * 1000000000000000)::bigint;

-- +downgrade sqlite
DROP TRIGGER IF EXISTS tr_component_configs_revision;
DROP TRIGGER IF EXISTS tr_workflow_edges_revision;
DROP TRIGGER IF EXISTS tr_workflow_nodes_revision;
DROP TRIGGER IF EXISTS tr_workflows_revision_bump;
DROP TRIGGER IF EXISTS tr_workflows_revision_new;
ALTER TABLE workflows DROP COLUMN revision;

-- +downgrade postgresql
DROP TRIGGER IF EXISTS tr_component_configs_revision ON component_configs;
DROP TRIGGER IF EXISTS tr_workflow_edges_revision ON workflow_edges;
DROP TRIGGER IF EXISTS tr_workflow_nodes_revision ON workflow_nodes;
DROP TRIGGER IF EXISTS tr_workflows_revision ON workflows;
DROP FUNCTION IF EXISTS component_configs_revision();
DROP FUNCTION IF EXISTS workflow_part_revision();
DROP FUNCTION IF EXISTS workflows_revision();
ALTER TABLE workflows DROP COLUMN revision;
