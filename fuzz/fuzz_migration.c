/* fuzz_migration.c: the migration file parser (db/migration_parse.c) and
 * the SQL it renders for each direction. */
#include "fuzz_util.h"

#include "db/db.h"
#include "db/migration.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstring(data, size);
	struct migration m;
	char *err = NULL;
	if (migration_parse("0123456789ab_fuzz.sql", text, &m, &err) == 0) {
		static const enum db_backend backends[] = { DB_SQLITE, DB_POSTGRES };
		for (size_t i = 0; i < 2; i++) {
			free(migration_sql(&m, MIGRATION_UP, backends[i]));
			free(migration_sql(&m, MIGRATION_DOWN, backends[i]));
		}
		migration_free(&m);
	} else {
		free(err);
	}
	(void)migration_rev_is_valid(text);
	free(text);
	return 0;
}
