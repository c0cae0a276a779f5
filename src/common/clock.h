// Injectable sources of time and randomness. Production code takes these by reference so that
// tests can pin today's date, the id stream and the simulated processor's decisions.
//
// Thread-safety: SystemClock and CsprngSource are safe from any thread. FixedClock and
// SeededRandom guard their state with a mutex, so they are safe too.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>

namespace billing {

// A calendar date (proleptic Gregorian), ordered and printable as YYYY-MM-DD.
struct Date {
  int year = 1970;
  int month = 1;
  int day = 1;
  auto operator<=>(const Date&) const = default;
  std::string ToString() const;
  int64_t DaysSinceEpoch() const;
  static Date FromDaysSinceEpoch(int64_t days);
  // Parses exactly "YYYY-MM-DD" with a real calendar day; false otherwise.
  static bool Parse(const std::string& text, Date* out);
};

// A moment as ISO 8601 UTC with milliseconds (2026-11-25T08:00:00.000Z); such texts order as
// the moments do.
std::string Iso8601FromUnixMs(int64_t unix_ms);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowUnixMs() const = 0;
  Date TodayUtc() const;
  std::string NowIso8601() const;  // 2026-11-25T08:00:00.000Z
};

class SystemClock final : public Clock {
 public:
  int64_t NowUnixMs() const override;
};

// The system clock shifted by a whole number of days, so that "today" is a chosen date while time
// still advances (demos and end-to-end tests pin the date with --today / BILLING_TODAY).
class ShiftedClock final : public Clock {
 public:
  explicit ShiftedClock(const Date& today);
  int64_t NowUnixMs() const override;

 private:
  int64_t offset_ms_;
};

class FixedClock final : public Clock {
 public:
  explicit FixedClock(int64_t unix_ms) : unix_ms_(unix_ms) {}
  int64_t NowUnixMs() const override;
  void Set(int64_t unix_ms);

 private:
  mutable std::mutex mu_;
  int64_t unix_ms_;
};

// Random bytes for ids that must be unguessable (transaction ids) and a uniform draw for the
// simulated payment processor.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual void Fill(uint8_t* out, size_t len) = 0;
  // Uniform in [0, 10000): basis points for probability checks.
  virtual uint32_t UniformBasisPoints() = 0;
  std::string HexToken(size_t bytes);  // 2*bytes lowercase hex chars
};

// libsodium's CSPRNG; the processor draw also comes from it.
class CsprngSource final : public RandomSource {
 public:
  CsprngSource();
  void Fill(uint8_t* out, size_t len) override;
  uint32_t UniformBasisPoints() override;
};

// Deterministic stream for tests and reproducible demos. Not for production ids.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(uint64_t seed) : rng_(seed) {}
  void Fill(uint8_t* out, size_t len) override;
  uint32_t UniformBasisPoints() override;

 private:
  std::mutex mu_;
  std::mt19937_64 rng_;
};

}  // namespace billing
