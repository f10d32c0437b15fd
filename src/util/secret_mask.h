/*
 * secret_mask.h: how a secret is shown in answers: "****" and its last 4
 * characters when it has at least 12, else "****" alone, so a short secret
 * shows nothing and a long one too little to guess from.  (Pipelit shows
 * the first 4 as well, and all of an 8-character secret.)
 */
#ifndef PIPELIT_UTIL_SECRET_MASK_H
#define PIPELIT_UTIL_SECRET_MASK_H

#define SECRET_MASK_MIN_CHARS 12
#define SECRET_MASK_TAIL_CHARS 4

/* The mask of value (malloc'd). */
char *secret_mask(const char *value);

#endif
