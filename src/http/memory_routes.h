// MemoryApi: the Mastra memory/thread routes (spec mastra-api.md §4; docs/http.md "Memory")
// over a MemoryStore, in both the 0.x and the 1.x response shapes:
//   GET    /api/memory/status                      {"result":true,"memoryType":"local"}
//   GET    /api/memory/threads?resourceid=U         0.x: JSON array of threads
//   GET    /api/memory/threads?resourceId=U[&page&perPage&orderBy[field]&orderBy[direction]]
//                                                   1.x: {"threads","total","page","perPage","hasMore"}
//   POST   /api/memory/threads                     body {resourceId, title?, metadata?, threadId?}
//   GET    /api/memory/threads/:id                 thread | 404 {"error":"Thread not found"}
//   PATCH  /api/memory/threads/:id                 body {title?, metadata?, resourceId?}
//   DELETE /api/memory/threads/:id                 {"result":"Thread deleted"}
//   GET    /api/memory/threads/:id/messages[?limit=N]          0.x {"messages","uiMessages","legacyMessages"}
//   GET    /api/memory/threads/:id/messages?page=P&perPage=N   1.x {"messages","total","page",
//                                                               "perPage","hasMore","uiMessages":null}
// `?agentId=` may name the one agent with memory (agent_id); another name is 404
// {"error":"Agent with name X not found"}.
//
// Thread-safety: immutable after construction; Handle() may run concurrently on any thread.
#pragma once

#include <optional>
#include <string>

#include "http/server.h"
#include "store/memory_store.h"

namespace billing::http {

class MemoryApi {
 public:
  explicit MemoryApi(MemoryStore& store, std::string agent_id = "billingApiAgent");

  // The response for a memory route, or nullopt when the method and path are not one of the
  // routes above (the caller then routes the request itself). Never throws for bad input.
  std::optional<HttpResponse> Handle(const HttpRequest& request) const;
  // Whether `request` is for a memory route that may change the store (not a GET): such calls
  // wait for a commit, so the caller runs them off the I/O threads.
  static bool MayWrite(const HttpRequest& request);

 private:
  MemoryStore& store_;
  std::string agent_id_;
};

}  // namespace billing::http
