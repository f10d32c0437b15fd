/* counters.c: see counters.h. */
#include "db/counters.h"

#include <stddef.h>
#include <string.h>

#include "db/db.h"

/* The migration's back-fill runs the same statements (a migration file
 * cannot call into C, and stays as written once released). */
static const char *const recount[] = {
	"UPDATE workflows SET "
	"node_count = (SELECT count(*) FROM workflow_nodes n WHERE n.workflow_id = workflows.id), "
	"edge_count = (SELECT count(*) FROM workflow_edges e WHERE e.workflow_id = workflows.id), "
	"trigger_count = (SELECT count(*) FROM workflow_nodes n WHERE n.workflow_id = workflows.id "
	"AND substr(n.component_type, 1, 8) = 'trigger_')",
	"DELETE FROM workflow_owner_totals",
	"INSERT INTO workflow_owner_totals (owner_id, total) "
	"SELECT owner_id, count(*) FROM workflows GROUP BY owner_id",
};

int
db_counters_derived_table(const char *table)
{
	return strcmp(table, "workflow_owner_totals") == 0;
}

int
db_counters_recount(struct db *db)
{
	for (size_t i = 0; i < sizeof(recount) / sizeof(recount[0]); i++)
		if (db_exec(db, recount[i]) != 0)
			return -1;
	return 0;
}
