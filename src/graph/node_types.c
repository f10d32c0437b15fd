/* node_types.c: the registry table and its JSON rendering; see
 * node_types.h. */
#include "node_types.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "graph/ai_config.h"
#include "graph/tool_config.h"
#include "graph/webhook_config.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Table-building shorthands: a port list and a field list end with a
 * NULL name, an enum with a NULL string. */
#define PORTS(...) ((const struct node_port[]){ __VA_ARGS__, { NULL, 0, NULL, false, NULL } })
#define PORT(name, type, desc) { (name), (type), (desc), false, NULL }
#define PORT_REQ(name, type, desc) { (name), (type), (desc), true, NULL }
#define PORT_SCHEMA(name, type, desc, schema) { (name), (type), (desc), false, (schema) }
#define CONFIG(...) ((const struct config_field[]){ __VA_ARGS__, { .name = NULL } })
#define CHOICES(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Files attached to a chat or Telegram message. */
#define FILES_SCHEMA \
	"{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{" \
	"\"filename\":{\"type\":\"string\"},\"mime_type\":{\"type\":\"string\"}," \
	"\"size_bytes\":{\"type\":\"integer\"},\"url\":{\"type\":\"string\"}}," \
	"\"required\":[\"filename\",\"mime_type\",\"size_bytes\",\"url\"]}}"

/* One inline subagent of a deep_agent. */
#define SUBAGENT_ITEMS_SCHEMA \
	"{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}," \
	"\"description\":{\"type\":\"string\"},\"system_prompt\":{\"type\":\"string\"}," \
	"\"model\":{\"type\":\"string\",\"default\":\"\"}}," \
	"\"required\":[\"name\",\"description\",\"system_prompt\"]}"

/* The order here is the order of the API's map. */
static const struct node_type registry[] = {
	{
		.name = "trigger_telegram",
		.display_name = "Telegram Trigger",
		.description = "Receives messages from Telegram via msg-gateway",
		.category = NODE_CAT_TRIGGER,
		.outputs = PORTS(
			PORT("text", PT_STRING, "Message text"),
			PORT("chat_id", PT_NUMBER, "Telegram chat ID"),
			PORT_SCHEMA("files", PT_ARRAY, "Document files", FILES_SCHEMA),
			PORT("payload", PT_OBJECT, "Full trigger payload")),
		.flags = NODE_IS_TRIGGER,
	},
	{
		.name = "trigger_manual",
		.display_name = "Manual Trigger",
		.description = "Manually triggered workflow execution",
		.category = NODE_CAT_TRIGGER,
		.outputs = PORTS(
			PORT("payload", PT_OBJECT, "Manual trigger payload")),
		.flags = NODE_IS_TRIGGER,
	},
	{
		.name = "trigger_schedule",
		.display_name = "Schedule Trigger",
		.description = "Executes workflow on a scheduled interval",
		.category = NODE_CAT_TRIGGER,
		.outputs = PORTS(
			PORT("timestamp", PT_STRING, "ISO 8601 timestamp of when the job fired"),
			PORT("payload", PT_OBJECT, "Scheduled job payload")),
		.flags = NODE_IS_TRIGGER,
	},
	{
		.name = "trigger_chat",
		.display_name = "Chat Trigger",
		.description = "Receives messages from external chat clients via msg-gateway generic adapter",
		.category = NODE_CAT_TRIGGER,
		.outputs = PORTS(
			PORT("text", PT_STRING, "Chat message text"),
			PORT_SCHEMA("files", PT_ARRAY, "Document files", FILES_SCHEMA),
			PORT("payload", PT_OBJECT, "Full chat trigger payload")),
		.flags = NODE_IS_TRIGGER,
	},
	{
		.name = "trigger_workflow",
		.display_name = "Workflow Trigger",
		.description = "Triggered by another workflow execution",
		.category = NODE_CAT_TRIGGER,
		.outputs = PORTS(
			PORT("text", PT_STRING, "Text content from workflow trigger"),
			PORT("payload", PT_OBJECT, "Full trigger payload object")),
		.flags = NODE_IS_TRIGGER,
	},
	{
		.name = "trigger_error",
		.display_name = "Error Trigger",
		.description = "Triggered when a workflow execution encounters an error",
		.category = NODE_CAT_TRIGGER,
		.outputs = PORTS(
			PORT("error", PT_OBJECT, "")),
		.flags = NODE_IS_TRIGGER,
	},
	{
		.name = "trigger_webhook",
		.display_name = "Webhook Trigger",
		.description = "Starts the workflow when an HTTP request arrives at /api/v1/webhooks/<path>",
		.category = NODE_CAT_TRIGGER,
		.outputs = PORTS(
			PORT("body", PT_ANY, "Request body: parsed JSON, or the text of a body that is not JSON"),
			PORT("headers", PT_OBJECT, "Request headers, names in lower case"),
			PORT("query", PT_OBJECT, "Query string parameters"),
			PORT("method", PT_STRING, "HTTP method of the request"),
			PORT("payload", PT_OBJECT, "Full trigger payload")),
		.flags = NODE_IS_TRIGGER,
		.config_shape = CONFIG_OBJECT,
		.config = CONFIG(
			{ .name = "path",
			  .type = "string",
			  .description = WEBHOOK_PATH_RULE,
			  .required = true },
			{ .name = "method",
			  .type = "string",
			  .description = "HTTP method the webhook accepts (ANY: every method)",
			  .default_json = "\"POST\"",
			  .choices = CHOICES("POST", "GET", "PUT", "PATCH", "DELETE", "ANY") },
			{ .name = "secret",
			  .type = "string",
			  .description = "HMAC secret that signs deliveries; stored encrypted and shown "
					 "masked. Unset: deliveries are not signed",
			  .default_json = "null" },
			{ .name = "signature_header",
			  .type = "string",
			  .description = "Request header that carries the signature",
			  .default_json = "\"X-Hub-Signature-256\"" },
			{ .name = "signature_algorithm",
			  .type = "string",
			  .description = "sha256: 'sha256=<hex HMAC-SHA256 of the body>' (GitHub); "
					 "stripe: 't=<unix time>,v1=<hex HMAC-SHA256 of "
					 "\"<t>.<body>\">' within the tolerance (Stripe); hex: the "
					 "bare hex HMAC-SHA256 of the body",
			  .default_json = "\"sha256\"",
			  .choices = CHOICES("sha256", "stripe", "hex") },
			{ .name = "signature_tolerance_seconds",
			  .type = "integer",
			  .description = "stripe: how far the signed time may be from now",
			  .default_json = "300",
			  .minimum = "1",
			  .maximum = "86400" },
			{ .name = "mode",
			  .type = "string",
			  .description = "async: answer 202 with the execution id at once; sync: wait "
					 "for the workflow's output",
			  .default_json = "\"async\"",
			  .choices = CHOICES("async", "sync") },
			{ .name = "max_wait_seconds",
			  .type = "integer",
			  .description = "sync: the longest wait, then 202 with the execution id",
			  .default_json = "30",
			  .minimum = "1",
			  .maximum = "300" },
			{ .name = "rate_limit_per_minute",
			  .type = "integer",
			  .description = "Deliveries accepted per minute, then 429 (0: no limit)",
			  .default_json = "0",
			  .minimum = "0",
			  .maximum = "1000000" },
			{ .name = "max_concurrency",
			  .type = "integer",
			  .description = "Executions of this webhook running at once, then 429 (0: no limit)",
			  .default_json = "0",
			  .minimum = "0",
			  .maximum = "100000" },
			{ .name = "respond_with",
			  .type = "string",
			  .description = "sync: the node_id whose output is the response body "
					 "(unset: the workflow's final output)",
			  .default_json = "null" }),
		.check_config = webhook_config_check,
	},
	{
		.name = "reply_chat",
		.display_name = "Reply to Chat",
		.description = "Sends a message back to the chat caller and ends the workflow",
		.category = NODE_CAT_OUTPUT,
		.inputs = PORTS(
			PORT("input", PT_ANY, "")),
		.outputs = PORTS(
			PORT("output", PT_STRING, "")),
		.flags = NODE_EXECUTABLE,
		.config_shape = CONFIG_FLAT,
		.config = CONFIG(
			{ .name = "message",
			  .type = "string",
			  .description = "Message to send back (supports {{ node.output }} templates)",
			  .default_json = "\"\"" }),
	},
	{
		.name = "agent",
		.display_name = "Agent",
		.description = "LangGraph react agent with tools",
		.category = NODE_CAT_AI,
		.inputs = PORTS(
			PORT_REQ("messages", PT_MESSAGES, "")),
		.outputs = PORTS(
			PORT("messages", PT_MESSAGES, ""),
			PORT("output", PT_STRING, "")),
		.flags = NODE_REQUIRES_MODEL | NODE_REQUIRES_TOOLS | NODE_REQUIRES_SKILLS | NODE_EXECUTABLE
			 | NODE_KEEPS_PROMPT,
		.config_shape = CONFIG_OBJECT,
		.config = CONFIG(
			{ .name = "conversation_memory",
			  .type = "boolean",
			  .description = "Enable conversation memory across executions",
			  .default_json = "false" }),
		.check_config = ai_config_check_agent,
	},
	{
		.name = "deep_agent",
		.display_name = "Deep Agent",
		.description = "Advanced agent with built-in task planning, filesystem tools, and subagents",
		.category = NODE_CAT_AI,
		.inputs = PORTS(
			PORT_REQ("messages", PT_MESSAGES, "")),
		.outputs = PORTS(
			PORT("messages", PT_MESSAGES, ""),
			PORT("output", PT_STRING, "")),
		.flags = NODE_REQUIRES_MODEL | NODE_REQUIRES_TOOLS | NODE_REQUIRES_SKILLS | NODE_EXECUTABLE,
		.config_shape = CONFIG_OBJECT,
		.config = CONFIG(
			{ .name = "conversation_memory",
			  .type = "boolean",
			  .description = "Enable conversation memory across executions",
			  .default_json = "false" },
			{ .name = "enable_filesystem",
			  .type = "boolean",
			  .description = "Enable built-in filesystem tools",
			  .default_json = "false" },
			{ .name = "filesystem_backend",
			  .type = "string",
			  .description = "Filesystem storage backend",
			  .default_json = "\"state\"",
			  .choices = CHOICES("state", "filesystem", "store") },
			{ .name = "filesystem_root_dir",
			  .type = "string",
			  .description = "Root directory for filesystem backend (filesystem mode only)",
			  .default_json = "\"\"" },
			{ .name = "enable_todos",
			  .type = "boolean",
			  .description = "Enable built-in task planning (todos)",
			  .default_json = "false" },
			{ .name = "subagents",
			  .type = "array",
			  .description = "Inline subagent definitions",
			  .default_json = "[]",
			  .items_json = SUBAGENT_ITEMS_SCHEMA }),
	},
	{
		.name = "categorizer",
		.display_name = "Categorizer",
		.description = "Classifies input into categories",
		.category = NODE_CAT_AI,
		.inputs = PORTS(
			PORT_REQ("messages", PT_MESSAGES, "")),
		.outputs = PORTS(
			PORT("category", PT_STRING, ""),
			PORT("raw", PT_STRING, "Raw LLM response")),
		.flags = NODE_REQUIRES_MODEL | NODE_REQUIRES_OUTPUT_PARSER | NODE_EXECUTABLE
			 | NODE_KEEPS_PROMPT,
		.check_config = ai_config_check_categorizer,
	},
	{
		.name = "router",
		.display_name = "Router",
		.description = "Routes to different branches based on input",
		.category = NODE_CAT_AI,
		.inputs = PORTS(
			PORT_REQ("messages", PT_MESSAGES, "")),
		.outputs = PORTS(
			PORT("route", PT_STRING, "")),
		.flags = NODE_REQUIRES_MODEL | NODE_REQUIRES_OUTPUT_PARSER | NODE_EXECUTABLE
			 | NODE_KEEPS_PROMPT,
	},
	{
		.name = "extractor",
		.display_name = "Extractor",
		.description = "Extracts structured data from input",
		.category = NODE_CAT_AI,
		.inputs = PORTS(
			PORT_REQ("messages", PT_MESSAGES, "")),
		.outputs = PORTS(
			PORT("extracted", PT_OBJECT, "")),
		.flags = NODE_REQUIRES_MODEL | NODE_REQUIRES_OUTPUT_PARSER | NODE_EXECUTABLE
			 | NODE_KEEPS_PROMPT,
		.check_config = ai_config_check_extractor,
	},
	{
		.name = "ai_model",
		.display_name = "AI Model",
		.description = "",
		.category = NODE_CAT_SUB_COMPONENT,
		.outputs = PORTS(
			PORT("model", PT_OBJECT, "")),
		.flags = NODE_SUB_COMPONENT | NODE_MODEL_CONFIG,
	},
	{
		.name = "run_command",
		.display_name = "Run Command",
		.description = "",
		.category = NODE_CAT_SUB_COMPONENT,
		.inputs = PORTS(
			PORT("command", PT_STRING, "")),
		.outputs = PORTS(
			PORT("result", PT_STRING, "")),
		.flags = NODE_EXECUTABLE | NODE_SUB_COMPONENT,
	},
	{
		.name = "platform_api",
		.display_name = "Platform API",
		.description = "Make authenticated requests to the platform API",
		.category = NODE_CAT_AGENT,
		.outputs = PORTS(
			PORT("response", PT_STRING, "JSON response from API")),
		.flags = NODE_EXECUTABLE | NODE_SUB_COMPONENT,
		.config_shape = CONFIG_OBJECT,
		.config = CONFIG(
			{ .name = "api_base_url",
			  .type = "string",
			  .description = "Base URL for API",
			  .default_json = "\"http://localhost:8000\"" }),
	},
	{
		.name = "whoami",
		.display_name = "Who Am I",
		.description = "Get self-awareness - workflow, node ID, and how to modify yourself",
		.category = NODE_CAT_AGENT,
		.outputs = PORTS(
			PORT("identity", PT_STRING, "JSON with identity and self-modification instructions")),
		.flags = NODE_EXECUTABLE | NODE_SUB_COMPONENT,
	},
	{
		.name = "get_totp_code",
		.display_name = "Get TOTP Code",
		.description = "Retrieve the current TOTP code for agent identity verification",
		.category = NODE_CAT_AGENT,
		.outputs = PORTS(
			PORT("totp_code", PT_STRING, "JSON with username and current TOTP code")),
		.flags = NODE_EXECUTABLE | NODE_SUB_COMPONENT,
	},
	{
		.name = "spawn_and_await",
		.display_name = "Spawn & Await",
		.description = "Spawn a child workflow and wait for its result inside an agent's reasoning loop",
		.category = NODE_CAT_AGENT,
		.outputs = PORTS(
			PORT("result", PT_STRING, "JSON result from child workflow")),
		.flags = NODE_EXECUTABLE | NODE_SUB_COMPONENT,
	},
	{
		.name = "workflow_create",
		.display_name = "Workflow Create",
		.description = "Create workflows programmatically from a YAML DSL specification",
		.category = NODE_CAT_AGENT,
		.outputs = PORTS(
			PORT("result", PT_STRING, "JSON with workflow_id, slug, and counts")),
		.flags = NODE_EXECUTABLE | NODE_SUB_COMPONENT,
	},
	{
		.name = "workflow_discover",
		.display_name = "Workflow Discover",
		.description = "Search existing workflows by requirements and get reuse recommendations",
		.category = NODE_CAT_SUB_COMPONENT,
		.outputs = PORTS(
			PORT("result", PT_STRING, "JSON with matches, scores, and recommendations")),
		.flags = NODE_EXECUTABLE | NODE_SUB_COMPONENT,
	},
	{
		.name = "scheduler_tools",
		.display_name = "Scheduler Tools",
		.description = "Create, pause, resume, stop, and list scheduled recurring jobs",
		.category = NODE_CAT_AGENT,
		.outputs = PORTS(
			PORT("result", PT_STRING, "JSON result from schedule operations")),
		.flags = NODE_EXECUTABLE | NODE_SUB_COMPONENT,
	},
	{
		.name = "system_health",
		.display_name = "System Health",
		.description = "Check platform infrastructure health: Redis, RQ workers, queues, stuck executions, failed executions, and scheduled jobs",
		.category = NODE_CAT_AGENT,
		.outputs = PORTS(
			PORT("result", PT_STRING, "JSON health report with summary, checks, and issues")),
		.flags = NODE_EXECUTABLE | NODE_SUB_COMPONENT,
	},
	{
		.name = "validate_gherkin",
		.display_name = "Validate Gherkin",
		.description = "Validate Gherkin .feature specs for syntax errors and lint warnings",
		.category = NODE_CAT_SUB_COMPONENT,
		.inputs = PORTS(
			PORT("gherkin_spec", PT_STRING, "Gherkin feature spec text")),
		.outputs = PORTS(
			PORT("result", PT_STRING, "JSON validation result")),
		.flags = NODE_EXECUTABLE | NODE_SUB_COMPONENT,
	},
	{
		.name = "validate_topology",
		.display_name = "Validate Topology",
		.description = "Validate a topology YAML string via the DSL compiler dry-run",
		.category = NODE_CAT_SUB_COMPONENT,
		.inputs = PORTS(
			PORT("topology_yaml", PT_STRING, "Workflow topology YAML to validate")),
		.outputs = PORTS(
			PORT("result", PT_STRING, "JSON validation result")),
		.flags = NODE_EXECUTABLE | NODE_SUB_COMPONENT,
	},
	{
		.name = "output_parser",
		.display_name = "Output Parser",
		.description = "",
		.category = NODE_CAT_SUB_COMPONENT,
		.inputs = PORTS(
			PORT("text", PT_STRING, "")),
		.outputs = PORTS(
			PORT("parsed", PT_OBJECT, "")),
		.flags = NODE_SUB_COMPONENT,
	},
	{
		.name = "skill",
		.display_name = "Skill",
		.description = "SKILL.md behavioral instructions for agents via progressive disclosure",
		.category = NODE_CAT_SUB_COMPONENT,
		.outputs = PORTS(
			PORT("skill_path", PT_STRING, "Path to skills directory")),
		.flags = NODE_SUB_COMPONENT,
		.config_shape = CONFIG_OBJECT,
		.config = CONFIG(
			{ .name = "skill_path",
			  .type = "string",
			  .description = "Directory containing skill subdirectories with SKILL.md files. Empty = platform default (~/.config/pipelit/skills/)",
			  .default_json = "\"\"" },
			{ .name = "skill_source",
			  .type = "string",
			  .description = "Skill source type (filesystem only for now; git and registry planned)",
			  .default_json = "\"filesystem\"",
			  .choices = CHOICES("filesystem") }),
	},
	{
		.name = "memory_read",
		.display_name = "Memory Read",
		.description = "Recall tool — retrieves information from global memory",
		.category = NODE_CAT_SUB_COMPONENT,
		.outputs = PORTS(
			PORT("result", PT_STRING, "Retrieved memory content")),
		.flags = NODE_EXECUTABLE | NODE_SUB_COMPONENT,
		.config_shape = CONFIG_OBJECT,
		.config = CONFIG(
			{ .name = "memory_type",
			  .type = "string",
			  .description = "Type of memory to search",
			  .default_json = "\"facts\"",
			  .choices = CHOICES("facts", "episodes", "procedures", "all") },
			{ .name = "limit",
			  .type = "integer",
			  .description = "Maximum results to return",
			  .default_json = "10",
			  .minimum = "1",
			  .maximum = "100" },
			{ .name = "min_confidence",
			  .type = "number",
			  .description = "Minimum confidence for facts",
			  .default_json = "0.5",
			  .minimum = "0",
			  .maximum = "1" }),
	},
	{
		.name = "memory_write",
		.display_name = "Memory Write",
		.description = "Remember tool — stores information in global memory",
		.category = NODE_CAT_SUB_COMPONENT,
		.outputs = PORTS(
			PORT("result", PT_STRING, "Confirmation of what was stored")),
		.flags = NODE_EXECUTABLE | NODE_SUB_COMPONENT,
		.config_shape = CONFIG_OBJECT,
		.config = CONFIG(
			{ .name = "fact_type",
			  .type = "string",
			  .description = "Type of fact being stored",
			  .default_json = "\"world_knowledge\"",
			  .choices = CHOICES("user_preference", "world_knowledge", "self_knowledge", "correction", "relationship") },
			{ .name = "overwrite",
			  .type = "boolean",
			  .description = "Overwrite if key exists",
			  .default_json = "true" }),
	},
	/* Tools this project adds (pipelit-engine.md 4.4 lists them as
	 * removed from Pipelit): sub-components wired tool -> agent with the
	 * label "tool"; the agent runs them through nodes/tools.h. */
	{
		.name = "calculator",
		.display_name = "Calculator",
		.description = "Calculator tool: evaluates arithmetic (numbers, + - * / // % ** and "
			       "parentheses) safely, never as code",
		.category = NODE_CAT_SUB_COMPONENT,
		.inputs = PORTS(
			PORT("expression", PT_STRING, "Arithmetic expression")),
		.outputs = PORTS(
			PORT("result", PT_STRING, "The result, or an error message")),
		.flags = NODE_EXECUTABLE | NODE_SUB_COMPONENT,
	},
	{
		.name = "get_datetime",
		.display_name = "Get Date/Time",
		.description = "Date/time tool: the current date and time in a time zone",
		.category = NODE_CAT_SUB_COMPONENT,
		.outputs = PORTS(
			PORT("result", PT_STRING, "Date and time as %Y-%m-%d %H:%M:%S %Z")),
		.flags = NODE_EXECUTABLE | NODE_SUB_COMPONENT,
		.config_shape = CONFIG_OBJECT,
		.config = CONFIG(
			{ .name = "timezone",
			  .type = "string",
			  .description = "IANA time zone name, e.g. Europe/Berlin",
			  .default_json = "\"UTC\"" }),
		.check_config = tool_config_check_datetime,
	},
	{
		.name = "http_request",
		.display_name = "HTTP Request",
		.description = "HTTP tool: the agent sends a request to a URL it chooses, within the "
			       "outbound policy",
		.category = NODE_CAT_SUB_COMPONENT,
		.inputs = PORTS(
			PORT("url", PT_STRING, "URL to request")),
		.outputs = PORTS(
			PORT("result", PT_STRING, "HTTP status and response body")),
		.flags = NODE_EXECUTABLE | NODE_SUB_COMPONENT,
		.config_shape = CONFIG_OBJECT,
		.config = CONFIG(
			{ .name = "method",
			  .type = "string",
			  .description = "HTTP method when the model names none",
			  .default_json = "\"GET\"",
			  .choices = CHOICES(TOOL_HTTP_METHODS) },
			{ .name = "headers",
			  .type = "object",
			  .description = "Headers sent with every request (name: value strings)",
			  .default_json = "{}" },
			{ .name = "timeout",
			  .type = "integer",
			  .description = "Seconds the whole request may take",
			  .default_json = "30",
			  .minimum = "1",
			  .maximum = "300" },
			{ .name = "max_response_bytes",
			  .type = "integer",
			  .description = "Largest response body read; a longer one fails the call",
			  .default_json = "1048576",
			  .minimum = "1024",
			  .maximum = "16777216" }),
		.check_config = tool_config_check_http,
	},
	{
		.name = "web_search",
		.display_name = "Web Search",
		.description = "Web search tool through a SearXNG instance: config.credential_id names "
			       "a tool credential (unset: the owner's preferred SearXNG credential)",
		.category = NODE_CAT_SUB_COMPONENT,
		.inputs = PORTS(
			PORT("query", PT_STRING, "Search query")),
		.outputs = PORTS(
			PORT("result", PT_STRING, "The top results as text")),
		.flags = NODE_EXECUTABLE | NODE_SUB_COMPONENT | NODE_KEEPS_CREDENTIAL,
	},
	{
		.name = "identify_user",
		.display_name = "Identify User",
		.description = "Identify who is talking and load their context",
		.category = NODE_CAT_MEMORY,
		.inputs = PORTS(
			PORT_REQ("trigger_input", PT_OBJECT, "Raw trigger payload"),
			PORT_REQ("channel", PT_STRING, "Channel type (telegram, webhook, etc.)")),
		.outputs = PORTS(
			PORT("user_id", PT_STRING, "Canonical user ID"),
			PORT("user_context", PT_OBJECT, "User facts, preferences, history"),
			PORT("is_new_user", PT_BOOLEAN, "Whether this is a first-time user")),
		.flags = NODE_EXECUTABLE,
	},
	{
		.name = "switch",
		.display_name = "Switch",
		.description = "Routes to different branches based on a state field or expression",
		.category = NODE_CAT_LOGIC,
		.inputs = PORTS(
			PORT_REQ("input", PT_ANY, "")),
		.outputs = PORTS(
			PORT("route", PT_STRING, "")),
		.flags = NODE_EXECUTABLE | NODE_CONDITIONAL_SOURCE,
	},
	{
		.name = "assertion",
		.display_name = "Assertion",
		.description = "Evaluates all rules against state and routes pass/fail",
		.category = NODE_CAT_LOGIC,
		.inputs = PORTS(
			PORT_REQ("input", PT_ANY, "")),
		.outputs = PORTS(
			PORT("output", PT_OBJECT, "Results with passed flag and per-rule details"),
			PORT("route", PT_STRING, "'pass' or 'fail'")),
		.flags = NODE_EXECUTABLE | NODE_CONDITIONAL_SOURCE,
	},
	{
		.name = "code",
		.display_name = "Code",
		.description = "",
		.category = NODE_CAT_LOGIC,
		.inputs = PORTS(
			PORT("input", PT_ANY, "")),
		.outputs = PORTS(
			PORT("output", PT_ANY, "")),
		.flags = NODE_EXECUTABLE,
	},
	{
		.name = "merge",
		.display_name = "Merge",
		.description = "Merge outputs from multiple branches into one",
		.category = NODE_CAT_LOGIC,
		.inputs = PORTS(
			PORT_REQ("branches", PT_ANY, "")),
		.outputs = PORTS(
			PORT("merged", PT_ANY, "")),
		.flags = NODE_EXECUTABLE,
	},
	{
		.name = "filter",
		.display_name = "Filter",
		.description = "Filter array items using rule-based matching",
		.category = NODE_CAT_LOGIC,
		.inputs = PORTS(
			PORT_REQ("input", PT_ARRAY, "")),
		.outputs = PORTS(
			PORT("filtered", PT_ARRAY, "")),
		.flags = NODE_EXECUTABLE,
	},
	{
		.name = "loop",
		.display_name = "Loop",
		.description = "Iterate over an array, executing body nodes for each item",
		.category = NODE_CAT_LOGIC,
		.inputs = PORTS(
			PORT_REQ("items", PT_ARRAY, "")),
		.outputs = PORTS(
			PORT("results", PT_ARRAY, "")),
		.flags = NODE_EXECUTABLE,
	},
	{
		.name = "wait",
		.display_name = "Wait",
		.description = "Delay downstream execution by a specified duration",
		.category = NODE_CAT_LOGIC,
		.inputs = PORTS(
			PORT("input", PT_ANY, "")),
		.outputs = PORTS(
			PORT("output", PT_STRING, "")),
		.flags = NODE_EXECUTABLE,
	},
	{
		.name = "human_confirmation",
		.display_name = "Human Confirmation",
		.description = "",
		.category = NODE_CAT_FLOW,
		.inputs = PORTS(
			PORT("prompt", PT_STRING, "")),
		.outputs = PORTS(
			PORT("confirmed", PT_BOOLEAN, "Whether the user confirmed"),
			PORT("user_response", PT_STRING, "User's response text")),
		.flags = NODE_EXECUTABLE | NODE_INTERRUPTS_BEFORE,
	},
	{
		.name = "workflow",
		.display_name = "Subworkflow",
		.description = "Execute another workflow as a child and return its output",
		.category = NODE_CAT_LOGIC,
		.inputs = PORTS(
			PORT("payload", PT_ANY, "Data passed to child workflow")),
		.outputs = PORTS(
			PORT("output", PT_ANY, "Child workflow final output")),
		.flags = NODE_EXECUTABLE,
		.config_shape = CONFIG_OBJECT,
		.config = CONFIG(
			{ .name = "target_workflow",
			  .type = "string",
			  .description = "Slug of the workflow to invoke",
			  .required = true },
			{ .name = "trigger_mode",
			  .type = "string",
			  .description = "implicit = call workflow directly; explicit = go through trigger resolver",
			  .default_json = "\"implicit\"",
			  .choices = CHOICES("implicit", "explicit") },
			{ .name = "input_mapping",
			  .type = "object",
			  .description = "Map parent state fields to child trigger payload",
			  .default_json = "{}" }),
	},
	/* Accepted component types without a type spec in Pipelit: not in
	 * the API's map, last so the map's order is the table's. */
	{
		.name = "code_execute",
		.display_name = "Code Execute",
		.description = "",
		.category = NODE_CAT_SUB_COMPONENT,
		.flags = NODE_SUB_COMPONENT | NODE_UNLISTED,
	},
	{
		.name = "error_handler",
		.display_name = "Error Handler",
		.description = "",
		.category = NODE_CAT_LOGIC,
		.flags = NODE_UNLISTED,
	},
};

#define REGISTRY_SIZE (sizeof(registry) / sizeof(registry[0]))

const struct node_type *
node_types_all(size_t *n)
{
	*n = REGISTRY_SIZE;
	return registry;
}

const struct node_type *
node_type_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < REGISTRY_SIZE; i++)
		if (strcmp(registry[i].name, name) == 0)
			return &registry[i];
	return NULL;
}

bool
node_type_has(const char *name, unsigned flags)
{
	const struct node_type *t = node_type_find(name);
	return t != NULL && (t->flags & flags) == flags;
}

bool
node_type_is_trigger(const char *name)
{
	return node_type_has(name, NODE_IS_TRIGGER);
}

enum node_role
node_type_role(const char *name)
{
	const struct node_type *t = node_type_find(name);
	if (t == NULL)
		return NODE_ROLE_UNKNOWN;
	if (t->flags & NODE_IS_TRIGGER)
		return NODE_ROLE_TRIGGER;
	if (t->flags & NODE_SUB_COMPONENT)
		return NODE_ROLE_SUB_COMPONENT;
	return NODE_ROLE_STEP;
}

const char *const *
node_type_names(void)
{
	/* Filled once from the constant table; the same for every caller. */
	static const char *names[REGISTRY_SIZE + 1];
	if (names[0] == NULL)
		for (size_t i = 0; i < REGISTRY_SIZE; i++)
			names[i] = registry[i].name;
	return names;
}

int
node_type_check_config(const char *name, const json_t *extra_config, struct config_problem *out)
{
	const struct node_type *t = node_type_find(name);
	out->field = NULL;
	out->message = NULL;
	if (t == NULL || t->check_config == NULL)
		return 0;
	return t->check_config(extra_config, out);
}

void
config_problem_free(struct config_problem *p)
{
	free(p->field);
	free(p->message);
	p->field = NULL;
	p->message = NULL;
}

size_t
node_port_count(const struct node_port *ports)
{
	size_t n = 0;
	while (ports != NULL && ports[n].name != NULL)
		n++;
	return n;
}

const struct node_port *
node_type_first_input(const struct node_type *t)
{
	return node_port_count(t->inputs) > 0 ? &t->inputs[0] : NULL;
}

const struct node_port *
node_type_first_output(const struct node_type *t)
{
	return node_port_count(t->outputs) > 0 ? &t->outputs[0] : NULL;
}

bool
port_types_compatible(enum port_type from, enum port_type to)
{
	if (from == to || from == PT_ANY || to == PT_ANY)
		return true;
	if (from == PT_MESSAGE && to == PT_MESSAGES)
		return true;
	return from == PT_STRING && (to == PT_MESSAGE || to == PT_MESSAGES);
}

const char *
port_type_name(enum port_type t)
{
	static const char *const names[] = {
		[PT_STRING] = "string",	  [PT_NUMBER] = "number",     [PT_BOOLEAN] = "boolean",
		[PT_OBJECT] = "object",	  [PT_ARRAY] = "array",	      [PT_MESSAGE] = "message",
		[PT_MESSAGES] = "messages", [PT_IMAGE] = "image",     [PT_FILE] = "file",
		[PT_ANY] = "any",
	};
	return (size_t)t < sizeof(names) / sizeof(names[0]) ? names[t] : "any";
}

const char *
node_category_name(enum node_category c)
{
	static const char *const names[] = {
		[NODE_CAT_TRIGGER] = "trigger", [NODE_CAT_AI] = "ai",
		[NODE_CAT_SUB_COMPONENT] = "sub_component", [NODE_CAT_AGENT] = "agent",
		[NODE_CAT_MEMORY] = "memory", [NODE_CAT_OUTPUT] = "output",
		[NODE_CAT_LOGIC] = "logic", [NODE_CAT_FLOW] = "flow",
	};
	return (size_t)c < sizeof(names) / sizeof(names[0]) ? names[c] : "logic";
}

/* --- rendering ------------------------------------------------------------ */

/* A JSON literal from the table as a new value; NULL (and logged) if the
 * table holds malformed text, which the unit test rules out. */
static json_t *
literal(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &err);
	if (v == NULL)
		log_error("node-type registry: bad JSON literal %s: %s", text, err.text);
	return v;
}

/* Sets key to the parsed literal; returns -1 when it does not parse. */
static int
set_literal(json_t *obj, const char *key, const char *text)
{
	json_t *v = literal(text);
	if (v == NULL)
		return -1;
	json_object_set_new(obj, key, v);
	return 0;
}

static json_t *
render_port(const struct node_port *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(p->name));
	json_object_set_new(o, "data_type", json_string(port_type_name(p->type)));
	json_object_set_new(o, "description", json_string(p->description));
	json_object_set_new(o, "required", json_boolean(p->required));
	json_object_set_new(o, "default", json_null());
	if (p->schema_json == NULL)
		json_object_set_new(o, "port_schema", json_null());
	else if (set_literal(o, "port_schema", p->schema_json) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
render_ports(const struct node_port *ports)
{
	json_t *a = json_array();
	for (size_t i = 0; ports != NULL && ports[i].name != NULL; i++) {
		json_t *p = render_port(&ports[i]);
		if (p == NULL) {
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, p);
	}
	return a;
}

static json_t *
render_choices(const char *const *choices)
{
	json_t *a = json_array();
	for (size_t i = 0; choices[i] != NULL; i++)
		json_array_append_new(a, json_string(choices[i]));
	return a;
}

/* The flat (reply_chat) layout: type, description, default. */
static int
render_flat_field(json_t *o, const struct config_field *f)
{
	json_object_set_new(o, "type", json_string(f->type));
	if (f->description != NULL)
		json_object_set_new(o, "description", json_string(f->description));
	if (f->default_json != NULL && set_literal(o, "default", f->default_json) < 0)
		return -1;
	return 0;
}

/* The object layout: type, enum, default, bounds, description, items. */
static int
render_object_field(json_t *o, const struct config_field *f)
{
	json_object_set_new(o, "type", json_string(f->type));
	if (f->choices != NULL)
		json_object_set_new(o, "enum", render_choices(f->choices));
	if (f->default_json != NULL && set_literal(o, "default", f->default_json) < 0)
		return -1;
	if (f->minimum != NULL && set_literal(o, "minimum", f->minimum) < 0)
		return -1;
	if (f->maximum != NULL && set_literal(o, "maximum", f->maximum) < 0)
		return -1;
	if (f->description != NULL)
		json_object_set_new(o, "description", json_string(f->description));
	if (f->items_json != NULL && set_literal(o, "items", f->items_json) < 0)
		return -1;
	return 0;
}

/* The fields as {name: schema}, laid out for shape; NULL on a bad literal. */
static json_t *
render_fields(const struct config_field *fields, enum config_shape shape)
{
	json_t *props = json_object();
	for (size_t i = 0; fields != NULL && fields[i].name != NULL; i++) {
		json_t *o = json_object();
		json_object_set_new(props, fields[i].name, o);
		int rc = shape == CONFIG_FLAT ? render_flat_field(o, &fields[i])
					      : render_object_field(o, &fields[i]);
		if (rc < 0) {
			json_decref(props);
			return NULL;
		}
	}
	return props;
}

static json_t *
render_required(const struct config_field *fields)
{
	json_t *a = json_array();
	for (size_t i = 0; fields != NULL && fields[i].name != NULL; i++)
		if (fields[i].required)
			json_array_append_new(a, json_string(fields[i].name));
	return a;
}

static json_t *
render_config_schema(const struct node_type *t)
{
	if (t->config_shape == CONFIG_NONE)
		return json_object();
	json_t *props = render_fields(t->config, t->config_shape);
	if (props == NULL || t->config_shape == CONFIG_FLAT)
		return props;
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string("object"));
	json_object_set_new(o, "properties", props);
	json_t *required = render_required(t->config);
	if (json_array_size(required) > 0)
		json_object_set_new(o, "required", required);
	else
		json_decref(required);
	return o;
}

static void
set_flag(json_t *o, const char *key, const struct node_type *t, unsigned flag)
{
	json_object_set_new(o, key, json_boolean((t->flags & flag) != 0));
}

/* One NodeTypeSpec, keys in the API's order; NULL on a bad literal. */
static json_t *
render_node_type(const struct node_type *t)
{
	json_t *inputs = render_ports(t->inputs);
	json_t *outputs = render_ports(t->outputs);
	json_t *config = render_config_schema(t);
	if (inputs == NULL || outputs == NULL || config == NULL) {
		json_decref(inputs);
		json_decref(outputs);
		json_decref(config);
		return NULL;
	}
	json_t *o = json_object();
	json_object_set_new(o, "component_type", json_string(t->name));
	json_object_set_new(o, "display_name", json_string(t->display_name));
	json_object_set_new(o, "description", json_string(t->description));
	json_object_set_new(o, "category", json_string(node_category_name(t->category)));
	json_object_set_new(o, "inputs", inputs);
	json_object_set_new(o, "outputs", outputs);
	set_flag(o, "requires_model", t, NODE_REQUIRES_MODEL);
	set_flag(o, "requires_tools", t, NODE_REQUIRES_TOOLS);
	set_flag(o, "requires_memory", t, NODE_REQUIRES_MEMORY);
	set_flag(o, "requires_output_parser", t, NODE_REQUIRES_OUTPUT_PARSER);
	set_flag(o, "requires_skills", t, NODE_REQUIRES_SKILLS);
	set_flag(o, "executable", t, NODE_EXECUTABLE);
	json_object_set_new(o, "config_schema", config);
	return o;
}

/* The whole map {component_type: NodeTypeSpec}; caller owns it. */
static json_t *
render_registry(void)
{
	json_t *all = json_object();
	for (size_t i = 0; i < REGISTRY_SIZE; i++) {
		if (registry[i].flags & NODE_UNLISTED)
			continue;
		json_t *spec = render_node_type(&registry[i]);
		if (spec == NULL) {
			json_decref(all);
			return NULL;
		}
		json_object_set_new(all, registry[i].name, spec);
	}
	return all;
}

const char *
node_types_json(size_t *len)
{
	/* The registry is constant, so its text is too: rendered once and
	 * kept for the life of the process. */
	static char *text;
	static size_t text_len;

	if (text == NULL) {
		json_t *all = render_registry();
		if (all == NULL)
			return NULL;
		text = json_dumps(all, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(all);
		if (text == NULL)
			return NULL;
		text_len = strlen(text);
	}
	if (len != NULL)
		*len = text_len;
	return text;
}
