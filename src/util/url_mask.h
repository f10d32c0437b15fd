/*
 * url_mask.h: a URL as it may be shown: the password of its user part
 * (scheme://user:password@host) and any password=... query parameter
 * (libpq's postgresql://host/db?password=...) replaced by ***.
 */
#ifndef PIPELIT_UTIL_URL_MASK_H
#define PIPELIT_UTIL_URL_MASK_H

#define URL_MASK "***"

/* The masked copy of url (malloc'd). */
char *url_mask_password(const char *url);

#endif
