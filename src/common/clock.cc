#include "common/clock.h"

#include <sodium.h>

#include <cstdio>
#include <stdexcept>

namespace billing {
namespace {

// Howard Hinnant's civil-date algorithms (public domain formulas), via std::chrono.
int64_t DaysFromCivil(int y, int m, int d) {
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(m)},
                                        std::chrono::day{unsigned(d)}};
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

}  // namespace

std::string Date::ToString() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

int64_t Date::DaysSinceEpoch() const { return DaysFromCivil(year, month, day); }

Date Date::FromDaysSinceEpoch(int64_t days) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  return Date{int(ymd.year()), int(unsigned(ymd.month())), int(unsigned(ymd.day()))};
}

bool Date::Parse(const std::string& text, Date* out) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  const int y = std::stoi(text.substr(0, 4));
  const int m = std::stoi(text.substr(5, 2));
  const int d = std::stoi(text.substr(8, 2));
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(m)},
                                        std::chrono::day{unsigned(d)}};
  if (!ymd.ok()) return false;
  *out = Date{y, m, d};
  return true;
}

Date Clock::TodayUtc() const {
  const int64_t ms = NowUnixMs();
  int64_t days = ms / 86'400'000;
  if (ms < 0 && ms % 86'400'000 != 0) days -= 1;
  return Date::FromDaysSinceEpoch(days);
}

std::string Clock::NowIso8601() const { return Iso8601FromUnixMs(NowUnixMs()); }

std::string Iso8601FromUnixMs(int64_t ms) {
  const int64_t days = ms / 86'400'000;
  const int64_t rem = ms % 86'400'000;
  const Date d = Date::FromDaysSinceEpoch(days);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02d.%03dZ", d.ToString().c_str(),
                int(rem / 3'600'000), int(rem / 60'000 % 60), int(rem / 1000 % 60),
                int(rem % 1000));
  return buf;
}

int64_t SystemClock::NowUnixMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ShiftedClock::ShiftedClock(const Date& today) {
  const Date system_today = SystemClock().TodayUtc();
  offset_ms_ = (today.DaysSinceEpoch() - system_today.DaysSinceEpoch()) * 86'400'000;
}

int64_t ShiftedClock::NowUnixMs() const { return SystemClock().NowUnixMs() + offset_ms_; }

int64_t FixedClock::NowUnixMs() const {
  std::lock_guard lock(mu_);
  return unix_ms_;
}

void FixedClock::Set(int64_t unix_ms) {
  std::lock_guard lock(mu_);
  unix_ms_ = unix_ms;
}

std::string RandomSource::HexToken(size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string raw(bytes, '\0');
  Fill(reinterpret_cast<uint8_t*>(raw.data()), bytes);
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

CsprngSource::CsprngSource() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

void CsprngSource::Fill(uint8_t* out, size_t len) { randombytes_buf(out, len); }

uint32_t CsprngSource::UniformBasisPoints() { return randombytes_uniform(10000); }

void SeededRandom::Fill(uint8_t* out, size_t len) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < len; ++i) out[i] = uint8_t(rng_() & 0xff);
}

uint32_t SeededRandom::UniformBasisPoints() {
  std::lock_guard lock(mu_);
  return uint32_t(rng_() % 10000);
}

}  // namespace billing
