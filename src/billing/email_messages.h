// Email messages to a customer rendered from billing events (docs/events.md): for the six event
// types that concern the customer, the subject, a text/plain and a text/html body in the
// customer's locale, plus the money and date formats of each locale. The words of each locale
// are one table in email_messages.cc; adding a locale is adding a table. Nothing here sends
// mail: a sender turns the event rows into messages with RenderEmail.
//
// Thread-safety: pure functions over values; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "billing/types.h"
#include "common/clock.h"
#include "common/result.h"
#include "money/money.h"

namespace billing {

struct EmailMessage {
  std::string kind;     // invoice_issued | payment_receipt | payment_failed | dunning_reminder |
                        // dunning_warning | suspension
  std::string subject;  // one line, UTF-8, no CR/LF
  std::string text;     // text/plain body, UTF-8, lines end with \n
  std::string html;     // text/html body: a complete small document, every interpolated value
                        // HTML-escaped
};

// The email kind an event type makes, or nullopt: invoice.finalized -> invoice_issued,
// payment.succeeded -> payment_receipt, payment.failed -> payment_failed, dunning.reminder ->
// dunning_reminder, dunning.warning -> dunning_warning, customer.suspended -> suspension. Every
// other type: nullopt.
std::optional<std::string_view> EmailKindOf(std::string_view event_type);

// The message for the event, in the customer's locale (en, de, fr, es; a region such as "de-AT"
// uses its language; anything else en). `sender` is the company name that signs the mail,
// `data` the event's data object. Amounts are in data's "currency", else the customer's.
// Errors: Error::Invalid("data", ...) when a field the message needs is missing, empty, of the
// wrong type (amounts must be JSON integers) or names a currency this server does not know;
// Error::Invalid("event_type", ...) for a type EmailKindOf maps to nothing. Never throws on any
// JSON input.
Result<EmailMessage> RenderEmail(std::string_view event_type, const nlohmann::json& data,
                                 const Customer& customer, std::string_view sender);

// An amount in the locale's convention with the currency's exponent: en "$1,234.56",
// "€1,234.56", "£1,234.56", "¥5,000", "CHF 1,234.56"; de and es "1.234,56 €"; fr "1 234,56 €"
// (U+202F between groups). After the number the symbol or code follows a U+00A0. Symbols for
// USD, EUR, GBP and JPY; other currencies by their ISO code. Negative: a leading "-".
std::string FormatMoneyForLocale(int64_t minor, const Currency& currency, std::string_view locale);

// en "December 6, 2026", de "6. Dezember 2026", fr "6 décembre 2026" ("1er décembre 2026"),
// es "6 de diciembre de 2026". A date with no real month prints as YYYY-MM-DD.
std::string FormatDateForLocale(const Date& date, std::string_view locale);

}  // namespace billing
