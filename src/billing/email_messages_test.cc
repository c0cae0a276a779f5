// Localized email messages (email_messages.h): money and date formats per locale, every kind in
// every locale, escaping, header safety of the subject, and bad event data as errors.
#include "billing/email_messages.h"

#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <string>
#include <vector>

namespace billing {
namespace {

using nlohmann::json;

const std::string kNbsp = "\u00a0";   // before a trailing currency (de, fr, es)
const std::string kNnbsp = "\u202f";  // French digit groups
const std::vector<std::string> kLocales = {"en", "de", "fr", "es"};

Currency Chf() {
  return Currency{"CHF", 2, "CHF"};
}  // not in money.cc's table

Customer MakeCustomer(const std::string& locale, const std::string& currency = "EUR") {
  Customer c;
  c.id = "CUST-001";
  c.company = "Acme GmbH";
  c.contact_name = "Anna Schmidt";
  c.email = "anna@example.com";
  c.locale = locale;
  c.currency = currency;
  return c;
}

json InvoiceData() {
  return json::parse(R"({"id":"INV-2026-001","customerId":"CUST-001","currency":"EUR",
    "items":[{"description":"Consulting","quantityMilli":2000,"unitPriceCents":1000,
              "amountCents":2000},
             {"description":"Support hours","quantityMilli":1500,"unitPriceCents":100000,
              "amountCents":150000}],
    "subtotalCents":152000,"discountCents":2000,"taxCents":28500,"totalCents":178500,
    "issueDate":"2026-12-01","dueDate":"2026-12-31","status":"pending"})");
}

json PaymentData(bool failed) {
  json j = json::parse(R"({"id":"PAY-007","customerId":"CUST-001","currency":"EUR",
    "amountCents":12550,"method":"credit_card","status":"completed","failureReason":"",
    "createdAt":"2026-12-06T10:00:00.000Z",
    "allocations":[{"invoiceId":"INV-2026-001","amountCents":12550,"refundedCents":0}]})");
  if (failed) {
    j["status"] = "failed";
    j["failureReason"] = "card declined";
  }
  return j;
}

json DunningData(const std::string& action) {
  json j = json::parse(R"({"customerId":"CUST-001","company":"Acme GmbH",
    "invoiceId":"INV-2026-001","dueDate":"2026-11-01","daysPastDue":7,"amountDueCents":238000,
    "currency":"EUR","step":{"day":7,"action":"reminder"}})");
  j["step"]["action"] = action;
  return j;
}

json SuspendedData() {
  return json::parse(R"({"id":"CUST-001","company":"Acme GmbH","status":"suspended",
    "currency":"EUR","reason":"dunning","invoiceId":"INV-2026-009"})");
}

struct Case {
  std::string type;
  json data;
};
std::vector<Case> AllCases() {
  return {
      {"invoice.finalized", InvoiceData()},        {"payment.succeeded", PaymentData(false)},
      {"payment.failed", PaymentData(true)},       {"dunning.reminder", DunningData("reminder")},
      {"dunning.warning", DunningData("warning")}, {"customer.suspended", SuspendedData()}};
}

EmailMessage Render(const std::string& type, const json& data, const Customer& customer) {
  Result<EmailMessage> r = RenderEmail(type, data, customer, "Billing");
  EXPECT_TRUE(r.ok()) << type << " " << customer.locale << ": "
                      << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : EmailMessage{};
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(EmailMessagesTest, MoneyInEveryLocaleAndCurrency) {
  const Currency usd = *FindCurrency("USD"), eur = *FindCurrency("EUR"), gbp = *FindCurrency("GBP"),
                 jpy = *FindCurrency("JPY");
  EXPECT_EQ(FormatMoneyForLocale(123456, usd, "en"), "$1,234.56");
  EXPECT_EQ(FormatMoneyForLocale(123456, eur, "en"), "€1,234.56");
  EXPECT_EQ(FormatMoneyForLocale(123456, gbp, "en"), "£1,234.56");
  EXPECT_EQ(FormatMoneyForLocale(5000, jpy, "en"), "¥5,000");
  EXPECT_EQ(FormatMoneyForLocale(123456, Chf(), "en"), "CHF 1,234.56");

  EXPECT_EQ(FormatMoneyForLocale(123456, usd, "de"), "1.234,56" + kNbsp + "$");
  EXPECT_EQ(FormatMoneyForLocale(123456, eur, "de"), "1.234,56" + kNbsp + "€");
  EXPECT_EQ(FormatMoneyForLocale(123456, gbp, "de"), "1.234,56" + kNbsp + "£");
  EXPECT_EQ(FormatMoneyForLocale(5000, jpy, "de"), "5.000" + kNbsp + "¥");
  EXPECT_EQ(FormatMoneyForLocale(123456, Chf(), "de"), "1.234,56" + kNbsp + "CHF");

  EXPECT_EQ(FormatMoneyForLocale(123456, usd, "fr"), "1" + kNnbsp + "234,56" + kNbsp + "$");
  EXPECT_EQ(FormatMoneyForLocale(123456, eur, "fr"), "1" + kNnbsp + "234,56" + kNbsp + "€");
  EXPECT_EQ(FormatMoneyForLocale(123456, gbp, "fr"), "1" + kNnbsp + "234,56" + kNbsp + "£");
  EXPECT_EQ(FormatMoneyForLocale(5000, jpy, "fr"), "5" + kNnbsp + "000" + kNbsp + "¥");
  EXPECT_EQ(FormatMoneyForLocale(123456, Chf(), "fr"), "1" + kNnbsp + "234,56" + kNbsp + "CHF");

  EXPECT_EQ(FormatMoneyForLocale(123456, usd, "es"), "1.234,56" + kNbsp + "$");
  EXPECT_EQ(FormatMoneyForLocale(123456, eur, "es"), "1.234,56" + kNbsp + "€");
  EXPECT_EQ(FormatMoneyForLocale(123456, gbp, "es"), "1.234,56" + kNbsp + "£");
  EXPECT_EQ(FormatMoneyForLocale(5000, jpy, "es"), "5.000" + kNbsp + "¥");
  EXPECT_EQ(FormatMoneyForLocale(123456, Chf(), "es"), "1.234,56" + kNbsp + "CHF");

  // Other currencies by their code, with their own exponent (KWD has 3).
  EXPECT_EQ(FormatMoneyForLocale(1234, *FindCurrency("KWD"), "en"), "KWD 1.234");
  EXPECT_EQ(FormatMoneyForLocale(1234, *FindCurrency("CAD"), "de"), "12,34" + kNbsp + "CAD");
}

TEST(EmailMessagesTest, MoneyNegativeZeroAndLarge) {
  const Currency usd = *FindCurrency("USD"), eur = *FindCurrency("EUR"), jpy = *FindCurrency("JPY");
  EXPECT_EQ(FormatMoneyForLocale(-123456, usd, "en"), "-$1,234.56");
  EXPECT_EQ(FormatMoneyForLocale(-123456, Chf(), "en"), "-CHF 1,234.56");
  EXPECT_EQ(FormatMoneyForLocale(-123456, eur, "de"), "-1.234,56" + kNbsp + "€");
  EXPECT_EQ(FormatMoneyForLocale(-5, eur, "fr"), "-0,05" + kNbsp + "€");
  EXPECT_EQ(FormatMoneyForLocale(-5000, jpy, "es"), "-5.000" + kNbsp + "¥");

  EXPECT_EQ(FormatMoneyForLocale(0, usd, "en"), "$0.00");
  EXPECT_EQ(FormatMoneyForLocale(0, jpy, "en"), "¥0");
  EXPECT_EQ(FormatMoneyForLocale(0, eur, "de"), "0,00" + kNbsp + "€");
  EXPECT_EQ(FormatMoneyForLocale(0, eur, "fr"), "0,00" + kNbsp + "€");
  EXPECT_EQ(FormatMoneyForLocale(7, usd, "en"), "$0.07");
  EXPECT_EQ(FormatMoneyForLocale(99, eur, "es"), "0,99" + kNbsp + "€");
  EXPECT_EQ(FormatMoneyForLocale(100000, usd, "en"), "$1,000.00");

  // Above 1e12 minor units, up to the limits of int64.
  EXPECT_EQ(FormatMoneyForLocale(1'234'567'890'123'456, usd, "en"), "$12,345,678,901,234.56");
  EXPECT_EQ(FormatMoneyForLocale(1'234'567'890'123'456, eur, "de"),
            "12.345.678.901.234,56" + kNbsp + "€");
  EXPECT_EQ(FormatMoneyForLocale(5'000'000'000'000, jpy, "fr"),
            "5" + kNnbsp + "000" + kNnbsp + "000" + kNnbsp + "000" + kNnbsp + "000" + kNbsp + "¥");
  EXPECT_EQ(FormatMoneyForLocale(std::numeric_limits<int64_t>::max(), usd, "en"),
            "$92,233,720,368,547,758.07");
  EXPECT_EQ(FormatMoneyForLocale(std::numeric_limits<int64_t>::min(), usd, "en"),
            "-$92,233,720,368,547,758.08");
  EXPECT_EQ(FormatMoneyForLocale(std::numeric_limits<int64_t>::min(), jpy, "es"),
            "-9.223.372.036.854.775.808" + kNbsp + "¥");
}

TEST(EmailMessagesTest, DatesInEveryLocale) {
  const Date d{2026, 12, 6}, first{2026, 12, 1}, march{2027, 3, 15}, august{2026, 8, 31};
  EXPECT_EQ(FormatDateForLocale(d, "en"), "December 6, 2026");
  EXPECT_EQ(FormatDateForLocale(d, "de"), "6. Dezember 2026");
  EXPECT_EQ(FormatDateForLocale(d, "fr"), "6 décembre 2026");
  EXPECT_EQ(FormatDateForLocale(d, "es"), "6 de diciembre de 2026");
  EXPECT_EQ(FormatDateForLocale(first, "en"), "December 1, 2026");
  EXPECT_EQ(FormatDateForLocale(first, "de"), "1. Dezember 2026");
  EXPECT_EQ(FormatDateForLocale(first, "fr"), "1er décembre 2026");
  EXPECT_EQ(FormatDateForLocale(first, "es"), "1 de diciembre de 2026");
  EXPECT_EQ(FormatDateForLocale(march, "de"), "15. März 2027");
  EXPECT_EQ(FormatDateForLocale(august, "fr"), "31 août 2026");
  EXPECT_EQ(FormatDateForLocale(march, "es"), "15 de marzo de 2027");
  EXPECT_EQ(FormatDateForLocale(Date{2026, 1, 2}, "en"), "January 2, 2026");
  EXPECT_EQ(FormatDateForLocale(Date{2026, 13, 1}, "fr"), "2026-13-01");  // no such month
}

TEST(EmailMessagesTest, EmailKindOfMapsExactlyTheSixTypes) {
  EXPECT_EQ(EmailKindOf("invoice.finalized"), "invoice_issued");
  EXPECT_EQ(EmailKindOf("payment.succeeded"), "payment_receipt");
  EXPECT_EQ(EmailKindOf("payment.failed"), "payment_failed");
  EXPECT_EQ(EmailKindOf("dunning.reminder"), "dunning_reminder");
  EXPECT_EQ(EmailKindOf("dunning.warning"), "dunning_warning");
  EXPECT_EQ(EmailKindOf("customer.suspended"), "suspension");
  int mapped = 0;
  for (std::string_view type : kEventTypes) mapped += EmailKindOf(type).has_value();
  EXPECT_EQ(mapped, 6);
  for (const char* other : {"invoice.created", "invoice.paid", "dunning.suspend",
                            "customer.reinstated", "", "INVOICE.FINALIZED", "invoice.finalized "}) {
    EXPECT_FALSE(EmailKindOf(other).has_value()) << other;
  }
  auto r = RenderEmail("invoice.created", InvoiceData(), MakeCustomer("en"), "Billing");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "event_type");
}

TEST(EmailMessagesTest, EveryKindRendersInEveryLocale) {
  // locale -> subjects in AllCases() order.
  const std::map<std::string, std::vector<std::string>> subjects = {
      {"en",
       {"Invoice INV-2026-001 issued", "Payment receipt PAY-007", "Payment PAY-007 failed",
        "Payment reminder: invoice INV-2026-001", "Final notice: invoice INV-2026-001 is overdue",
        "Account CUST-001 suspended"}},
      {"de",
       {"Rechnung INV-2026-001", "Zahlungsbestätigung PAY-007", "Zahlung PAY-007 fehlgeschlagen",
        "Zahlungserinnerung: Rechnung INV-2026-001", "Letzte Mahnung: Rechnung INV-2026-001",
        "Konto CUST-001 gesperrt"}},
      {"fr",
       {"Facture INV-2026-001", "Reçu de paiement PAY-007", "Échec du paiement PAY-007",
        "Rappel de paiement" + kNbsp + ": facture INV-2026-001",
        "Dernier rappel" + kNbsp + ": facture INV-2026-001 impayée", "Compte CUST-001 suspendu"}},
      {"es",
       {"Factura INV-2026-001", "Recibo de pago PAY-007", "Error en el pago PAY-007",
        "Recordatorio de pago: factura INV-2026-001", "Último aviso: factura INV-2026-001 vencida",
        "Cuenta CUST-001 suspendida"}}};
  const std::vector<std::string> kinds = {"invoice_issued",   "payment_receipt", "payment_failed",
                                          "dunning_reminder", "dunning_warning", "suspension"};
  const Currency eur = *FindCurrency("EUR");
  for (const std::string& locale : kLocales) {
    const std::vector<Case> cases = AllCases();
    for (size_t i = 0; i < cases.size(); ++i) {
      SCOPED_TRACE(locale + " " + cases[i].type);
      const EmailMessage m = Render(cases[i].type, cases[i].data, MakeCustomer(locale));
      EXPECT_EQ(m.kind, kinds[i]);
      EXPECT_EQ(m.subject, subjects.at(locale)[i]);
      ASSERT_FALSE(m.text.empty());
      EXPECT_EQ(m.text.back(), '\n');
      EXPECT_FALSE(Contains(m.text, "\r"));
      EXPECT_FALSE(Contains(m.text, "{"));  // every placeholder filled
      EXPECT_TRUE(m.html.starts_with("<!doctype html>\n<html lang=\"" + locale + "\">"));
      EXPECT_TRUE(Contains(m.html, "</html>"));
      EXPECT_TRUE(Contains(m.text, "Billing\n"));  // signed by the sender
      EXPECT_TRUE(Contains(m.text, "Anna Schmidt,"));
      EXPECT_TRUE(Contains(m.html, "Anna Schmidt,"));
    }
    // The amounts and due dates in the locale, in both bodies.
    const auto has = [&](const EmailMessage& m, const std::string& s) {
      EXPECT_TRUE(Contains(m.text, s)) << locale << " text lacks " << s << ":\n" << m.text;
      EXPECT_TRUE(Contains(m.html, s)) << locale << " html lacks " << s;
    };
    const Customer c = MakeCustomer(locale);
    const EmailMessage invoice = Render("invoice.finalized", InvoiceData(), c);
    has(invoice, FormatMoneyForLocale(178500, eur, locale));  // total
    has(invoice, FormatMoneyForLocale(152000, eur, locale));  // subtotal
    has(invoice, FormatMoneyForLocale(28500, eur, locale));   // tax
    has(invoice, FormatMoneyForLocale(-2000, eur, locale));   // discount
    has(invoice, FormatDateForLocale(Date{2026, 12, 31}, locale));
    has(invoice, FormatDateForLocale(Date{2026, 12, 1}, locale));
    has(invoice, "Support hours");
    has(invoice, locale == "en" ? "1.5" : "1,5");
    has(Render("payment.succeeded", PaymentData(false), c),
        FormatMoneyForLocale(12550, eur, locale));
    has(Render("payment.succeeded", PaymentData(false), c),
        FormatDateForLocale(Date{2026, 12, 6}, locale));
    has(Render("payment.failed", PaymentData(true), c), FormatMoneyForLocale(12550, eur, locale));
    for (const char* action : {"reminder", "warning"}) {
      const EmailMessage m = Render(std::string("dunning.") + action, DunningData(action), c);
      has(m, FormatMoneyForLocale(238000, eur, locale));
      has(m, FormatDateForLocale(Date{2026, 11, 1}, locale));
    }
  }
}

TEST(EmailMessagesTest, InvoiceLinesAndTotalsInTheText) {
  const EmailMessage en = Render("invoice.finalized", InvoiceData(), MakeCustomer("en"));
  EXPECT_TRUE(Contains(en.text, "Dear Anna Schmidt,\n\n"));
  EXPECT_TRUE(Contains(en.text, "Invoice number: INV-2026-001\n"));
  EXPECT_TRUE(Contains(en.text, "Issue date: December 1, 2026\n"));
  EXPECT_TRUE(Contains(en.text, "Consulting            2     €20.00\n"));
  EXPECT_TRUE(Contains(en.text, "Support hours       1.5  €1,500.00\n"));
  EXPECT_TRUE(Contains(en.text, "Discount: -€20.00\n"));
  EXPECT_TRUE(Contains(en.text, "Total: €1,785.00\n"));
  EXPECT_TRUE(Contains(en.text, "Please pay €1,785.00 by December 31, 2026.\n"));
  EXPECT_TRUE(en.text.ends_with("Kind regards,\nBilling\n"));
  EXPECT_TRUE(Contains(en.html, "<th "));
  EXPECT_TRUE(Contains(en.html, ">€1,500.00</td>"));

  const EmailMessage de = Render("invoice.finalized", InvoiceData(), MakeCustomer("de"));
  EXPECT_TRUE(de.text.starts_with("Guten Tag Anna Schmidt,\n\nwir haben die Rechnung"));
  EXPECT_TRUE(
      Contains(de.text, "Bitte zahlen Sie 1.785,00" + kNbsp + "€ bis zum 31. Dezember 2026."));
  EXPECT_TRUE(Contains(de.text, "Fälligkeitsdatum: 31. Dezember 2026\n"));

  const EmailMessage fr = Render("invoice.finalized", InvoiceData(), MakeCustomer("fr"));
  EXPECT_TRUE(Contains(fr.text, "Date d’émission" + kNbsp + ": 1er décembre 2026\n"));
  EXPECT_TRUE(Contains(fr.text, "au plus tard le 31 décembre 2026."));

  // No discount: no discount line; no currency in the data: the customer's.
  json data = InvoiceData();
  data.erase("discountCents");
  data.erase("currency");
  const EmailMessage jpy = Render("invoice.finalized", data, MakeCustomer("en", "JPY"));
  EXPECT_FALSE(Contains(jpy.text, "Discount"));
  EXPECT_TRUE(Contains(jpy.text, "Total: ¥178,500\n"));
}

TEST(EmailMessagesTest, ReceiptFailureDunningAndSuspensionWords) {
  const EmailMessage receipt = Render("payment.succeeded", PaymentData(false), MakeCustomer("de"));
  EXPECT_TRUE(Contains(receipt.text, "Zahlungsart: Kreditkarte\n"));
  EXPECT_TRUE(Contains(receipt.text, "Bezahlte Rechnungen: INV-2026-001 (125,50" + kNbsp + "€)\n"));
  EXPECT_TRUE(Contains(receipt.text, "Datum: 6. Dezember 2026\n"));
  json other = PaymentData(false);
  other["method"] = "voucher";
  other["currency"] = "GBP";
  const EmailMessage voucher = Render("payment.succeeded", other, MakeCustomer("es"));
  EXPECT_TRUE(Contains(voucher.text, "Método de pago: voucher\n"));
  EXPECT_TRUE(Contains(voucher.text, "125,50" + kNbsp + "£"));
  EXPECT_TRUE(Contains(Render("payment.succeeded", PaymentData(false), MakeCustomer("fr")).text,
                       "Moyen de paiement" + kNbsp + ": carte bancaire\n"));

  const EmailMessage failed = Render("payment.failed", PaymentData(true), MakeCustomer("fr"));
  EXPECT_TRUE(Contains(failed.text, "Motif" + kNbsp + ": card declined\n"));  // not translated
  EXPECT_TRUE(Contains(failed.text, "moyen de paiement"));

  const EmailMessage reminder =
      Render("dunning.reminder", DunningData("reminder"), MakeCustomer("de"));
  EXPECT_TRUE(Contains(reminder.text, "seit 7 Tagen überfällig"));
  json one_day = DunningData("reminder");
  one_day["daysPastDue"] = 1;
  EXPECT_TRUE(Contains(Render("dunning.reminder", one_day, MakeCustomer("en")).text,
                       "is now 1 day overdue"));
  EXPECT_TRUE(Contains(Render("dunning.reminder", one_day, MakeCustomer("es")).text,
                       "lleva 1 día de retraso"));
  const std::map<std::string, std::string> suspended_word = {
      {"en", "suspended"}, {"de", "gesperrt"}, {"fr", "suspendu"}, {"es", "suspendida"}};
  for (const std::string& locale : kLocales) {
    EXPECT_TRUE(
        Contains(Render("dunning.warning", DunningData("warning"), MakeCustomer(locale)).text,
                 suspended_word.at(locale)))
        << locale;
    EXPECT_FALSE(
        Contains(Render("dunning.reminder", DunningData("reminder"), MakeCustomer(locale)).text,
                 suspended_word.at(locale)))
        << locale;
  }

  const EmailMessage dunned = Render("customer.suspended", SuspendedData(), MakeCustomer("en"));
  EXPECT_TRUE(Contains(dunned.text, "because invoice INV-2026-009 is still unpaid"));
  json neutral = SuspendedData();
  neutral.erase("reason");
  const EmailMessage plain = Render("customer.suspended", neutral, MakeCustomer("en"));
  EXPECT_FALSE(Contains(plain.text, "INV-2026-009"));
  EXPECT_TRUE(Contains(plain.text, "Your account CUST-001 has been suspended."));
}

TEST(EmailMessagesTest, HtmlEscapesEveryValue) {
  Customer c = MakeCustomer("en");
  c.contact_name = "";
  c.company = "<b>&\"Acme'";
  json data = InvoiceData();
  data["items"][0]["description"] = "<script>alert('x')</script>";
  const Result<EmailMessage> r = RenderEmail("invoice.finalized", data, c, "Bill & <Co>");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(Contains(r->html, "Dear &lt;b&gt;&amp;&quot;Acme&#39;,"));
  EXPECT_FALSE(Contains(r->html, "<b>"));
  EXPECT_FALSE(Contains(r->html, "<script>"));
  EXPECT_TRUE(Contains(r->html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
  EXPECT_TRUE(Contains(r->html, "Bill &amp; &lt;Co&gt;"));
  // The text body is plain text: the values as they are.
  EXPECT_TRUE(Contains(r->text, "Dear <b>&\"Acme',\n"));
  // The company is the greeting's name only when there is no contact; with neither, a neutral one.
  c.company = "";
  EXPECT_TRUE(Render("invoice.finalized", InvoiceData(), c).text.starts_with("Hello,\n"));
  c.locale = "de";
  EXPECT_TRUE(Render("invoice.finalized", InvoiceData(), c)
                  .text.starts_with("Sehr geehrte Damen und Herren,\n"));
}

TEST(EmailMessagesTest, SubjectNeverHoldsALineBreak) {
  Customer c = MakeCustomer("en");
  c.contact_name = "Anna\r\nBcc: evil@example.com";
  c.company = "Acme\nGmbH";
  for (Case& k : AllCases()) {
    // Ids from the data go into the subject: a line break in one must not start a header.
    for (const char* key : {"id", "invoiceId"}) {
      if (k.data.contains(key)) k.data[key] = "X-1\r\nBcc: evil@example.com\u2028\x7f";
    }
    for (const std::string& locale : kLocales) {
      c.locale = locale;
      const Result<EmailMessage> r = RenderEmail(k.type, k.data, c, "Billing\r\nX-Evil: 1");
      ASSERT_TRUE(r.ok()) << k.type;
      EXPECT_EQ(r->subject.find_first_of("\r\n"), std::string::npos) << r->subject;
      EXPECT_TRUE(Contains(r->subject, "X-1 Bcc: evil@example.com")) << r->subject;
      EXPECT_FALSE(Contains(r->text, "\r"));
      EXPECT_FALSE(Contains(r->text, "Anna\n"));
      EXPECT_TRUE(Contains(r->text, "Billing X-Evil: 1\n"));
    }
  }
}

TEST(EmailMessagesTest, BadDataIsAnErrorNotAThrow) {
  const Customer c = MakeCustomer("en");
  const auto expect_error = [&](const std::string& type, const json& data,
                                const std::string& mention) {
    Result<EmailMessage> r = Error::Internal("not run");
    EXPECT_NO_THROW(r = RenderEmail(type, data, c, "Billing")) << data.dump();
    ASSERT_FALSE(r.ok()) << type << " " << data.dump();
    EXPECT_EQ(r.error().field, "data");
    EXPECT_TRUE(Contains(r.error().message, mention)) << r.error().message;
  };
  json missing_total = InvoiceData();
  missing_total.erase("totalCents");
  expect_error("invoice.finalized", missing_total, "data.totalCents is missing");
  json string_total = InvoiceData();
  string_total["totalCents"] = "2380";
  expect_error("invoice.finalized", string_total, "data.totalCents must be an integer");
  json float_amount = PaymentData(false);
  float_amount["amountCents"] = 125.5;
  expect_error("payment.succeeded", float_amount, "data.amountCents must be an integer");
  json huge = PaymentData(false);
  huge["amountCents"] = std::numeric_limits<uint64_t>::max();
  expect_error("payment.succeeded", huge, "out of range");
  expect_error("payment.succeeded",
               json::parse(R"({"id":"P","amountCents":123456789012345678901234567890})"),
               "data.amountCents");
  json bad_line = InvoiceData();
  bad_line["items"][1]["amountCents"] = nullptr;
  expect_error("invoice.finalized", bad_line, "data.items[1].amountCents is missing");
  json line_not_object = InvoiceData();
  line_not_object["items"][0] = "Consulting";
  expect_error("invoice.finalized", line_not_object, "data.items[0] must be an object");
  json empty_id = PaymentData(true);
  empty_id["id"] = "\r\n";  // nothing left once cleaned: the subject would name no payment
  expect_error("payment.failed", empty_id, "data.id must not be empty");
  json bad_date = DunningData("reminder");
  bad_date["dueDate"] = "01/11/2026";
  expect_error("dunning.reminder", bad_date, "data.dueDate must be a date");
  json no_date = PaymentData(false);
  no_date["createdAt"] = "";
  expect_error("payment.succeeded", no_date, "data.createdAt is missing");
  no_date = PaymentData(true);
  no_date["createdAt"] = "";  // the failure notice does without its date
  EXPECT_TRUE(RenderEmail("payment.failed", no_date, c, "Billing").ok());
  json negative_days = DunningData("warning");
  negative_days["daysPastDue"] = -3;
  expect_error("dunning.warning", negative_days, "daysPastDue");
  json unknown_currency = SuspendedData();
  unknown_currency["currency"] = "XYZ";
  expect_error("customer.suspended", unknown_currency, "XYZ");
  for (const json& not_object :
       {json(nullptr), json::array({1, 2}), json("text"), json(42), json(true), json::object()}) {
    for (const Case& k : AllCases()) expect_error(k.type, not_object, "data");
  }
}

TEST(EmailMessagesTest, OddValuesInAnyFieldNeverThrow) {
  const std::vector<json> odd = {nullptr,
                                 "",
                                 "12",
                                 "2026-12-01T",
                                 -1,
                                 0,
                                 std::numeric_limits<int64_t>::min(),
                                 std::numeric_limits<int64_t>::max(),
                                 std::numeric_limits<uint64_t>::max(),
                                 1e300,
                                 -0.0,
                                 true,
                                 json::array(),
                                 json::array({json::object()}),
                                 json::object(),
                                 "\r\n<&>\"'"};
  for (const std::string& locale : {std::string("en"), std::string("fr")}) {
    const Customer c = MakeCustomer(locale);
    for (const Case& k : AllCases()) {
      for (const auto& [key, value] : k.data.items()) {
        for (const json& v : odd) {
          json data = k.data;
          data[key] = v;
          EXPECT_NO_THROW((void)RenderEmail(k.type, data, c, "Billing")) << key << "=" << v.dump();
          if (k.data.contains("items")) {
            data = k.data;
            data["items"][0][key] = v;
            EXPECT_NO_THROW((void)RenderEmail(k.type, data, c, "Billing"));
          }
        }
      }
    }
  }
  // Extremes render: the largest amounts there are.
  json data = InvoiceData();
  data["totalCents"] = std::numeric_limits<int64_t>::max();
  data["discountCents"] = std::numeric_limits<int64_t>::min();
  const EmailMessage m = Render("invoice.finalized", data, MakeCustomer("en"));
  EXPECT_TRUE(Contains(m.text, "€92,233,720,368,547,758.07"));
  EXPECT_TRUE(Contains(m.text, "-€92,233,720,368,547,758.08"));
}

TEST(EmailMessagesTest, UnknownLocaleFallsBackToEnglish) {
  const Currency eur = *FindCurrency("EUR");
  for (const char* locale : {"xx", "", "pt", "english", "e"}) {
    const EmailMessage m = Render("invoice.finalized", InvoiceData(), MakeCustomer(locale));
    const EmailMessage en = Render("invoice.finalized", InvoiceData(), MakeCustomer("en"));
    EXPECT_EQ(m.subject, en.subject) << locale;
    EXPECT_EQ(m.text, en.text) << locale;
    EXPECT_EQ(m.html, en.html) << locale;
    EXPECT_EQ(FormatMoneyForLocale(123456, eur, locale), "€1,234.56");
    EXPECT_EQ(FormatDateForLocale(Date{2026, 12, 6}, locale), "December 6, 2026");
  }
  // A region uses its language.
  EXPECT_EQ(Render("invoice.finalized", InvoiceData(), MakeCustomer("de-AT")).subject,
            "Rechnung INV-2026-001");
  EXPECT_EQ(FormatDateForLocale(Date{2026, 12, 1}, "fr_CA"), "1er décembre 2026");
}

}  // namespace
}  // namespace billing
