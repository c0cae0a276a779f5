-- 002: conversation memory (Mastra threads and their messages). Times are INTEGER Unix ms.
-- metadata is JSON text ('null' when the thread has none); content_json is one ChatMessage
-- serialised by store/memory_store.h (ChatMessageToJson).
CREATE TABLE memory_threads (
  id TEXT PRIMARY KEY,
  resource_id TEXT NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  metadata TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX memory_threads_resource ON memory_threads(resource_id, updated_at);

CREATE TABLE memory_messages (
  id TEXT PRIMARY KEY,
  thread_id TEXT NOT NULL REFERENCES memory_threads(id) ON DELETE CASCADE,
  resource_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  role TEXT NOT NULL,
  content_json TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (thread_id, seq)  -- also the index for reading a thread in order
);
