#include "agent/parse/dates.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <string>

#include "agent/parse/text.h"
#include "agent/parse/vocabulary.h"

namespace billing::parse {
namespace {

std::optional<Date> MakeDate(int y, int m, int d) {
  if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(m)},
                                        std::chrono::day{unsigned(d)}};
  if (!ymd.ok()) return std::nullopt;
  return Date{y, m, d};
}

Date AddDays(const Date& d, int64_t days) {
  return Date::FromDaysSinceEpoch(d.DaysSinceEpoch() + days);
}

Date AddMonths(const Date& d, int months) {
  int total = d.year * 12 + (d.month - 1) + months;
  const int y = total / 12;
  const int m = total % 12 + 1;
  for (int day = d.day; day >= 28; --day) {
    if (auto r = MakeDate(y, m, day)) return *r;
  }
  return Date{y, m, std::min(d.day, 28)};
}

Date EndOfMonth(const Date& d) {
  for (int day = 31; day >= 28; --day) {
    if (auto r = MakeDate(d.year, d.month, day)) return *r;
  }
  return d;
}

// 0 (Monday) .. 6 (Sunday) for a lowercase weekday name or its abbreviation; -1 otherwise.
int WeekdayNumber(std::string_view w) {
  static constexpr std::pair<std::string_view, int> kDays[] = {
      {"monday", 0},   {"mon", 0},       {"tuesday", 1}, {"tue", 1},
      {"tues", 1},     {"wednesday", 2}, {"wed", 2},     {"thursday", 3},
      {"thu", 3},      {"thurs", 3},     {"friday", 4},  {"fri", 4},
      {"saturday", 5}, {"sat", 5},       {"sunday", 6},  {"sun", 6}};
  for (const auto& [name, day] : kDays) {
    if (name == w) return day;
  }
  return -1;
}

}  // namespace

// One-token dates: 2026-12-15, 2026/12/15, 12/15/2026 (US order; day first when the first part >
// 12).
bool ClassifyDate(Tok& t, std::string_view orig, Lexed& lx) {
  const std::string_view s = t.low;
  if (s.size() >= 8 && s.size() <= 10 && IsDigit(s[0])) {
    const char sep = s.find('-') != std::string_view::npos ? '-' : '/';
    std::array<std::string_view, 3> parts;
    size_t count = 0, start = 0;
    bool ok = true;
    for (size_t i = 0; i <= s.size() && ok; ++i) {
      if (i == s.size() || s[i] == sep) {
        if (count >= 3) {
          ok = false;
          break;
        }
        parts[count++] = s.substr(start, i - start);
        start = i + 1;
      } else if (!IsDigit(s[i])) {
        ok = false;
      }
    }
    if (ok && count == 3) {
      int a = ParseSmallInt(parts[0]), b = ParseSmallInt(parts[1]), c = ParseSmallInt(parts[2]);
      std::optional<Date> d;
      bool shaped = false;
      if (parts[0].size() == 4 && parts[1].size() <= 2 && parts[2].size() <= 2) {
        shaped = true;
        d = MakeDate(a, b, c);
      } else if (sep == '/' && parts[2].size() == 4 && parts[0].size() <= 2 &&
                 parts[1].size() <= 2) {
        shaped = true;
        d = a > 12 ? MakeDate(c, b, a) : MakeDate(c, a, b);
      }
      if (shaped) {
        t.kind = Kind::kDate;
        if (d) {
          t.date = *d;
        } else {
          t.bad = true;
          if (lx.bad_date.empty()) lx.bad_date = std::string(orig);
        }
        return true;
      }
    }
  }
  return false;
}

std::optional<size_t> MergeDate(const std::vector<Tok>& in, size_t i, const Date& today, Lexed& lx,
                                std::vector<Tok>& out) {
  const size_t n = in.size();
  auto word = [&](size_t k, std::string_view w) { return k < n && IsWord(in[k], w); };
  auto number = [&](size_t k) { return k < n && in[k].kind == Kind::kNumber; };
  auto span = [&](Tok t, size_t last) {
    t.end = in[last].end;
    return t;
  };
  const Tok& t = in[i];
  if (t.kind == Kind::kWord) {
    // Month-first dates: "December 15, 2026", "Dec. 15th 2026", "Dec 15".
    if (const int month = MonthNumber(t.low)) {
      size_t k = i + 1;
      if (k < n && IsPunct(in[k], '.')) ++k;
      if (number(k) && in[k].num >= 1 && in[k].num <= 31 && !in[k].times && !in[k].hash) {
        const int day = in[k].num;
        size_t last = k;
        size_t y = k + 1;
        if (y < n && IsPunct(in[y], ',')) ++y;
        int year = -1;
        if (number(y) && in[y].id.size() == 4 && in[y].num >= 1900) {
          year = in[y].num;
          last = y;
        }
        Tok d = t;
        d.kind = Kind::kDate;
        std::optional<Date> date;
        if (year > 0) {
          date = MakeDate(year, month, day);
        } else {
          date = MakeDate(today.year, month, day);
          if (date && *date < today) date = MakeDate(today.year + 1, month, day);
        }
        if (date) {
          d.date = *date;
        } else {
          d.bad = true;
          if (lx.bad_date.empty()) lx.bad_date = std::string(t.low) + " " + std::to_string(day);
        }
        out.push_back(span(std::move(d), last));
        return last;
      }
    }
    if (t.low == "today" || t.low == "tomorrow" || t.low == "yesterday") {
      Tok d = t;
      d.kind = Kind::kDate;
      d.date = t.low == "today" ? today : AddDays(today, t.low == "tomorrow" ? 1 : -1);
      out.push_back(std::move(d));
      return i;
    }
    // "next Friday", "this Friday", "on Friday", "by Friday", "due Friday": the first such day
    // after today (a Friday said on a Friday is a week later).
    {
      const bool lead = t.low == "next" || t.low == "this" || t.low == "coming";
      const size_t w = lead ? i + 1 : i;
      const int weekday = w < n && in[w].kind == Kind::kWord ? WeekdayNumber(in[w].low) : -1;
      const bool after_marker = i > 0 && in[i - 1].kind == Kind::kWord &&
                                (in[i - 1].low == "on" || in[i - 1].low == "by" ||
                                 in[i - 1].low == "due" || in[i - 1].low == "until");
      if (weekday >= 0 && (lead || after_marker)) {
        const int today_weekday = int((today.DaysSinceEpoch() % 7 + 7 + 3) % 7);  // Monday = 0
        int ahead = (weekday - today_weekday + 7) % 7;
        if (ahead == 0) ahead = 7;
        Tok dt = t;
        dt.kind = Kind::kDate;
        dt.date = AddDays(today, ahead);
        out.push_back(span(std::move(dt), w));
        return w;
      }
    }
    // "in 30 days", "in a week", "in 2 months"
    if (t.low == "in" && i + 2 < n &&
        (number(i + 1) || word(i + 1, "a") || word(i + 1, "an") || word(i + 1, "one"))) {
      const int count = number(i + 1) ? in[i + 1].num : 1;
      const std::string_view unit = in[i + 2].low;
      if (count > 0 && count <= 3660 && in[i + 2].kind == Kind::kWord) {
        std::optional<Date> d;
        if (unit == "day" || unit == "days") d = AddDays(today, count);
        if (unit == "week" || unit == "weeks") d = AddDays(today, int64_t(count) * 7);
        if ((unit == "month" || unit == "months") && count <= 120) d = AddMonths(today, count);
        if (d) {
          Tok dt = t;
          dt.kind = Kind::kDate;
          dt.date = *d;
          out.push_back(span(std::move(dt), i + 2));
          return i + 2;
        }
      }
    }
    if (t.low == "next" && (word(i + 1, "week") || word(i + 1, "month"))) {
      Tok dt = t;
      dt.kind = Kind::kDate;
      dt.date = in[i + 1].low == "week" ? AddDays(today, 7) : AddMonths(today, 1);
      out.push_back(span(std::move(dt), i + 1));
      return i + 1;
    }
    // "end of month", "end of the month", "end of next month"
    if (t.low == "end" && word(i + 1, "of")) {
      size_t k = i + 2;
      if (word(k, "the")) ++k;
      bool next = false;
      if (word(k, "next")) {
        next = true;
        ++k;
      }
      if (word(k, "month")) {
        Date base = next ? AddMonths(Date{today.year, today.month, 1}, 1) : today;
        Date d = EndOfMonth(base);
        if (!next && d == today) d = EndOfMonth(AddMonths(Date{today.year, today.month, 1}, 1));
        Tok dt = t;
        dt.kind = Kind::kDate;
        dt.date = d;
        out.push_back(span(std::move(dt), k));
        return k;
      }
    }
    // "net 30", "net-30"
    if (t.low == "net" && number(i + 1) && in[i + 1].num > 0 && in[i + 1].num <= 3660) {
      Tok dt = t;
      dt.kind = Kind::kDate;
      dt.date = AddDays(today, in[i + 1].num);
      out.push_back(span(std::move(dt), i + 1));
      return i + 1;
    }
    if (t.low.size() > 4 && t.low.substr(0, 4) == "net-" && ParseSmallInt(t.low.substr(4)) > 0) {
      const int days = ParseSmallInt(t.low.substr(4));
      if (days <= 3660) {
        Tok dt = t;
        dt.kind = Kind::kDate;
        dt.date = AddDays(today, days);
        out.push_back(std::move(dt));
        return i;
      }
    }
  }
  if (t.kind == Kind::kNumber && !t.hash && !t.times) {
    // "15 Dec 2026", "1st of December"
    size_t k = i + 1;
    if (word(k, "of")) ++k;
    const int month = k < n && in[k].kind == Kind::kWord ? MonthNumber(in[k].low) : 0;
    if (month && t.num >= 1 && t.num <= 31) {
      size_t last = k;
      size_t y = k + 1;
      if (y < n && IsPunct(in[y], ',')) ++y;
      int year = -1;
      if (number(y) && in[y].id.size() == 4 && in[y].num >= 1900) {
        year = in[y].num;
        last = y;
      }
      std::optional<Date> date;
      if (year > 0) {
        date = MakeDate(year, month, t.num);
      } else {
        date = MakeDate(today.year, month, t.num);
        if (date && *date < today) date = MakeDate(today.year + 1, month, t.num);
      }
      Tok d = t;
      d.kind = Kind::kDate;
      if (date) {
        d.date = *date;
      } else {
        d.bad = true;
        if (lx.bad_date.empty()) lx.bad_date = t.id + " " + std::string(in[k].low);
      }
      out.push_back(span(std::move(d), last));
      return last;
    }
  }
  return std::nullopt;
}

}  // namespace billing::parse
