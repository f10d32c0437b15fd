/* test_llm_wire.c: the LLM wire formats (llm/wire*.c, llm/stream.c): request
 * bodies, endpoints and headers of both wires, whole answers, error
 * answers, canonical messages, and streamed answers in any chunking. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "llm/llm.h"
#include "util/jsonw.h"
#include "util/utf8.h"
#include "util/xalloc.h"

static void
is_owned(char *got, const char *want, const char *name)
{
	is_str(got, want, "%s", name);
	free(got);
}

static json_t *
load(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);
	if (v == NULL)
		printf("# bad test JSON: %s: %s\n", e.text, text);
	return v;
}

/* The JSON of v, compact, keys in insertion order; malloc'd. */
static char *
dump(const json_t *v)
{
	return v ? jw_dump(v, NULL) : xstrdup("(null)");
}

/* The header lines of a list joined with "|"; malloc'd. */
static char *
header_lines(struct curl_slist *h)
{
	size_t len = 1;
	for (struct curl_slist *p = h; p; p = p->next)
		len += strlen(p->data) + 1;
	char *out = xmalloc(len);
	out[0] = '\0';
	for (struct curl_slist *p = h; p; p = p->next) {
		if (out[0])
			strcat(out, "|");
		strcat(out, p->data);
	}
	return out;
}

/* --- providers, endpoints, headers ------------------------------------------ */

static void
test_providers(void)
{
	struct llm_provider p = { .provider_type = "anthropic", .base_url = "" };
	is_int(llm_wire_of(&p), LLM_WIRE_ANTHROPIC, "anthropic speaks the messages API");
	p.provider_type = "openai_compatible";
	is_int(llm_wire_of(&p), LLM_WIRE_OPENAI, "openai_compatible speaks chat completions");
	p.provider_type = "glm";
	is_int(llm_wire_of(&p), LLM_WIRE_OPENAI, "glm speaks chat completions");
	p.provider_type = NULL;
	is_int(llm_wire_of(&p), LLM_WIRE_OPENAI, "no type: chat completions");

	struct llm_settings s;
	llm_settings_init(&s);
	ok(s.model == NULL && isnan(s.temperature) && isnan(s.top_p) &&
		   isnan(s.frequency_penalty) && isnan(s.presence_penalty) && s.max_tokens == -1 &&
		   s.response_format == NULL,
	   "settings start unset");
}

static void
test_endpoints(void)
{
	struct llm_provider p = { .provider_type = "openai", .base_url = "" };
	is_owned(llm_endpoint_url(&p), "https://api.openai.com/v1/chat/completions",
		 "openai default endpoint");
	p.provider_type = "openai_compatible";
	p.base_url = "http://127.0.0.1:11434/v1//";
	is_owned(llm_endpoint_url(&p), "http://127.0.0.1:11434/v1/chat/completions",
		 "a base URL's trailing slashes are dropped");
	p.provider_type = "glm";
	p.base_url = "";
	is_owned(llm_endpoint_url(&p), "https://api.z.ai/api/paas/v4/chat/completions",
		 "glm default endpoint");
	p.provider_type = "anthropic";
	is_owned(llm_endpoint_url(&p), "https://api.anthropic.com/v1/messages",
		 "anthropic default endpoint");
	p.base_url = "http://127.0.0.1:9000/proxy/";
	is_owned(llm_endpoint_url(&p), "http://127.0.0.1:9000/proxy/v1/messages",
		 "anthropic behind a proxy: /v1 added");
	p.base_url = "http://127.0.0.1:9000/v1";
	is_owned(llm_endpoint_url(&p), "http://127.0.0.1:9000/v1/messages",
		 "a base that names /v1 does not get a second one");
	is_owned(llm_models_url(&p), "http://127.0.0.1:9000/v1/models?limit=1000",
		 "the models URL shares the rule");
}

static void
test_headers(void)
{
	struct llm_provider p = { .provider_type = "openai_compatible", .api_key = "sk-test",
				  .base_url = "", .organization_id = "" };
	struct curl_slist *h = llm_request_headers(&p, 1);
	is_owned(header_lines(h),
		 "Content-Type: application/json|Accept: text/event-stream|Expect:|"
		 "Authorization: Bearer sk-test",
		 "openai streaming headers");
	curl_slist_free_all(h);

	p.provider_type = "openai";
	p.organization_id = "org-1";
	h = llm_request_headers(&p, 0);
	is_owned(header_lines(h),
		 "Content-Type: application/json|Accept: application/json|Expect:|"
		 "Authorization: Bearer sk-test|OpenAI-Organization: org-1",
		 "openai headers with an organization, not streaming");
	curl_slist_free_all(h);

	p.provider_type = "anthropic";
	p.organization_id = "";
	p.custom_headers = load("{\"anthropic-beta\":\"tools-2024\",\"X-Empty\":\"\"}");
	h = llm_request_headers(&p, 1);
	is_owned(header_lines(h),
		 "Content-Type: application/json|Accept: text/event-stream|Expect:|"
		 "x-api-key: sk-test|anthropic-version: 2023-06-01|anthropic-beta: tools-2024|"
		 "X-Empty;",
		 "anthropic headers with custom ones (an empty value sent empty)");
	curl_slist_free_all(h);
	json_decref(p.custom_headers);

	p.custom_headers = load("{\"Anthropic-Version\":\"2024-01-01\",\"X-Api-Key\":\"proxy\"}");
	h = llm_request_headers(&p, 0);
	is_owned(header_lines(h),
		 "Content-Type: application/json|Accept: application/json|Expect:|"
		 "Anthropic-Version: 2024-01-01|X-Api-Key: proxy",
		 "a custom header replaces ours of the same name (any case)");
	curl_slist_free_all(h);
	json_decref(p.custom_headers);

	p.custom_headers = load("{\"X-A\":\"v\\r\\nX-Evil: 1\"}");
	ok(llm_request_headers(&p, 0) == NULL, "a custom value with CR/LF is refused");
	json_decref(p.custom_headers);
	p.custom_headers = load("{\"X-A\\nX-Evil\":\"v\"}");
	ok(llm_request_headers(&p, 0) == NULL, "a custom name with a line break is refused");
	json_decref(p.custom_headers);
	p.custom_headers = load("{\"X A\":\"v\"}");
	ok(llm_request_headers(&p, 0) == NULL, "a custom name that is not a token is refused");
	json_decref(p.custom_headers);
	p.custom_headers = load("{\"X-A\":5}");
	ok(llm_request_headers(&p, 0) == NULL, "a custom value that is not a string is refused");
	json_decref(p.custom_headers);
	p.custom_headers = NULL;
	p.api_key = "sk\r\nX-Evil: 1";
	ok(llm_request_headers(&p, 0) == NULL, "a key with a line break is refused");
}

/* --- request bodies ------------------------------------------------------------ */

/* A conversation with everything a body must translate: a system
 * message, text blocks (one empty), an AI message with two tool calls and
 * no text, their two results (one an error), and a follow-up. */
static const char *const conversation =
	"[{\"type\":\"system\",\"data\":{\"content\":\"Be brief.\"}},"
	" {\"type\":\"human\",\"data\":{\"content\":\"What is 2+3 and the time?\",\"id\":\"h1\"}},"
	" {\"type\":\"ai\",\"data\":{\"content\":[{\"type\":\"text\",\"text\":\"\"}],\"id\":\"a1\","
	"  \"tool_calls\":[{\"id\":\"call_1\",\"name\":\"calculator\",\"args\":{\"expression\":\"2+3\"}},"
	"                 {\"id\":\"call_2\",\"name\":\"get_datetime\",\"args\":{}}]}},"
	" {\"type\":\"tool\",\"data\":{\"content\":\"5\",\"tool_call_id\":\"call_1\",\"name\":\"calculator\"}},"
	" {\"type\":\"tool\",\"data\":{\"content\":\"Error: no clock\",\"tool_call_id\":\"call_2\","
	"  \"name\":\"get_datetime\",\"status\":\"error\"}},"
	" {\"type\":\"human\",\"data\":{\"content\":[{\"type\":\"text\",\"text\":\"\"},"
	"  {\"type\":\"text\",\"text\":\"And then?\"}]}},"
	" {\"type\":\"ai\",\"data\":{\"content\":\"It is 5.\",\"tool_calls\":[]}},"
	" {\"type\":\"human\",\"data\":{\"content\":\"Thanks\"}}]";

static const char *const tools_json =
	"[{\"name\":\"calculator\",\"description\":\"Evaluates arithmetic\","
	"  \"parameters\":{\"type\":\"object\",\"properties\":{\"expression\":{\"type\":\"string\"}},"
	"  \"required\":[\"expression\"]}},"
	" {\"name\":\"get_datetime\"}]";

static void
test_openai_body(void)
{
	json_t *hello = load("[{\"type\":\"human\",\"data\":{\"content\":\"Hi\"}}]");
	struct llm_request req = { .messages = hello };
	llm_settings_init(&req.settings);
	is_owned(llm_request_body(LLM_WIRE_OPENAI, &req),
		 "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":false}",
		 "openai: unset settings are not sent");

	json_t *messages = load(conversation), *tools = load(tools_json);
	json_t *format = load("{\"type\":\"json_object\"}");
	req.messages = messages;
	req.tools = tools;
	req.system = "You are Pipelit.";
	req.settings.model = "gpt-4o-mini";
	req.settings.temperature = 0.7;
	req.settings.top_p = 0.9;
	req.settings.max_tokens = 256;
	req.settings.frequency_penalty = 0.5;
	req.settings.presence_penalty = -0.25;
	req.settings.response_format = format;
	req.stream = 1;
	is_owned(llm_request_body(LLM_WIRE_OPENAI, &req),
		 "{\"model\":\"gpt-4o-mini\",\"messages\":["
		 "{\"role\":\"system\",\"content\":\"You are Pipelit.\\n\\nBe brief.\"},"
		 "{\"role\":\"user\",\"content\":\"What is 2+3 and the time?\"},"
		 "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
		 "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"calculator\","
		 "\"arguments\":\"{\\\"expression\\\":\\\"2+3\\\"}\"}},"
		 "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"get_datetime\","
		 "\"arguments\":\"{}\"}}]},"
		 "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"5\"},"
		 "{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"content\":\"Error: no clock\"},"
		 "{\"role\":\"user\",\"content\":\"And then?\"},"
		 "{\"role\":\"assistant\",\"content\":\"It is 5.\"},"
		 "{\"role\":\"user\",\"content\":\"Thanks\"}],"
		 "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"calculator\","
		 "\"description\":\"Evaluates arithmetic\",\"parameters\":{\"type\":\"object\","
		 "\"properties\":{\"expression\":{\"type\":\"string\"}},\"required\":[\"expression\"]}}},"
		 "{\"type\":\"function\",\"function\":{\"name\":\"get_datetime\","
		 "\"parameters\":{\"type\":\"object\",\"properties\":{}}}}],"
		 "\"temperature\":0.7,\"top_p\":0.9,\"max_tokens\":256,\"frequency_penalty\":0.5,"
		 "\"presence_penalty\":-0.25,\"response_format\":{\"type\":\"json_object\"},"
		 "\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
		 "openai: system first, tool calls with JSON-text arguments, tool results, "
		 "every setting, streaming with usage");

	json_t *server_tool = load("[{\"type\":\"web_search_20250305\",\"name\":\"web_search\"},"
				   "{\"name\":\"extract\",\"parameters\":{\"type\":\"object\"}}]");
	llm_settings_init(&req.settings);
	req.messages = hello;
	req.system = NULL;
	req.tools = server_tool;
	req.force_tool = "extract";
	req.stream = 0;
	is_owned(llm_request_body(LLM_WIRE_OPENAI, &req),
		 "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
		 "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"extract\","
		 "\"parameters\":{\"type\":\"object\"}}}],"
		 "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"extract\"}},"
		 "\"stream\":false}",
		 "openai: a forced tool; a provider-side tool is left out");

	llm_settings_init(&req.settings);
	req.tools = NULL;
	req.force_tool = NULL;
	req.settings.max_tokens = 100;
	const char *const models[][2] = {
		{ "o3-mini", "max_completion_tokens" }, { "o1", "max_completion_tokens" },
		{ "gpt-5-nano", "max_completion_tokens" }, { "o4-mini-2025-04-16", "max_completion_tokens" },
		{ "gpt-4o", "max_tokens" }, { "openai/o3", "max_tokens" }, { "o1x", "max_tokens" },
		{ "llama3.1:8b", "max_tokens" },
	};
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		req.settings.model = models[i][0];
		char *body = llm_request_body(LLM_WIRE_OPENAI, &req);
		char *want = xasprintf("{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":"
				       "\"Hi\"}],\"%s\":100,\"stream\":false}", models[i][0], models[i][1]);
		is_str(body, want, "openai: %s gets %s", models[i][0], models[i][1]);
		free(body);
		free(want);
	}
	llm_settings_init(&req.settings);

	json_t *image = load("[{\"type\":\"human\",\"data\":{\"content\":[{\"type\":\"text\",\"text\":\"\"},"
			     "{\"type\":\"text\",\"text\":\"What is this?\"},"
			     "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AA==\"}}]}},"
			     "{\"type\":\"ai\",\"data\":{\"content\":\"\"}},"
			     "{\"type\":\"tool\",\"data\":{\"content\":{\"rows\":[1,2]},\"tool_call_id\":\"c\"}}]");
	req.messages = image;
	req.tools = NULL;
	req.force_tool = NULL;
	is_owned(llm_request_body(LLM_WIRE_OPENAI, &req),
		 "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is this?\"},"
		 "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AA==\"}}]},"
		 "{\"role\":\"assistant\",\"content\":\"\"},"
		 "{\"role\":\"tool\",\"tool_call_id\":\"c\",\"content\":\"{\\\"rows\\\":[1,2]}\"}],"
		 "\"stream\":false}",
		 "openai: image blocks kept, empty text dropped; a JSON tool result sent as its text");
	json_decref(hello);
	json_decref(messages);
	json_decref(tools);
	json_decref(format);
	json_decref(server_tool);
	json_decref(image);
}

static void
test_anthropic_body(void)
{
	json_t *hello = load("[{\"type\":\"human\",\"data\":{\"content\":\"Hi\"}}]");
	struct llm_request req = { .messages = hello };
	llm_settings_init(&req.settings);
	is_owned(llm_request_body(LLM_WIRE_ANTHROPIC, &req),
		 "{\"max_tokens\":4096,\"messages\":[{\"role\":\"user\",\"content\":"
		 "[{\"type\":\"text\",\"text\":\"Hi\"}]}]}",
		 "anthropic: max_tokens defaulted, nothing else unset sent");

	json_t *messages = load(conversation), *tools = load(tools_json);
	json_t *format = load("{\"type\":\"json_object\"}");
	req.messages = messages;
	req.tools = tools;
	req.system = "You are Pipelit.";
	req.settings.model = "claude-sonnet-4-6";
	req.settings.temperature = 0.2;
	req.settings.top_p = 0.95;
	req.settings.max_tokens = 1000;
	req.settings.frequency_penalty = 0.5;
	req.settings.presence_penalty = 0.5;
	req.settings.response_format = format;
	req.stream = 1;
	is_owned(llm_request_body(LLM_WIRE_ANTHROPIC, &req),
		 "{\"model\":\"claude-sonnet-4-6\",\"max_tokens\":1000,"
		 "\"system\":\"You are Pipelit.\\n\\nBe brief.\",\"messages\":["
		 "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is 2+3 and the time?\"}]},"
		 "{\"role\":\"assistant\",\"content\":["
		 "{\"type\":\"tool_use\",\"id\":\"call_1\",\"name\":\"calculator\",\"input\":{\"expression\":\"2+3\"}},"
		 "{\"type\":\"tool_use\",\"id\":\"call_2\",\"name\":\"get_datetime\",\"input\":{}}]},"
		 "{\"role\":\"user\",\"content\":["
		 "{\"type\":\"tool_result\",\"tool_use_id\":\"call_1\",\"content\":\"5\"},"
		 "{\"type\":\"tool_result\",\"tool_use_id\":\"call_2\",\"content\":\"Error: no clock\","
		 "\"is_error\":true},"
		 "{\"type\":\"text\",\"text\":\"And then?\"}]},"
		 "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"It is 5.\"}]},"
		 "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Thanks\"}]}],"
		 "\"tools\":[{\"name\":\"calculator\",\"description\":\"Evaluates arithmetic\","
		 "\"input_schema\":{\"type\":\"object\",\"properties\":{\"expression\":{\"type\":\"string\"}},"
		 "\"required\":[\"expression\"]}},"
		 "{\"name\":\"get_datetime\",\"input_schema\":{\"type\":\"object\",\"properties\":{}}}],"
		 "\"temperature\":0.2,\"top_p\":0.95,\"stream\":true}",
		 "anthropic: system folded, tool_use and tool_result blocks, the results and the "
		 "next question merged into one user turn, penalties and response_format not sent");

	/* Alternation: two human messages in a row, an empty one between,
	 * an empty AI message, tool results after a human text. */
	json_t *odd = load("[{\"type\":\"human\",\"data\":{\"content\":\"one\"}},"
			   "{\"type\":\"human\",\"data\":{\"content\":\"\"}},"
			   "{\"type\":\"ai\",\"data\":{\"content\":\"\"}},"
			   "{\"type\":\"human\",\"data\":{\"content\":[\"two\",{\"type\":\"image\","
			   "\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"AA==\"}}]}},"
			   "{\"type\":\"tool\",\"data\":{\"content\":\"\",\"tool_call_id\":\"t1\"}},"
			   "{\"type\":\"ai\",\"data\":{\"content\":[{\"type\":\"text\",\"text\":\"ok\"},"
			   "{\"type\":\"tool_use\",\"id\":\"t2\",\"name\":\"calc\",\"input\":{\"x\":1}}]}},"
			   "{\"type\":\"system\",\"data\":{\"content\":\"\"}},"
			   "{\"type\":\"ai\",\"data\":{\"content\":\"more\"}}]");
	llm_settings_init(&req.settings);
	req.messages = odd;
	req.system = NULL;
	req.tools = NULL;
	req.stream = 0;
	req.force_tool = "calc";
	is_owned(llm_request_body(LLM_WIRE_ANTHROPIC, &req),
		 "{\"max_tokens\":4096,\"messages\":["
		 "{\"role\":\"user\",\"content\":["
		 "{\"type\":\"tool_result\",\"tool_use_id\":\"t1\"},"
		 "{\"type\":\"text\",\"text\":\"one\"},{\"type\":\"text\",\"text\":\"two\"},"
		 "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"AA==\"}}]},"
		 "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"ok\"},"
		 "{\"type\":\"tool_use\",\"id\":\"t2\",\"name\":\"calc\",\"input\":{\"x\":1}},"
		 "{\"type\":\"text\",\"text\":\"more\"}]}],"
		 "\"tool_choice\":{\"type\":\"tool\",\"name\":\"calc\"}}",
		 "anthropic: same-role messages merged, empty ones dropped, tool results first "
		 "in their turn, tool_use blocks of the content kept, a forced tool");
	json_t *server_tool = load("[{\"type\":\"web_search_20250305\",\"name\":\"web_search\"}]");
	req.messages = hello;
	req.tools = server_tool;
	req.force_tool = NULL;
	is_owned(llm_request_body(LLM_WIRE_ANTHROPIC, &req),
		 "{\"max_tokens\":4096,\"messages\":[{\"role\":\"user\",\"content\":"
		 "[{\"type\":\"text\",\"text\":\"Hi\"}]}],"
		 "\"tools\":[{\"type\":\"web_search_20250305\",\"name\":\"web_search\"}]}",
		 "anthropic: a server tool goes as it is");
	json_decref(hello);
	json_decref(messages);
	json_decref(tools);
	json_decref(format);
	json_decref(odd);
	json_decref(server_tool);
}

/* --- whole answers --------------------------------------------------------------- */

/* The reply as one line: text|tool calls|usage|stop|id, or "ERR:msg". */
static char *
reply_line(const struct llm_reply *r)
{
	char *calls = dump(r->tool_calls);
	char *out = xasprintf("%s|%s|%s%ld/%ld|%s|%s", r->text, calls, r->usage.known ? "" : "?",
			      r->usage.input_tokens, r->usage.output_tokens, r->stop_reason,
			      r->id ? r->id : "-");
	free(calls);
	return out;
}

static char *
parse_line(enum llm_wire wire, const char *body)
{
	struct llm_reply r;
	char *err = NULL;
	if (llm_reply_parse(wire, body, strlen(body), &r, &err) != 0) {
		char *out = xasprintf("ERR:%s", err ? err : "(none)");
		free(err);
		llm_reply_clear(&r);
		return out;
	}
	char *out = reply_line(&r);
	llm_reply_clear(&r);
	return out;
}

static void
test_openai_reply(void)
{
	is_owned(parse_line(LLM_WIRE_OPENAI,
			    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,"
			    "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":"
			    "{\"role\":\"assistant\",\"content\":\"Hello \\u00e9!\",\"refusal\":null},"
			    "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,"
			    "\"completion_tokens\":3,\"total_tokens\":15}}"),
		 "Hello \xc3\xa9!|[]|12/3|stop|chatcmpl-1", "openai: a text answer");
	is_owned(parse_line(LLM_WIRE_OPENAI,
			    "{\"id\":\"c2\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
			    "\"content\":null,\"tool_calls\":[{\"id\":\"call_a\",\"type\":\"function\","
			    "\"function\":{\"name\":\"calculator\",\"arguments\":\"{\\\"expression\\\": \\\"2+3\\\"}\"}},"
			    "{\"id\":\"call_b\",\"type\":\"function\",\"function\":{\"name\":\"get_datetime\","
			    "\"arguments\":\"\"}},{\"type\":\"function\",\"function\":{\"name\":\"x\","
			    "\"arguments\":{\"k\":1}}}]},\"finish_reason\":\"tool_calls\"}]}"),
		 "|[{\"id\":\"call_a\",\"name\":\"calculator\",\"args\":{\"expression\":\"2+3\"}},"
		 "{\"id\":\"call_b\",\"name\":\"get_datetime\",\"args\":{}},"
		 "{\"id\":\"call_2\",\"name\":\"x\",\"args\":{\"k\":1}}]|?0/0|tool_calls|c2",
		 "openai: tool calls (\"\" arguments are {}, an object is taken, a missing id made)");
	is_owned(parse_line(LLM_WIRE_OPENAI, "{\"choices\":[{\"message\":{\"content\":[{\"type\":\"text\","
					     "\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]}}]}"),
		 "a\nb|[]|?0/0||-", "openai: content as blocks");
	is_owned(parse_line(LLM_WIRE_OPENAI, "<html>502 Bad Gateway</html>"),
		 "ERR:the provider's answer is not JSON", "openai: not JSON");
	is_owned(parse_line(LLM_WIRE_OPENAI, "[1,2]"),
		 "ERR:the provider's answer is not a JSON object", "openai: not an object");
	is_owned(parse_line(LLM_WIRE_OPENAI, "{\"choices\":[]}"), "ERR:the answer has no choices",
		 "openai: no choices");
	is_owned(parse_line(LLM_WIRE_OPENAI, "{\"object\":\"chat.completion\"}"),
		 "ERR:the answer has no choices", "openai: choices missing");
	is_owned(parse_line(LLM_WIRE_OPENAI, "{\"choices\":[{\"index\":0}]}"),
		 "ERR:the answer's choice has no message", "openai: a choice without a message");
	is_owned(parse_line(LLM_WIRE_OPENAI, "{\"choices\":[{\"message\":{\"content\":5}}]}"),
		 "ERR:the answer's message content is neither text nor blocks",
		 "openai: content of the wrong type");
	is_owned(parse_line(LLM_WIRE_OPENAI,
			    "{\"choices\":[{\"message\":{\"tool_calls\":[{\"id\":\"c\",\"function\":"
			    "{\"name\":\"calc\",\"arguments\":\"[1]\"}}]}}]}"),
		 "ERR:the arguments of the call to tool 'calc' are not a JSON object",
		 "openai: arguments that are not an object");
	is_owned(parse_line(LLM_WIRE_OPENAI,
			    "{\"choices\":[{\"message\":{\"tool_calls\":[{\"id\":\"c\",\"function\":"
			    "{\"name\":\"calc\",\"arguments\":\"{\\\"x\\\":\"}}]}}]}"),
		 "ERR:the arguments of the call to tool 'calc' are not JSON",
		 "openai: arguments that are not JSON");
	is_owned(parse_line(LLM_WIRE_OPENAI,
			    "{\"choices\":[{\"message\":{\"tool_calls\":[{\"function\":{}}]}}]}"),
		 "ERR:a tool call of the answer has no function name", "openai: a call without a name");
	is_owned(parse_line(LLM_WIRE_OPENAI, "{\"error\":{\"message\":\"model overloaded\",\"code\":503}}"),
		 "ERR:the provider answered with an error: model overloaded",
		 "openai: an error object in a 2xx answer");
}

static void
test_anthropic_reply(void)
{
	is_owned(parse_line(LLM_WIRE_ANTHROPIC,
			    "{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\","
			    "\"model\":\"claude-sonnet-4-6\",\"content\":[{\"type\":\"text\",\"text\":\"Let me\"},"
			    "{\"type\":\"text\",\"text\":\"\"},{\"type\":\"text\",\"text\":\"compute.\"},"
			    "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"calculator\","
			    "\"input\":{\"expression\":\"2+3\"}}],\"stop_reason\":\"tool_use\","
			    "\"stop_sequence\":null,\"usage\":{\"input_tokens\":20,"
			    "\"cache_creation_input_tokens\":5,\"cache_read_input_tokens\":100,"
			    "\"output_tokens\":30}}"),
		 "Let me\ncompute.|[{\"id\":\"toolu_1\",\"name\":\"calculator\",\"args\":"
		 "{\"expression\":\"2+3\"}}]|125/30|tool_use|msg_01",
		 "anthropic: text blocks joined with LF, a tool call, cached input tokens counted");
	is_owned(parse_line(LLM_WIRE_ANTHROPIC,
			    "{\"content\":[{\"type\":\"thinking\",\"thinking\":\"hm\"},"
			    "{\"type\":\"text\",\"text\":\"Hi\"}],\"stop_reason\":\"end_turn\","
			    "\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}"),
		 "Hi|[]|3/1|end_turn|-", "anthropic: a thinking block is not text");
	is_owned(parse_line(LLM_WIRE_ANTHROPIC, "{\"type\":\"message\",\"content\":\"x\"}"),
		 "ERR:the answer has no content", "anthropic: content that is not blocks");
	is_owned(parse_line(LLM_WIRE_ANTHROPIC,
			    "{\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"calc\","
			    "\"input\":\"2+3\"}]}"),
		 "ERR:the arguments of the call to tool 'calc' are not a JSON object",
		 "anthropic: input that is not an object");
	is_owned(parse_line(LLM_WIRE_ANTHROPIC,
			    "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
			    "\"message\":\"Overloaded\"}}"),
		 "ERR:the provider answered with an error: Overloaded", "anthropic: an error answer");
	is_owned(parse_line(LLM_WIRE_ANTHROPIC, ""), "ERR:the provider's answer is not JSON",
		 "anthropic: an empty body");
}

static void
test_error_message(void)
{
	const char *body = "{\"error\":{\"message\":\"Incorrect API key provided: sk-abcdefghijklmnop.\","
			   "\"type\":\"invalid_request_error\"}}";
	is_owned(llm_error_message(LLM_WIRE_OPENAI, 401, body, strlen(body), "sk-abcdefghijklmnop"),
		 "the provider answered HTTP 401: Incorrect API key provided: ****mnop.",
		 "openai error: its message, the key masked");
	body = "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Too many\\nrequests\"}}";
	is_owned(llm_error_message(LLM_WIRE_ANTHROPIC, 429, body, strlen(body), NULL),
		 "the provider answered HTTP 429: Too many requests",
		 "anthropic error: its message, a line break made a space");
	body = "<html><body>secret internals</body></html>";
	is_owned(llm_error_message(LLM_WIRE_OPENAI, 502, body, strlen(body), NULL),
		 "the provider answered HTTP 502", "a body that is not JSON: the status only");
	body = "{\"detail\":[{\"loc\":[\"body\",\"model\"],\"msg\":\"field required\"}]}";
	is_owned(llm_error_message(LLM_WIRE_OPENAI, 422, body, strlen(body), NULL),
		 "the provider answered HTTP 422: field required", "a FastAPI validation answer");
	body = "{\"error\":\"bad \xff byte\"}";
	is_owned(llm_error_message(LLM_WIRE_OPENAI, 400, body, strlen(body), NULL),
		 "the provider answered HTTP 400", "invalid UTF-8 is not JSON: the status only");
	is_owned(llm_error_message(LLM_WIRE_OPENAI, 500, NULL, 0, NULL),
		 "the provider answered HTTP 500", "no body");
	char big[2000];
	strcpy(big, "{\"message\":\"");
	size_t n = strlen(big);
	for (int i = 0; i < 600; i++) {
		memcpy(big + n, "\xc3\xa9", 2);	/* é, two bytes */
		n += 2;
	}
	strcpy(big + n, "\"}");
	char *msg = llm_error_message(LLM_WIRE_OPENAI, 500, big, strlen(big), NULL);
	const char *prefix = "the provider answered HTTP 500: ";
	ok(strncmp(msg, prefix, strlen(prefix)) == 0 && strlen(msg) == strlen(prefix) + 2 * 160,
	   "a long message is clipped at 160 characters, not inside one");
	free(msg);
}

/* --- canonical messages ------------------------------------------------------------ */

static void
test_messages(void)
{
	struct llm_reply r = { 0 };
	r.text = xstrdup("It is 5.");
	r.tool_calls = load("[{\"id\":\"call_1\",\"name\":\"calculator\",\"args\":{\"expression\":\"2+3\"}}]");
	r.usage.input_tokens = 10;
	r.usage.output_tokens = 4;
	r.usage.known = 1;
	json_t *m = llm_reply_message(&r, "fallback-id", "2026-12-04T23:00:00Z");
	is_owned(dump(m),
		 "{\"type\":\"ai\",\"data\":{\"content\":\"It is 5.\",\"id\":\"fallback-id\","
		 "\"tool_calls\":[{\"id\":\"call_1\",\"name\":\"calculator\",\"args\":{\"expression\":\"2+3\"}}],"
		 "\"additional_kwargs\":{\"timestamp\":\"2026-12-04T23:00:00Z\"},"
		 "\"usage_metadata\":{\"input_tokens\":10,\"output_tokens\":4,\"total_tokens\":14}}}",
		 "a reply as a canonical ai message");
	json_decref(m);
	r.id = xstrdup("msg_9");
	r.usage.known = 0;
	m = llm_reply_message(&r, "fallback-id", NULL);
	is_owned(dump(m),
		 "{\"type\":\"ai\",\"data\":{\"content\":\"It is 5.\",\"id\":\"msg_9\","
		 "\"tool_calls\":[{\"id\":\"call_1\",\"name\":\"calculator\",\"args\":{\"expression\":\"2+3\"}}],"
		 "\"additional_kwargs\":{}}}",
		 "the provider's id first; no usage when unknown");
	is_owned(llm_message_text(m), "It is 5.", "the text of a message");
	json_decref(m);
	llm_reply_clear(&r);
	ok(r.text == NULL && r.tool_calls == NULL && r.id == NULL, "a cleared reply holds nothing");
	llm_reply_clear(&r);

	m = load("{\"type\":\"human\",\"data\":{\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
		 "{\"type\":\"image_url\",\"image_url\":{}},{\"type\":\"text\",\"text\":\"\"},\"b\","
		 "{\"type\":\"text\",\"text\":\"c\"}]}}");
	is_owned(llm_message_text(m), "a\nb\nc", "text blocks joined with LF, others skipped");
	json_decref(m);
	m = load("{\"type\":\"tool\",\"data\":{\"content\":null}}");
	is_owned(llm_message_text(m), "", "no content: empty text");
	json_decref(m);
	is_owned(llm_message_text(NULL), "", "no message: empty text");
}

/* --- streamed answers --------------------------------------------------------------- */

#define CHUNK_OPENAI(delta, finish) \
	"data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1," \
	"\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":" delta "," \
	"\"logprobs\":null,\"finish_reason\":" finish "}],\"usage\":null}\n\n"

static const char *const openai_text_stream =
	": keep-alive\n\n"
	CHUNK_OPENAI("{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}", "null")
	CHUNK_OPENAI("{\"content\":\"Hel\"}", "null")
	CHUNK_OPENAI("{\"content\":\"lo caf\\u00e9 \xf0\x9f\x98\x80\"}", "null")
	CHUNK_OPENAI("{\"content\":\"!\"}", "null")
	CHUNK_OPENAI("{}", "\"stop\"")
	"data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"choices\":[],"
	"\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,\"total_tokens\":13}}\n\n"
	"data: [DONE]\n\n";

static const char *const openai_tool_stream =
	CHUNK_OPENAI("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,"
		     "\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"calculator\","
		     "\"arguments\":\"\"}}]}", "null")
	CHUNK_OPENAI("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"expr\"}}]}", "null")
	CHUNK_OPENAI("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"ession\\\": \\\"2+3\\\"}\"}}]}", "null")
	CHUNK_OPENAI("{\"tool_calls\":[{\"index\":1,\"id\":\"call_b\",\"type\":\"function\","
		     "\"function\":{\"name\":\"get_datetime\",\"arguments\":\"\"}}]}", "null")
	CHUNK_OPENAI("{}", "\"tool_calls\"")
	"data: {\"id\":\"chatcmpl-9\",\"choices\":[],\"usage\":{\"prompt_tokens\":50,"
	"\"completion_tokens\":20,\"total_tokens\":70}}\n\n"
	"data: [DONE]\n\n";

static const char *const anthropic_stream =
	"event: message_start\n"
	"data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\","
	"\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-6\",\"stop_reason\":null,"
	"\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,\"cache_read_input_tokens\":5,"
	"\"output_tokens\":1}}}\n\n"
	"event: content_block_start\n"
	"data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
	"event: ping\n"
	"data: {\"type\": \"ping\"}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Let me \"}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"check \xe2\x82\xac.\"}}\n\n"
	"event: content_block_stop\n"
	"data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
	"event: content_block_start\n"
	"data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hmm\"}}\n\n"
	"event: content_block_stop\n"
	"data: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
	"event: content_block_start\n"
	"data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"text_delta\",\"text\":\"Done.\"}}\n\n"
	"event: content_block_stop\n"
	"data: {\"type\":\"content_block_stop\",\"index\":2}\n\n"
	"event: content_block_start\n"
	"data: {\"type\":\"content_block_start\",\"index\":3,\"content_block\":{\"type\":\"tool_use\","
	"\"id\":\"toolu_1\",\"name\":\"calculator\",\"input\":{}}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"expression\\\": \\\"2\"}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"+3\\\"}\"}}\n\n"
	"event: content_block_stop\n"
	"data: {\"type\":\"content_block_stop\",\"index\":3}\n\n"
	"event: content_block_start\n"
	"data: {\"type\":\"content_block_start\",\"index\":4,\"content_block\":{\"type\":\"tool_use\","
	"\"id\":\"toolu_2\",\"name\":\"get_datetime\",\"input\":{}}}\n\n"
	"event: content_block_stop\n"
	"data: {\"type\":\"content_block_stop\",\"index\":4}\n\n"
	"event: message_delta\n"
	"data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},"
	"\"usage\":{\"output_tokens\":42}}\n\n"
	"event: message_stop\n"
	"data: {\"type\":\"message_stop\"}\n\n";

/* What on_text received: the pieces joined, and whether each piece was
 * whole UTF-8. */
struct text_seen {
	struct jw buf;               /* used as a byte buffer */
	int pieces;
	int all_valid;
};

static void
on_text(void *arg, const char *text, size_t len)
{
	struct text_seen *t = arg;
	char *copy = xstrndup(text, len);
	if (!utf8_valid(copy) || strlen(copy) != len)
		t->all_valid = 0;
	free(copy);
	jw_reserve(&t->buf, len);
	memcpy(t->buf.buf + t->buf.len, text, len);
	t->buf.len += len;
	t->buf.buf[t->buf.len] = '\0';
	t->pieces++;
}

/* Feeds a stream in pieces of the given sizes (cycled; 0: whole), then
 * finishes.  The reply line (or "FEED:err"/"FINISH:err"); *streamed gets
 * the text seen on the way (malloc'd). */
static char *
stream_line(enum llm_wire wire, const char *body, size_t len, const size_t *steps,
	    size_t nsteps, char **streamed, int *valid)
{
	struct llm_stream *s = llm_stream_new(wire);
	struct text_seen t = { .all_valid = 1 };
	jw_init(&t.buf);
	char *err = NULL, *out = NULL;
	size_t k = 0;
	for (size_t off = 0; off < len && out == NULL;) {
		size_t n = nsteps == 0 ? len : steps[k++ % nsteps];
		if (n > len - off)
			n = len - off;
		if (llm_stream_feed(s, body + off, n, on_text, &t, &err) != 0)
			out = xasprintf("FEED:%s", err ? err : "(none)");
		off += n;
	}
	if (out == NULL) {
		struct llm_reply r;
		if (llm_stream_finish(s, &r, &err) != 0)
			out = xasprintf("FINISH:%s", err ? err : "(none)");
		else
			out = reply_line(&r);
		llm_reply_clear(&r);
	}
	free(err);
	llm_stream_free(s);
	if (streamed)
		*streamed = xstrdup(t.buf.buf ? t.buf.buf : "");
	if (valid)
		*valid = t.all_valid;
	jw_free(&t.buf);
	return out;
}

static char *
stream_whole(enum llm_wire wire, const char *body)
{
	return stream_line(wire, body, strlen(body), NULL, 0, NULL, NULL);
}

static unsigned long rng_state = 42;
static size_t
rng(size_t n)
{
	rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
	return (size_t)((rng_state >> 33) % n);
}

/* The same reply whole, byte by byte and in 200 random chunkings, and
 * the streamed text adding up to the reply's text each time. */
static void
check_chunkings(enum llm_wire wire, const char *body, const char *want, const char *want_text,
		const char *name)
{
	size_t len = strlen(body);
	char *streamed;
	int valid;
	char *got = stream_line(wire, body, len, NULL, 0, &streamed, &valid);
	is_str(got, want, "%s: whole", name);
	is_str(streamed, want_text, "%s: the streamed text is the reply's", name);
	free(got);
	free(streamed);
	size_t one = 1;
	got = stream_line(wire, body, len, &one, 1, &streamed, &valid);
	is_str(got, want, "%s: byte by byte", name);
	is_str(streamed, want_text, "%s: byte by byte, the same text", name);
	ok(valid, "%s: byte by byte, every piece of text is whole UTF-8", name);
	free(got);
	free(streamed);
	int same = 1;
	for (int round = 0; round < 200 && same; round++) {
		size_t steps[16];
		for (size_t i = 0; i < 16; i++)
			steps[i] = 1 + rng(round % 2 ? 7 : 300);
		got = stream_line(wire, body, len, steps, 16, &streamed, &valid);
		if (strcmp(got, want) != 0 || strcmp(streamed, want_text) != 0 || !valid) {
			same = 0;
			printf("# round %d: %s / %s\n", round, got, streamed);
		}
		free(got);
		free(streamed);
	}
	ok(same, "%s: 200 random chunkings give the same reply and text", name);
}

static void
test_stream_replies(void)
{
	check_chunkings(LLM_WIRE_OPENAI, openai_text_stream,
			"Hello caf\xc3\xa9 \xf0\x9f\x98\x80!|[]|9/4|stop|chatcmpl-9",
			"Hello caf\xc3\xa9 \xf0\x9f\x98\x80!", "openai text stream");
	check_chunkings(LLM_WIRE_OPENAI, openai_tool_stream,
			"|[{\"id\":\"call_a\",\"name\":\"calculator\",\"args\":{\"expression\":\"2+3\"}},"
			"{\"id\":\"call_b\",\"name\":\"get_datetime\",\"args\":{}}]|50/20|tool_calls|chatcmpl-9",
			"", "openai tool-call stream");
	check_chunkings(LLM_WIRE_ANTHROPIC, anthropic_stream,
			"Let me check \xe2\x82\xac.\nDone.|[{\"id\":\"toolu_1\",\"name\":\"calculator\","
			"\"args\":{\"expression\":\"2+3\"}},{\"id\":\"toolu_2\",\"name\":\"get_datetime\","
			"\"args\":{}}]|30/42|tool_use|msg_01",
			"Let me check \xe2\x82\xac.\nDone.", "anthropic stream");

	/* Usage not asked for (or not given): unknown. */
	is_owned(stream_whole(LLM_WIRE_OPENAI, CHUNK_OPENAI("{\"content\":\"x\"}", "\"length\"")
						       "data: [DONE]"),
		 "x|[]|?0/0|length|chatcmpl-9",
		 "openai: no usage chunk; a last event without its blank line counts");
	is_owned(stream_whole(LLM_WIRE_ANTHROPIC,
			      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":"
			      "{\"id\":\"m\",\"usage\":{\"input_tokens\":10,\"cache_read_input_tokens\":90,"
			      "\"output_tokens\":1}}}\n\n"
			      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":"
			      "{\"stop_reason\":\"end_turn\"},\"usage\":{\"input_tokens\":10,\"output_tokens\":7}}\n\n"
			      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"),
		 "|[]|100/7|end_turn|m",
		 "anthropic: input tokens repeated in message_delta without the cache do not lower them");
	/* Servers that leave out the index send whole calls, one per delta. */
	is_owned(stream_whole(LLM_WIRE_OPENAI,
			      "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"t1\",\"function\":"
			      "{\"name\":\"a\",\"arguments\":\"{}\"}}]}}]}\n\n"
			      "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"t2\",\"function\":"
			      "{\"name\":\"b\",\"arguments\":{\"k\":1}}}]}}]}\n\n"
			      "data: [DONE]\n\n"
			      "data: {\"choices\":[{\"delta\":{\"content\":\"after the end\"}}]}\n\n"),
		 "|[{\"id\":\"t1\",\"name\":\"a\",\"args\":{}},{\"id\":\"t2\",\"name\":\"b\",\"args\":{\"k\":1}}]"
		 "|?0/0||-",
		 "openai: tool calls without an index; nothing after [DONE] counts");
}

static void
test_stream_failures(void)
{
	size_t len = strlen(openai_text_stream);
	size_t cut = len - strlen("data: [DONE]\n\n");
	is_owned(stream_line(LLM_WIRE_OPENAI, openai_text_stream, cut, NULL, 0, NULL, NULL),
		 "FINISH:the answer was cut off before its end", "openai: no [DONE] is a cut answer");
	is_owned(stream_line(LLM_WIRE_OPENAI, openai_text_stream, 200, NULL, 0, NULL, NULL),
		 "FINISH:the answer was cut off before its end",
		 "openai: cut inside an event is a cut answer");
	len = strlen(anthropic_stream);
	cut = len - strlen("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
	is_owned(stream_line(LLM_WIRE_ANTHROPIC, anthropic_stream, cut, NULL, 0, NULL, NULL),
		 "FINISH:the answer was cut off before its end",
		 "anthropic: no message_stop is a cut answer");
	is_owned(stream_line(LLM_WIRE_ANTHROPIC, anthropic_stream, len - 5, NULL, 0, NULL, NULL),
		 "FINISH:the answer was cut off before its end",
		 "anthropic: cut inside message_stop is a cut answer");
	is_owned(stream_whole(LLM_WIRE_OPENAI, ""), "FINISH:the answer was cut off before its end",
		 "an empty body is a cut answer");

	is_owned(stream_whole(LLM_WIRE_ANTHROPIC,
			      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\"}}\n\n"
			      "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
			      "\"message\":\"Overloaded\"}}\n\n"),
		 "FEED:the provider sent an error: Overloaded", "anthropic: an error event");
	is_owned(stream_whole(LLM_WIRE_ANTHROPIC,
			      "event: error\ndata: {\"type\":\"error\",\"error\":{\"message\":\"Overloaded\"}}"),
		 "FINISH:the provider sent an error: Overloaded",
		 "anthropic: an error event closing the body without its blank line");
	is_owned(stream_whole(LLM_WIRE_OPENAI,
			      CHUNK_OPENAI("{\"content\":\"x\"}", "null")
			      "data: {\"error\":{\"message\":\"Rate limit\\nreached\",\"type\":\"requests\"}}\n\n"),
		 "FEED:the provider sent an error: Rate limit reached", "openai: a chunk with an error object");
	is_owned(stream_whole(LLM_WIRE_OPENAI, "event: error\ndata: upstream gone\n\n"),
		 "FEED:the provider sent an error in the stream", "an error event that is not JSON");
	is_owned(stream_whole(LLM_WIRE_OPENAI, "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}\n\n"),
		 "FEED:an event of the provider's stream is not a JSON object", "openai: malformed JSON");
	is_owned(stream_whole(LLM_WIRE_ANTHROPIC, "event: content_block_delta\ndata: [1]\n\n"),
		 "FEED:an event of the provider's stream is not a JSON object",
		 "anthropic: an event that is not an object");
	is_owned(stream_whole(LLM_WIRE_OPENAI,
			      "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\","
			      "\"function\":{\"name\":\"calc\",\"arguments\":\"[1,\"}}]}}]}\n\n"
			      "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,"
			      "\"function\":{\"arguments\":\"2]\"}}]}}]}\n\n"
			      "data: [DONE]\n\n"),
		 "FINISH:the arguments of the call to tool 'calc' are not a JSON object",
		 "openai: assembled arguments that are not an object");
	is_owned(stream_whole(LLM_WIRE_ANTHROPIC,
			      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
			      "\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"calc\",\"input\":{}}}\n\n"
			      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
			      "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"x\\\":\"}}\n\n"
			      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"),
		 "FINISH:the arguments of the call to tool 'calc' are not JSON",
		 "anthropic: assembled arguments that are not JSON");

	/* A fed stream that failed stays failed. */
	struct llm_stream *s = llm_stream_new(LLM_WIRE_OPENAI);
	char *err = NULL;
	ok(llm_stream_feed(s, "data: nope\n\n", 12, NULL, NULL, &err) == -1, "a bad event fails the feed");
	free(err);
	err = NULL;
	ok(llm_stream_feed(s, "data: [DONE]\n\n", 14, NULL, NULL, &err) == -1 && err != NULL,
	   "... and the next feed");
	free(err);
	err = NULL;
	struct llm_reply r;
	ok(llm_stream_finish(s, &r, &err) == -1 && err != NULL && r.text == NULL,
	   "... and the finish, with an empty reply");
	free(err);
	llm_stream_free(s);

	/* The bound: three events of 3 MiB of text each pass 8 MiB. */
	size_t piece = 3u << 20;
	const char *head = "data: {\"choices\":[{\"delta\":{\"content\":\"";
	const char *tail = "\"}}]}\n\n";
	size_t ev = strlen(head) + piece + strlen(tail);
	char *body = xmalloc(3 * ev + 1);
	for (int i = 0; i < 3; i++) {
		char *p = body + i * ev;
		memcpy(p, head, strlen(head));
		memset(p + strlen(head), 'x', piece);
		memcpy(p + strlen(head) + piece, tail, strlen(tail));
	}
	body[3 * ev] = '\0';
	s = llm_stream_new(LLM_WIRE_OPENAI);
	int rc = 0;
	for (size_t off = 0; off < 3 * ev && rc == 0; off += 65536) {
		size_t n = 3 * ev - off < 65536 ? 3 * ev - off : 65536;
		rc = llm_stream_feed(s, body + off, n, NULL, NULL, &err);
	}
	is_int(rc, -1, "a reply over 8 MiB fails the feed");
	is_str(err, "the provider's answer is larger than 8388608 bytes", "... saying so");
	free(err);
	llm_stream_free(s);
	free(body);
}

int
main(void)
{
	test_providers();
	test_endpoints();
	test_headers();
	test_openai_body();
	test_anthropic_body();
	test_openai_reply();
	test_anthropic_reply();
	test_error_message();
	test_messages();
	test_stream_replies();
	test_stream_failures();
	return done_testing();
}
