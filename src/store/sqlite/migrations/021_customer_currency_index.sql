-- 021: the currencies in use (StoreTx::CurrenciesInUse) read one index probe per currency, so a
-- list over every customer can be totalled per currency without scanning the customers first.
CREATE INDEX customers_currency ON customers (currency);
