// Dates in a request: the one-token dates the lexer meets (2026-12-15, 2026/12/15, 12/15/2026)
// and the date phrases that Merge() joins into one kDate token: "December 15, 2026",
// "Dec. 15th", "15 Dec 2026", "1st of December", "today", "tomorrow", "in 30 days",
// "in a week", "in 2 months", "next week", "next month", "end of (the|next) month", "net 30",
// "net-30". Relative dates count from `today`; a day and month without a year is the next such
// day from today on. A date that is not a calendar date ("2026-02-30", "Feb 30") becomes a kDate
// token marked bad, and the first one is kept in Lexed::bad_date.
//
// Thread-safety: pure functions over values; safe to call concurrently from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "agent/parse/lexer.h"
#include "common/clock.h"

namespace billing::parse {

// Classify()'s date case: when the token `t` (its `low` text; `orig` as written) is shaped like
// a one-token date, makes it a kDate token (bad when not a calendar date) and returns true;
// returns false and leaves `t` alone otherwise.
bool ClassifyDate(Tok& t, std::string_view orig, Lexed& lx);

// Merge()'s date case: when a date phrase starts at in[i], appends its one kDate token (spanning
// the phrase) to `out` and returns the index of the phrase's last token in `in`; returns
// nullopt and appends nothing otherwise.
std::optional<size_t> MergeDate(const std::vector<Tok>& in, size_t i, const Date& today, Lexed& lx,
                                std::vector<Tok>& out);

}  // namespace billing::parse
