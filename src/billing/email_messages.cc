// Localized email messages from billing events; see email_messages.h.
//
// A message is first composed as blocks (paragraphs, label/value facts, a table of invoice
// lines) from the locale's word table; the text and the HTML body are both rendered from the
// same blocks, so they always carry the same facts. Every value from the event or the customer
// is cleaned (a run of control characters becomes one space) before it is placed anywhere,
// which is what keeps CR/LF out of the subject.
#include "billing/email_messages.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

namespace billing {
namespace {

using nlohmann::json;

// The words of one locale, in groups (each group one braced list in the tables below).
// Templates name their values in braces: "Invoice {invoice} issued".
struct Words {
  struct Format {
    std::string_view lang;                // html lang and the locale code
    std::string_view group;               // thousands separator
    std::string_view decimal;             // decimal separator
    bool currency_first;                  // "$1.00" (en) rather than "1,00 $"
    std::string_view date;                // {day} {month} {year}
    std::string_view first_day;           // how the 1st is written when not "1" (fr "1er")
    std::string_view day_one, day_other;  // {n}
    bool zero_is_one;                     // fr: "0 jour"
  } format;
  std::array<std::string_view, 12> months;
  struct Letter {
    std::string_view greeting;  // {name}
    std::string_view greeting_anonymous, closing;
    std::string_view colon;  // between a label and its value in text
  } letter;
  struct Labels {
    std::string_view invoice_number, issue_date, due_date, description, quantity, amount, subtotal,
        discount, tax, total, payment, date, method, invoices_paid, reason, amount_due;
  } label;
  std::array<std::string_view, 5> methods;  // kMethodCodes, in order
  struct Texts {
    std::string_view invoice_subject, invoice_intro, invoice_pay_by;  // {invoice} {total} {due}
    std::string_view receipt_subject, receipt_intro;                  // {payment} {amount}
    std::string_view failed_subject, failed_intro, failed_action;     // {payment} {amount}
    // {invoice} {due} {days} {amount}
    std::string_view reminder_subject, reminder_intro, reminder_action;
    std::string_view warning_subject, warning_intro, warning_action;
    std::string_view suspension_subject;      // {account}
    std::string_view suspension_for_invoice;  // dunning: {invoice}
    std::string_view suspension_dunning_outro;
    std::string_view suspension_intro;  // {account}: any other reason
    std::string_view suspension_outro;
  } text;
};

constexpr std::array<std::string_view, 5> kMethodCodes = {"credit_card", "bank_transfer", "paypal",
                                                          "crypto", "wire"};

constexpr Words kEnglish{
    {"en", ",", ".", true, "{month} {day}, {year}", "", "{n} day", "{n} days", false},
    {"January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"},
    {"Dear {name},", "Hello,", "Kind regards,", ": "},
    {"Invoice number", "Issue date", "Due date", "Description", "Quantity", "Amount", "Subtotal",
     "Discount", "Tax", "Total", "Payment", "Date", "Payment method", "Invoices paid", "Reason",
     "Amount due"},
    {"credit card", "bank transfer", "PayPal", "cryptocurrency", "wire transfer"},
    {"Invoice {invoice} issued", "We have issued invoice {invoice}. The details are below.",
     "Please pay {total} by {due}.", "Payment receipt {payment}",
     "Thank you for your payment of {amount}. This email is your receipt.",
     "Payment {payment} failed", "We could not process your payment {payment} of {amount}.",
     "Please update your payment method or pay another way, for example by bank transfer.",
     "Payment reminder: invoice {invoice}",
     "This is a friendly reminder that invoice {invoice} was due on {due} and is now {days} "
     "overdue.",
     "Please pay {amount} at your earliest convenience. If you have already paid, please "
     "disregard this message.",
     "Final notice: invoice {invoice} is overdue",
     "Invoice {invoice} was due on {due} and is now {days} overdue. We have not yet received "
     "your payment.",
     "Please pay {amount} now. If the invoice remains unpaid, your account will be suspended.",
     "Account {account} suspended",
     "Your account has been suspended because invoice {invoice} is still unpaid.",
     "Your account will be reinstated once the overdue amount is paid.",
     "Your account {account} has been suspended.",
     "If you have any questions, please contact us."}};

// German letters go on in lower case after the greeting's comma.
constexpr Words kGerman{
    {"de", ".", ",", false, "{day}. {month} {year}", "", "{n} Tag", "{n} Tagen", false},
    {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
     "November", "Dezember"},
    {"Guten Tag {name},", "Sehr geehrte Damen und Herren,", "Mit freundlichen Grüßen", ": "},
    {"Rechnungsnummer", "Rechnungsdatum", "Fälligkeitsdatum", "Beschreibung", "Menge", "Betrag",
     "Zwischensumme", "Rabatt", "Steuer", "Gesamtbetrag", "Zahlung", "Datum", "Zahlungsart",
     "Bezahlte Rechnungen", "Grund", "Offener Betrag"},
    {"Kreditkarte", "Banküberweisung", "PayPal", "Kryptowährung", "Überweisung"},
    {"Rechnung {invoice}",
     "wir haben die Rechnung {invoice} für Sie ausgestellt. Die Einzelheiten finden Sie unten.",
     "Bitte zahlen Sie {total} bis zum {due}.", "Zahlungsbestätigung {payment}",
     "vielen Dank für Ihre Zahlung über {amount}. Diese E-Mail dient als Zahlungsbestätigung.",
     "Zahlung {payment} fehlgeschlagen",
     "leider konnten wir Ihre Zahlung {payment} über {amount} nicht verarbeiten.",
     "Bitte aktualisieren Sie Ihre Zahlungsart oder zahlen Sie auf anderem Weg, zum Beispiel "
     "per Banküberweisung.",
     "Zahlungserinnerung: Rechnung {invoice}",
     "wir möchten Sie freundlich daran erinnern, dass die Rechnung {invoice} am {due} fällig "
     "war und seit {days} überfällig ist.",
     "Bitte zahlen Sie {amount} so bald wie möglich. Falls Sie bereits gezahlt haben, "
     "betrachten Sie diese Nachricht bitte als gegenstandslos.",
     "Letzte Mahnung: Rechnung {invoice}",
     "die Rechnung {invoice} war am {due} fällig und ist seit {days} überfällig. Ihre Zahlung "
     "ist bei uns noch nicht eingegangen.",
     "Bitte zahlen Sie {amount} umgehend. Bleibt die Rechnung unbezahlt, wird Ihr Konto "
     "gesperrt.",
     "Konto {account} gesperrt",
     "Ihr Konto wurde gesperrt, weil die Rechnung {invoice} noch nicht bezahlt ist.",
     "Sobald der überfällige Betrag bezahlt ist, wird Ihr Konto wieder freigeschaltet.",
     "Ihr Konto {account} wurde gesperrt.", "Bei Fragen wenden Sie sich bitte an uns."}};

// French typography: a narrow no-break space between digit groups, a no-break one before ":".
constexpr Words kFrench{
    {"fr", "\u202f", ",", false, "{day} {month} {year}", "1er", "{n} jour", "{n} jours", true},
    {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
     "octobre", "novembre", "décembre"},
    {"Bonjour {name},", "Bonjour,", "Cordialement,", "\u00a0: "},
    {"Numéro de facture", "Date d’émission", "Date d’échéance", "Description", "Quantité",
     "Montant", "Sous-total", "Remise", "Taxes", "Total", "Paiement", "Date", "Moyen de paiement",
     "Factures réglées", "Motif", "Montant dû"},
    {"carte bancaire", "virement bancaire", "PayPal", "cryptomonnaie", "virement"},
    {"Facture {invoice}", "Veuillez trouver ci-dessous le détail de la facture {invoice}.",
     "Merci de régler {total} au plus tard le {due}.", "Reçu de paiement {payment}",
     "Merci pour votre paiement de {amount}. Cet e-mail vous sert de reçu.",
     "Échec du paiement {payment}",
     "Nous n’avons pas pu traiter votre paiement {payment} de {amount}.",
     "Veuillez mettre à jour votre moyen de paiement ou régler par un autre moyen, par exemple "
     "par virement bancaire.",
     "Rappel de paiement\u00a0: facture {invoice}",
     "Nous vous rappelons que la facture {invoice}, arrivée à échéance le {due}, est en retard "
     "de {days}.",
     "Merci de régler {amount} dès que possible. Si vous avez déjà effectué le paiement, "
     "veuillez ne pas tenir compte de ce message.",
     "Dernier rappel\u00a0: facture {invoice} impayée",
     "La facture {invoice}, arrivée à échéance le {due}, est en retard de {days} et nous "
     "n’avons toujours pas reçu votre paiement.",
     "Veuillez régler {amount} sans délai. À défaut de paiement, votre compte sera suspendu.",
     "Compte {account} suspendu",
     "Votre compte a été suspendu car la facture {invoice} reste impayée.",
     "Votre compte sera réactivé dès le règlement du montant en retard.",
     "Votre compte {account} a été suspendu.",
     "Pour toute question, n’hésitez pas à nous contacter."}};

constexpr Words kSpanish{
    {"es", ".", ",", false, "{day} de {month} de {year}", "", "{n} día", "{n} días", false},
    {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
     "octubre", "noviembre", "diciembre"},
    {"Hola {name},", "Hola,", "Saludos cordiales,", ": "},
    {"Número de factura", "Fecha de emisión", "Fecha de vencimiento", "Descripción", "Cantidad",
     "Importe", "Subtotal", "Descuento", "Impuestos", "Total", "Pago", "Fecha", "Método de pago",
     "Facturas pagadas", "Motivo", "Importe pendiente"},
    {"tarjeta de crédito", "transferencia bancaria", "PayPal", "criptomoneda",
     "transferencia electrónica"},
    {"Factura {invoice}",
     "Hemos emitido la factura {invoice}. A continuación encontrará el detalle.",
     "Le rogamos que abone {total} a más tardar el {due}.", "Recibo de pago {payment}",
     "Gracias por su pago de {amount}. Este correo electrónico le sirve de recibo.",
     "Error en el pago {payment}", "No hemos podido procesar su pago {payment} de {amount}.",
     "Por favor, actualice su método de pago o pague por otra vía, por ejemplo mediante "
     "transferencia bancaria.",
     "Recordatorio de pago: factura {invoice}",
     "Le recordamos amablemente que la factura {invoice} venció el {due} y lleva {days} de "
     "retraso.",
     "Le rogamos que abone {amount} lo antes posible. Si ya ha realizado el pago, ignore este "
     "mensaje.",
     "Último aviso: factura {invoice} vencida",
     "La factura {invoice} venció el {due} y lleva {days} de retraso. Todavía no hemos "
     "recibido su pago.",
     "Le rogamos que abone {amount} de inmediato. Si la factura sigue sin pagarse, su cuenta "
     "será suspendida.",
     "Cuenta {account} suspendida",
     "Su cuenta ha sido suspendida porque la factura {invoice} sigue pendiente de pago.",
     "Su cuenta se reactivará en cuanto se abone el importe vencido.",
     "Su cuenta {account} ha sido suspendida.",
     "Si tiene alguna pregunta, no dude en ponerse en contacto con nosotros."}};

constexpr std::array<const Words*, 4> kLocaleWords = {&kEnglish, &kGerman, &kFrench, &kSpanish};

// The table of a locale's language ("de-AT" and "DE" are de); en for any other.
const Words& WordsFor(std::string_view locale) {
  std::string lang;
  for (char c : locale.substr(0, 8)) {
    if (c == '-' || c == '_') break;
    lang += (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
  }
  for (const Words* w : kLocaleWords) {
    if (w->format.lang == lang) return *w;
  }
  return kEnglish;
}

// Substitutes {name} by its value; values are inserted as they are, never expanded again.
std::string Fill(std::string_view tmpl,
                 std::initializer_list<std::pair<std::string_view, std::string_view>> values) {
  std::string out;
  while (!tmpl.empty()) {
    const size_t open = tmpl.find('{');
    const size_t close = open == std::string_view::npos ? open : tmpl.find('}', open);
    if (close == std::string_view::npos) break;
    out += tmpl.substr(0, open);
    const std::string_view name = tmpl.substr(open + 1, close - open - 1);
    const auto it =
        std::find_if(values.begin(), values.end(), [&](const auto& v) { return v.first == name; });
    out += it != values.end() ? it->second : tmpl.substr(open, close - open + 1);
    tmpl.remove_prefix(close + 1);
  }
  out += tmpl;
  return out;
}

// The length of the control character or line break at s[i] (C0, DEL, C1, U+2028, U+2029), or
// 0. Mail clients break lines at any of them; CR and LF would end a header.
size_t ControlAt(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return i + k < s.size() ? uint8_t(s[i + k]) : 0; };
  if (b(0) < 0x20 || b(0) == 0x7F) return 1;
  if (b(0) == 0xC2 && b(1) >= 0x80 && b(1) < 0xA0) return 2;
  if (b(0) == 0xE2 && b(1) == 0x80 && (b(2) == 0xA8 || b(2) == 0xA9)) return 3;
  return 0;
}

// A value fit for one line: each run of control characters becomes one space, and none is left
// at either end. (Strings are UTF-8: nlohmann's parser refuses anything else.)
std::string Clean(std::string_view s) {
  std::string out;
  bool pending_space = false;
  for (size_t i = 0; i < s.size();) {
    if (const size_t n = ControlAt(s, i); n > 0) {
      pending_space = true;
      i += n;
      continue;
    }
    if (pending_space && !out.empty()) out += ' ';
    pending_space = false;
    out += s[i++];
  }
  return out;
}

// Characters shown (code points) of UTF-8 text, for aligning the text table.
size_t Width(std::string_view s) {
  return size_t(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string EscapeHtml(std::string_view s) {
  static constexpr std::string_view kSpecial = "&<>\"'";
  static constexpr std::array<std::string_view, 5> kEntities = {"&amp;", "&lt;", "&gt;", "&quot;",
                                                                "&#39;"};
  std::string out;
  for (const char& c : s) {
    const size_t k = kSpecial.find(c);
    out += k == std::string_view::npos ? std::string_view(&c, 1) : kEntities[k];
  }
  return out;
}

// |value| / 10^exponent in the locale's digits: grouped, with `exponent` decimals (fewer when
// trim_zeros drops trailing zeros). Works on the digit text: no overflow, no double.
std::string FormatDigits(int64_t value, int exponent, const Words& w, bool trim_zeros) {
  const uint64_t abs = value < 0 ? uint64_t(0) - uint64_t(value) : uint64_t(value);
  exponent = std::clamp(exponent, 0, 18);
  std::string digits = std::to_string(abs);
  if (digits.size() <= size_t(exponent)) {
    digits = std::string(size_t(exponent) + 1 - digits.size(), '0') + digits;
  }
  const size_t whole = digits.size() - size_t(exponent);
  std::string out;
  for (size_t k = 0; k < whole; ++k) {
    if (k > 0 && (whole - k) % 3 == 0) out += w.format.group;
    out += digits[k];
  }
  std::string_view fraction = std::string_view(digits).substr(whole);
  while (trim_zeros && !fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  if (!fraction.empty()) {
    out += w.format.decimal;
    out += fraction;
  }
  return out;
}

std::string Money(int64_t minor, const Currency& currency, const Words& w) {
  const std::string_view code = currency.code;
  const std::string_view symbol = code == "USD"   ? "$"
                                  : code == "EUR" ? "\u20ac"
                                  : code == "GBP" ? "\u00a3"
                                  : code == "JPY" ? "\u00a5"
                                                  : "";
  const std::string number = FormatDigits(minor, currency.exponent, w, false);
  std::string out = minor < 0 ? "-" : "";
  if (!w.format.currency_first) {
    out += number + "\u00a0" + std::string(symbol.empty() ? code : symbol);
  } else {
    out += symbol.empty() ? std::string(code) + " " + number : std::string(symbol) + number;
  }
  return out;
}

std::string Quantity(int64_t quantity_milli, const Words& w) {
  std::string out = quantity_milli < 0 ? "-" : "";
  out += FormatDigits(quantity_milli, 3, w, true);
  return out;
}

std::string DateIn(const Date& date, const Words& w) {
  if (date.month < 1 || date.month > 12) return date.ToString();
  const std::string day = date.day == 1 && !w.format.first_day.empty()
                              ? std::string(w.format.first_day)
                              : std::to_string(date.day);
  const std::string year = std::to_string(date.year);
  return Fill(w.format.date,
              {{"day", day}, {"month", w.months[size_t(date.month - 1)]}, {"year", year}});
}

std::string Days(int64_t n, const Words& w) {
  const bool one = n == 1 || (n == 0 && w.format.zero_is_one);
  return Fill(one ? w.format.day_one : w.format.day_other, {{"n", FormatDigits(n, 0, w, false)}});
}

// Typed fields of one JSON object of the event data; errors name the field's path. Uses only
// accessors that do not throw.
class Reader {
 public:
  Reader(const json& object, std::string path) : object_(object), path_(std::move(path)) {}

  // The value of `key`, or nullptr when it is missing or null.
  const json* Find(const char* key) const {
    if (!object_.is_object()) return nullptr;
    const auto it = object_.find(key);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }
  Error Missing(const char* key) const { return Error::Invalid("data", Path(key) + " is missing"); }
  Error Wrong(const char* key, std::string_view what) const {
    const json* v = Find(key);
    return Error::Invalid("data", Path(key) + " must be " + std::string(what) + ", got " +
                                      (v ? v->type_name() : "null"));
  }
  // An array of objects at `key`, or nullptr when it is missing or null.
  Result<const json*> Objects(const char* key) const {
    const json* v = Find(key);
    if (v == nullptr) return v;
    if (!v->is_array()) return Wrong(key, "an array");
    for (size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_object()) {
        return Error::Invalid("data", Path(key) + "[" + std::to_string(i) + "] must be an object");
      }
    }
    return v;
  }

  // `key` as T, nullopt when it is missing or null. T: std::string (cleaned), int64_t (a JSON
  // integer: minor units are never a double), Date ("YYYY-MM-DD" or an ISO 8601 moment's date).
  template <typename T>
  Result<std::optional<T>> Opt(const char* key) const {
    const json* v = Find(key);
    if (v == nullptr) return std::optional<T>();
    if constexpr (std::is_same_v<T, int64_t>) {
      if (!v->is_number_integer()) return Wrong(key, "an integer");
      if (v->is_number_unsigned() &&
          v->get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())) {
        return Error::Invalid("data", Path(key) + " is out of range");
      }
      return std::optional<T>(v->get<int64_t>());
    } else {
      if (!v->is_string()) return Wrong(key, "a string");
      const std::string& s = v->get_ref<const std::string&>();
      if constexpr (std::is_same_v<T, Date>) {
        if (s.empty()) return std::optional<T>();  // records write "" for no date
        Date d;
        if ((s.size() != 10 && (s.size() < 11 || s[10] != 'T')) ||
            !Date::Parse(s.substr(0, 10), &d)) {
          return Error::Invalid("data", Path(key) + " must be a date like 2026-12-31");
        }
        return std::optional<T>(d);
      } else {
        return std::optional<T>(Clean(s));
      }
    }
  }
  // `key` as T; missing, null or (text) empty is an error.
  template <typename T>
  Result<T> Get(const char* key) const {
    BILLING_ASSIGN_OR_RETURN(std::optional<T> v, Opt<T>(key));
    if (!v) return Missing(key);
    if constexpr (std::is_same_v<T, std::string>) {
      if (v->empty()) return Error::Invalid("data", Path(key) + " must not be empty");
    }
    return *std::move(v);
  }

 private:
  std::string Path(const char* key) const { return path_ + "." + key; }

  const json& object_;
  std::string path_;
};

struct Fact {
  std::string_view label;
  std::string value;
  bool strong = false;
};

// One block of the body: a paragraph (its lines), facts, or a table (rows[0] is the header; the
// columns after the first are numbers and align right).
struct Block {
  std::vector<std::string> lines;
  std::vector<Fact> facts;
  std::vector<std::vector<std::string>> table;
};

struct Draft {
  std::string subject;
  std::vector<Block> blocks;
  void Say(std::string text) { blocks.push_back(Block{{std::move(text)}, {}, {}}); }
  void Show(std::vector<Fact> facts) { blocks.push_back(Block{{}, std::move(facts), {}}); }
};

// What every message of one event shares.
struct Context {
  const Words& w;
  Currency currency;
  std::string Amount(int64_t minor) const { return Money(minor, currency, w); }
  std::string DateText(const Date& d) const { return DateIn(d, w); }
};

Result<Draft> InvoiceIssued(const Reader& r, const Context& c) {
  const Words& w = c.w;
  BILLING_ASSIGN_OR_RETURN(const std::string id, r.Get<std::string>("id"));
  BILLING_ASSIGN_OR_RETURN(const Date issued, r.Get<Date>("issueDate"));
  BILLING_ASSIGN_OR_RETURN(const Date due, r.Get<Date>("dueDate"));
  BILLING_ASSIGN_OR_RETURN(const int64_t subtotal, r.Get<int64_t>("subtotalCents"));
  BILLING_ASSIGN_OR_RETURN(const std::optional<int64_t> discount, r.Opt<int64_t>("discountCents"));
  BILLING_ASSIGN_OR_RETURN(const int64_t tax, r.Get<int64_t>("taxCents"));
  BILLING_ASSIGN_OR_RETURN(const int64_t total, r.Get<int64_t>("totalCents"));
  BILLING_ASSIGN_OR_RETURN(const json* items, r.Objects("items"));
  if (items == nullptr) return r.Missing("items");
  std::vector<std::vector<std::string>> table = {{std::string(w.label.description),
                                                  std::string(w.label.quantity),
                                                  std::string(w.label.amount)}};
  for (size_t i = 0; i < items->size(); ++i) {
    const Reader item((*items)[i], "data.items[" + std::to_string(i) + "]");
    BILLING_ASSIGN_OR_RETURN(std::string description, item.Get<std::string>("description"));
    BILLING_ASSIGN_OR_RETURN(const int64_t quantity, item.Get<int64_t>("quantityMilli"));
    BILLING_ASSIGN_OR_RETURN(const int64_t amount, item.Get<int64_t>("amountCents"));
    table.push_back({std::move(description), Quantity(quantity, w), c.Amount(amount)});
  }

  const std::string due_text = c.DateText(due);
  Draft d{Fill(w.text.invoice_subject, {{"invoice", id}}), {}};
  d.Say(Fill(w.text.invoice_intro, {{"invoice", id}}));
  d.Show({{w.label.invoice_number, id},
          {w.label.issue_date, c.DateText(issued)},
          {w.label.due_date, due_text}});
  if (table.size() > 1) d.blocks.push_back(Block{{}, {}, std::move(table)});
  std::vector<Fact> totals = {{w.label.subtotal, c.Amount(subtotal)}};
  // A discount is stored as the amount taken off; it is shown as the negative it is.
  if (discount && *discount != 0) {
    totals.push_back({w.label.discount, c.Amount(*discount > 0 ? -*discount : *discount)});
  }
  totals.push_back({w.label.tax, c.Amount(tax)});
  totals.push_back({w.label.total, c.Amount(total), true});
  d.Show(std::move(totals));
  d.Say(Fill(w.text.invoice_pay_by, {{"total", c.Amount(total)}, {"due", due_text}}));
  return d;
}

Result<Draft> PaymentReceipt(const Reader& r, const Context& c) {
  const Words& w = c.w;
  BILLING_ASSIGN_OR_RETURN(const std::string id, r.Get<std::string>("id"));
  BILLING_ASSIGN_OR_RETURN(const int64_t amount, r.Get<int64_t>("amountCents"));
  BILLING_ASSIGN_OR_RETURN(const Date date, r.Get<Date>("createdAt"));
  BILLING_ASSIGN_OR_RETURN(const std::optional<std::string> method, r.Opt<std::string>("method"));
  BILLING_ASSIGN_OR_RETURN(const json* allocations, r.Objects("allocations"));
  std::string paid;  // "INV-2026-001 (€125.50), ..."
  for (size_t i = 0; allocations != nullptr && i < allocations->size(); ++i) {
    const Reader a((*allocations)[i], "data.allocations[" + std::to_string(i) + "]");
    BILLING_ASSIGN_OR_RETURN(const std::string invoice, a.Get<std::string>("invoiceId"));
    BILLING_ASSIGN_OR_RETURN(const std::optional<int64_t> part, a.Opt<int64_t>("amountCents"));
    paid += (paid.empty() ? "" : ", ") + invoice;
    if (part) paid += " (" + c.Amount(*part) + ")";
  }
  Draft d{Fill(w.text.receipt_subject, {{"payment", id}}), {}};
  d.Say(Fill(w.text.receipt_intro, {{"amount", c.Amount(amount)}}));
  std::vector<Fact> facts = {{w.label.payment, id},
                             {w.label.date, c.DateText(date)},
                             {w.label.amount, c.Amount(amount), true}};
  if (method && !method->empty()) {
    // The method's words in the locale; a method of no table as it was given.
    const auto known = std::find(kMethodCodes.begin(), kMethodCodes.end(), *method);
    facts.push_back({w.label.method, known == kMethodCodes.end()
                                         ? *method
                                         : std::string(w.methods[known - kMethodCodes.begin()])});
  }
  if (!paid.empty()) facts.push_back({w.label.invoices_paid, paid});
  d.Show(std::move(facts));
  return d;
}

Result<Draft> PaymentFailed(const Reader& r, const Context& c) {
  const Words& w = c.w;
  BILLING_ASSIGN_OR_RETURN(const std::string id, r.Get<std::string>("id"));
  BILLING_ASSIGN_OR_RETURN(const int64_t amount, r.Get<int64_t>("amountCents"));
  BILLING_ASSIGN_OR_RETURN(const std::optional<Date> date, r.Opt<Date>("createdAt"));
  BILLING_ASSIGN_OR_RETURN(const std::optional<std::string> reason,
                           r.Opt<std::string>("failureReason"));
  Draft d{Fill(w.text.failed_subject, {{"payment", id}}), {}};
  d.Say(Fill(w.text.failed_intro, {{"payment", id}, {"amount", c.Amount(amount)}}));
  std::vector<Fact> facts = {{w.label.payment, id}};
  if (date) facts.push_back({w.label.date, c.DateText(*date)});
  facts.push_back({w.label.amount, c.Amount(amount), true});
  // The processor's reason as it was given: it is what the bank said.
  if (reason && !reason->empty()) facts.push_back({w.label.reason, *reason});
  d.Show(std::move(facts));
  d.Say(std::string(w.text.failed_action));
  return d;
}

Result<Draft> Dunning(const Reader& r, const Context& c, bool warning) {
  const Words& w = c.w;
  BILLING_ASSIGN_OR_RETURN(const std::string invoice, r.Get<std::string>("invoiceId"));
  BILLING_ASSIGN_OR_RETURN(const Date due, r.Get<Date>("dueDate"));
  BILLING_ASSIGN_OR_RETURN(const int64_t days, r.Get<int64_t>("daysPastDue"));
  BILLING_ASSIGN_OR_RETURN(const int64_t amount_due, r.Get<int64_t>("amountDueCents"));
  if (days < 0) return Error::Invalid("data", "data.daysPastDue must not be negative");
  const std::string due_text = c.DateText(due);
  const std::string amount = c.Amount(amount_due);
  const Words::Texts& t = w.text;
  Draft d{Fill(warning ? t.warning_subject : t.reminder_subject, {{"invoice", invoice}}), {}};
  d.Say(Fill(warning ? t.warning_intro : t.reminder_intro,
             {{"invoice", invoice}, {"due", due_text}, {"days", Days(days, w)}}));
  d.Show({{w.label.invoice_number, invoice},
          {w.label.due_date, due_text},
          {w.label.amount_due, amount, true}});
  d.Say(Fill(warning ? t.warning_action : t.reminder_action, {{"amount", amount}}));
  return d;
}

Result<Draft> Suspension(const Reader& r, const Context& c) {
  const Words::Texts& t = c.w.text;
  BILLING_ASSIGN_OR_RETURN(const std::string account, r.Get<std::string>("id"));
  BILLING_ASSIGN_OR_RETURN(const std::optional<std::string> reason, r.Opt<std::string>("reason"));
  BILLING_ASSIGN_OR_RETURN(const std::optional<std::string> invoice,
                           r.Opt<std::string>("invoiceId"));
  Draft d{Fill(t.suspension_subject, {{"account", account}}), {}};
  const bool dunning = reason == "dunning";
  d.Say(dunning && invoice && !invoice->empty()
            ? Fill(t.suspension_for_invoice, {{"invoice", *invoice}})
            : Fill(t.suspension_intro, {{"account", account}}));
  d.Say(std::string(dunning ? t.suspension_dunning_outro : t.suspension_outro));
  return d;
}

// The text body: blocks apart by an empty line, table columns padded to align.
std::string RenderText(const std::vector<Block>& blocks, const Words& w) {
  std::string out;
  for (const Block& b : blocks) {
    if (!out.empty()) out += '\n';
    for (const std::string& line : b.lines) out += line + '\n';
    for (const Fact& f : b.facts)
      out.append(f.label).append(w.letter.colon).append(f.value) += '\n';
    std::vector<size_t> widths(b.table.empty() ? 0 : b.table[0].size(), 0);
    for (const auto& row : b.table) {
      for (size_t k = 0; k < widths.size(); ++k) widths[k] = std::max(widths[k], Width(row[k]));
    }
    for (size_t r = 0; r < b.table.size(); ++r) {
      std::string line;
      for (size_t k = 0; k < widths.size(); ++k) {
        const std::string pad(widths[k] - Width(b.table[r][k]), ' ');
        line += k == 0 ? b.table[r][k] + pad : "  " + pad + b.table[r][k];
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + '\n';
      if (r == 0) out += std::string(Width(line), '-') + '\n';
    }
  }
  return out;
}

// One element with an inline style and escaped content.
std::string Element(std::string_view tag, std::string_view style, std::string_view content) {
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on "<" + string.
  std::string out;
  out.append("<").append(tag).append(" style=\"").append(style).append("\">");
  out.append(EscapeHtml(content)).append("</").append(tag).append(">");
  return out;
}

std::string RenderHtml(const Draft& d, const Words& w) {
  std::string h = "<!doctype html>\n<html lang=\"" + EscapeHtml(w.format.lang) + "\">\n<head>\n";
  h += "<meta charset=\"utf-8\">\n";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  h += "<title>" + EscapeHtml(d.subject) + "</title>\n</head>\n";
  h += "<body style=\"margin:0;padding:24px;background-color:#f4f5f7;"
       "font-family:Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;color:#1f2933;\">\n";
  h += "<div style=\"max-width:600px;margin:0 auto;padding:24px;background-color:#ffffff;\">\n";
  for (const Block& b : d.blocks) {
    if (!b.lines.empty()) {
      h += "<p style=\"margin:0 0 16px;\">";
      for (size_t i = 0; i < b.lines.size(); ++i) h += (i ? "<br>\n" : "") + EscapeHtml(b.lines[i]);
      h += "</p>\n";
    }
    if (!b.facts.empty()) {
      h += "<table role=\"presentation\" style=\"border-collapse:collapse;margin:0 0 16px;\">\n";
      for (const Fact& f : b.facts) {
        h += "<tr>" + Element("td", "padding:2px 16px 2px 0;color:#52606d;", f.label) +
             Element("td", f.strong ? "padding:2px 0;font-weight:bold;" : "padding:2px 0;",
                     f.value) +
             "</tr>\n";
      }
      h += "</table>\n";
    }
    for (size_t r = 0; r < b.table.size(); ++r) {
      if (r == 0) h += "<table style=\"border-collapse:collapse;width:100%;margin:0 0 16px;\">\n";
      h += "<tr>";
      for (size_t k = 0; k < b.table[r].size(); ++k) {
        const std::string style = std::string(k == 0 ? "text-align:left;" : "text-align:right;") +
                                  "padding:6px 8px;border-bottom:" +
                                  (r == 0 ? "2px solid #cbd2d9;" : "1px solid #e4e7eb;");
        h += Element(r == 0 ? "th" : "td", style, b.table[r][k]);
      }
      h += "</tr>\n";
      if (r + 1 == b.table.size()) h += "</table>\n";
    }
  }
  h += "</div>\n</body>\n</html>\n";
  return h;
}

Result<Draft> Compose(std::string_view kind, const Reader& r, const Context& c) {
  if (kind == "invoice_issued") return InvoiceIssued(r, c);
  if (kind == "payment_receipt") return PaymentReceipt(r, c);
  if (kind == "payment_failed") return PaymentFailed(r, c);
  if (kind == "dunning_reminder") return Dunning(r, c, false);
  if (kind == "dunning_warning") return Dunning(r, c, true);
  return Suspension(r, c);
}

constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kEmailKinds = {{
    {"invoice.finalized", "invoice_issued"},
    {"payment.succeeded", "payment_receipt"},
    {"payment.failed", "payment_failed"},
    {"dunning.reminder", "dunning_reminder"},
    {"dunning.warning", "dunning_warning"},
    {"customer.suspended", "suspension"},
}};

}  // namespace

std::optional<std::string_view> EmailKindOf(std::string_view event_type) {
  for (const auto& [type, kind] : kEmailKinds) {
    if (type == event_type) return kind;
  }
  return std::nullopt;
}

Result<EmailMessage> RenderEmail(std::string_view event_type, const nlohmann::json& data,
                                 const Customer& customer, std::string_view sender) {
  const std::optional<std::string_view> kind = EmailKindOf(event_type);
  if (!kind) {
    return Error::Invalid("event_type",
                          "event type '" + Clean(event_type.substr(0, 64)) + "' sends no email");
  }
  if (!data.is_object()) {
    return Error::Invalid("data",
                          std::string("the event data must be an object, got ") + data.type_name());
  }
  // Only non-throwing accessors are used; this is the edge should one ever throw.
  try {
    const Words& w = WordsFor(customer.locale);
    const Reader r(data, "data");
    BILLING_ASSIGN_OR_RETURN(const std::optional<std::string> code, r.Opt<std::string>("currency"));
    // Amounts in an unknown currency are refused: its exponent, hence the amount, is unknown.
    const std::optional<Currency> currency =
        code ? FindCurrency(*code) : std::optional<Currency>(CurrencyOrUsd(customer.currency));
    if (!currency) {
      return Error::Invalid("data", "data.currency '" + code->substr(0, 16) +
                                        "' is not a currency this server knows");
    }
    const Context c{w, *currency};
    BILLING_ASSIGN_OR_RETURN(Draft draft, Compose(*kind, r, c));

    std::string name = Clean(customer.contact_name);
    if (name.empty()) name = Clean(customer.company);
    const std::string greeting = name.empty() ? std::string(w.letter.greeting_anonymous)
                                              : Fill(w.letter.greeting, {{"name", name}});
    draft.blocks.insert(draft.blocks.begin(), Block{{greeting}, {}, {}});
    draft.Say(std::string(w.letter.closing));
    if (const std::string signer = Clean(sender); !signer.empty()) {
      draft.blocks.back().lines.push_back(signer);
    }
    draft.subject = Clean(draft.subject);  // values are clean already; the templates too

    EmailMessage m;
    m.kind = std::string(*kind);
    m.subject = draft.subject;
    m.text = RenderText(draft.blocks, w);
    m.html = RenderHtml(draft, w);
    return m;
  } catch (const nlohmann::json::exception& e) {
    return Error::Invalid("data", std::string("the event data could not be read: ") + e.what());
  }
}

std::string FormatMoneyForLocale(int64_t minor, const Currency& currency, std::string_view locale) {
  return Money(minor, currency, WordsFor(locale));
}

std::string FormatDateForLocale(const Date& date, std::string_view locale) {
  return DateIn(date, WordsFor(locale));
}

}  // namespace billing
