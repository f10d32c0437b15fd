/* test_db_sql.c: the '?' -> '$n' rewrite for PostgreSQL. */
#include <stdlib.h>

#include "tap.h"
#include "db/db.h"

static void
check(const char *sql, const char *want, int want_n, const char *what)
{
	int n = -1;
	char *got = db_sql_to_postgres(sql, &n);
	is_str(got, want, "%s", what);
	is_int(n, want_n, "  %d parameters", want_n);
	free(got);
}

int
main(void)
{
	check("SELECT 1", "SELECT 1", 0, "no placeholders");
	check("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2", 2,
	      "placeholders are numbered in order");
	check("INSERT INTO t (a,b,c) VALUES (?,?,?)", "INSERT INTO t (a,b,c) VALUES ($1,$2,$3)", 3,
	      "adjacent placeholders");
	check("SELECT 'why?', ? FROM t", "SELECT 'why?', $1 FROM t", 1, "'?' in a string is text");
	check("SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1", 1, "doubled quote inside a string");
	check("SELECT '', ?", "SELECT '', $1", 1, "empty string literal");
	check("SELECT \"odd?col\" FROM t WHERE x = ?", "SELECT \"odd?col\" FROM t WHERE x = $1", 1,
	      "'?' in a quoted identifier");
	check("SELECT \"a\"\"?\" , ?", "SELECT \"a\"\"?\" , $1", 1, "doubled quote in an identifier");
	check("SELECT ? -- why?\n, ?", "SELECT $1 -- why?\n, $2", 2, "line comment");
	check("SELECT ? -- trailing?", "SELECT $1 -- trailing?", 1, "line comment at the end");
	check("SELECT /* ? */ ?", "SELECT /* ? */ $1", 1, "block comment");
	check("SELECT /* a /* ? */ b ? */ ?", "SELECT /* a /* ? */ b ? */ $1", 1,
	      "nested block comments");
	check("SELECT 5 - ?, 6 / ?", "SELECT 5 - $1, 6 / $2", 2, "lone - and / are operators");
	check("SELECT 'unterminated ?", "SELECT 'unterminated ?", 0, "unterminated string");
	check("?", "$1", 1, "just a placeholder");

	char sql[64 * 2 + 1];
	for (int i = 0; i < 64; i++) {
		sql[2 * i] = '?';
		sql[2 * i + 1] = ',';
	}
	sql[127] = '\0';
	int n = 0;
	char *got = db_sql_to_postgres(sql, &n);
	is_int(n, 64, "64 placeholders counted");
	ok(got && strstr(got, "$9,$10,") && strstr(got, ",$64") && got[strlen(got) - 1] == '4',
	   "two-digit numbers");
	free(got);
	got = db_sql_to_postgres("SELECT ?", NULL);
	is_str(got, "SELECT $1", "count pointer may be NULL");
	free(got);
	return done_testing();
}
