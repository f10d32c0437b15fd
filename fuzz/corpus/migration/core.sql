-- Revision: 0a1c2e3b4d5f
-- Parent: <base>
-- Message: core tables
-- Created: 2026-11-25 23:00:00

-- +upgrade sqlite
--
-- The core tables of the Pipelit schema (spec/pipelit-schema.md, section 7)
-- and every table they reference through a foreign key.  Table and column
-- names, nullability, unique constraints and ON DELETE rules follow the
-- spec, and doc/schema.md describes each table.  Where we differ, on purpose:
--
-- * api_keys keeps no token in clear: key_hash holds the hex SHA-256 of the
--   token (64 characters, unique) in place of the key column.  prefix keeps
--   the first 8 characters of the token for lists.
-- * Encrypted columns (user_profiles.totp_secret, llm_credentials.api_key,
--   git_credentials.ssh_private_key and access_token) are TEXT, as the
--   ciphertext is longer than the secret.
-- * password_hash holds Argon2id strings.
-- * Every default the Python models apply is a server default here, so a row
--   inserted by plain SQL is complete.  Text keys (executions, schedules,
--   memory rows, pending tasks) default to a random uuid4 or 8 hex digits.
-- * Timestamps are UTC: TEXT on SQLite, written as YYYY-MM-DD HH:MM:SS.ffffff
--   (the same text the application writes), TIMESTAMP(6) on PostgreSQL.
--   JSON is TEXT on SQLite and json on PostgreSQL.
-- * Every foreign key column has an index (neither backend makes one by
--   itself), alone or as the first column of a wider index, and every list
--   the API sorts or filters has one.  Indexes are named ix_TABLE_COLUMNS.
-- * A few extra guards: the length of api_keys.key_hash, and system_config
--   holds the single row with id 1.
-- * The migration engine creates alembic_version, not this file.
--
-- users: people, gateway users and agents.  created_by_agent_id points back
-- into this table for users an agent created.
CREATE TABLE user_profiles (
	id INTEGER PRIMARY KEY,
	username VARCHAR(150) NOT NULL,
	password_hash VARCHAR(255) NOT NULL DEFAULT '',
	first_name VARCHAR(150) NOT NULL DEFAULT '',
	last_name VARCHAR(150) NOT NULL DEFAULT '',
	external_user_id VARCHAR(255),
	github_username VARCHAR(255) NOT NULL DEFAULT '',
	gitlab_username VARCHAR(255) NOT NULL DEFAULT '',
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	role VARCHAR(10) NOT NULL DEFAULT 'normal',
	created_by_agent_id INTEGER
		CONSTRAINT fk_user_profiles_created_by_agent_id
		REFERENCES user_profiles (id) ON DELETE SET NULL,
	totp_secret TEXT,
	mfa_enabled BOOLEAN NOT NULL DEFAULT FALSE,
	totp_last_used_at INTEGER,
	CONSTRAINT uq_user_profiles_username UNIQUE (username),
	CONSTRAINT uq_user_profiles_external_user_id UNIQUE (external_user_id),
	CONSTRAINT ck_user_profiles_role CHECK (role IN ('admin', 'normal'))
);
CREATE INDEX ix_user_profiles_created_by_agent_id ON user_profiles (created_by_agent_id);

-- Bearer tokens.  Only the SHA-256 of a token is kept (hex, 64 characters),
-- so the CHECK refuses a token written here in clear by mistake.
CREATE TABLE api_keys (
	id INTEGER PRIMARY KEY,
	user_id INTEGER NOT NULL
		CONSTRAINT fk_api_keys_user_id
		REFERENCES user_profiles (id) ON DELETE CASCADE,
	key_hash VARCHAR(64) NOT NULL,
	name VARCHAR(100) NOT NULL DEFAULT 'default',
	prefix VARCHAR(8) NOT NULL DEFAULT '',
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	last_used_at TEXT,
	expires_at TEXT,
	is_active BOOLEAN NOT NULL DEFAULT TRUE,
	CONSTRAINT uq_api_keys_key_hash UNIQUE (key_hash),
	CONSTRAINT ck_api_keys_key_hash_length CHECK (length(key_hash) = 64)
);
-- the keys of a user, newest first
CREATE INDEX ix_api_keys_user_id_created_at ON api_keys (user_id, created_at);

-- credentials: a base row, and one detail row in the table its
-- credential_type names.
CREATE TABLE credentials (
	id INTEGER PRIMARY KEY,
	user_profile_id INTEGER NOT NULL
		CONSTRAINT fk_credentials_user_profile_id
		REFERENCES user_profiles (id) ON DELETE CASCADE,
	name VARCHAR(255) NOT NULL,
	credential_type VARCHAR(20) NOT NULL,
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now'))
);
CREATE INDEX ix_credentials_user_profile_id ON credentials (user_profile_id);

CREATE TABLE llm_credentials (
	id INTEGER PRIMARY KEY,
	base_credentials_id INTEGER NOT NULL
		CONSTRAINT fk_llm_credentials_base_credentials_id
		REFERENCES credentials (id) ON DELETE CASCADE,
	provider_type VARCHAR(30) NOT NULL DEFAULT 'openai_compatible',
	api_key TEXT NOT NULL,
	base_url VARCHAR(500) NOT NULL DEFAULT '',
	organization_id VARCHAR(255) NOT NULL DEFAULT '',
	custom_headers TEXT NOT NULL DEFAULT '{}',
	CONSTRAINT uq_llm_credentials_base_credentials_id UNIQUE (base_credentials_id)
);

CREATE TABLE git_credentials (
	id INTEGER PRIMARY KEY,
	base_credentials_id INTEGER NOT NULL
		CONSTRAINT fk_git_credentials_base_credentials_id
		REFERENCES credentials (id) ON DELETE CASCADE,
	provider VARCHAR(20) NOT NULL,
	credential_type VARCHAR(20) NOT NULL,
	ssh_private_key TEXT NOT NULL DEFAULT '',
	access_token TEXT NOT NULL DEFAULT '',
	username VARCHAR(255) NOT NULL DEFAULT '',
	webhook_secret VARCHAR(255) NOT NULL DEFAULT '',
	CONSTRAINT uq_git_credentials_base_credentials_id UNIQUE (base_credentials_id)
);

CREATE TABLE gateway_credentials (
	id INTEGER PRIMARY KEY,
	base_credentials_id INTEGER NOT NULL
		CONSTRAINT fk_gateway_credentials_base_credentials_id
		REFERENCES credentials (id) ON DELETE CASCADE,
	gateway_credential_id VARCHAR(255) NOT NULL,
	adapter_type VARCHAR(50) NOT NULL,
	CONSTRAINT uq_gateway_credentials_base_credentials_id UNIQUE (base_credentials_id)
);

CREATE TABLE tool_credentials (
	id INTEGER PRIMARY KEY,
	base_credentials_id INTEGER NOT NULL
		CONSTRAINT fk_tool_credentials_base_credentials_id
		REFERENCES credentials (id) ON DELETE CASCADE,
	tool_type VARCHAR(20) NOT NULL,
	config TEXT NOT NULL DEFAULT '{}',
	is_preferred BOOLEAN NOT NULL DEFAULT FALSE,
	CONSTRAINT uq_tool_credentials_base_credentials_id UNIQUE (base_credentials_id)
);

-- platform settings: exactly one row, id 1 (insert it with id = 1 given
-- explicitly).
CREATE TABLE system_config (
	id INTEGER PRIMARY KEY,
	default_llm_credential_id INTEGER
		CONSTRAINT fk_system_config_default_llm_credential_id
		REFERENCES credentials (id) ON DELETE SET NULL,
	default_llm_model_name VARCHAR(255) NOT NULL DEFAULT '',
	default_timezone VARCHAR(50) NOT NULL DEFAULT 'UTC',
	max_workflow_execution_seconds INTEGER NOT NULL DEFAULT 600,
	confirmation_timeout_seconds INTEGER NOT NULL DEFAULT 300,
	sandbox_code_execution BOOLEAN NOT NULL DEFAULT FALSE,
	feature_flags TEXT NOT NULL DEFAULT '{}',
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	CONSTRAINT ck_system_config_singleton CHECK (id = 1)
);
CREATE INDEX ix_system_config_default_llm_credential_id ON system_config (default_llm_credential_id);

-- git repositories and commits: nothing uses them yet, they exist because
-- workflows and code block versions point at them.
CREATE TABLE git_repositories (
	id INTEGER PRIMARY KEY,
	name VARCHAR(255) NOT NULL,
	credential_id INTEGER
		CONSTRAINT fk_git_repositories_credential_id
		REFERENCES git_credentials (id) ON DELETE SET NULL,
	provider VARCHAR(20) NOT NULL,
	remote_url VARCHAR(500) NOT NULL,
	default_branch VARCHAR(100) NOT NULL DEFAULT 'main',
	local_path VARCHAR(500) NOT NULL,
	last_commit_hash VARCHAR(40) NOT NULL DEFAULT '',
	last_synced_at TEXT,
	auto_sync_enabled BOOLEAN NOT NULL DEFAULT FALSE,
	webhook_url VARCHAR(500) NOT NULL DEFAULT '',
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now'))
);
CREATE INDEX ix_git_repositories_credential_id ON git_repositories (credential_id);

-- workflows, addressed by their globally unique slug.
CREATE TABLE workflows (
	id INTEGER PRIMARY KEY,
	name VARCHAR(255) NOT NULL,
	slug VARCHAR(255) NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	owner_id INTEGER NOT NULL
		CONSTRAINT fk_workflows_owner_id
		REFERENCES user_profiles (id) ON DELETE CASCADE,
	repository_id INTEGER
		CONSTRAINT fk_workflows_repository_id
		REFERENCES git_repositories (id) ON DELETE SET NULL,
	is_active BOOLEAN NOT NULL DEFAULT TRUE,
	is_public BOOLEAN NOT NULL DEFAULT FALSE,
	is_template BOOLEAN NOT NULL DEFAULT FALSE,
	is_callable BOOLEAN NOT NULL DEFAULT FALSE,
	is_default BOOLEAN NOT NULL DEFAULT FALSE,
	forked_from_id INTEGER
		CONSTRAINT fk_workflows_forked_from_id
		REFERENCES workflows (id) ON DELETE SET NULL,
	error_handler_workflow_id INTEGER
		CONSTRAINT fk_workflows_error_handler_workflow_id
		REFERENCES workflows (id) ON DELETE SET NULL,
	tags TEXT DEFAULT '[]',
	max_execution_seconds INTEGER NOT NULL DEFAULT 600,
	input_schema TEXT,
	output_schema TEXT,
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now'))
);
CREATE UNIQUE INDEX ix_workflows_slug ON workflows (slug);
CREATE INDEX ix_workflows_owner_id ON workflows (owner_id);
CREATE INDEX ix_workflows_repository_id ON workflows (repository_id);
CREATE INDEX ix_workflows_forked_from_id ON workflows (forked_from_id);
CREATE INDEX ix_workflows_error_handler_workflow_id ON workflows (error_handler_workflow_id);

CREATE TABLE git_commits (
	id INTEGER PRIMARY KEY,
	repository_id INTEGER NOT NULL
		CONSTRAINT fk_git_commits_repository_id
		REFERENCES git_repositories (id) ON DELETE CASCADE,
	commit_hash VARCHAR(40) NOT NULL,
	message TEXT NOT NULL,
	author_id INTEGER
		CONSTRAINT fk_git_commits_author_id
		REFERENCES user_profiles (id) ON DELETE SET NULL,
	files_changed TEXT NOT NULL DEFAULT '[]',
	additions INTEGER NOT NULL DEFAULT 0,
	deletions INTEGER NOT NULL DEFAULT 0,
	committed_at TEXT NOT NULL,
	synced_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	CONSTRAINT uq_git_commits_commit_hash UNIQUE (commit_hash)
);
CREATE INDEX ix_git_commits_repository_id ON git_commits (repository_id);
CREATE INDEX ix_git_commits_author_id ON git_commits (author_id);

-- code blocks and their versions point at each other (a block names its
-- published and draft versions).  SQLite accepts the forward
-- reference, so both foreign keys are declared inline.
CREATE TABLE code_blocks (
	id INTEGER PRIMARY KEY,
	workflow_id INTEGER NOT NULL
		CONSTRAINT fk_code_blocks_workflow_id
		REFERENCES workflows (id) ON DELETE CASCADE,
	name VARCHAR(255) NOT NULL,
	slug VARCHAR(255) NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	language VARCHAR(20) NOT NULL DEFAULT 'python',
	timeout_seconds INTEGER NOT NULL DEFAULT 30,
	file_path VARCHAR(500) NOT NULL DEFAULT '',
	published_version_id INTEGER
		CONSTRAINT fk_code_blocks_published_version_id
		REFERENCES code_block_versions (id) ON DELETE SET NULL,
	draft_version_id INTEGER
		CONSTRAINT fk_code_blocks_draft_version_id
		REFERENCES code_block_versions (id) ON DELETE SET NULL,
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	CONSTRAINT uq_code_blocks_slug UNIQUE (slug)
);
CREATE INDEX ix_code_blocks_workflow_id ON code_blocks (workflow_id);
CREATE INDEX ix_code_blocks_published_version_id ON code_blocks (published_version_id);
CREATE INDEX ix_code_blocks_draft_version_id ON code_blocks (draft_version_id);

-- uq_codeblock_version also serves as the index on code_block_id.
CREATE TABLE code_block_versions (
	id INTEGER PRIMARY KEY,
	code_block_id INTEGER NOT NULL
		CONSTRAINT fk_code_block_versions_code_block_id
		REFERENCES code_blocks (id) ON DELETE CASCADE,
	version_number INTEGER NOT NULL,
	code TEXT NOT NULL,
	code_hash VARCHAR(64) NOT NULL,
	input_schema TEXT,
	output_schema TEXT,
	requirements TEXT NOT NULL DEFAULT '[]',
	commit_message TEXT NOT NULL DEFAULT '',
	author_id INTEGER
		CONSTRAINT fk_code_block_versions_author_id
		REFERENCES user_profiles (id) ON DELETE SET NULL,
	git_commit_id INTEGER
		CONSTRAINT fk_code_block_versions_git_commit_id
		REFERENCES git_commits (id) ON DELETE SET NULL,
	source VARCHAR(10) NOT NULL DEFAULT 'ui',
	status VARCHAR(15) NOT NULL DEFAULT 'draft',
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	CONSTRAINT uq_codeblock_version UNIQUE (code_block_id, version_number)
);
CREATE INDEX ix_code_block_versions_author_id ON code_block_versions (author_id);
CREATE INDEX ix_code_block_versions_git_commit_id ON code_block_versions (git_commit_id);

-- one configuration row per node, all component types in one table
-- (component_type says which columns matter).  No foreign key ties a
-- config to its workflow: deleting a node or workflow must delete its
-- configs explicitly.
CREATE TABLE component_configs (
	id INTEGER PRIMARY KEY,
	component_type VARCHAR(30) NOT NULL,
	extra_config TEXT NOT NULL DEFAULT '{}',
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	llm_credential_id INTEGER
		CONSTRAINT fk_component_configs_llm_credential_id
		REFERENCES credentials (id) ON DELETE SET NULL,
	model_name VARCHAR(255),
	temperature FLOAT,
	max_tokens INTEGER,
	frequency_penalty FLOAT,
	presence_penalty FLOAT,
	top_p FLOAT,
	timeout INTEGER,
	max_retries INTEGER,
	response_format TEXT,
	system_prompt TEXT,
	code_language VARCHAR(20),
	code_snippet TEXT,
	credential_id INTEGER
		CONSTRAINT fk_trigger_credential
		REFERENCES credentials (id) ON DELETE SET NULL,
	is_active BOOLEAN,
	priority INTEGER,
	trigger_config TEXT,
	llm_model_config_id INTEGER
		CONSTRAINT fk_llm_model_config
		REFERENCES component_configs (id) ON DELETE SET NULL
);
CREATE INDEX ix_component_configs_llm_credential_id ON component_configs (llm_credential_id);
CREATE INDEX ix_component_configs_credential_id ON component_configs (credential_id);
CREATE INDEX ix_component_configs_llm_model_config_id ON component_configs (llm_model_config_id);

-- nodes: uq_workflow_node_id also serves as the index on workflow_id.
CREATE TABLE workflow_nodes (
	id INTEGER PRIMARY KEY,
	workflow_id INTEGER NOT NULL
		CONSTRAINT fk_workflow_nodes_workflow_id
		REFERENCES workflows (id) ON DELETE CASCADE,
	node_id VARCHAR(255) NOT NULL,
	label VARCHAR(255),
	component_type VARCHAR(30) NOT NULL,
	component_config_id INTEGER NOT NULL
		CONSTRAINT fk_workflow_nodes_component_config_id
		REFERENCES component_configs (id) ON DELETE CASCADE,
	subworkflow_id INTEGER
		CONSTRAINT fk_workflow_nodes_subworkflow_id
		REFERENCES workflows (id) ON DELETE SET NULL,
	code_block_id INTEGER
		CONSTRAINT fk_workflow_nodes_code_block_id
		REFERENCES code_blocks (id) ON DELETE SET NULL,
	is_entry_point BOOLEAN NOT NULL DEFAULT FALSE,
	interrupt_before BOOLEAN NOT NULL DEFAULT FALSE,
	interrupt_after BOOLEAN NOT NULL DEFAULT FALSE,
	position_x INTEGER NOT NULL DEFAULT 0,
	position_y INTEGER NOT NULL DEFAULT 0,
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	CONSTRAINT uq_workflow_node_id UNIQUE (workflow_id, node_id)
);
CREATE INDEX ix_workflow_nodes_component_config_id ON workflow_nodes (component_config_id);
CREATE INDEX ix_workflow_nodes_subworkflow_id ON workflow_nodes (subworkflow_id);
CREATE INDEX ix_workflow_nodes_code_block_id ON workflow_nodes (code_block_id);

-- edges name their nodes by the node_id string, not by a foreign key.
-- The two indexes find the edges leaving and entering a node (topology,
-- node delete), the first one also serves the foreign key on workflow_id.
CREATE TABLE workflow_edges (
	id INTEGER PRIMARY KEY,
	workflow_id INTEGER NOT NULL
		CONSTRAINT fk_workflow_edges_workflow_id
		REFERENCES workflows (id) ON DELETE CASCADE,
	source_node_id VARCHAR(255) NOT NULL,
	target_node_id VARCHAR(255) NOT NULL DEFAULT '',
	edge_type VARCHAR(15) NOT NULL DEFAULT 'direct',
	edge_label VARCHAR(20) NOT NULL DEFAULT '',
	condition_mapping TEXT,
	condition_value VARCHAR(100) NOT NULL DEFAULT '',
	priority INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_workflow_edges_workflow_id_source_node_id ON workflow_edges (workflow_id, source_node_id);
CREATE INDEX ix_workflow_edges_workflow_id_target_node_id ON workflow_edges (workflow_id, target_node_id);

-- executions: a uuid4 text key.  trigger_node_id is the integer id of
-- a workflow_nodes row, not its node_id string.
CREATE TABLE workflow_executions (
	execution_id VARCHAR(36) NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
	workflow_id INTEGER NOT NULL
		CONSTRAINT fk_workflow_executions_workflow_id
		REFERENCES workflows (id) ON DELETE CASCADE,
	trigger_node_id INTEGER
		CONSTRAINT fk_workflow_executions_trigger_node_id
		REFERENCES workflow_nodes (id) ON DELETE SET NULL,
	parent_execution_id VARCHAR(36)
		CONSTRAINT fk_workflow_executions_parent_execution_id
		REFERENCES workflow_executions (execution_id) ON DELETE SET NULL,
	parent_node_id VARCHAR(255) NOT NULL DEFAULT '',
	user_profile_id INTEGER NOT NULL
		CONSTRAINT fk_workflow_executions_user_profile_id
		REFERENCES user_profiles (id) ON DELETE CASCADE,
	thread_id VARCHAR(255) NOT NULL,
	status VARCHAR(15) NOT NULL DEFAULT 'pending',
	trigger_payload TEXT,
	final_output TEXT,
	retry_count INTEGER NOT NULL DEFAULT 0,
	max_retries INTEGER NOT NULL DEFAULT 3,
	error_message TEXT NOT NULL DEFAULT '',
	started_at TEXT,
	completed_at TEXT,
	total_input_tokens INTEGER NOT NULL DEFAULT 0,
	total_output_tokens INTEGER NOT NULL DEFAULT 0,
	total_tokens INTEGER NOT NULL DEFAULT 0,
	llm_calls INTEGER NOT NULL DEFAULT 0,
	total_cost_usd NUMERIC(12, 6) NOT NULL DEFAULT 0
);
-- the list (all, by workflow, by status) is sorted by started_at, newest
-- first.  The status index also finds pending work and stale running rows.
CREATE INDEX ix_workflow_executions_started_at ON workflow_executions (started_at);
CREATE INDEX ix_workflow_executions_workflow_id_started_at ON workflow_executions (workflow_id, started_at);
CREATE INDEX ix_workflow_executions_status_started_at ON workflow_executions (status, started_at);
CREATE INDEX ix_workflow_executions_user_profile_id ON workflow_executions (user_profile_id);
CREATE INDEX ix_workflow_executions_trigger_node_id ON workflow_executions (trigger_node_id);
CREATE INDEX ix_workflow_executions_parent_execution_id ON workflow_executions (parent_execution_id);

-- one row per node run, read back in time order per execution.  The column
-- is named metadata, as in the API.
CREATE TABLE execution_logs (
	id INTEGER PRIMARY KEY,
	execution_id VARCHAR(36) NOT NULL
		CONSTRAINT fk_execution_logs_execution_id
		REFERENCES workflow_executions (execution_id) ON DELETE CASCADE,
	node_id VARCHAR(255) NOT NULL,
	status VARCHAR(15) NOT NULL,
	input TEXT,
	output TEXT,
	error TEXT NOT NULL DEFAULT '',
	error_code VARCHAR(50),
	metadata TEXT DEFAULT '{}',
	retry_count INTEGER NOT NULL DEFAULT 0,
	duration_ms INTEGER NOT NULL DEFAULT 0,
	timestamp TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now'))
);
CREATE INDEX ix_execution_logs_execution_id_timestamp ON execution_logs (execution_id, timestamp);

-- human-confirmation waits, keyed by 8 hex characters.  credential_id is
-- a gateway credential name, not a foreign key.  expires_at has no default:
-- it is now plus system_config.confirmation_timeout_seconds.
CREATE TABLE pending_tasks (
	task_id VARCHAR(8) NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)))),
	execution_id VARCHAR(36) NOT NULL
		CONSTRAINT fk_pending_tasks_execution_id
		REFERENCES workflow_executions (execution_id) ON DELETE CASCADE,
	user_profile_id INTEGER NOT NULL
		CONSTRAINT fk_pending_tasks_user_profile_id
		REFERENCES user_profiles (id) ON DELETE CASCADE,
	chat_id VARCHAR(255),
	credential_id VARCHAR(255),
	node_id VARCHAR(255) NOT NULL,
	prompt TEXT NOT NULL,
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	expires_at TEXT NOT NULL
);
CREATE INDEX ix_pending_tasks_execution_id ON pending_tasks (execution_id);
CREATE INDEX ix_pending_tasks_user_profile_id ON pending_tasks (user_profile_id);
CREATE INDEX ix_pending_tasks_expires_at ON pending_tasks (expires_at);

-- recurring jobs.  trigger_node_id is the node_id string of the
-- trigger_schedule node.  (status, next_run_at) finds due jobs,
-- (workflow_id, trigger_node_id) finds the job of a node, created_at sorts
-- the list.
CREATE TABLE scheduled_jobs (
	id VARCHAR(36) NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
	name VARCHAR(255) NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	workflow_id INTEGER NOT NULL
		CONSTRAINT fk_scheduled_jobs_workflow_id
		REFERENCES workflows (id) ON DELETE CASCADE,
	trigger_node_id VARCHAR(255),
	user_profile_id INTEGER NOT NULL
		CONSTRAINT fk_scheduled_jobs_user_profile_id
		REFERENCES user_profiles (id) ON DELETE CASCADE,
	interval_seconds INTEGER NOT NULL,
	total_repeats INTEGER NOT NULL DEFAULT 0,
	max_retries INTEGER NOT NULL DEFAULT 3,
	timeout_seconds INTEGER NOT NULL DEFAULT 600,
	trigger_payload TEXT,
	status VARCHAR(20) NOT NULL DEFAULT 'active',
	current_repeat INTEGER NOT NULL DEFAULT 0,
	current_retry INTEGER NOT NULL DEFAULT 0,
	run_count INTEGER NOT NULL DEFAULT 0,
	error_count INTEGER NOT NULL DEFAULT 0,
	last_run_at TEXT,
	next_run_at TEXT,
	last_error TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now'))
);
CREATE INDEX ix_scheduled_jobs_status_next_run_at ON scheduled_jobs (status, next_run_at);
CREATE INDEX ix_scheduled_jobs_next_run_at ON scheduled_jobs (next_run_at);
CREATE INDEX ix_scheduled_jobs_workflow_id_trigger_node_id ON scheduled_jobs (workflow_id, trigger_node_id);
CREATE INDEX ix_scheduled_jobs_user_profile_id ON scheduled_jobs (user_profile_id);
CREATE INDEX ix_scheduled_jobs_created_at ON scheduled_jobs (created_at);

-- sandbox directories for deep agents, listed per user.
CREATE TABLE workspaces (
	id INTEGER PRIMARY KEY,
	name VARCHAR(100) NOT NULL,
	path VARCHAR(500) NOT NULL,
	allow_network BOOLEAN NOT NULL DEFAULT FALSE,
	env_vars TEXT NOT NULL DEFAULT '[]',
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	user_profile_id INTEGER NOT NULL
		CONSTRAINT fk_workspaces_user_profile_id
		REFERENCES user_profiles (id) ON DELETE CASCADE,
	CONSTRAINT uq_workspaces_name UNIQUE (name)
);
CREATE INDEX ix_workspaces_user_profile_id ON workspaces (user_profile_id);

-- memory: uuid4 text keys.  Scope ids (agent_id, user_id, session_id) are
-- free strings, not foreign keys.
CREATE TABLE memory_users (
	id VARCHAR(36) NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
	canonical_id VARCHAR(100) NOT NULL,
	display_name VARCHAR(255),
	telegram_id VARCHAR(100),
	telegram_username VARCHAR(100),
	email VARCHAR(255),
	merged_into_id VARCHAR(36)
		CONSTRAINT fk_memory_users_merged_into_id
		REFERENCES memory_users (id) ON DELETE SET NULL,
	preferences_cache TEXT NOT NULL DEFAULT '{}',
	total_conversations INTEGER NOT NULL DEFAULT 0,
	last_conversation_at TEXT,
	first_seen_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	last_seen_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	CONSTRAINT uq_memory_users_canonical_id UNIQUE (canonical_id),
	CONSTRAINT uq_memory_users_telegram_id UNIQUE (telegram_id),
	CONSTRAINT uq_memory_users_email UNIQUE (email)
);
CREATE INDEX ix_memory_users_merged_into_id ON memory_users (merged_into_id);
CREATE INDEX ix_memory_users_last_seen_at ON memory_users (last_seen_at);

CREATE TABLE memory_episodes (
	id VARCHAR(36) NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
	agent_id VARCHAR(100) NOT NULL,
	user_id VARCHAR(100),
	session_id VARCHAR(100),
	workflow_id INTEGER
		CONSTRAINT fk_memory_episodes_workflow_id
		REFERENCES workflows (id) ON DELETE SET NULL,
	execution_id VARCHAR(36)
		CONSTRAINT fk_memory_episodes_execution_id
		REFERENCES workflow_executions (execution_id) ON DELETE SET NULL,
	trigger_type VARCHAR(50) NOT NULL DEFAULT '',
	trigger_input TEXT,
	conversation TEXT DEFAULT '[]',
	actions_taken TEXT DEFAULT '[]',
	final_output TEXT,
	success BOOLEAN NOT NULL DEFAULT FALSE,
	error_code VARCHAR(50),
	error_message TEXT NOT NULL DEFAULT '',
	human_feedback TEXT,
	human_rating INTEGER,
	started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	ended_at TEXT,
	duration_ms INTEGER,
	summary TEXT,
	embedding BLOB,
	processed_for_facts BOOLEAN NOT NULL DEFAULT FALSE,
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now'))
);
CREATE INDEX ix_memory_episodes_agent_id_user_id ON memory_episodes (agent_id, user_id);
CREATE INDEX ix_memory_episodes_agent_id_started_at ON memory_episodes (agent_id, started_at);
CREATE INDEX ix_memory_episodes_user_id_started_at ON memory_episodes (user_id, started_at);
CREATE INDEX ix_memory_episodes_session_id ON memory_episodes (session_id);
CREATE INDEX ix_memory_episodes_started_at ON memory_episodes (started_at);
CREATE INDEX ix_memory_episodes_workflow_id ON memory_episodes (workflow_id);
CREATE INDEX ix_memory_episodes_execution_id ON memory_episodes (execution_id);

CREATE TABLE memory_facts (
	id VARCHAR(36) NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
	scope VARCHAR(20) NOT NULL DEFAULT 'agent',
	agent_id VARCHAR(100),
	user_id VARCHAR(100),
	session_id VARCHAR(100),
	key VARCHAR(255) NOT NULL,
	value TEXT NOT NULL,
	fact_type VARCHAR(50) NOT NULL,
	confidence FLOAT NOT NULL DEFAULT 1.0,
	times_confirmed INTEGER NOT NULL DEFAULT 1,
	times_contradicted INTEGER NOT NULL DEFAULT 0,
	source_episode_id VARCHAR(36)
		CONSTRAINT fk_memory_facts_source_episode_id
		REFERENCES memory_episodes (id) ON DELETE SET NULL,
	source_description VARCHAR(255),
	access_count INTEGER NOT NULL DEFAULT 0,
	last_accessed TEXT,
	embedding BLOB,
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now'))
);
CREATE INDEX ix_memory_facts_scope_agent_id_user_id_key ON memory_facts (scope, agent_id, user_id, key);
CREATE INDEX ix_memory_facts_agent_id_fact_type ON memory_facts (agent_id, fact_type);
CREATE INDEX ix_memory_facts_user_id_fact_type ON memory_facts (user_id, fact_type);
CREATE INDEX ix_memory_facts_session_id ON memory_facts (session_id);
CREATE INDEX ix_memory_facts_updated_at ON memory_facts (updated_at);
CREATE INDEX ix_memory_facts_source_episode_id ON memory_facts (source_episode_id);

CREATE TABLE memory_procedures (
	id VARCHAR(36) NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))),
	agent_id VARCHAR(100) NOT NULL,
	user_id VARCHAR(100),
	name VARCHAR(255) NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	trigger_conditions TEXT NOT NULL DEFAULT '{}',
	procedure_type VARCHAR(50) NOT NULL,
	procedure_content TEXT NOT NULL,
	times_used INTEGER NOT NULL DEFAULT 0,
	times_succeeded INTEGER NOT NULL DEFAULT 0,
	times_failed INTEGER NOT NULL DEFAULT 0,
	avg_duration_ms FLOAT,
	last_used_at TEXT,
	source VARCHAR(50) NOT NULL DEFAULT 'human_taught',
	parent_procedure_id VARCHAR(36)
		CONSTRAINT fk_memory_procedures_parent_procedure_id
		REFERENCES memory_procedures (id) ON DELETE SET NULL,
	is_active BOOLEAN NOT NULL DEFAULT TRUE,
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now'))
);
CREATE INDEX ix_memory_procedures_agent_id_is_active ON memory_procedures (agent_id, is_active);
CREATE INDEX ix_memory_procedures_user_id ON memory_procedures (user_id);
CREATE INDEX ix_memory_procedures_created_at ON memory_procedures (created_at);
CREATE INDEX ix_memory_procedures_parent_procedure_id ON memory_procedures (parent_procedure_id);

-- +upgrade postgresql
--
-- The same tables as the SQLite section above (see its notes), in PostgreSQL
-- types.  gen_random_uuid() is built in from PostgreSQL 13 on.
--
-- users: people, gateway users and agents.  created_by_agent_id points back
-- into this table for users an agent created.
CREATE TABLE user_profiles (
	id SERIAL PRIMARY KEY,
	username VARCHAR(150) NOT NULL,
	password_hash VARCHAR(255) NOT NULL DEFAULT '',
	first_name VARCHAR(150) NOT NULL DEFAULT '',
	last_name VARCHAR(150) NOT NULL DEFAULT '',
	external_user_id VARCHAR(255),
	github_username VARCHAR(255) NOT NULL DEFAULT '',
	gitlab_username VARCHAR(255) NOT NULL DEFAULT '',
	created_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	role VARCHAR(10) NOT NULL DEFAULT 'normal',
	created_by_agent_id INTEGER
		CONSTRAINT fk_user_profiles_created_by_agent_id
		REFERENCES user_profiles (id) ON DELETE SET NULL,
	totp_secret TEXT,
	mfa_enabled BOOLEAN NOT NULL DEFAULT FALSE,
	totp_last_used_at INTEGER,
	CONSTRAINT uq_user_profiles_username UNIQUE (username),
	CONSTRAINT uq_user_profiles_external_user_id UNIQUE (external_user_id),
	CONSTRAINT ck_user_profiles_role CHECK (role IN ('admin', 'normal'))
);
CREATE INDEX ix_user_profiles_created_by_agent_id ON user_profiles (created_by_agent_id);

-- Bearer tokens.  Only the SHA-256 of a token is kept (hex, 64 characters),
-- so the CHECK refuses a token written here in clear by mistake.
CREATE TABLE api_keys (
	id SERIAL PRIMARY KEY,
	user_id INTEGER NOT NULL
		CONSTRAINT fk_api_keys_user_id
		REFERENCES user_profiles (id) ON DELETE CASCADE,
	key_hash VARCHAR(64) NOT NULL,
	name VARCHAR(100) NOT NULL DEFAULT 'default',
	prefix VARCHAR(8) NOT NULL DEFAULT '',
	created_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	last_used_at TIMESTAMP(6) WITHOUT TIME ZONE,
	expires_at TIMESTAMP(6) WITHOUT TIME ZONE,
	is_active BOOLEAN NOT NULL DEFAULT TRUE,
	CONSTRAINT uq_api_keys_key_hash UNIQUE (key_hash),
	CONSTRAINT ck_api_keys_key_hash_length CHECK (length(key_hash) = 64)
);
-- the keys of a user, newest first
CREATE INDEX ix_api_keys_user_id_created_at ON api_keys (user_id, created_at);

-- credentials: a base row, and one detail row in the table its
-- credential_type names.
CREATE TABLE credentials (
	id SERIAL PRIMARY KEY,
	user_profile_id INTEGER NOT NULL
		CONSTRAINT fk_credentials_user_profile_id
		REFERENCES user_profiles (id) ON DELETE CASCADE,
	name VARCHAR(255) NOT NULL,
	credential_type VARCHAR(20) NOT NULL,
	created_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	updated_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE INDEX ix_credentials_user_profile_id ON credentials (user_profile_id);

CREATE TABLE llm_credentials (
	id SERIAL PRIMARY KEY,
	base_credentials_id INTEGER NOT NULL
		CONSTRAINT fk_llm_credentials_base_credentials_id
		REFERENCES credentials (id) ON DELETE CASCADE,
	provider_type VARCHAR(30) NOT NULL DEFAULT 'openai_compatible',
	api_key TEXT NOT NULL,
	base_url VARCHAR(500) NOT NULL DEFAULT '',
	organization_id VARCHAR(255) NOT NULL DEFAULT '',
	custom_headers json NOT NULL DEFAULT '{}',
	CONSTRAINT uq_llm_credentials_base_credentials_id UNIQUE (base_credentials_id)
);

CREATE TABLE git_credentials (
	id SERIAL PRIMARY KEY,
	base_credentials_id INTEGER NOT NULL
		CONSTRAINT fk_git_credentials_base_credentials_id
		REFERENCES credentials (id) ON DELETE CASCADE,
	provider VARCHAR(20) NOT NULL,
	credential_type VARCHAR(20) NOT NULL,
	ssh_private_key TEXT NOT NULL DEFAULT '',
	access_token TEXT NOT NULL DEFAULT '',
	username VARCHAR(255) NOT NULL DEFAULT '',
	webhook_secret VARCHAR(255) NOT NULL DEFAULT '',
	CONSTRAINT uq_git_credentials_base_credentials_id UNIQUE (base_credentials_id)
);

CREATE TABLE gateway_credentials (
	id SERIAL PRIMARY KEY,
	base_credentials_id INTEGER NOT NULL
		CONSTRAINT fk_gateway_credentials_base_credentials_id
		REFERENCES credentials (id) ON DELETE CASCADE,
	gateway_credential_id VARCHAR(255) NOT NULL,
	adapter_type VARCHAR(50) NOT NULL,
	CONSTRAINT uq_gateway_credentials_base_credentials_id UNIQUE (base_credentials_id)
);

CREATE TABLE tool_credentials (
	id SERIAL PRIMARY KEY,
	base_credentials_id INTEGER NOT NULL
		CONSTRAINT fk_tool_credentials_base_credentials_id
		REFERENCES credentials (id) ON DELETE CASCADE,
	tool_type VARCHAR(20) NOT NULL,
	config json NOT NULL DEFAULT '{}',
	is_preferred BOOLEAN NOT NULL DEFAULT FALSE,
	CONSTRAINT uq_tool_credentials_base_credentials_id UNIQUE (base_credentials_id)
);

-- platform settings: exactly one row, id 1 (insert it with id = 1 given
-- explicitly).
CREATE TABLE system_config (
	id SERIAL PRIMARY KEY,
	default_llm_credential_id INTEGER
		CONSTRAINT fk_system_config_default_llm_credential_id
		REFERENCES credentials (id) ON DELETE SET NULL,
	default_llm_model_name VARCHAR(255) NOT NULL DEFAULT '',
	default_timezone VARCHAR(50) NOT NULL DEFAULT 'UTC',
	max_workflow_execution_seconds INTEGER NOT NULL DEFAULT 600,
	confirmation_timeout_seconds INTEGER NOT NULL DEFAULT 300,
	sandbox_code_execution BOOLEAN NOT NULL DEFAULT FALSE,
	feature_flags json NOT NULL DEFAULT '{}',
	updated_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	CONSTRAINT ck_system_config_singleton CHECK (id = 1)
);
CREATE INDEX ix_system_config_default_llm_credential_id ON system_config (default_llm_credential_id);

-- git repositories and commits: nothing uses them yet, they exist because
-- workflows and code block versions point at them.
CREATE TABLE git_repositories (
	id SERIAL PRIMARY KEY,
	name VARCHAR(255) NOT NULL,
	credential_id INTEGER
		CONSTRAINT fk_git_repositories_credential_id
		REFERENCES git_credentials (id) ON DELETE SET NULL,
	provider VARCHAR(20) NOT NULL,
	remote_url VARCHAR(500) NOT NULL,
	default_branch VARCHAR(100) NOT NULL DEFAULT 'main',
	local_path VARCHAR(500) NOT NULL,
	last_commit_hash VARCHAR(40) NOT NULL DEFAULT '',
	last_synced_at TIMESTAMP(6) WITHOUT TIME ZONE,
	auto_sync_enabled BOOLEAN NOT NULL DEFAULT FALSE,
	webhook_url VARCHAR(500) NOT NULL DEFAULT '',
	created_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE INDEX ix_git_repositories_credential_id ON git_repositories (credential_id);

-- workflows, addressed by their globally unique slug.
CREATE TABLE workflows (
	id SERIAL PRIMARY KEY,
	name VARCHAR(255) NOT NULL,
	slug VARCHAR(255) NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	owner_id INTEGER NOT NULL
		CONSTRAINT fk_workflows_owner_id
		REFERENCES user_profiles (id) ON DELETE CASCADE,
	repository_id INTEGER
		CONSTRAINT fk_workflows_repository_id
		REFERENCES git_repositories (id) ON DELETE SET NULL,
	is_active BOOLEAN NOT NULL DEFAULT TRUE,
	is_public BOOLEAN NOT NULL DEFAULT FALSE,
	is_template BOOLEAN NOT NULL DEFAULT FALSE,
	is_callable BOOLEAN NOT NULL DEFAULT FALSE,
	is_default BOOLEAN NOT NULL DEFAULT FALSE,
	forked_from_id INTEGER
		CONSTRAINT fk_workflows_forked_from_id
		REFERENCES workflows (id) ON DELETE SET NULL,
	error_handler_workflow_id INTEGER
		CONSTRAINT fk_workflows_error_handler_workflow_id
		REFERENCES workflows (id) ON DELETE SET NULL,
	tags json DEFAULT '[]',
	max_execution_seconds INTEGER NOT NULL DEFAULT 600,
	input_schema json,
	output_schema json,
	created_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	updated_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE UNIQUE INDEX ix_workflows_slug ON workflows (slug);
CREATE INDEX ix_workflows_owner_id ON workflows (owner_id);
CREATE INDEX ix_workflows_repository_id ON workflows (repository_id);
CREATE INDEX ix_workflows_forked_from_id ON workflows (forked_from_id);
CREATE INDEX ix_workflows_error_handler_workflow_id ON workflows (error_handler_workflow_id);

CREATE TABLE git_commits (
	id SERIAL PRIMARY KEY,
	repository_id INTEGER NOT NULL
		CONSTRAINT fk_git_commits_repository_id
		REFERENCES git_repositories (id) ON DELETE CASCADE,
	commit_hash VARCHAR(40) NOT NULL,
	message TEXT NOT NULL,
	author_id INTEGER
		CONSTRAINT fk_git_commits_author_id
		REFERENCES user_profiles (id) ON DELETE SET NULL,
	files_changed json NOT NULL DEFAULT '[]',
	additions INTEGER NOT NULL DEFAULT 0,
	deletions INTEGER NOT NULL DEFAULT 0,
	committed_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL,
	synced_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	CONSTRAINT uq_git_commits_commit_hash UNIQUE (commit_hash)
);
CREATE INDEX ix_git_commits_repository_id ON git_commits (repository_id);
CREATE INDEX ix_git_commits_author_id ON git_commits (author_id);

-- code blocks and their versions point at each other (a block names its
-- published and draft versions).  The two foreign keys from
-- code_blocks are added by ALTER TABLE once code_block_versions exists.
CREATE TABLE code_blocks (
	id SERIAL PRIMARY KEY,
	workflow_id INTEGER NOT NULL
		CONSTRAINT fk_code_blocks_workflow_id
		REFERENCES workflows (id) ON DELETE CASCADE,
	name VARCHAR(255) NOT NULL,
	slug VARCHAR(255) NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	language VARCHAR(20) NOT NULL DEFAULT 'python',
	timeout_seconds INTEGER NOT NULL DEFAULT 30,
	file_path VARCHAR(500) NOT NULL DEFAULT '',
	published_version_id INTEGER,
	draft_version_id INTEGER,
	created_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	updated_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	CONSTRAINT uq_code_blocks_slug UNIQUE (slug)
);
CREATE INDEX ix_code_blocks_workflow_id ON code_blocks (workflow_id);
CREATE INDEX ix_code_blocks_published_version_id ON code_blocks (published_version_id);
CREATE INDEX ix_code_blocks_draft_version_id ON code_blocks (draft_version_id);

-- uq_codeblock_version also serves as the index on code_block_id.
CREATE TABLE code_block_versions (
	id SERIAL PRIMARY KEY,
	code_block_id INTEGER NOT NULL
		CONSTRAINT fk_code_block_versions_code_block_id
		REFERENCES code_blocks (id) ON DELETE CASCADE,
	version_number INTEGER NOT NULL,
	code TEXT NOT NULL,
	code_hash VARCHAR(64) NOT NULL,
	input_schema json,
	output_schema json,
	requirements json NOT NULL DEFAULT '[]',
	commit_message TEXT NOT NULL DEFAULT '',
	author_id INTEGER
		CONSTRAINT fk_code_block_versions_author_id
		REFERENCES user_profiles (id) ON DELETE SET NULL,
	git_commit_id INTEGER
		CONSTRAINT fk_code_block_versions_git_commit_id
		REFERENCES git_commits (id) ON DELETE SET NULL,
	source VARCHAR(10) NOT NULL DEFAULT 'ui',
	status VARCHAR(15) NOT NULL DEFAULT 'draft',
	created_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	CONSTRAINT uq_codeblock_version UNIQUE (code_block_id, version_number)
);
CREATE INDEX ix_code_block_versions_author_id ON code_block_versions (author_id);
CREATE INDEX ix_code_block_versions_git_commit_id ON code_block_versions (git_commit_id);
ALTER TABLE code_blocks ADD CONSTRAINT fk_code_blocks_published_version_id
	FOREIGN KEY (published_version_id) REFERENCES code_block_versions (id) ON DELETE SET NULL;
ALTER TABLE code_blocks ADD CONSTRAINT fk_code_blocks_draft_version_id
	FOREIGN KEY (draft_version_id) REFERENCES code_block_versions (id) ON DELETE SET NULL;

-- one configuration row per node, all component types in one table
-- (component_type says which columns matter).  No foreign key ties a
-- config to its workflow: deleting a node or workflow must delete its
-- configs explicitly.
CREATE TABLE component_configs (
	id SERIAL PRIMARY KEY,
	component_type VARCHAR(30) NOT NULL,
	extra_config json NOT NULL DEFAULT '{}',
	updated_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	llm_credential_id INTEGER
		CONSTRAINT fk_component_configs_llm_credential_id
		REFERENCES credentials (id) ON DELETE SET NULL,
	model_name VARCHAR(255),
	temperature FLOAT,
	max_tokens INTEGER,
	frequency_penalty FLOAT,
	presence_penalty FLOAT,
	top_p FLOAT,
	timeout INTEGER,
	max_retries INTEGER,
	response_format json,
	system_prompt TEXT,
	code_language VARCHAR(20),
	code_snippet TEXT,
	credential_id INTEGER
		CONSTRAINT fk_trigger_credential
		REFERENCES credentials (id) ON DELETE SET NULL,
	is_active BOOLEAN,
	priority INTEGER,
	trigger_config json,
	llm_model_config_id INTEGER
		CONSTRAINT fk_llm_model_config
		REFERENCES component_configs (id) ON DELETE SET NULL
);
CREATE INDEX ix_component_configs_llm_credential_id ON component_configs (llm_credential_id);
CREATE INDEX ix_component_configs_credential_id ON component_configs (credential_id);
CREATE INDEX ix_component_configs_llm_model_config_id ON component_configs (llm_model_config_id);

-- nodes: uq_workflow_node_id also serves as the index on workflow_id.
CREATE TABLE workflow_nodes (
	id SERIAL PRIMARY KEY,
	workflow_id INTEGER NOT NULL
		CONSTRAINT fk_workflow_nodes_workflow_id
		REFERENCES workflows (id) ON DELETE CASCADE,
	node_id VARCHAR(255) NOT NULL,
	label VARCHAR(255),
	component_type VARCHAR(30) NOT NULL,
	component_config_id INTEGER NOT NULL
		CONSTRAINT fk_workflow_nodes_component_config_id
		REFERENCES component_configs (id) ON DELETE CASCADE,
	subworkflow_id INTEGER
		CONSTRAINT fk_workflow_nodes_subworkflow_id
		REFERENCES workflows (id) ON DELETE SET NULL,
	code_block_id INTEGER
		CONSTRAINT fk_workflow_nodes_code_block_id
		REFERENCES code_blocks (id) ON DELETE SET NULL,
	is_entry_point BOOLEAN NOT NULL DEFAULT FALSE,
	interrupt_before BOOLEAN NOT NULL DEFAULT FALSE,
	interrupt_after BOOLEAN NOT NULL DEFAULT FALSE,
	position_x INTEGER NOT NULL DEFAULT 0,
	position_y INTEGER NOT NULL DEFAULT 0,
	updated_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	CONSTRAINT uq_workflow_node_id UNIQUE (workflow_id, node_id)
);
CREATE INDEX ix_workflow_nodes_component_config_id ON workflow_nodes (component_config_id);
CREATE INDEX ix_workflow_nodes_subworkflow_id ON workflow_nodes (subworkflow_id);
CREATE INDEX ix_workflow_nodes_code_block_id ON workflow_nodes (code_block_id);

-- edges name their nodes by the node_id string, not by a foreign key.
-- The two indexes find the edges leaving and entering a node (topology,
-- node delete), the first one also serves the foreign key on workflow_id.
CREATE TABLE workflow_edges (
	id SERIAL PRIMARY KEY,
	workflow_id INTEGER NOT NULL
		CONSTRAINT fk_workflow_edges_workflow_id
		REFERENCES workflows (id) ON DELETE CASCADE,
	source_node_id VARCHAR(255) NOT NULL,
	target_node_id VARCHAR(255) NOT NULL DEFAULT '',
	edge_type VARCHAR(15) NOT NULL DEFAULT 'direct',
	edge_label VARCHAR(20) NOT NULL DEFAULT '',
	condition_mapping json,
	condition_value VARCHAR(100) NOT NULL DEFAULT '',
	priority INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_workflow_edges_workflow_id_source_node_id ON workflow_edges (workflow_id, source_node_id);
CREATE INDEX ix_workflow_edges_workflow_id_target_node_id ON workflow_edges (workflow_id, target_node_id);

-- executions: a uuid4 text key.  trigger_node_id is the integer id of
-- a workflow_nodes row, not its node_id string.
CREATE TABLE workflow_executions (
	execution_id VARCHAR(36) NOT NULL PRIMARY KEY DEFAULT (gen_random_uuid()::text),
	workflow_id INTEGER NOT NULL
		CONSTRAINT fk_workflow_executions_workflow_id
		REFERENCES workflows (id) ON DELETE CASCADE,
	trigger_node_id INTEGER
		CONSTRAINT fk_workflow_executions_trigger_node_id
		REFERENCES workflow_nodes (id) ON DELETE SET NULL,
	parent_execution_id VARCHAR(36)
		CONSTRAINT fk_workflow_executions_parent_execution_id
		REFERENCES workflow_executions (execution_id) ON DELETE SET NULL,
	parent_node_id VARCHAR(255) NOT NULL DEFAULT '',
	user_profile_id INTEGER NOT NULL
		CONSTRAINT fk_workflow_executions_user_profile_id
		REFERENCES user_profiles (id) ON DELETE CASCADE,
	thread_id VARCHAR(255) NOT NULL,
	status VARCHAR(15) NOT NULL DEFAULT 'pending',
	trigger_payload json,
	final_output json,
	retry_count INTEGER NOT NULL DEFAULT 0,
	max_retries INTEGER NOT NULL DEFAULT 3,
	error_message TEXT NOT NULL DEFAULT '',
	started_at TIMESTAMP(6) WITHOUT TIME ZONE,
	completed_at TIMESTAMP(6) WITHOUT TIME ZONE,
	total_input_tokens INTEGER NOT NULL DEFAULT 0,
	total_output_tokens INTEGER NOT NULL DEFAULT 0,
	total_tokens INTEGER NOT NULL DEFAULT 0,
	llm_calls INTEGER NOT NULL DEFAULT 0,
	total_cost_usd NUMERIC(12, 6) NOT NULL DEFAULT 0
);
-- the list (all, by workflow, by status) is sorted by started_at, newest
-- first.  The status index also finds pending work and stale running rows.
CREATE INDEX ix_workflow_executions_started_at ON workflow_executions (started_at);
CREATE INDEX ix_workflow_executions_workflow_id_started_at ON workflow_executions (workflow_id, started_at);
CREATE INDEX ix_workflow_executions_status_started_at ON workflow_executions (status, started_at);
CREATE INDEX ix_workflow_executions_user_profile_id ON workflow_executions (user_profile_id);
CREATE INDEX ix_workflow_executions_trigger_node_id ON workflow_executions (trigger_node_id);
CREATE INDEX ix_workflow_executions_parent_execution_id ON workflow_executions (parent_execution_id);

-- one row per node run, read back in time order per execution.  The column
-- is named metadata, as in the API.
CREATE TABLE execution_logs (
	id SERIAL PRIMARY KEY,
	execution_id VARCHAR(36) NOT NULL
		CONSTRAINT fk_execution_logs_execution_id
		REFERENCES workflow_executions (execution_id) ON DELETE CASCADE,
	node_id VARCHAR(255) NOT NULL,
	status VARCHAR(15) NOT NULL,
	input json,
	output json,
	error TEXT NOT NULL DEFAULT '',
	error_code VARCHAR(50),
	metadata json DEFAULT '{}',
	retry_count INTEGER NOT NULL DEFAULT 0,
	duration_ms INTEGER NOT NULL DEFAULT 0,
	timestamp TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE INDEX ix_execution_logs_execution_id_timestamp ON execution_logs (execution_id, timestamp);

-- human-confirmation waits, keyed by 8 hex characters.  credential_id is
-- a gateway credential name, not a foreign key.  expires_at has no default:
-- it is now plus system_config.confirmation_timeout_seconds.
CREATE TABLE pending_tasks (
	task_id VARCHAR(8) NOT NULL PRIMARY KEY DEFAULT (substr(md5(gen_random_uuid()::text), 1, 8)),
	execution_id VARCHAR(36) NOT NULL
		CONSTRAINT fk_pending_tasks_execution_id
		REFERENCES workflow_executions (execution_id) ON DELETE CASCADE,
	user_profile_id INTEGER NOT NULL
		CONSTRAINT fk_pending_tasks_user_profile_id
		REFERENCES user_profiles (id) ON DELETE CASCADE,
	chat_id VARCHAR(255),
	credential_id VARCHAR(255),
	node_id VARCHAR(255) NOT NULL,
	prompt TEXT NOT NULL,
	created_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	expires_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL
);
CREATE INDEX ix_pending_tasks_execution_id ON pending_tasks (execution_id);
CREATE INDEX ix_pending_tasks_user_profile_id ON pending_tasks (user_profile_id);
CREATE INDEX ix_pending_tasks_expires_at ON pending_tasks (expires_at);

-- recurring jobs.  trigger_node_id is the node_id string of the
-- trigger_schedule node.  (status, next_run_at) finds due jobs,
-- (workflow_id, trigger_node_id) finds the job of a node, created_at sorts
-- the list.
CREATE TABLE scheduled_jobs (
	id VARCHAR(36) NOT NULL PRIMARY KEY DEFAULT (gen_random_uuid()::text),
	name VARCHAR(255) NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	workflow_id INTEGER NOT NULL
		CONSTRAINT fk_scheduled_jobs_workflow_id
		REFERENCES workflows (id) ON DELETE CASCADE,
	trigger_node_id VARCHAR(255),
	user_profile_id INTEGER NOT NULL
		CONSTRAINT fk_scheduled_jobs_user_profile_id
		REFERENCES user_profiles (id) ON DELETE CASCADE,
	interval_seconds INTEGER NOT NULL,
	total_repeats INTEGER NOT NULL DEFAULT 0,
	max_retries INTEGER NOT NULL DEFAULT 3,
	timeout_seconds INTEGER NOT NULL DEFAULT 600,
	trigger_payload json,
	status VARCHAR(20) NOT NULL DEFAULT 'active',
	current_repeat INTEGER NOT NULL DEFAULT 0,
	current_retry INTEGER NOT NULL DEFAULT 0,
	run_count INTEGER NOT NULL DEFAULT 0,
	error_count INTEGER NOT NULL DEFAULT 0,
	last_run_at TIMESTAMP(6) WITHOUT TIME ZONE,
	next_run_at TIMESTAMP(6) WITHOUT TIME ZONE,
	last_error TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	updated_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE INDEX ix_scheduled_jobs_status_next_run_at ON scheduled_jobs (status, next_run_at);
CREATE INDEX ix_scheduled_jobs_next_run_at ON scheduled_jobs (next_run_at);
CREATE INDEX ix_scheduled_jobs_workflow_id_trigger_node_id ON scheduled_jobs (workflow_id, trigger_node_id);
CREATE INDEX ix_scheduled_jobs_user_profile_id ON scheduled_jobs (user_profile_id);
CREATE INDEX ix_scheduled_jobs_created_at ON scheduled_jobs (created_at);

-- sandbox directories for deep agents, listed per user.
CREATE TABLE workspaces (
	id SERIAL PRIMARY KEY,
	name VARCHAR(100) NOT NULL,
	path VARCHAR(500) NOT NULL,
	allow_network BOOLEAN NOT NULL DEFAULT FALSE,
	env_vars json NOT NULL DEFAULT '[]',
	created_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	user_profile_id INTEGER NOT NULL
		CONSTRAINT fk_workspaces_user_profile_id
		REFERENCES user_profiles (id) ON DELETE CASCADE,
	CONSTRAINT uq_workspaces_name UNIQUE (name)
);
CREATE INDEX ix_workspaces_user_profile_id ON workspaces (user_profile_id);

-- memory: uuid4 text keys.  Scope ids (agent_id, user_id, session_id) are
-- free strings, not foreign keys.
CREATE TABLE memory_users (
	id VARCHAR(36) NOT NULL PRIMARY KEY DEFAULT (gen_random_uuid()::text),
	canonical_id VARCHAR(100) NOT NULL,
	display_name VARCHAR(255),
	telegram_id VARCHAR(100),
	telegram_username VARCHAR(100),
	email VARCHAR(255),
	merged_into_id VARCHAR(36)
		CONSTRAINT fk_memory_users_merged_into_id
		REFERENCES memory_users (id) ON DELETE SET NULL,
	preferences_cache json NOT NULL DEFAULT '{}',
	total_conversations INTEGER NOT NULL DEFAULT 0,
	last_conversation_at TIMESTAMP(6) WITHOUT TIME ZONE,
	first_seen_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	last_seen_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	created_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	updated_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	CONSTRAINT uq_memory_users_canonical_id UNIQUE (canonical_id),
	CONSTRAINT uq_memory_users_telegram_id UNIQUE (telegram_id),
	CONSTRAINT uq_memory_users_email UNIQUE (email)
);
CREATE INDEX ix_memory_users_merged_into_id ON memory_users (merged_into_id);
CREATE INDEX ix_memory_users_last_seen_at ON memory_users (last_seen_at);

CREATE TABLE memory_episodes (
	id VARCHAR(36) NOT NULL PRIMARY KEY DEFAULT (gen_random_uuid()::text),
	agent_id VARCHAR(100) NOT NULL,
	user_id VARCHAR(100),
	session_id VARCHAR(100),
	workflow_id INTEGER
		CONSTRAINT fk_memory_episodes_workflow_id
		REFERENCES workflows (id) ON DELETE SET NULL,
	execution_id VARCHAR(36)
		CONSTRAINT fk_memory_episodes_execution_id
		REFERENCES workflow_executions (execution_id) ON DELETE SET NULL,
	trigger_type VARCHAR(50) NOT NULL DEFAULT '',
	trigger_input json,
	conversation json DEFAULT '[]',
	actions_taken json DEFAULT '[]',
	final_output json,
	success BOOLEAN NOT NULL DEFAULT FALSE,
	error_code VARCHAR(50),
	error_message TEXT NOT NULL DEFAULT '',
	human_feedback TEXT,
	human_rating INTEGER,
	started_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	ended_at TIMESTAMP(6) WITHOUT TIME ZONE,
	duration_ms INTEGER,
	summary TEXT,
	embedding BYTEA,
	processed_for_facts BOOLEAN NOT NULL DEFAULT FALSE,
	created_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE INDEX ix_memory_episodes_agent_id_user_id ON memory_episodes (agent_id, user_id);
CREATE INDEX ix_memory_episodes_agent_id_started_at ON memory_episodes (agent_id, started_at);
CREATE INDEX ix_memory_episodes_user_id_started_at ON memory_episodes (user_id, started_at);
CREATE INDEX ix_memory_episodes_session_id ON memory_episodes (session_id);
CREATE INDEX ix_memory_episodes_started_at ON memory_episodes (started_at);
CREATE INDEX ix_memory_episodes_workflow_id ON memory_episodes (workflow_id);
CREATE INDEX ix_memory_episodes_execution_id ON memory_episodes (execution_id);

CREATE TABLE memory_facts (
	id VARCHAR(36) NOT NULL PRIMARY KEY DEFAULT (gen_random_uuid()::text),
	scope VARCHAR(20) NOT NULL DEFAULT 'agent',
	agent_id VARCHAR(100),
	user_id VARCHAR(100),
	session_id VARCHAR(100),
	key VARCHAR(255) NOT NULL,
	value json NOT NULL,
	fact_type VARCHAR(50) NOT NULL,
	confidence FLOAT NOT NULL DEFAULT 1.0,
	times_confirmed INTEGER NOT NULL DEFAULT 1,
	times_contradicted INTEGER NOT NULL DEFAULT 0,
	source_episode_id VARCHAR(36)
		CONSTRAINT fk_memory_facts_source_episode_id
		REFERENCES memory_episodes (id) ON DELETE SET NULL,
	source_description VARCHAR(255),
	access_count INTEGER NOT NULL DEFAULT 0,
	last_accessed TIMESTAMP(6) WITHOUT TIME ZONE,
	embedding BYTEA,
	created_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	updated_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE INDEX ix_memory_facts_scope_agent_id_user_id_key ON memory_facts (scope, agent_id, user_id, key);
CREATE INDEX ix_memory_facts_agent_id_fact_type ON memory_facts (agent_id, fact_type);
CREATE INDEX ix_memory_facts_user_id_fact_type ON memory_facts (user_id, fact_type);
CREATE INDEX ix_memory_facts_session_id ON memory_facts (session_id);
CREATE INDEX ix_memory_facts_updated_at ON memory_facts (updated_at);
CREATE INDEX ix_memory_facts_source_episode_id ON memory_facts (source_episode_id);

CREATE TABLE memory_procedures (
	id VARCHAR(36) NOT NULL PRIMARY KEY DEFAULT (gen_random_uuid()::text),
	agent_id VARCHAR(100) NOT NULL,
	user_id VARCHAR(100),
	name VARCHAR(255) NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	trigger_conditions json NOT NULL DEFAULT '{}',
	procedure_type VARCHAR(50) NOT NULL,
	procedure_content json NOT NULL,
	times_used INTEGER NOT NULL DEFAULT 0,
	times_succeeded INTEGER NOT NULL DEFAULT 0,
	times_failed INTEGER NOT NULL DEFAULT 0,
	avg_duration_ms FLOAT,
	last_used_at TIMESTAMP(6) WITHOUT TIME ZONE,
	source VARCHAR(50) NOT NULL DEFAULT 'human_taught',
	parent_procedure_id VARCHAR(36)
		CONSTRAINT fk_memory_procedures_parent_procedure_id
		REFERENCES memory_procedures (id) ON DELETE SET NULL,
	is_active BOOLEAN NOT NULL DEFAULT TRUE,
	created_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
	updated_at TIMESTAMP(6) WITHOUT TIME ZONE NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE INDEX ix_memory_procedures_agent_id_is_active ON memory_procedures (agent_id, is_active);
CREATE INDEX ix_memory_procedures_user_id ON memory_procedures (user_id);
CREATE INDEX ix_memory_procedures_created_at ON memory_procedures (created_at);
CREATE INDEX ix_memory_procedures_parent_procedure_id ON memory_procedures (parent_procedure_id);

-- +downgrade postgresql
-- code_blocks and code_block_versions reference each other, and PostgreSQL
-- refuses to drop either while the other still points at it.
ALTER TABLE IF EXISTS code_blocks DROP CONSTRAINT IF EXISTS fk_code_blocks_published_version_id;
ALTER TABLE IF EXISTS code_blocks DROP CONSTRAINT IF EXISTS fk_code_blocks_draft_version_id;

-- +downgrade
-- children before their parents
DROP TABLE IF EXISTS memory_procedures;
DROP TABLE IF EXISTS memory_facts;
DROP TABLE IF EXISTS memory_episodes;
DROP TABLE IF EXISTS memory_users;
DROP TABLE IF EXISTS workspaces;
DROP TABLE IF EXISTS scheduled_jobs;
DROP TABLE IF EXISTS pending_tasks;
DROP TABLE IF EXISTS execution_logs;
DROP TABLE IF EXISTS workflow_executions;
DROP TABLE IF EXISTS workflow_edges;
DROP TABLE IF EXISTS workflow_nodes;
DROP TABLE IF EXISTS component_configs;
DROP TABLE IF EXISTS code_block_versions;
DROP TABLE IF EXISTS code_blocks;
DROP TABLE IF EXISTS git_commits;
DROP TABLE IF EXISTS workflows;
DROP TABLE IF EXISTS git_repositories;
DROP TABLE IF EXISTS system_config;
DROP TABLE IF EXISTS tool_credentials;
DROP TABLE IF EXISTS gateway_credentials;
DROP TABLE IF EXISTS git_credentials;
DROP TABLE IF EXISTS llm_credentials;
DROP TABLE IF EXISTS credentials;
DROP TABLE IF EXISTS api_keys;
DROP TABLE IF EXISTS user_profiles;
