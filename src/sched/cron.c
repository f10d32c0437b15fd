/* cron.c: parsing a cron expression into bit sets of the values each field allows. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sched/cron.h"

struct field {
	const char *name;       /* for messages */
	int min, max;           /* max is 7 for the day of the week */
	const char *const *names;   /* three-letter names, index = value - min, or NULL */
};

static const char *const month_names[] = { "JAN", "FEB", "MAR", "APR", "MAY", "JUN",
	                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL };
static const char *const day_names[] = { "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL };

static const struct field fields[5] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day-of-month", 1, 31, NULL },
	{ "month", 1, 12, month_names },
	{ "day-of-week", 0, 7, day_names },
};

static const struct {
	const char *name, *expansion;
} macros[] = {
	{ "@yearly", "0 0 1 1 *" },  { "@annually", "0 0 1 1 *" }, { "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },  { "@daily", "0 0 * * *" },    { "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* A field's text: a pointer and a length (the expression is not copied). */
struct span {
	const char *p;
	size_t len;
};

/* Quoted text of a span for a message, cut short when long. */
static void
quote(struct span s, char *out, size_t out_len)
{
	int n = (int)(s.len > 20 ? 20 : s.len);
	snprintf(out, out_len, "'%.*s%s'", n, s.p, s.len > 20 ? "..." : "");
}

/* A number or (where the field has names) a name.  0, or -1 with err. */
static int
parse_value(const struct field *f, struct span s, int *out, char *err, size_t err_len)
{
	char q[32];   /* the value quoted, for messages: filled only on an error */
	if (s.len == 0) {
		snprintf(err, err_len, "%s: a value is missing", f->name);
		return -1;
	}
	if (s.p[0] >= '0' && s.p[0] <= '9') {
		long v = 0;
		for (size_t i = 0; i < s.len; i++) {
			if (s.p[i] < '0' || s.p[i] > '9') {
				quote(s, q, sizeof q);
				snprintf(err, err_len, "%s: %s is not a number", f->name, q);
				return -1;
			}
			if (v <= 1000)
				v = v * 10 + (s.p[i] - '0');
		}
		if (v < f->min || v > f->max) {
			quote(s, q, sizeof q);
			snprintf(err, err_len, "%s: %s is out of range %d-%d", f->name, q, f->min, f->max);
			return -1;
		}
		*out = (int)v;
		return 0;
	}
	if (f->names != NULL && s.len == 3) {
		for (int i = 0; f->names[i] != NULL; i++) {
			if (strncasecmp(s.p, f->names[i], 3) == 0) {
				*out = f->min + i;
				return 0;
			}
		}
	}
	quote(s, q, sizeof q);
	if (f->names != NULL)
		snprintf(err, err_len, "%s: %s is neither a number nor a %s name", f->name, q,
		         f->names == month_names ? "month" : "day");
	else
		snprintf(err, err_len, "%s: %s is not a number", f->name, q);
	return -1;
}

/* One list item: '*', a, a-b, each of the first and last with a step
 * ('/n'; a lone value takes none).  Adds its values to *bits. */
static int
parse_item(const struct field *f, struct span s, uint64_t *bits, char *err, size_t err_len)
{
	char q[32];   /* the item quoted, for messages: filled only on an error */
	if (s.len == 0) {
		snprintf(err, err_len, "%s: empty list item", f->name);
		return -1;
	}
	const char *slash = memchr(s.p, '/', s.len);
	struct span range = { s.p, slash != NULL ? (size_t)(slash - s.p) : s.len };
	int lo, hi, step = 1;
	if (slash != NULL) {
		struct span st = { slash + 1, s.len - range.len - 1 };
		char sq[32];
		long v = 0;
		if (st.len == 0) {
			snprintf(err, err_len, "%s: a step is missing after '/'", f->name);
			return -1;
		}
		for (size_t i = 0; i < st.len; i++) {
			if (st.p[i] < '0' || st.p[i] > '9') {
				quote(st, sq, sizeof sq);
				snprintf(err, err_len, "%s: step %s is not a number", f->name, sq);
				return -1;
			}
			if (v <= 1000)
				v = v * 10 + (st.p[i] - '0');
		}
		int span_len = (f->max == 7 ? 7 : f->max - f->min + 1);
		if (v < 1 || v > span_len) {
			quote(st, sq, sizeof sq);
			snprintf(err, err_len, "%s: step %s must be 1-%d", f->name, sq, span_len);
			return -1;
		}
		step = (int)v;
	}
	if (range.len == 1 && range.p[0] == '*') {
		lo = f->min;
		hi = f->max == 7 ? 6 : f->max;
	} else {
		const char *dash = memchr(range.p, '-', range.len);
		struct span a = { range.p, dash != NULL ? (size_t)(dash - range.p) : range.len };
		if (parse_value(f, a, &lo, err, err_len) != 0)
			return -1;
		hi = lo;
		if (dash != NULL) {
			struct span b = { dash + 1, range.len - a.len - 1 };
			if (parse_value(f, b, &hi, err, err_len) != 0)
				return -1;
			if (hi < lo) {
				quote(s, q, sizeof q);
				snprintf(err, err_len, "%s: range %s runs backwards", f->name, q);
				return -1;
			}
		} else if (slash != NULL) {
			quote(s, q, sizeof q);
			snprintf(err, err_len, "%s: a step needs '*' or a range before it, not %s",
			         f->name, q);
			return -1;
		}
	}
	for (int v = lo; v <= hi; v += step)
		*bits |= (uint64_t)1 << (f->max == 7 && v == 7 ? 0 : v);
	return 0;
}

/* A comma-separated list of items. */
static int
parse_field(const struct field *f, struct span s, uint64_t *bits, char *err, size_t err_len)
{
	*bits = 0;
	const char *p = s.p, *end = s.p + s.len;
	for (;;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		struct span item = { p, (size_t)((comma != NULL ? comma : end) - p) };
		if (parse_item(f, item, bits, err, err_len) != 0)
			return -1;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

static int
parse_fields(const char *text, size_t len, cron_expr *out, char *err, size_t err_len)
{
	struct span spans[5];
	size_t n = 0, i = 0;
	while (i < len) {
		while (i < len && is_space(text[i]))
			i++;
		if (i == len)
			break;
		size_t start = i;
		while (i < len && !is_space(text[i]))
			i++;
		if (n < 5)
			spans[n] = (struct span){ text + start, i - start };
		n++;
	}
	if (n != 5) {
		snprintf(err, err_len,
		         "expected 5 fields (minute hour day-of-month month day-of-week), found %zu", n);
		return -1;
	}
	uint64_t bits[5];
	for (size_t k = 0; k < 5; k++)
		if (parse_field(&fields[k], spans[k], &bits[k], err, err_len) != 0)
			return -1;
	*out = (cron_expr){
		.minutes = bits[0],
		.hours = (uint32_t)bits[1],
		.mdays = (uint32_t)bits[2],
		.months = (uint16_t)bits[3],
		.wdays = (uint8_t)bits[4],
		/* The classic rule: a field that starts with '*' (even with a step)
		 * does not make the two day fields alternatives. */
		.mday_restricted = spans[2].p[0] != '*',
		.wday_restricted = spans[4].p[0] != '*',
	};
	return 0;
}

int
cron_parse(const char *text, cron_expr *out, char *err, size_t err_len)
{
	char scratch[CRON_ERR_LEN];
	if (err == NULL || err_len == 0) {
		err = scratch;
		err_len = sizeof scratch;
	}
	if (text == NULL) {
		snprintf(err, err_len, "cron expression is missing");
		return -1;
	}
	size_t len = strnlen(text, CRON_TEXT_MAX + 1);
	if (len > CRON_TEXT_MAX) {
		snprintf(err, err_len, "cron expression is longer than %d characters", CRON_TEXT_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c != '\t' && (c < 0x20 || c > 0x7e)) {
			snprintf(err, err_len, "cron expression holds a control or non-ASCII character");
			return -1;
		}
	}
	while (len > 0 && is_space(text[len - 1]))
		len--;
	while (len > 0 && is_space(text[0])) {
		text++;
		len--;
	}
	if (len == 0) {
		snprintf(err, err_len, "cron expression is empty");
		return -1;
	}
	if (text[0] == '@') {
		for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++)
			if (strlen(macros[i].name) == len && strncasecmp(text, macros[i].name, len) == 0)
				return parse_fields(macros[i].expansion, strlen(macros[i].expansion), out,
				                    err, err_len);
		snprintf(err, err_len,
		         "unknown macro '%.*s' (known: @yearly @annually @monthly @weekly @daily @midnight @hourly)",
		         (int)(len > 20 ? 20 : len), text);
		return -1;
	}
	return parse_fields(text, len, out, err, err_len);
}
