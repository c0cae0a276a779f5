-- Plans, subscriptions and the periods billing runs have handled (automated-billing.md), as
-- SQLite's 016. subscription_periods' primary key (subscription, period start) makes a billing
-- run exactly-once: a period already handled cannot be inserted again, by any instance.
CREATE TABLE plans (
  id TEXT COLLATE "C" PRIMARY KEY,
  name TEXT NOT NULL,
  price_cents BIGINT NOT NULL CHECK (price_cents > 0),
  currency TEXT NOT NULL,
  billing_interval TEXT NOT NULL CHECK (billing_interval IN ('monthly','quarterly','annual')),
  active BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at TEXT NOT NULL
);

CREATE TABLE subscriptions (
  id TEXT COLLATE "C" PRIMARY KEY,
  number BIGINT NOT NULL UNIQUE,
  customer_id TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
  plan_id TEXT COLLATE "C" NOT NULL REFERENCES plans(id),
  quantity BIGINT NOT NULL CHECK (quantity >= 1),
  start_date TEXT COLLATE "C" NOT NULL,
  periods_billed BIGINT NOT NULL DEFAULT 0 CHECK (periods_billed >= 0),
  current_period_start TEXT COLLATE "C" NOT NULL DEFAULT '',
  current_period_end TEXT COLLATE "C" NOT NULL DEFAULT '',
  next_bill_date TEXT COLLATE "C",
  collection TEXT NOT NULL CHECK (collection IN ('send_invoice','automatic')),
  payment_terms_days BIGINT NOT NULL CHECK (payment_terms_days BETWEEN 1 AND 365),
  status TEXT COLLATE "C" NOT NULL CHECK (status IN ('active','past_due','canceled')),
  cancel_at_period_end BIGINT NOT NULL DEFAULT 0 CHECK (cancel_at_period_end IN (0, 1)),
  canceled_at TEXT NOT NULL DEFAULT '',
  pending_plan_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  pending_quantity BIGINT NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX subscriptions_customer ON subscriptions (customer_id, number);
CREATE INDEX subscriptions_next_bill ON subscriptions (next_bill_date, number)
  WHERE next_bill_date IS NOT NULL;

CREATE TABLE subscription_periods (
  subscription_id TEXT COLLATE "C" NOT NULL REFERENCES subscriptions(id),
  period_start TEXT COLLATE "C" NOT NULL,
  period_end TEXT COLLATE "C" NOT NULL,
  invoice_id TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL CHECK (outcome IN ('billed','skipped')),
  created_at TEXT NOT NULL,
  PRIMARY KEY (subscription_id, period_start)
);
