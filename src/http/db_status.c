/* db_status.c: see db_status.h. */
#include "db_status.h"

#include "db/db.h"

/* A lock or a snapshot frees up in moments; a server coming back or space
 * being freed takes longer, and asking again at once only adds load. */
#define RETRY_SOON 1
#define RETRY_LATER 5
#define RETRY_DISK 30

static struct db_answer
transient(const struct db_error *e)
{
	switch (e->kind) {
	case DB_ERR_BUSY:
		return (struct db_answer){ 503, RETRY_SOON, "Database busy; retry shortly" };
	case DB_ERR_TIMEOUT:
		return (struct db_answer){ 503, RETRY_SOON, "Database timed out; retry shortly" };
	case DB_ERR_READONLY:
		return (struct db_answer){ 503, RETRY_LATER,
					   "Database is read-only; retry later" };
	case DB_ERR_RESOURCES:
		return (struct db_answer){ 503, RETRY_LATER, "Database overloaded; retry later" };
	default:
		return (struct db_answer){ 503, RETRY_LATER, "Database unavailable; retry later" };
	}
}

static struct db_answer
constraint(const struct db_error *e)
{
	switch (e->kind) {
	case DB_ERR_UNIQUE:
		return (struct db_answer){ 409, 0, "Conflicts with an existing record." };
	case DB_ERR_FOREIGN_KEY:
		/* The request named a record that does not exist, or that was
		 * deleted while it ran, or one still referenced elsewhere. */
		return (struct db_answer){ 409, 0,
					   "Conflicts with a related record (missing or still in use)." };
	default:
		return (struct db_answer){ 422, 0, "A value breaks a constraint of the stored data." };
	}
}

struct db_answer
db_answer_for(const struct db_error *e)
{
	switch (e->cls) {
	case DB_CLASS_TRANSIENT:
		return transient(e);
	case DB_CLASS_CONSTRAINT:
		return constraint(e);
	case DB_CLASS_DISK_FULL:
		return (struct db_answer){ 507, RETRY_DISK, "Database disk full; retry later" };
	case DB_CLASS_NONE:
	case DB_CLASS_PERMANENT:
		break;
	}
	return (struct db_answer){ 500, 0, "Internal Server Error" };
}
