/* sql_rows.c: see sql_rows.h. */
#include "sql_rows.h"

#include <stdio.h>
#include <string.h>

#include "util/xalloc.h"

size_t
sql_rows_group(size_t left)
{
	return left < SQL_ROWS_GROUP_MAX ? left : SQL_ROWS_GROUP_MAX;
}

char *
sql_rows_repeated(const char *head, const char *item, size_t k, const char *tail)
{
	size_t len = strlen(head) + k * (strlen(item) + 2) + strlen(tail) + 1;
	char *sql = xmalloc(len);
	char *at = sql + snprintf(sql, len, "%s", head);
	for (size_t i = 0; i < k; i++)
		at += snprintf(at, len - (size_t)(at - sql), "%s%s", i ? ", " : "", item);
	snprintf(at, len - (size_t)(at - sql), "%s", tail);
	return sql;
}
