-- Coupons and their redemptions (automated-billing.md "Discounts and coupons"), as SQLite's 018:
-- the invoice's CHECK becomes subtotal - discount + tax = total; times_redeemed is raised under
-- its max_redemptions guard in the redeeming transaction, and coupon_redemptions' key (code,
-- number) takes that count, so two redemptions of the last use cannot both commit.
ALTER TABLE invoices ADD COLUMN discount_cents BIGINT NOT NULL DEFAULT 0 CHECK (discount_cents >= 0);
ALTER TABLE invoices ADD COLUMN coupon_code TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices DROP CONSTRAINT invoices_check;
ALTER TABLE invoices ADD CONSTRAINT invoices_total_check
  CHECK (subtotal_cents - discount_cents + tax_cents = total_cents);

ALTER TABLE invoice_drafts ADD COLUMN coupon_code TEXT NOT NULL DEFAULT '';
ALTER TABLE subscriptions ADD COLUMN coupon_code TEXT NOT NULL DEFAULT '';
ALTER TABLE subscriptions ADD COLUMN coupon_periods_used BIGINT NOT NULL DEFAULT 0;

CREATE TABLE coupons (
  code TEXT COLLATE "C" PRIMARY KEY,
  name TEXT NOT NULL DEFAULT '',
  percent_off_bp BIGINT CHECK (percent_off_bp IS NULL OR (percent_off_bp >= 1 AND percent_off_bp <= 10000)),
  amount_off_cents BIGINT CHECK (amount_off_cents IS NULL OR amount_off_cents > 0),
  currency TEXT NOT NULL DEFAULT 'USD',
  duration TEXT NOT NULL CHECK (duration IN ('once', 'repeating', 'forever')),
  duration_periods BIGINT NOT NULL DEFAULT 0 CHECK (duration_periods >= 0),
  redeem_by TEXT NOT NULL DEFAULT '',
  max_redemptions BIGINT NOT NULL DEFAULT 0 CHECK (max_redemptions >= 0),
  times_redeemed BIGINT NOT NULL DEFAULT 0 CHECK (times_redeemed >= 0),
  archived BIGINT NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  CHECK ((percent_off_bp IS NULL) <> (amount_off_cents IS NULL)),
  CHECK (max_redemptions = 0 OR times_redeemed <= max_redemptions)
);

CREATE TABLE coupon_redemptions (
  coupon_code TEXT COLLATE "C" NOT NULL REFERENCES coupons(code),
  number BIGINT NOT NULL,
  customer_id TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
  invoice_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  subscription_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  actor TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (coupon_code, number)
);
