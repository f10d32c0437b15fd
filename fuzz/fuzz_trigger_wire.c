/* fuzz_trigger_wire.c: a trigger request as the trigger writer reads it
 * from a caller (engine/trigger_relay.h): decoded, or refused, never more;
 * what it decodes to names a workflow and an execution id that fits. */
#include "fuzz_util.h"

#include <string.h>

#include "engine/trigger_relay.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trigger_request r;
	if (trigger_request_decode((const char *)data, size, &r) != 0)
		return 0;
	if (r.rq.workflow_slug == NULL || r.rq.execution_id == NULL ||
	    strlen(r.rq.execution_id) > EXEC_ID_MAX)
		__builtin_trap();
	trigger_request_free(&r);
	return 0;
}
