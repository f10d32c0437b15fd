/*
 * tz_civil.h: proleptic Gregorian calendar arithmetic on day numbers
 * (days since 1970-01-01), shared by the zone rules and the cron search.
 * Pure functions; valid far beyond the years the schedules use.
 */
#ifndef PIPELIT_TZ_CIVIL_H
#define PIPELIT_TZ_CIVIL_H

#include <stdbool.h>
#include <stdint.h>

/* a / b rounded towards minus infinity (b > 0). */
int64_t tz_floor_div(int64_t a, int64_t b);
bool tz_is_leap(int64_t year);
/* 28..31; month 1..12. */
unsigned tz_days_in_month(int64_t year, unsigned month);
/* The day number of year-month-day (month 1..12, day 1..31). */
int64_t tz_days_from_civil(int64_t year, unsigned month, unsigned day);
/* The date of a day number. */
void tz_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day);
/* 0 = Sunday .. 6 = Saturday. */
unsigned tz_weekday(int64_t days);

#endif
