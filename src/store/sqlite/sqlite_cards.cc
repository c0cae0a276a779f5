// Stored cards on SQLite (migration 007); see sqlite_cards.h.
#include "store/sqlite/sqlite_cards.h"

namespace billing::sqlite {
namespace {

#define CARD_COLS                                                                             \
  "SELECT id, number, customer_id, type, brand, last4, exp_month, exp_year, details_sealed, " \
  "key_id, actor, created_at, on_behalf_of FROM payment_methods"

StoredCard ReadCard(const Stmt& st) {
  StoredCard c;
  c.id = st.Text(0);
  c.number = st.Int(1);
  c.customer_id = st.Text(2);
  c.type = st.Text(3);
  c.brand = st.Text(4);
  c.last4 = st.Text(5);
  c.exp_month = static_cast<int>(st.Int(6));
  c.exp_year = static_cast<int>(st.Int(7));
  c.details_sealed = st.Text(8);
  c.key_id = st.Text(9);
  c.actor = st.Text(10);
  c.created_at = st.Text(11);
  c.on_behalf_of = st.Text(12);
  return c;
}

}  // namespace

Result<int64_t> NextStoredCardNumber(Connection& conn_) {
  PREPARE(st, "SELECT COALESCE(MAX(number), 0) + 1 FROM payment_methods");
  STEP_OR_RETURN(row, st);
  return row ? st.Int(0) : 1;
}

Status InsertStoredCard(Connection& conn_, const StoredCard& c) {
  PREPARE(st,
          "INSERT INTO payment_methods (id, number, customer_id, type, brand, last4, exp_month, "
          "exp_year, details_sealed, key_id, actor, created_at, on_behalf_of) "
          "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)");
  st.Bind(1, c.id).Bind(2, c.number).Bind(3, c.customer_id).Bind(4, c.type).Bind(5, c.brand);
  st.Bind(6, c.last4).Bind(7, int64_t(c.exp_month)).Bind(8, int64_t(c.exp_year));
  st.Bind(9, c.details_sealed).Bind(10, c.key_id).Bind(11, c.actor).Bind(12, c.created_at);
  st.Bind(13, c.on_behalf_of);
  return st.Run();
}

Result<std::optional<StoredCard>> FindStoredCard(Connection& conn_, const std::string& id) {
  PREPARE(st, CARD_COLS " WHERE id = ?1");
  st.Bind(1, id);
  STEP_OR_RETURN(row, st);
  if (!row) return std::optional<StoredCard>();
  return std::optional<StoredCard>(ReadCard(st));
}

Result<std::vector<StoredCard>> ListStoredCards(Connection& conn_, const std::string& customer_id,
                                                int64_t after_number, int limit) {
  PREPARE(st, customer_id.empty() ? CARD_COLS " WHERE number > ?2 ORDER BY number LIMIT ?3"
                                  : CARD_COLS
                  " WHERE customer_id = ?1 AND number > ?2"
                  " ORDER BY customer_id, number LIMIT ?3");
  if (!customer_id.empty()) st.Bind(1, customer_id);
  st.Bind(2, after_number).Bind(3, int64_t(limit));
  if (limit < 1 || limit > kMaxPageRows) return Error::Internal("sqlite: card page out of range");
  std::vector<StoredCard> out;
  BILLING_TRY(StepRows(st, limit, "a stored card page", [&]() -> Status {
    out.push_back(ReadCard(st));
    return OkStatus();
  }));
  return out;
}

Status UpdateStoredCardSeal(Connection& conn_, const std::string& id, const std::string& sealed,
                            const std::string& key_id) {
  PREPARE(st, "UPDATE payment_methods SET details_sealed = ?2, key_id = ?3 WHERE id = ?1");
  st.Bind(1, id).Bind(2, sealed).Bind(3, key_id);
  return st.Run();
}

}  // namespace billing::sqlite
