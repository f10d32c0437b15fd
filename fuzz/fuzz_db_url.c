/* fuzz_db_url.c: DATABASE_URL (db/db_url.c). */
#include "fuzz_util.h"

#include "db/db.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *url = fuzz_cstring(data, size);
	struct db_url u;
	char *err = NULL;
	if (db_url_parse(url, &u, &err) == 0)
		db_url_free(&u);
	else
		free(err);
	free(url);
	return 0;
}
