/*
 * cstore_schema.c: the conversation store's tables in its own SQLite file.
 *
 * The same tables as migration e7bb1bf0e9a3 creates in the main database
 * (see its notes for what the columns mean); the file has no migration
 * history of its own, so they are created with IF NOT EXISTS on the
 * file's first write.  t/unit/test_cstore.c checks both have the same
 * columns.
 */
#include "checkpoints/cstore_internal.h"

const char cstore_file_schema[] =
	"CREATE TABLE IF NOT EXISTS conversation_threads ("
	" thread_id VARCHAR(255) NOT NULL PRIMARY KEY,"
	" last_seq BIGINT NOT NULL DEFAULT 0,"
	" last_checkpoint_id VARCHAR(64),"
	" updated_ms BIGINT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS conversation_checkpoints ("
	" thread_id VARCHAR(255) NOT NULL,"
	" checkpoint_ns VARCHAR(255) NOT NULL DEFAULT '',"
	" checkpoint_id VARCHAR(64) NOT NULL,"
	" parent_checkpoint_id VARCHAR(64),"
	" step INTEGER,"
	" source VARCHAR(32),"
	" blob_size BIGINT NOT NULL DEFAULT 0,"
	" created_ms BIGINT NOT NULL,"
	" CONSTRAINT pk_conversation_checkpoints PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id));"
	"CREATE INDEX IF NOT EXISTS ix_conversation_checkpoints_checkpoint_id"
	" ON conversation_checkpoints (checkpoint_id);"
	"CREATE TABLE IF NOT EXISTS conversation_messages ("
	" thread_id VARCHAR(255) NOT NULL,"
	" seq BIGINT NOT NULL,"
	" message_id VARCHAR(255) NOT NULL,"
	" checkpoint_id VARCHAR(64) NOT NULL,"
	" type VARCHAR(16) NOT NULL,"
	" message TEXT NOT NULL,"
	" CONSTRAINT pk_conversation_messages PRIMARY KEY (thread_id, seq),"
	" CONSTRAINT uq_conversation_messages_thread_id_message_id UNIQUE (thread_id, message_id));"
	"CREATE INDEX IF NOT EXISTS ix_conversation_messages_checkpoint_id"
	" ON conversation_messages (checkpoint_id);";
