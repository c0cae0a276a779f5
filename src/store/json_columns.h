// Columns that hold a small list as JSON text, the same on both backends: a draft's line items
// (edited as a whole, so one text rather than rows) and a credit note's lines. A text that does
// not decode is a corrupt row (kInternal naming `where`), never an empty list.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "billing/types.h"
#include "common/result.h"

namespace billing {

std::string EncodeLineItems(const std::vector<LineItem>& items);
Result<std::vector<LineItem>> DecodeLineItems(const std::string& text, const std::string& where);

std::string EncodeCreditLines(const std::vector<CreditNoteLine>& lines);
Result<std::vector<CreditNoteLine>> DecodeCreditLines(const std::string& text,
                                                      const std::string& where);

// "RFD-001,RFD-002" <-> {"RFD-001", "RFD-002"} (ids never hold a comma).
std::string JoinIds(const std::vector<std::string>& ids);
std::vector<std::string> SplitIds(const std::string& text);

}  // namespace billing
