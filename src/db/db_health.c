/* db_health.c: see db_health.h. */
#include "db/db_internal.h"

enum db_health
db_health_check(struct db *db)
{
	db_clear_error(db);
	enum db_health h = db->ops->health(db);
	if (h == DB_READ_ONLY)
		db->needs_reopen = 1;
	return h;
}

const char *
db_health_name(enum db_health h)
{
	switch (h) {
	case DB_HEALTHY:
		return "ok";
	case DB_READ_ONLY:
		return "read-only";
	default:
		return "unreachable";
	}
}

int
db_needs_reopen(const struct db *db)
{
	return db->needs_reopen;
}
