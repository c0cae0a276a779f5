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
//   GET    /api/memory/config                      {"config":{lastMessages, semanticRecall:false,
//                                                    threads, workingMemory:{enabled, scope, template}}}
//   GET    /api/memory/threads/:id/working-memory  {"workingMemory": text|null, "source":"thread",
//                                                   "workingMemoryTemplate", "threadExists"}
//   POST   /api/memory/threads/:id/working-memory  body {workingMemory, resourceId?} -> {"success":true}
// Working memory (Mastra's, thread scope) is kept as the thread's metadata "workingMemory", so it
// is stored with the thread, in the database, on either backend, bounded as metadata is.
// `?agentId=` may name the one agent with memory (agent_id); another name is 404
// {"error":"Agent with name X not found"}.
//
// Customer-bound callers (a key made with --customer, a JWT with claim customer_id) have a
// resource namespace of their own: the resourceIds they send are stored under
// "customer/<CUST-ID>/" (BoundMemoryResource) and shown without that prefix, a thread outside it
// answers 404 exactly as an absent one, and a list must name its resourceId. Unbound callers see
// every thread, the stored resource ids included.
//
// Thread-safety: immutable after construction; Handle() may run concurrently on any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/server.h"
#include "store/memory_store.h"

namespace billing::http {

// The stored resource id of the resource `given` by a caller bound to `bound_customer` ("" for
// an unbound caller: `given` itself). The agent's runs store their threads under the same id.
std::string BoundMemoryResource(std::string_view bound_customer, std::string_view given);

// What a new thread's working memory looks like (Markdown, shown until one is saved).
inline constexpr const char* kWorkingMemoryTemplate =
    "# Billing notes\n- **Customer**: \n- **Contact preferences**: \n- **Open questions**: \n";

class MemoryApi {
 public:
  // `history_messages`: how many stored messages a run reads (ConversationMemoryOptions).
  explicit MemoryApi(MemoryStore& store, std::string agent_id = "billingApiAgent",
                     int history_messages = 40);

  // The response for a memory route, or nullopt when the method and path are not one of the
  // routes above (the caller then routes the request itself). Never throws for bad input.
  // `bound_customer`: the caller's customer when it is customer-bound, else "".
  std::optional<HttpResponse> Handle(const HttpRequest& request,
                                     std::string_view bound_customer = {}) const;
  // Whether `request` is for a memory route that may change the store (not a GET): such calls
  // wait for a commit, so the caller runs them off the I/O threads.
  static bool MayWrite(const HttpRequest& request);

 private:
  MemoryStore& store_;
  std::string agent_id_;
  int history_messages_;
};

}  // namespace billing::http
