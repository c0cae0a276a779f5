// JSON list columns; see json_columns.h.
#include "store/json_columns.h"

#include <nlohmann/json.hpp>

namespace billing {
namespace {

constexpr size_t kMaxListRows = 1000;  // a draft holds at most 100 lines; a bound on the text

Result<nlohmann::json> ParseList(const std::string& text, const std::string& where) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array() || j.size() > kMaxListRows)
    return Error::Internal("corrupt list column in " + where);
  return j;
}

bool IsInt(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number_integer();
}

}  // namespace

std::string EncodeLineItems(const std::vector<LineItem>& items) {
  nlohmann::json out = nlohmann::json::array();
  for (const LineItem& li : items) {
    out.push_back({{"description", li.description},
                   {"quantityMilli", li.quantity_milli},
                   {"unitPriceCents", li.unit_price_cents},
                   {"amountCents", li.amount_cents}});
  }
  return out.dump();
}

Result<std::vector<LineItem>> DecodeLineItems(const std::string& text, const std::string& where) {
  BILLING_ASSIGN_OR_RETURN(nlohmann::json j, ParseList(text, where));
  std::vector<LineItem> out;
  for (const nlohmann::json& e : j) {
    if (!IsInt(e, "quantityMilli") || !IsInt(e, "unitPriceCents") || !IsInt(e, "amountCents") ||
        !e.contains("description") || !e["description"].is_string()) {
      return Error::Internal("corrupt line item in " + where);
    }
    LineItem li;
    li.description = e["description"].get<std::string>();
    li.quantity_milli = e["quantityMilli"].get<int64_t>();
    li.unit_price_cents = e["unitPriceCents"].get<int64_t>();
    li.amount_cents = e["amountCents"].get<int64_t>();
    out.push_back(std::move(li));
  }
  return out;
}

std::string EncodeCreditLines(const std::vector<CreditNoteLine>& lines) {
  nlohmann::json out = nlohmann::json::array();
  for (const CreditNoteLine& l : lines) {
    out.push_back({{"position", l.position},
                   {"description", l.description},
                   {"quantityMilli", l.quantity_milli},
                   {"amountCents", l.amount_cents}});
  }
  return out.dump();
}

Result<std::vector<CreditNoteLine>> DecodeCreditLines(const std::string& text,
                                                      const std::string& where) {
  BILLING_ASSIGN_OR_RETURN(nlohmann::json j, ParseList(text, where));
  std::vector<CreditNoteLine> out;
  for (const nlohmann::json& e : j) {
    if (!IsInt(e, "position") || !IsInt(e, "quantityMilli") || !IsInt(e, "amountCents") ||
        !e.contains("description") || !e["description"].is_string()) {
      return Error::Internal("corrupt credit note line in " + where);
    }
    out.push_back(CreditNoteLine{e["position"].get<int>(), e["description"].get<std::string>(),
                                 e["quantityMilli"].get<int64_t>(),
                                 e["amountCents"].get<int64_t>()});
  }
  return out;
}

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ",") + id;
  return out;
}

std::vector<std::string> SplitIds(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace billing
