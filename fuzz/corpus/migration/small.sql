-- Revision: 0123456789ab
-- Parent: a,b
-- Message: m

-- +upgrade
SELECT 1;
-- +downgrade postgresql
SELECT 2;
