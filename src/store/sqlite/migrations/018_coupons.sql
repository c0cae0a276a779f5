-- 018: coupons and their redemptions (automated-billing.md "Discounts and coupons").
--
-- * invoices.discount_cents / coupon_code: the discount is taken from the subtotal before tax, so
--   the invoice's CHECK becomes subtotal - discount + tax = total. A CHECK cannot be altered, so
--   its text is rewritten in sqlite_schema (the procedure of migration 011; every stored row has
--   discount 0 and already satisfies it).
-- * coupons.times_redeemed is raised in the same transaction as the invoice or subscription that
--   redeems it, guarded by max_redemptions in the UPDATE itself, and coupon_redemptions' key
--   (code, number) takes that count: two redemptions of the last use cannot both commit.
ALTER TABLE invoices ADD COLUMN discount_cents INTEGER NOT NULL DEFAULT 0 CHECK (discount_cents >= 0);
ALTER TABLE invoices ADD COLUMN coupon_code TEXT NOT NULL DEFAULT '';

PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql,
       'CHECK (subtotal_cents + tax_cents = total_cents)',
       'CHECK (subtotal_cents - discount_cents + tax_cents = total_cents)')
 WHERE type = 'table' AND name = 'invoices';
PRAGMA writable_schema = OFF;
CREATE TABLE schema_reload_018 (x);
DROP TABLE schema_reload_018;

ALTER TABLE invoice_drafts ADD COLUMN coupon_code TEXT NOT NULL DEFAULT '';
ALTER TABLE subscriptions ADD COLUMN coupon_code TEXT NOT NULL DEFAULT '';
ALTER TABLE subscriptions ADD COLUMN coupon_periods_used INTEGER NOT NULL DEFAULT 0;

CREATE TABLE coupons (
  code TEXT PRIMARY KEY,
  name TEXT NOT NULL DEFAULT '',
  percent_off_bp INTEGER CHECK (percent_off_bp IS NULL OR (percent_off_bp >= 1 AND percent_off_bp <= 10000)),
  amount_off_cents INTEGER CHECK (amount_off_cents IS NULL OR amount_off_cents > 0),
  currency TEXT NOT NULL DEFAULT 'USD',
  duration TEXT NOT NULL CHECK (duration = 'once' OR duration = 'repeating' OR duration = 'forever'),
  duration_periods INTEGER NOT NULL DEFAULT 0 CHECK (duration_periods >= 0),
  redeem_by TEXT NOT NULL DEFAULT '',
  max_redemptions INTEGER NOT NULL DEFAULT 0 CHECK (max_redemptions >= 0),
  times_redeemed INTEGER NOT NULL DEFAULT 0 CHECK (times_redeemed >= 0),
  archived INTEGER NOT NULL DEFAULT 0 CHECK (archived = 0 OR archived = 1),
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  CHECK ((percent_off_bp IS NULL) <> (amount_off_cents IS NULL)),
  CHECK (max_redemptions = 0 OR times_redeemed <= max_redemptions)
);

CREATE TABLE coupon_redemptions (
  coupon_code TEXT NOT NULL REFERENCES coupons(code),
  number INTEGER NOT NULL,
  customer_id TEXT NOT NULL REFERENCES customers(id),
  invoice_id TEXT NOT NULL DEFAULT '',
  subscription_id TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  actor TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (coupon_code, number)
);
