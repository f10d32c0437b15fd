/*
 * slots.h: at most N of something at once per owner, across every process
 * of the pool (and every pool on this host sharing the data directory).
 *
 * A slot is an flock'd file <dir>/<owner>-<i>.lock: the kernel releases
 * the lock when its holder closes it or dies, so a responder killed in the
 * middle of a call never leaks a slot.
 */
#ifndef PIPELIT_NET_SLOTS_H
#define PIPELIT_NET_SLOTS_H

#define SLOT_BUSY (-1)   /* every slot is taken */
#define SLOT_ERROR (-2)  /* the slot files cannot be used (logged) */

/*
 * Takes a free slot of max for owner (letters, digits, '-' and '_') under
 * dir, creating what is missing (0600 files).  Returns the
 * slot's descriptor (>= 0) for slot_release(), SLOT_BUSY or SLOT_ERROR.
 */
int slot_take(const char *dir, const char *owner, int max);
void slot_release(int fd);

#endif
