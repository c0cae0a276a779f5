-- The currencies in use (StoreTx::CurrenciesInUse), one index probe per currency, as SQLite's 021.
CREATE INDEX customers_currency ON customers (currency);
