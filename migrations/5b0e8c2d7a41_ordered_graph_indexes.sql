-- Revision: 5b0e8c2d7a41
-- Parent: fafda19e6f04
-- Message: ordered graph indexes
-- Created: 2026-11-26 02:00:00

-- +upgrade
--
-- A workflow's detail reads its nodes and its edges in id order, and the
-- list reads an owner's workflows in id order.  The indexes they had
-- (workflow_id, node_id), (workflow_id, source_node_id) and (owner_id)
-- find the rows but not in that order on every backend, so each read
-- copied its rows, every column, into a sorter first.  An index on
-- (parent, id) yields them already ordered: SQLite walks it and reads
-- each row once, PostgreSQL scans it in order.  The (owner_id, id) index
-- still serves the foreign key, so it replaces (owner_id).
CREATE INDEX ix_workflow_nodes_workflow_id_id ON workflow_nodes (workflow_id, id);
CREATE INDEX ix_workflow_edges_workflow_id_id ON workflow_edges (workflow_id, id);
CREATE INDEX ix_workflows_owner_id_id ON workflows (owner_id, id);
DROP INDEX ix_workflows_owner_id;

-- +downgrade
CREATE INDEX ix_workflows_owner_id ON workflows (owner_id);
DROP INDEX ix_workflows_owner_id_id;
DROP INDEX ix_workflow_edges_workflow_id_id;
DROP INDEX ix_workflow_nodes_workflow_id_id;
