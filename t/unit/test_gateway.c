/* test_gateway.c: the texts of the message gateway (gateway/message.c)
 * and the confirmation commands (gateway/command.c). */
#include <stdlib.h>

#include "gateway/command.h"
#include "gateway/message.h"
#include "tap.h"

static void
reply(const char *final_output, const char *want, const char *what)
{
	json_t *v = json_loads(final_output, JSON_DECODE_ANY, NULL);
	char *text = gateway_reply_text(v);
	if (want == NULL)
		ok(text == NULL, "%s", what);
	else
		is_str(text ? text : "(null)", want, "%s", what);
	free(text);
	json_decref(v);
}

static void
command(const char *text, int want, const char *want_id, int want_cancel)
{
	char *id = NULL;
	int cancel = -1;
	int rc = gateway_command_parse(text, &id, &cancel);
	is_int(rc, want, "'%s' is %sa command", text, want ? "" : "not ");
	if (want) {
		is_str(id ? id : "(null)", want_id, "'%s' names %s", text, want_id);
		is_int(cancel, want_cancel, "'%s' is a %s", text, want_cancel ? "cancel" : "confirm");
	} else {
		ok(id == NULL, "'%s' names no task", text);
	}
	free(id);
}

int
main(void)
{
	reply("{\"message\": \"hi\", \"output\": \"no\"}", "hi", "the message comes first");
	reply("{\"output\": \"done\"}", "done", "then the output");
	reply("{\"output\": {\"a\": true}}", "{'a': True}", "an output that is not text as str() prints it");
	reply("{\"node_outputs\": {\"x\": {\"output\": 1}, \"y\": \"z\"}}",
	      "**x**: {'output': 1}\n\n**y**: z", "else each node output, by blank lines");
	reply("{\"message\": \"\", \"other\": null}", "{'message': '', 'other': None}",
	      "else the whole output");
	reply("null", NULL, "no output, no reply");

	char *p = gateway_prompt_text("ab12cd34");
	is_str(p, "Action requires confirmation.\n\nTo confirm: /confirm_ab12cd34\n"
	       "To cancel: /cancel_ab12cd34", "the prompt names both commands");
	free(p);

	command("/confirm_ab12cd34", 1, "ab12cd34", 0);
	command("  /cancel_x_1\n", 1, "x_1", 1);
	command("/confirm_\xc3\xa9t\xc3\xa9", 1, "\xc3\xa9t\xc3\xa9", 0);
	command("/confirm_", 0, NULL, 0);
	command("/confirm_ab cd", 0, NULL, 0);
	command("/confirm_ab-cd", 0, NULL, 0);
	command("please /confirm_ab", 0, NULL, 0);
	command("/Confirm_ab", 0, NULL, 0);
	command("/confirm_ab\n\nthanks", 0, NULL, 0);
	command("hello", 0, NULL, 0);

	json_t *t = json_pack("{s:s, s:i}", "credential_id", "bot", "chat_id", 42);
	const char *cred;
	char *chat;
	is_int(gateway_destination(t, &cred, &chat), 1, "a payload with credential and chat goes back");
	is_str(chat ? chat : "", "42", "a numeric chat id as its digits");
	free(chat);
	json_object_del(t, "credential_id");
	is_int(gateway_destination(t, &cred, &chat), 0, "without a credential it does not");
	json_decref(t);
	return done_testing();
}
