#include "http/memory_routes.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/beast/http/verb.hpp>

#include "http/json_body.h"
#include "http/json_writer.h"
#include "http/routes_internal.h"
#include "http/url.h"
#include "billing/rules.h"

namespace billing::http {
namespace {

namespace bhttp = boost::beast::http;
using internal::Truncated;
using nlohmann::json;

constexpr size_t kMaxQueryParams = 64;  // more are ignored
constexpr size_t kMaxPathSegments = 6;
constexpr size_t kMaxIdInMessageBytes = 200;
constexpr int kMaxLegacyThreadPages = 10;  // 0.x array: at most 10 x 100 newest threads

std::string Decode(std::string_view text, bool plus_is_space) {
  return PercentDecode(text, plus_is_space);
}


// An integer query parameter in [min, max_accepted]; values above `clamp_to` are lowered to it.
Result<std::optional<int64_t>> IntParam(const Query& q, const char* name, int64_t min,
                                        int64_t max_accepted, int64_t clamp_to) {
  const std::string* text = q.Find(name);
  if (text == nullptr || text->empty()) return std::optional<int64_t>();
  int64_t value = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec == std::errc::result_out_of_range && !text->empty() && (*text)[0] != '-') {
    value = max_accepted;
  } else if (ec != std::errc() || ptr != end || value < min || value > max_accepted) {
    return Error::Invalid(name, std::string(name) + " must be an integer between " +
                                    std::to_string(min) + " and " + std::to_string(max_accepted));
  }
  return std::optional<int64_t>(std::min(value, clamp_to));
}

HttpResponse Error400(std::string_view message) {
  return JsonError(bhttp::status::bad_request, message);
}

HttpResponse StoreErrorResponse(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument:
      return JsonError(bhttp::status::bad_request, e.message);
    case ErrorCode::kNotFound:
      return JsonError(bhttp::status::not_found, e.message);
    case ErrorCode::kConflict:
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kAmbiguous:
      return JsonError(bhttp::status::conflict, e.message);
    case ErrorCode::kUnavailable:
      return JsonError(bhttp::status::service_unavailable, e.message);
    case ErrorCode::kDatabaseUnavailable:
      spdlog::warn("memory route: {}", e.message);
      return JsonError(bhttp::status::service_unavailable, "database unavailable");
    default:
      spdlog::error("memory route: {}", e.message);
      return JsonError(bhttp::status::internal_server_error, "Internal Server Error");
  }
}

HttpResponse ThreadNotFound() {
  return JsonError(bhttp::status::not_found, "Thread not found");
}

void WriteThread(JsonWriter& w, const MemoryThread& t) {
  w.BeginObject();
  w.Field("id", t.id);
  w.Field("resourceId", t.resource_id);
  w.Field("title", t.title);
  w.Field("createdAt", IsoFromUnixMs(t.created_at_ms));
  w.Field("updatedAt", IsoFromUnixMs(t.updated_at_ms));
  w.FieldRaw("metadata", Dump(t.metadata));
  w.EndObject();
}

HttpResponse ThreadResponse(const MemoryThread& t) {
  std::string body;
  JsonWriter w(body);
  WriteThread(w, t);
  return JsonResponse(bhttp::status::ok, std::move(body));
}

// An optional string member; an error naming the field when present with another type.
Result<std::optional<std::string>> OptionalString(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return Error::Invalid(key, std::string(key) + " must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::optional<json>> OptionalMetadata(const json& body) {
  auto it = body.find("metadata");
  if (it == body.end()) return std::optional<json>();
  if (!it->is_null() && !it->is_object())
    return Error::Invalid("metadata", "metadata must be an object");
  return std::optional<json>(*it);
}

// ---- messages: the shapes clients read ----

// One UI message: a user/system message, or an assistant turn (consecutive assistant and tool
// messages: its steps, tool calls and their results).
struct UiPart {
  enum class Kind { kText, kTool, kStepStart } kind = Kind::kText;
  std::string text;
  std::string tool_call_id;
  std::string tool_name;
  const json* args = nullptr;    // null pointer: {}
  const json* result = nullptr;  // null pointer: no result yet
};

struct UiMessage {
  std::string id;
  std::string role;
  std::string thread_id;
  std::string resource_id;
  int64_t created_at_ms = 0;
  std::vector<UiPart> parts;
  std::string content;  // the last text part
};

std::vector<UiMessage> GroupUiMessages(const std::vector<StoredMessage>& rows) {
  std::vector<UiMessage> out;
  bool in_turn = false;  // the last group is an assistant turn still open
  for (const StoredMessage& row : rows) {
    const ChatMessage& m = row.message;
    const bool assistant_side = m.role == "assistant" || m.role == "tool";
    if (!assistant_side || !in_turn) {
      UiMessage g;
      g.id = row.id;
      g.role = assistant_side ? "assistant" : m.role;
      g.thread_id = row.thread_id;
      g.resource_id = row.resource_id;
      g.created_at_ms = row.created_at_ms;
      out.push_back(std::move(g));
      in_turn = assistant_side;
    }
    UiMessage& g = out.back();
    if (m.role == "tool") {
      UiPart* target = nullptr;
      for (UiPart& p : g.parts) {
        if (p.kind == UiPart::Kind::kTool && p.tool_call_id == m.tool_call_id &&
            p.result == nullptr) {
          target = &p;
          break;
        }
      }
      if (target == nullptr) {  // a result whose call is not in this window
        UiPart p;
        p.kind = UiPart::Kind::kTool;
        p.tool_call_id = m.tool_call_id;
        p.tool_name = m.tool_name;
        g.parts.push_back(std::move(p));
        target = &g.parts.back();
      }
      target->result = &m.tool_result;
      continue;
    }
    if (m.role == "assistant" && !g.parts.empty()) {
      UiPart step;
      step.kind = UiPart::Kind::kStepStart;
      g.parts.push_back(std::move(step));
    }
    for (const ToolCall& call : m.tool_calls) {
      UiPart p;
      p.kind = UiPart::Kind::kTool;
      p.tool_call_id = call.id;
      p.tool_name = call.name;
      p.args = &call.args;
      g.parts.push_back(std::move(p));
    }
    if (!m.content.empty()) {
      UiPart p;
      p.text = m.content;
      g.parts.push_back(std::move(p));
      g.content = m.content;
    }
  }
  return out;
}

void WriteArgs(JsonWriter& w, const UiPart& p) {
  w.Key("args");
  w.Raw(p.args != nullptr && !p.args->is_null() ? Dump(*p.args) : "{}");
}

// v4 tool invocation (0.x legacyMessages and 1.x content parts).
void WriteToolInvocation(JsonWriter& w, const UiPart& p) {
  w.BeginObject();
  w.Field("state", p.result != nullptr ? "result" : "call");
  w.Field("toolCallId", p.tool_call_id);
  w.Field("toolName", p.tool_name);
  WriteArgs(w, p);
  if (p.result != nullptr) w.FieldRaw("result", Dump(*p.result));
  w.EndObject();
}

// Parts in the AI-SDK v4 form (`v5` false: tool-invocation) or v5 form (tool-<name>).
void WriteParts(JsonWriter& w, const UiMessage& g, bool v5) {
  w.Key("parts");
  w.BeginArray();
  for (const UiPart& p : g.parts) {
    w.BeginObject();
    switch (p.kind) {
      case UiPart::Kind::kText:
        w.Field("type", "text");
        w.Field("text", p.text);
        break;
      case UiPart::Kind::kStepStart:
        w.Field("type", "step-start");
        break;
      case UiPart::Kind::kTool:
        if (v5) {
          w.Field("type", "tool-" + p.tool_name);
          w.Field("toolCallId", p.tool_call_id);
          w.Field("state", p.result != nullptr ? "output-available" : "input-available");
          w.FieldRaw("input", p.args != nullptr && !p.args->is_null() ? Dump(*p.args) : "{}");
          if (p.result != nullptr) w.FieldRaw("output", Dump(*p.result));
        } else {
          w.Field("type", "tool-invocation");
          w.Key("toolInvocation");
          WriteToolInvocation(w, p);
        }
        break;
    }
    w.EndObject();
  }
  w.EndArray();
}

// 0.x "messages": one item per stored message, as Mastra's v1 (core) message.
void WriteLegacyCoreMessage(JsonWriter& w, const StoredMessage& row) {
  const ChatMessage& m = row.message;
  w.BeginObject();
  w.Field("role", m.role);
  w.Field("id", row.id);
  w.Field("createdAt", IsoFromUnixMs(row.created_at_ms));
  w.Field("resourceId", row.resource_id);
  w.Field("threadId", row.thread_id);
  if (m.role == "tool") {
    w.Field("type", "tool-result");
    w.Key("content");
    w.BeginArray();
    w.BeginObject();
    w.Field("type", "tool-result");
    w.Field("toolCallId", m.tool_call_id);
    w.Field("toolName", m.tool_name);
    w.FieldRaw("result", Dump(m.tool_result));
    w.EndObject();
    w.EndArray();
  } else if (!m.tool_calls.empty()) {
    w.Field("type", "tool-call");
    w.Key("content");
    w.BeginArray();
    if (!m.content.empty()) {
      w.BeginObject();
      w.Field("type", "text");
      w.Field("text", m.content);
      w.EndObject();
    }
    for (const ToolCall& call : m.tool_calls) {
      w.BeginObject();
      w.Field("type", "tool-call");
      w.Field("toolCallId", call.id);
      w.Field("toolName", call.name);
      w.FieldRaw("args", call.args.is_null() ? "{}" : Dump(call.args));
      w.EndObject();
    }
    w.EndArray();
  } else {
    w.Field("type", "text");
    w.Field("content", m.content);
  }
  w.EndObject();
}

void WriteUiMessageV5(JsonWriter& w, const UiMessage& g) {
  w.BeginObject();
  w.Field("id", g.id);
  w.Field("role", g.role);
  w.Key("metadata");
  w.BeginObject();
  w.Field("createdAt", IsoFromUnixMs(g.created_at_ms));
  w.Field("threadId", g.thread_id);
  w.Field("resourceId", g.resource_id);
  w.EndObject();
  WriteParts(w, g, /*v5=*/true);
  w.EndObject();
}

void WriteUiMessageV4(JsonWriter& w, const UiMessage& g) {
  w.BeginObject();
  w.Field("id", g.id);
  w.Field("role", g.role);
  w.Field("content", g.content);
  w.Field("createdAt", IsoFromUnixMs(g.created_at_ms));
  WriteParts(w, g, /*v5=*/false);
  if (g.role == "user") {
    w.Key("experimental_attachments");
    w.BeginArray();
    w.EndArray();
  }
  bool any_tool = false;
  for (const UiPart& p : g.parts) any_tool |= p.kind == UiPart::Kind::kTool;
  if (any_tool) {
    w.Key("toolInvocations");
    w.BeginArray();
    for (const UiPart& p : g.parts) {
      if (p.kind == UiPart::Kind::kTool) WriteToolInvocation(w, p);
    }
    w.EndArray();
  }
  w.EndObject();
}

// 1.x MastraDBMessage: {id, content:{format:2, parts, content}, role, createdAt, threadId,
// resourceId}.
void WriteDbMessage(JsonWriter& w, const UiMessage& g) {
  w.BeginObject();
  w.Field("id", g.id);
  w.Key("content");
  w.BeginObject();
  w.Key("format");
  w.Int(2);
  WriteParts(w, g, /*v5=*/false);
  w.Field("content", g.content);
  w.EndObject();
  w.Field("role", g.role);
  w.Field("createdAt", IsoFromUnixMs(g.created_at_ms));
  w.Field("threadId", g.thread_id);
  w.Field("resourceId", g.resource_id);
  w.EndObject();
}

}  // namespace

MemoryApi::MemoryApi(MemoryStore& store, std::string agent_id, int history_messages)
    : store_(store), agent_id_(std::move(agent_id)), history_messages_(history_messages) {}

namespace {
constexpr std::string_view kMemoryPrefix = "/api/memory/";
}  // namespace

bool MemoryApi::MayWrite(const HttpRequest& request) {
  return request.method() != bhttp::verb::get &&
         std::string_view(request.target()).substr(0, kMemoryPrefix.size()) == kMemoryPrefix;
}

std::string BoundMemoryResource(std::string_view bound_customer, std::string_view given) {
  if (bound_customer.empty()) return std::string(given);
  std::string stored = "customer/";
  stored += CanonicalId(bound_customer);
  stored += '/';
  stored += given;
  return stored;
}

std::optional<HttpResponse> MemoryApi::Handle(const HttpRequest& request,
                                              std::string_view bound_customer) const {
  std::string_view target = request.target();
  std::string_view query_text;
  if (const size_t q = target.find('?'); q != std::string_view::npos) {
    query_text = target.substr(q + 1);
    target = target.substr(0, q);
  }
  if (target.substr(0, kMemoryPrefix.size()) != kMemoryPrefix) return std::nullopt;
  target.remove_prefix(kMemoryPrefix.size());
  if (!target.empty() && target.back() == '/') target.remove_suffix(1);
  std::array<std::string_view, kMaxPathSegments> seg;
  size_t n = 0;
  while (true) {
    if (n == kMaxPathSegments) return std::nullopt;
    const size_t slash = target.find('/');
    seg[n++] = target.substr(0, slash);
    if (slash == std::string_view::npos) break;
    target.remove_prefix(slash + 1);
  }
  const bhttp::verb method = request.method();
  const bool is_get = method == bhttp::verb::get;
  enum class Route {
    kStatus,
    kThreads,
    kCreateThread,
    kGetThread,
    kPatchThread,
    kDeleteThread,
    kMessages,
    kConfig,
    kGetWorkingMemory,
    kSetWorkingMemory
  };
  Route route;
  if (n == 1 && seg[0] == "status" && is_get) {
    route = Route::kStatus;
  } else if (n == 1 && seg[0] == "threads" && is_get) {
    route = Route::kThreads;
  } else if (n == 1 && seg[0] == "threads" && method == bhttp::verb::post) {
    route = Route::kCreateThread;
  } else if (n == 2 && seg[0] == "threads" && !seg[1].empty() && is_get) {
    route = Route::kGetThread;
  } else if (n == 2 && seg[0] == "threads" && !seg[1].empty() && method == bhttp::verb::patch) {
    route = Route::kPatchThread;
  } else if (n == 2 && seg[0] == "threads" && !seg[1].empty() && method == bhttp::verb::delete_) {
    route = Route::kDeleteThread;
  } else if (n == 3 && seg[0] == "threads" && !seg[1].empty() && seg[2] == "messages" && is_get) {
    route = Route::kMessages;
  } else if (n == 1 && seg[0] == "config" && is_get) {
    route = Route::kConfig;
  } else if (n == 3 && seg[0] == "threads" && !seg[1].empty() && seg[2] == "working-memory") {
    if (is_get) {
      route = Route::kGetWorkingMemory;
    } else if (method == bhttp::verb::post) {
      route = Route::kSetWorkingMemory;
    } else {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }

  const Query query(query_text, kMaxQueryParams);
  if (const std::string* agent = query.Find("agentId");
      agent != nullptr && !agent->empty() && *agent != agent_id_) {
    return JsonError(bhttp::status::not_found,
                     "Agent with name " + Truncated(*agent, kMaxIdInMessageBytes) + " not found");
  }
  const std::string thread_id = n >= 2 ? Decode(seg[1], false) : std::string();
  // A customer-bound caller sees only the resources under its prefix, shown without it.
  const std::string prefix = BoundMemoryResource(bound_customer, "");
  auto owned = [&](const MemoryThread& t) {
    return std::string_view(t.resource_id).substr(0, prefix.size()) == prefix;
  };
  auto shown = [&](std::string& resource_id) {
    if (std::string_view(resource_id).substr(0, prefix.size()) == prefix) {
      resource_id.erase(0, prefix.size());
    }
  };
  // The thread of a route naming one, if this caller may see it.
  auto own_thread = [&]() -> Result<std::optional<MemoryThread>> {
    auto thread = store_.GetThread(thread_id);
    if (!thread.ok()) return thread.error();
    if (thread->has_value() && !owned(**thread)) return std::optional<MemoryThread>();
    return thread;
  };

  switch (route) {
    case Route::kStatus:
      return JsonResponse(bhttp::status::ok, R"({"result":true,"memoryType":"local"})");

    case Route::kThreads: {
      const std::string* legacy_resource = query.Find("resourceid");
      const std::string* resource = query.Find("resourceId");
      const bool paged = query.Has("page") || query.Has("perPage");
      if ((resource == nullptr || resource->empty()) &&
          (legacy_resource == nullptr || legacy_resource->empty()) &&
          (!paged || !prefix.empty())) {  // only unbound callers may list every resource
        return Error400("Argument \"resourceId\" is required");
      }
      ThreadListQuery q;
      q.resource_id = BoundMemoryResource(
          bound_customer, resource != nullptr && !resource->empty()
                              ? *resource
                              : (legacy_resource != nullptr ? *legacy_resource : std::string()));
      auto page = IntParam(query, "page", 0, kMaxPageIndex, kMaxPageIndex);
      if (!page.ok()) return StoreErrorResponse(page.error());
      auto per_page =
          IntParam(query, "perPage", 1, std::numeric_limits<int32_t>::max(), kMaxThreadsPerPage);
      if (!per_page.ok()) return StoreErrorResponse(per_page.error());
      q.page = page->value_or(0);
      q.per_page = int(per_page->value_or(kMaxThreadsPerPage));
      if (const std::string* field = query.Find("orderBy[field]"); field != nullptr) {
        if (*field == "updatedAt") {
          q.order_by = ThreadOrderField::kUpdatedAt;
        } else if (*field != "createdAt") {
          return Error400("orderBy[field] must be createdAt or updatedAt");
        }
      }
      if (const std::string* dir = query.Find("orderBy[direction]"); dir != nullptr) {
        if (*dir == "ASC" || *dir == "asc") {
          q.descending = false;
        } else if (*dir != "DESC" && *dir != "desc") {
          return Error400("orderBy[direction] must be ASC or DESC");
        }
      }
      const bool v1_shape = (resource != nullptr && !resource->empty()) || paged;
      std::string body;
      JsonWriter w(body);
      if (!v1_shape) {  // 0.x: every thread of the resource (bounded), as an array
        w.BeginArray();
        for (int p = 0; p < kMaxLegacyThreadPages; ++p) {
          q.page = p;
          auto result = store_.ListThreads(q);
          if (!result.ok()) return StoreErrorResponse(result.error());
          for (MemoryThread& t : result->threads) {
            shown(t.resource_id);
            WriteThread(w, t);
          }
          if (int64_t(p + 1) * q.per_page >= result->total) break;
        }
        w.EndArray();
        return JsonResponse(bhttp::status::ok, std::move(body));
      }
      auto result = store_.ListThreads(q);
      if (!result.ok()) return StoreErrorResponse(result.error());
      w.BeginObject();
      w.Key("threads");
      w.BeginArray();
      for (MemoryThread& t : result->threads) {
        shown(t.resource_id);
        WriteThread(w, t);
      }
      w.EndArray();
      w.Key("total");
      w.Int(result->total);
      w.Key("page");
      w.Int(q.page);
      w.Key("perPage");
      w.Int(q.per_page);
      w.Key("hasMore");
      w.Bool((q.page + 1) * q.per_page < result->total);
      w.EndObject();
      return JsonResponse(bhttp::status::ok, std::move(body));
    }

    case Route::kCreateThread: {
      auto body = ParseJsonObjectBody(request.body());
      if (!body.ok()) return StoreErrorResponse(body.error());
      auto resource = OptionalString(*body, "resourceId");
      if (!resource.ok()) return StoreErrorResponse(resource.error());
      if (!resource->has_value() || (*resource)->empty()) {
        return Error400("Argument \"resourceId\" is required");
      }
      auto title = OptionalString(*body, "title");
      if (!title.ok()) return StoreErrorResponse(title.error());
      auto id = OptionalString(*body, "threadId");
      if (!id.ok()) return StoreErrorResponse(id.error());
      auto metadata = OptionalMetadata(*body);
      if (!metadata.ok()) return StoreErrorResponse(metadata.error());
      NewThread t;
      t.resource_id = BoundMemoryResource(bound_customer, **resource);
      t.title = title->value_or("");
      t.id = id->value_or("");
      t.metadata = metadata->value_or(json());
      auto created = store_.CreateThread(t);
      if (!created.ok()) return StoreErrorResponse(created.error());
      shown(created->resource_id);
      return ThreadResponse(*created);
    }

    case Route::kGetThread: {
      auto thread = own_thread();
      if (!thread.ok()) return StoreErrorResponse(thread.error());
      if (!thread->has_value()) return ThreadNotFound();
      shown((*thread)->resource_id);
      return ThreadResponse(**thread);
    }

    case Route::kPatchThread: {
      if (!prefix.empty()) {
        auto thread = own_thread();
        if (!thread.ok()) return StoreErrorResponse(thread.error());
        if (!thread->has_value()) return ThreadNotFound();
      }
      auto body = ParseJsonObjectBody(request.body());
      if (!body.ok()) return StoreErrorResponse(body.error());
      ThreadUpdate update;
      auto title = OptionalString(*body, "title");
      if (!title.ok()) return StoreErrorResponse(title.error());
      update.title = *title;
      auto resource = OptionalString(*body, "resourceId");
      if (!resource.ok()) return StoreErrorResponse(resource.error());
      if (resource->has_value()) {
        update.resource_id = BoundMemoryResource(bound_customer, **resource);
      }
      auto metadata = OptionalMetadata(*body);
      if (!metadata.ok()) return StoreErrorResponse(metadata.error());
      update.metadata = *metadata;
      auto updated = store_.UpdateThread(thread_id, update);
      if (!updated.ok()) return StoreErrorResponse(updated.error());
      shown(updated->resource_id);
      return ThreadResponse(*updated);
    }

    case Route::kConfig:
      // What the Studio's Memory tab shows; working memory is kept per thread.
      return JsonResponse(bhttp::status::ok,
                          json({{"config",
                                 {{"lastMessages", history_messages_},
                                  {"semanticRecall", false},
                                  {"threads", {{"generateTitle", false}}},
                                  {"workingMemory",
                                   {{"enabled", true},
                                    {"scope", "thread"},
                                    {"template", kWorkingMemoryTemplate}}}}}})
                              .dump());

    case Route::kGetWorkingMemory: {
      // Mastra keeps a thread's working memory in its metadata ("workingMemory"): so do we.
      auto thread = own_thread();
      if (!thread.ok()) return StoreErrorResponse(thread.error());
      json memory = nullptr;
      if (thread->has_value()) {
        const json& metadata = (*thread)->metadata;
        if (metadata.is_object()) {
          auto it = metadata.find("workingMemory");
          if (it != metadata.end() && it->is_string()) memory = *it;
        }
      }
      return JsonResponse(
          bhttp::status::ok,
          json({{"workingMemory", memory},
                {"source", "thread"},
                {"workingMemoryTemplate", {{"format", "markdown"}, {"content", kWorkingMemoryTemplate}}},
                {"threadExists", thread->has_value()}})
              .dump());
    }

    case Route::kSetWorkingMemory: {
      auto thread = own_thread();
      if (!thread.ok()) return StoreErrorResponse(thread.error());
      if (!thread->has_value()) return ThreadNotFound();
      auto body = ParseJsonObjectBody(request.body());
      if (!body.ok()) return StoreErrorResponse(body.error());
      auto text = OptionalString(*body, "workingMemory");
      if (!text.ok()) return StoreErrorResponse(text.error());
      if (!text->has_value()) {
        return StoreErrorResponse(
            Error::Invalid("workingMemory", "workingMemory is required (a string)"));
      }
      ThreadUpdate update;
      json metadata = (*thread)->metadata.is_object() ? (*thread)->metadata : json::object();
      metadata["workingMemory"] = **text;
      update.metadata = std::move(metadata);  // bounded by kMaxThreadMetadataBytes in the store
      auto updated = store_.UpdateThread(thread_id, update);
      if (!updated.ok()) return StoreErrorResponse(updated.error());
      return JsonResponse(bhttp::status::ok, R"({"success":true})");
    }

    case Route::kDeleteThread: {
      if (!prefix.empty()) {
        auto thread = own_thread();
        if (!thread.ok()) return StoreErrorResponse(thread.error());
        if (!thread->has_value()) return ThreadNotFound();
      }
      Status s = store_.DeleteThread(thread_id);
      if (!s.ok()) return StoreErrorResponse(s.error());
      return JsonResponse(bhttp::status::ok, R"({"result":"Thread deleted"})");
    }

    case Route::kMessages: {
      auto thread = own_thread();
      if (!thread.ok()) return StoreErrorResponse(thread.error());
      if (!thread->has_value()) return ThreadNotFound();
      const bool v1_shape = query.Has("page") || query.Has("perPage");
      MessageQuery q;
      if (v1_shape) {
        auto page = IntParam(query, "page", 0, kMaxPageIndex, kMaxPageIndex);
        if (!page.ok()) return StoreErrorResponse(page.error());
        auto per_page =
            IntParam(query, "perPage", 1, std::numeric_limits<int32_t>::max(), kMaxMessagesPerPage);
        if (!per_page.ok()) return StoreErrorResponse(per_page.error());
        q.page = page->value_or(0);
        q.per_page = int(per_page->value_or(40));
      } else {
        auto limit =
            IntParam(query, "limit", 1, std::numeric_limits<int32_t>::max(), kMaxLastMessages);
        if (!limit.ok()) return StoreErrorResponse(limit.error());
        q.last_n = int(limit->value_or(kMaxLastMessages));
      }
      auto page = store_.LoadMessages(thread_id, q);
      if (!page.ok()) return StoreErrorResponse(page.error());
      for (StoredMessage& row : page->messages) shown(row.resource_id);
      const std::vector<UiMessage> groups = GroupUiMessages(page->messages);
      std::string body;
      JsonWriter w(body);
      w.BeginObject();
      w.Key("messages");
      w.BeginArray();
      if (v1_shape) {
        for (const UiMessage& g : groups) WriteDbMessage(w, g);
      } else {
        for (const StoredMessage& row : page->messages) WriteLegacyCoreMessage(w, row);
      }
      w.EndArray();
      if (v1_shape) {
        w.Key("total");
        w.Int(page->total);
        w.Key("page");
        w.Int(q.page);
        w.Key("perPage");
        w.Int(q.per_page);
        w.Key("hasMore");
        w.Bool((q.page + 1) * q.per_page < page->total);
        w.Key("uiMessages");
        w.Null();
      } else {
        w.Key("uiMessages");
        w.BeginArray();
        for (const UiMessage& g : groups) WriteUiMessageV5(w, g);
        w.EndArray();
        w.Key("legacyMessages");
        w.BeginArray();
        for (const UiMessage& g : groups) WriteUiMessageV4(w, g);
        w.EndArray();
      }
      w.EndObject();
      return JsonResponse(bhttp::status::ok, std::move(body));
    }
  }
  return std::nullopt;
}

}  // namespace billing::http
