/* stubs.c: link placeholders until the db layer and migrations land. */
#include <stdlib.h>
#include "db/db.h"
#include "db/migrate.h"
#include "util/xalloc.h"
struct db *db_open(const char *url, char **err) { *err = xstrdup("database layer not built yet"); return NULL; }
void db_close(struct db *db) { }
int db_ping(struct db *db) { return -1; }
const char *db_errmsg(const struct db *db) { return "not built"; }
int migrate_upgrade(struct db *db, const char *target, char **err) { *err = xstrdup("migrations not built yet"); return -1; }
int migrate_check_known(struct db *db, char **err) { return 0; }
