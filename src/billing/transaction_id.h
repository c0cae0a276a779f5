// Transaction ids: "txn_" + 24 random hex digits, never with a run of more than 8 decimal digits.
// Answers and logs redact any run of 13+ digits as a card number (security/card_data.h), and a
// plain random hex id has such a run about once in fifty; an id must read back as it was made.
//
// Thread-safety: as the RandomSource passed in.
#pragma once

#include <string>

#include "common/clock.h"

namespace billing {

inline constexpr size_t kMaxTransactionIdDigitRun = 8;

inline std::string NewTransactionId(RandomSource& random) {
  std::string hex = random.HexToken(12);
  size_t run = 0;
  for (char& c : hex) {
    if (c < '0' || c > '9') {
      run = 0;
    } else if (++run > kMaxTransactionIdDigitRun) {
      c = "abcdef"[(c - '0') % 6];  // still hex, still random enough for an id
      run = 0;
    }
  }
  return "txn_" + hex;
}

}  // namespace billing
