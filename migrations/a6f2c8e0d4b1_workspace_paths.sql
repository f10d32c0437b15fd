-- Revision: a6f2c8e0d4b1
-- Parent: a8c4e2f6b1d3
-- Message: workspace paths unique
-- Created: 2026-12-04 20:30:00

-- +upgrade
--
-- A workspace's directory belongs to that workspace alone: two rows on
-- one directory would let one user's reset or delete empty another's
-- files.  The create checks first and answers 409; this index settles two
-- creates that race (model/workspace.c).
CREATE UNIQUE INDEX uq_workspaces_path ON workspaces (path);

-- +downgrade
DROP INDEX uq_workspaces_path;
