#include "tools/schema.h"

#include "security/card_data.h"

#include <cmath>
#include <set>

namespace billing {
namespace {

using nlohmann::json;

constexpr int kMaxDepth = 32;

const char* TypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float: return "number";
    case json::value_t::string: return "string";
    case json::value_t::array: return "array";
    case json::value_t::object: return "object";
    default: return "unknown";
  }
}

bool MatchesType(const json& v, const std::string& type) {
  if (type == "number") return v.is_number();
  if (type == "integer") {
    if (v.is_number_integer()) return true;
    if (v.is_number_float()) {
      const double d = v.get<double>();
      return std::isfinite(d) && std::floor(d) == d;
    }
    return false;
  }
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_boolean();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "null") return v.is_null();
  return false;
}

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

class Validator {
 public:
  Validator(std::vector<SchemaIssue>& issues, size_t max) : issues_(issues), max_(max) {}

  void Add(const std::string& path, std::string message) {
    if (issues_.size() < max_) issues_.push_back({path, std::move(message)});
  }

  void Check(const json& schema, const json& v, const std::string& path, int depth) {
    if (depth > kMaxDepth) {
      Add(path, "Nesting too deep");
      return;
    }
    if (!schema.is_object()) return;
    if (auto it = schema.find("anyOf"); it != schema.end() && it->is_array()) {
      std::vector<SchemaIssue> first_branch;
      for (const json& branch : *it) {
        std::vector<SchemaIssue> sub;
        Validator(sub, max_).Check(branch, v, path, depth + 1);
        if (sub.empty()) return;
        if (first_branch.empty()) first_branch = std::move(sub);
      }
      for (auto& i : first_branch) Add(i.path, i.message);
      return;
    }
    if (auto it = schema.find("type"); it != schema.end()) {
      bool ok = false;
      std::string expected;
      if (it->is_string()) {
        expected = it->get<std::string>();
        ok = MatchesType(v, expected);
      } else if (it->is_array()) {
        for (const json& t : *it) {
          if (!t.is_string()) continue;
          expected += (expected.empty() ? "" : " or ") + t.get<std::string>();
          ok = ok || MatchesType(v, t.get<std::string>());
        }
      }
      if (!ok) {
        Add(path, "Expected " + expected + ", received " + TypeName(v));
        return;
      }
    }
    if (auto it = schema.find("enum"); it != schema.end() && it->is_array()) {
      bool found = false;
      std::string options;
      for (const json& e : *it) {
        if (e == v) found = true;
        options += (options.empty() ? "'" : " | '") + (e.is_string() ? e.get<std::string>() : e.dump()) + "'";
      }
      if (!found) {
        Add(path, "Invalid enum value. Expected " + options + ", received " +
                      (v.is_string() ? "'" + v.get<std::string>() + "'" : v.dump()));
        return;
      }
    }
    if (v.is_string()) {
      const size_t len = v.get_ref<const std::string&>().size();
      if (auto it = schema.find("minLength"); it != schema.end() && it->is_number_unsigned() &&
                                              len < it->get<size_t>()) {
        Add(path, "String must contain at least " + it->dump() + " character(s)");
      }
      if (auto it = schema.find("maxLength"); it != schema.end() && it->is_number_unsigned() &&
                                              len > it->get<size_t>()) {
        Add(path, "String must contain at most " + it->dump() + " character(s)");
      }
    }
    if (v.is_number()) {
      const double d = v.get<double>();
      if (auto it = schema.find("exclusiveMinimum"); it != schema.end() && it->is_number() &&
                                                     !(d > it->get<double>())) {
        Add(path, "Number must be greater than " + it->dump());
      }
      if (auto it = schema.find("minimum"); it != schema.end() && it->is_number() &&
                                            !(d >= it->get<double>())) {
        Add(path, "Number must be greater than or equal to " + it->dump());
      }
      if (auto it = schema.find("maximum"); it != schema.end() && it->is_number() &&
                                            !(d <= it->get<double>())) {
        Add(path, "Number must be less than or equal to " + it->dump());
      }
    }
    if (v.is_array()) {
      if (auto it = schema.find("minItems"); it != schema.end() && it->is_number_unsigned() &&
                                             v.size() < it->get<size_t>()) {
        Add(path, "Array must contain at least " + it->dump() + " element(s)");
      }
      if (auto it = schema.find("maxItems"); it != schema.end() && it->is_number_unsigned() &&
                                             v.size() > it->get<size_t>()) {
        Add(path, "Array must contain at most " + it->dump() + " element(s)");
        return;
      }
      if (auto it = schema.find("items"); it != schema.end()) {
        for (size_t k = 0; k < v.size() && issues_.size() < max_; ++k) {
          Check(*it, v[k], path + "[" + std::to_string(k) + "]", depth + 1);
        }
      }
    }
    if (v.is_object()) {
      const json* props = nullptr;
      if (auto it = schema.find("properties"); it != schema.end() && it->is_object()) props = &*it;
      if (auto it = schema.find("required"); it != schema.end() && it->is_array()) {
        for (const json& r : *it) {
          if (r.is_string() && !v.contains(r.get<std::string>())) Add(Join(path, r.get<std::string>()), "Required");
        }
      }
      for (auto it = v.begin(); it != v.end() && issues_.size() < max_; ++it) {
        if (props && props->contains(it.key())) {
          Check((*props)[it.key()], it.value(), Join(path, it.key()), depth + 1);
        } else if (auto ap = schema.find("additionalProperties"); ap != schema.end() && ap->is_boolean() &&
                                                                  !ap->get<bool>()) {
          Add(Join(path, it.key()), "Unrecognized key '" + it.key() + "'");
        }
      }
    }
  }

 private:
  std::vector<SchemaIssue>& issues_;
  size_t max_;
};

json StripNullsAt(const json& value, int depth) {
  if (depth > kMaxDepth) return value;
  if (value.is_object()) {
    json out = json::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (!it.value().is_null()) out[it.key()] = StripNullsAt(it.value(), depth + 1);
    }
    return out;
  }
  if (value.is_array()) {
    json out = json::array();
    for (const json& e : value) out.push_back(StripNullsAt(e, depth + 1));
    return out;
  }
  return value;
}

}  // namespace

json StripNulls(const json& value) { return StripNullsAt(value, 0); }

std::vector<SchemaIssue> ValidateSchema(const json& schema, const json& value, size_t max_issues) {
  std::vector<SchemaIssue> issues;
  Validator(issues, max_issues).Check(schema, value, "", 0);
  return issues;
}

json ValidationFailureResult(const std::string& tool_id, const json& args,
                             const std::vector<SchemaIssue>& issues) {
  std::string message = "Tool validation failed for " + tool_id +
                        ". Please fix the following errors and try again:\n";
  json errors = {{"_errors", json::array()}};
  for (const SchemaIssue& i : issues) {
    const std::string issue = security::RedactCardNumbers(i.message);  // may quote the input
    message += "- " + (i.path.empty() ? std::string("input") : i.path) + ": " + issue + "\n";
    if (i.path.empty()) {
      errors["_errors"].push_back(issue);
    } else {
      errors[i.path]["_errors"].push_back(issue);
    }
  }
  std::string provided = args.dump(2, ' ', false, json::error_handler_t::replace);
  if (provided.size() > 2000) provided = provided.substr(0, 2000) + "...";
  message += "\nProvided arguments: " + provided;
  message = security::RedactCardNumbers(message);  // the echo must not carry a card number
  return {{"success", false},
          {"error", true},
          {"code", "INVALID_ARGUMENT"},
          {"message", message},
          {"validationErrors", errors}};
}

bool SchemaUsesOnlySupportedKeywords(const json& schema, std::string* unsupported) {
  static const std::set<std::string> kKnown = {
      "type", "enum", "properties", "required", "additionalProperties", "items", "minItems",
      "maxItems", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "anyOf",
      "description", "default", "$schema"};
  if (schema.is_array()) {
    for (const json& s : schema) {
      if (!SchemaUsesOnlySupportedKeywords(s, unsupported)) return false;
    }
    return true;
  }
  if (!schema.is_object()) return true;
  for (auto it = schema.begin(); it != schema.end(); ++it) {
    if (!kKnown.count(it.key())) {
      *unsupported = it.key();
      return false;
    }
    if (it.key() == "properties") {
      for (const json& p : it.value()) {
        if (!SchemaUsesOnlySupportedKeywords(p, unsupported)) return false;
      }
    } else if (it.key() == "items" || it.key() == "anyOf") {
      if (!SchemaUsesOnlySupportedKeywords(it.value(), unsupported)) return false;
    }
  }
  return true;
}

}  // namespace billing
