/*
 * tz_tzif.c: reads a TZif file (RFC 8536): the header, the 64-bit data
 * block of version 2 and later (the 32-bit block of version 1 files) and
 * the footer's TZ rule.  Every count is checked against the bytes that
 * remain before anything is read, so any input is safe to give it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/tz_internal.h"

#define HEADER_LEN 44
/* Generous bounds on the counts: real files have at most a few hundred
 * transitions and a dozen types. */
#define MAX_TRANSITIONS 65536
#define MAX_TYPES 256
#define MAX_CHARS 4096
#define MAX_FOOTER 256

struct header {
	char version;           /* 0, '2', '3', '4' */
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static void
set_err(char *err, size_t err_len, const char *msg)
{
	if (err != NULL && err_len > 0)
		snprintf(err, err_len, "%s", msg);
}

static int
read_header(const unsigned char *p, size_t len, struct header *h)
{
	if (len < HEADER_LEN || memcmp(p, "TZif", 4) != 0)
		return -1;
	h->version = (char)p[4];
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	if (h->typecnt == 0 || h->typecnt > MAX_TYPES || h->timecnt > MAX_TRANSITIONS ||
	    h->charcnt == 0 || h->charcnt > MAX_CHARS || h->leapcnt > MAX_TRANSITIONS ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt) ||
	    (h->isutcnt != 0 && h->isutcnt != h->typecnt))
		return -1;
	return 0;
}

/* The size of a data block whose times are `tsize` bytes wide (the
 * counts are bounded above, so this cannot overflow). */
static size_t
block_len(const struct header *h, size_t tsize)
{
	return (size_t)h->timecnt * tsize + h->timecnt + (size_t)h->typecnt * 6 + h->charcnt +
	       (size_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

/* Fills the zone's transitions and offsets from a data block. */
static int
read_block(const struct header *h, const unsigned char *p, size_t tsize, tz_zone *z)
{
	const unsigned char *times = p;
	const unsigned char *idx = times + (size_t)h->timecnt * tsize;
	const unsigned char *types = idx + h->timecnt;
	const unsigned char *chars = types + (size_t)h->typecnt * 6;
	int32_t offs[MAX_TYPES];
	char abbrs[MAX_TYPES][TZ_ABBR_LEN];
	for (uint32_t i = 0; i < h->typecnt; i++) {
		int32_t off = (int32_t)be32(types + (size_t)i * 6);
		unsigned char isdst = types[(size_t)i * 6 + 4];
		unsigned char abbr = types[(size_t)i * 6 + 5];
		if (off <= -TZ_OFFSET_LIMIT || off >= TZ_OFFSET_LIMIT || isdst > 1 || abbr >= h->charcnt)
			return -1;
		offs[i] = off;
		/* The designation runs to a NUL inside the chars (a missing
		 * one ends the copy at the last char). */
		size_t n = 0;
		while (abbr + n < h->charcnt && chars[abbr + n] != '\0' && n < TZ_ABBR_LEN - 1)
			n++;
		memcpy(abbrs[i], chars + abbr, n);
		abbrs[i][n] = '\0';
	}
	z->before_off = offs[0];
	memcpy(z->before_abbr, abbrs[0], TZ_ABBR_LEN);
	z->count = h->timecnt;
	if (h->timecnt == 0)
		return 0;
	z->at = malloc(sizeof *z->at * h->timecnt);
	z->off = malloc(sizeof *z->off * h->timecnt);
	z->abbr = malloc(sizeof *z->abbr * h->timecnt);
	if (z->at == NULL || z->off == NULL || z->abbr == NULL)
		return -1;
	for (uint32_t i = 0; i < h->timecnt; i++) {
		const unsigned char *t = times + (size_t)i * tsize;
		z->at[i] = tsize == 8 ? be64(t) : (int64_t)(int32_t)be32(t);
		if (i > 0 && z->at[i] <= z->at[i - 1])
			return -1;
		if (idx[i] >= h->typecnt)
			return -1;
		z->off[i] = offs[idx[i]];
		memcpy(z->abbr[i], abbrs[idx[i]], TZ_ABBR_LEN);
	}
	return 0;
}

/* The footer: "\n" TZ-string "\n" right after the 64-bit block. */
static int
read_footer(const unsigned char *p, size_t len, tz_zone *z)
{
	if (len < 2 || p[0] != '\n')
		return -1;
	const unsigned char *nl = memchr(p + 1, '\n', len - 1 < MAX_FOOTER ? len - 1 : MAX_FOOTER);
	if (nl == NULL)
		return -1;
	size_t n = (size_t)(nl - (p + 1));
	if (n == 0)
		return 0;  /* no rule: the last transition's offset stays */
	if (tz_rule_parse((const char *)p + 1, n, &z->rule) != 0)
		return -1;
	if (z->rule.std_off <= -TZ_OFFSET_LIMIT || z->rule.std_off >= TZ_OFFSET_LIMIT ||
	    z->rule.dst_off <= -TZ_OFFSET_LIMIT || z->rule.dst_off >= TZ_OFFSET_LIMIT)
		return -1;
	z->has_rule = true;
	return 0;
}

static int
parse_into(const unsigned char *data, size_t len, tz_zone *z, const char **why)
{
	struct header h;
	*why = "not a TZif file";
	if (read_header(data, len, &h) != 0)
		return -1;
	size_t v1 = block_len(&h, 4);
	*why = "truncated TZif file";
	if (len - HEADER_LEN < v1)
		return -1;
	if (h.version == 0) {
		*why = "damaged TZif data";
		if (h.leapcnt != 0) {
			*why = "time zones with leap seconds are not supported";
			return -1;
		}
		return read_block(&h, data + HEADER_LEN, 4, z);
	}
	const unsigned char *p = data + HEADER_LEN + v1;
	size_t rest = len - HEADER_LEN - v1;
	struct header h2;
	*why = "damaged TZif data";
	if (read_header(p, rest, &h2) != 0)
		return -1;
	size_t v2 = block_len(&h2, 8);
	*why = "truncated TZif file";
	if (rest - HEADER_LEN < v2)
		return -1;
	if (h2.leapcnt != 0) {
		*why = "time zones with leap seconds are not supported";
		return -1;
	}
	*why = "damaged TZif data";
	if (read_block(&h2, p + HEADER_LEN, 8, z) != 0)
		return -1;
	*why = "damaged TZif footer";
	return read_footer(p + HEADER_LEN + v2, rest - HEADER_LEN - v2, z);
}

tz_zone *
tz_parse(const char *name, const unsigned char *data, size_t len, char *err, size_t err_len)
{
	tz_zone *z = calloc(1, sizeof *z);
	if (z == NULL) {
		set_err(err, err_len, "out of memory");
		return NULL;
	}
	z->name = strdup(name != NULL ? name : "");
	const char *why = "out of memory";
	if (z->name == NULL || parse_into(data, len, z, &why) != 0) {
		set_err(err, err_len, why);
		tz_free(z);
		return NULL;
	}
	return z;
}
