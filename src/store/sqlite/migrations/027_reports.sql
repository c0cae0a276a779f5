-- 027: the counters behind the billing reports (docs/reports.md), kept by triggers in the same
-- transaction as every change, so that a report reads rows in proportion to what it shows (days,
-- months, customers with open invoices) and never walks the ledger. BillingService::
-- CheckInvariants recomputes every counter from the rows and compares. PostgreSQL: 016_reports.sql.

-- Which attempt of an automatic collection a payment was (1 = the first; a manual payment is 1).
ALTER TABLE payments ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1);

-- Open receivables: finalized invoices not paid nor cancelled (status 'pending'), per customer,
-- currency and due date; outstanding = total - paid - credited. A row goes when its last invoice
-- does.
CREATE TABLE receivables (
  customer_id TEXT NOT NULL,
  currency TEXT NOT NULL,
  due_date TEXT NOT NULL,
  outstanding_cents INTEGER NOT NULL DEFAULT 0,
  invoices INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (customer_id, currency, due_date)
) WITHOUT ROWID;

-- Per currency and month (YYYY-MM): invoiced (invoices not cancelled, by issue date), collected
-- (payments not failed, by their time), refunded (refunds, by theirs), credited (credit notes).
CREATE TABLE revenue_months (
  month TEXT NOT NULL,
  currency TEXT NOT NULL,
  invoiced_cents INTEGER NOT NULL DEFAULT 0,
  collected_cents INTEGER NOT NULL DEFAULT 0,
  refunded_cents INTEGER NOT NULL DEFAULT 0,
  credited_cents INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (month, currency)
) WITHOUT ROWID;

-- Payment attempts per month, method, currency and first attempt (retry 0) or retry (1).
CREATE TABLE payment_attempts (
  month TEXT NOT NULL,
  method TEXT NOT NULL,
  currency TEXT NOT NULL,
  retry INTEGER NOT NULL CHECK (retry IN (0, 1)),
  succeeded INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  succeeded_cents INTEGER NOT NULL DEFAULT 0,
  failed_cents INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (month, method, currency, retry)
) WITHOUT ROWID;

-- Recurring revenue movements per month of the change, as annual amounts (ARR, exact in minor
-- units: monthly price x 12, quarterly x 4, annual x 1, times the quantity; list prices, before
-- coupons). A subscription counts while active or past due. The sum of every month's
-- new + expansion - contraction - churned is the ARR of today's subscriptions.
CREATE TABLE mrr_months (
  month TEXT NOT NULL,
  currency TEXT NOT NULL,
  new_arr_cents INTEGER NOT NULL DEFAULT 0,
  expansion_arr_cents INTEGER NOT NULL DEFAULT 0,
  contraction_arr_cents INTEGER NOT NULL DEFAULT 0,
  churned_arr_cents INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (month, currency)
) WITHOUT ROWID;

-- ---- receivables ----
CREATE TRIGGER receivables_on_invoice_insert AFTER INSERT ON invoices
WHEN NEW.status = 'pending' BEGIN
  INSERT INTO receivables (customer_id, currency, due_date, outstanding_cents, invoices)
  VALUES (NEW.customer_id, NEW.currency, NEW.due_date,
          NEW.total_cents - NEW.paid_cents - NEW.credited_cents, 1)
  ON CONFLICT (customer_id, currency, due_date) DO UPDATE
     SET outstanding_cents = outstanding_cents + excluded.outstanding_cents,
         invoices = invoices + 1;
END;

CREATE TRIGGER receivables_on_invoice_update
AFTER UPDATE OF customer_id, currency, status, due_date, total_cents, paid_cents, credited_cents
ON invoices
WHEN (OLD.status = 'pending' OR NEW.status = 'pending') AND
     (OLD.status IS NOT NEW.status OR OLD.customer_id IS NOT NEW.customer_id OR
      OLD.currency IS NOT NEW.currency OR OLD.due_date IS NOT NEW.due_date OR
      OLD.total_cents - OLD.paid_cents - OLD.credited_cents <>
      NEW.total_cents - NEW.paid_cents - NEW.credited_cents) BEGIN
  UPDATE receivables
     SET outstanding_cents = outstanding_cents - (OLD.total_cents - OLD.paid_cents - OLD.credited_cents),
         invoices = invoices - 1
   WHERE OLD.status = 'pending' AND customer_id = OLD.customer_id AND currency = OLD.currency AND
         due_date = OLD.due_date;
  DELETE FROM receivables
   WHERE OLD.status = 'pending' AND customer_id = OLD.customer_id AND currency = OLD.currency AND
         due_date = OLD.due_date AND invoices = 0;
  INSERT INTO receivables (customer_id, currency, due_date, outstanding_cents, invoices)
  SELECT NEW.customer_id, NEW.currency, NEW.due_date,
         NEW.total_cents - NEW.paid_cents - NEW.credited_cents, 1
   WHERE NEW.status = 'pending'
  ON CONFLICT (customer_id, currency, due_date) DO UPDATE
     SET outstanding_cents = outstanding_cents + excluded.outstanding_cents,
         invoices = invoices + 1;
END;

CREATE TRIGGER receivables_on_invoice_delete AFTER DELETE ON invoices
WHEN OLD.status = 'pending' BEGIN
  UPDATE receivables
     SET outstanding_cents = outstanding_cents - (OLD.total_cents - OLD.paid_cents - OLD.credited_cents),
         invoices = invoices - 1
   WHERE customer_id = OLD.customer_id AND currency = OLD.currency AND due_date = OLD.due_date;
  DELETE FROM receivables
   WHERE customer_id = OLD.customer_id AND currency = OLD.currency AND due_date = OLD.due_date AND
         invoices = 0;
END;

-- ---- revenue: invoiced ----
CREATE TRIGGER revenue_on_invoice_insert AFTER INSERT ON invoices
WHEN NEW.status <> 'cancelled' BEGIN
  INSERT INTO revenue_months (month, currency, invoiced_cents)
  VALUES (substr(NEW.issue_date, 1, 7), NEW.currency, NEW.total_cents)
  ON CONFLICT (month, currency) DO UPDATE
     SET invoiced_cents = invoiced_cents + excluded.invoiced_cents;
END;

CREATE TRIGGER revenue_on_invoice_update
AFTER UPDATE OF status, total_cents, issue_date, currency ON invoices
WHEN (OLD.status = 'cancelled') IS NOT (NEW.status = 'cancelled') OR
     OLD.total_cents IS NOT NEW.total_cents OR OLD.issue_date IS NOT NEW.issue_date OR
     OLD.currency IS NOT NEW.currency BEGIN
  UPDATE revenue_months SET invoiced_cents = invoiced_cents - OLD.total_cents
   WHERE OLD.status <> 'cancelled' AND month = substr(OLD.issue_date, 1, 7) AND
         currency = OLD.currency;
  INSERT INTO revenue_months (month, currency, invoiced_cents)
  SELECT substr(NEW.issue_date, 1, 7), NEW.currency, NEW.total_cents WHERE NEW.status <> 'cancelled'
  ON CONFLICT (month, currency) DO UPDATE
     SET invoiced_cents = invoiced_cents + excluded.invoiced_cents;
END;

CREATE TRIGGER revenue_on_invoice_delete AFTER DELETE ON invoices
WHEN OLD.status <> 'cancelled' BEGIN
  UPDATE revenue_months SET invoiced_cents = invoiced_cents - OLD.total_cents
   WHERE month = substr(OLD.issue_date, 1, 7) AND currency = OLD.currency;
END;

-- ---- revenue: collected, and payment attempts ----
CREATE TRIGGER revenue_on_payment_insert AFTER INSERT ON payments BEGIN
  INSERT INTO revenue_months (month, currency, collected_cents)
  SELECT substr(NEW.created_at, 1, 7), NEW.currency, NEW.amount_cents WHERE NEW.status <> 'failed'
  ON CONFLICT (month, currency) DO UPDATE
     SET collected_cents = collected_cents + excluded.collected_cents;
  INSERT INTO payment_attempts (month, method, currency, retry, succeeded, failed, succeeded_cents,
                                failed_cents)
  VALUES (substr(NEW.created_at, 1, 7), NEW.method, NEW.currency, NEW.attempt > 1,
          NEW.status <> 'failed', NEW.status = 'failed',
          CASE WHEN NEW.status <> 'failed' THEN NEW.amount_cents ELSE 0 END,
          CASE WHEN NEW.status = 'failed' THEN NEW.amount_cents ELSE 0 END)
  ON CONFLICT (month, method, currency, retry) DO UPDATE
     SET succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed,
         succeeded_cents = succeeded_cents + excluded.succeeded_cents,
         failed_cents = failed_cents + excluded.failed_cents;
END;

-- Payments change only between completed, partially refunded and refunded (all collected); a
-- change into or out of failed, or of the amount, moves the counters all the same.
CREATE TRIGGER revenue_on_payment_update
AFTER UPDATE OF status, amount_cents, currency, created_at, method, attempt ON payments
WHEN (OLD.status = 'failed') IS NOT (NEW.status = 'failed') OR
     OLD.amount_cents IS NOT NEW.amount_cents OR OLD.currency IS NOT NEW.currency OR
     OLD.created_at IS NOT NEW.created_at OR OLD.method IS NOT NEW.method OR
     OLD.attempt IS NOT NEW.attempt BEGIN
  UPDATE revenue_months SET collected_cents = collected_cents - OLD.amount_cents
   WHERE OLD.status <> 'failed' AND month = substr(OLD.created_at, 1, 7) AND
         currency = OLD.currency;
  INSERT INTO revenue_months (month, currency, collected_cents)
  SELECT substr(NEW.created_at, 1, 7), NEW.currency, NEW.amount_cents WHERE NEW.status <> 'failed'
  ON CONFLICT (month, currency) DO UPDATE
     SET collected_cents = collected_cents + excluded.collected_cents;
  UPDATE payment_attempts
     SET succeeded = succeeded - (OLD.status <> 'failed'), failed = failed - (OLD.status = 'failed'),
         succeeded_cents = succeeded_cents - CASE WHEN OLD.status <> 'failed' THEN OLD.amount_cents ELSE 0 END,
         failed_cents = failed_cents - CASE WHEN OLD.status = 'failed' THEN OLD.amount_cents ELSE 0 END
   WHERE month = substr(OLD.created_at, 1, 7) AND method = OLD.method AND
         currency = OLD.currency AND retry = (OLD.attempt > 1);
  INSERT INTO payment_attempts (month, method, currency, retry, succeeded, failed, succeeded_cents,
                                failed_cents)
  VALUES (substr(NEW.created_at, 1, 7), NEW.method, NEW.currency, NEW.attempt > 1,
          NEW.status <> 'failed', NEW.status = 'failed',
          CASE WHEN NEW.status <> 'failed' THEN NEW.amount_cents ELSE 0 END,
          CASE WHEN NEW.status = 'failed' THEN NEW.amount_cents ELSE 0 END)
  ON CONFLICT (month, method, currency, retry) DO UPDATE
     SET succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed,
         succeeded_cents = succeeded_cents + excluded.succeeded_cents,
         failed_cents = failed_cents + excluded.failed_cents;
END;

CREATE TRIGGER revenue_on_payment_delete AFTER DELETE ON payments BEGIN
  UPDATE revenue_months SET collected_cents = collected_cents - OLD.amount_cents
   WHERE OLD.status <> 'failed' AND month = substr(OLD.created_at, 1, 7) AND
         currency = OLD.currency;
  UPDATE payment_attempts
     SET succeeded = succeeded - (OLD.status <> 'failed'), failed = failed - (OLD.status = 'failed'),
         succeeded_cents = succeeded_cents - CASE WHEN OLD.status <> 'failed' THEN OLD.amount_cents ELSE 0 END,
         failed_cents = failed_cents - CASE WHEN OLD.status = 'failed' THEN OLD.amount_cents ELSE 0 END
   WHERE month = substr(OLD.created_at, 1, 7) AND method = OLD.method AND
         currency = OLD.currency AND retry = (OLD.attempt > 1);
END;

-- ---- revenue: refunded (in the currency of the refunded payment) and credited ----
CREATE TRIGGER revenue_on_refund_insert AFTER INSERT ON refunds BEGIN
  INSERT INTO revenue_months (month, currency, refunded_cents)
  SELECT substr(NEW.created_at, 1, 7), p.currency, NEW.amount_cents
    FROM payments p WHERE p.id = NEW.payment_id
  ON CONFLICT (month, currency) DO UPDATE
     SET refunded_cents = refunded_cents + excluded.refunded_cents;
END;

CREATE TRIGGER revenue_on_refund_delete AFTER DELETE ON refunds BEGIN
  UPDATE revenue_months SET refunded_cents = refunded_cents - OLD.amount_cents
   WHERE month = substr(OLD.created_at, 1, 7) AND
         currency = (SELECT p.currency FROM payments p WHERE p.id = OLD.payment_id);
END;

CREATE TRIGGER revenue_on_credit_note_insert AFTER INSERT ON credit_notes BEGIN
  INSERT INTO revenue_months (month, currency, credited_cents)
  VALUES (substr(NEW.created_at, 1, 7), NEW.currency, NEW.total_cents)
  ON CONFLICT (month, currency) DO UPDATE
     SET credited_cents = credited_cents + excluded.credited_cents;
END;

CREATE TRIGGER revenue_on_credit_note_delete AFTER DELETE ON credit_notes BEGIN
  UPDATE revenue_months SET credited_cents = credited_cents - OLD.total_cents
   WHERE month = substr(OLD.created_at, 1, 7) AND currency = OLD.currency;
END;

-- ---- recurring revenue ----
-- The ARR of a subscription row: 0 once canceled.
CREATE TRIGGER mrr_on_subscription_insert AFTER INSERT ON subscriptions
WHEN NEW.status <> 'canceled' BEGIN
  INSERT INTO mrr_months (month, currency, new_arr_cents)
  SELECT substr(NEW.created_at, 1, 7), p.currency,
         NEW.quantity * p.price_cents *
           CASE p.billing_interval WHEN 'monthly' THEN 12 WHEN 'quarterly' THEN 4 ELSE 1 END
    FROM plans p WHERE p.id = NEW.plan_id
  ON CONFLICT (month, currency) DO UPDATE
     SET new_arr_cents = new_arr_cents + excluded.new_arr_cents;
END;

-- A change of plan, quantity or status: one movement in the month of the change, classified by
-- the ARR before (o) and after (n). A plan keeps its currency (a subscription's plan is always in
-- its customer's currency).
CREATE TRIGGER mrr_on_subscription_update AFTER UPDATE OF status, plan_id, quantity ON subscriptions
WHEN OLD.status IS NOT NEW.status OR OLD.plan_id IS NOT NEW.plan_id OR
     OLD.quantity IS NOT NEW.quantity BEGIN
  INSERT INTO mrr_months (month, currency, new_arr_cents, expansion_arr_cents,
                          contraction_arr_cents, churned_arr_cents)
  SELECT substr(NEW.updated_at, 1, 7), d.currency,
         CASE WHEN d.o = 0 AND d.n > 0 THEN d.n ELSE 0 END,
         CASE WHEN d.o > 0 AND d.n > d.o THEN d.n - d.o ELSE 0 END,
         CASE WHEN d.n > 0 AND d.n < d.o THEN d.o - d.n ELSE 0 END,
         CASE WHEN d.o > 0 AND d.n = 0 THEN d.o ELSE 0 END
    FROM (SELECT np.currency AS currency,
                 CASE WHEN OLD.status = 'canceled' THEN 0 ELSE
                   OLD.quantity * op.price_cents *
                   CASE op.billing_interval WHEN 'monthly' THEN 12 WHEN 'quarterly' THEN 4 ELSE 1 END
                 END AS o,
                 CASE WHEN NEW.status = 'canceled' THEN 0 ELSE
                   NEW.quantity * np.price_cents *
                   CASE np.billing_interval WHEN 'monthly' THEN 12 WHEN 'quarterly' THEN 4 ELSE 1 END
                 END AS n
            FROM plans op, plans np WHERE op.id = OLD.plan_id AND np.id = NEW.plan_id) AS d
   WHERE d.o <> d.n
  ON CONFLICT (month, currency) DO UPDATE
     SET new_arr_cents = new_arr_cents + excluded.new_arr_cents,
         expansion_arr_cents = expansion_arr_cents + excluded.expansion_arr_cents,
         contraction_arr_cents = contraction_arr_cents + excluded.contraction_arr_cents,
         churned_arr_cents = churned_arr_cents + excluded.churned_arr_cents;
END;

-- ---- the counters of the rows already stored ----
INSERT INTO receivables (customer_id, currency, due_date, outstanding_cents, invoices)
SELECT customer_id, currency, due_date, SUM(total_cents - paid_cents - credited_cents), COUNT(*)
  FROM invoices WHERE status = 'pending' GROUP BY customer_id, currency, due_date;

INSERT INTO revenue_months (month, currency, invoiced_cents)
SELECT substr(issue_date, 1, 7), currency, SUM(total_cents)
  FROM invoices WHERE status <> 'cancelled' GROUP BY substr(issue_date, 1, 7), currency;

INSERT INTO revenue_months (month, currency, collected_cents)
SELECT substr(created_at, 1, 7), currency, SUM(amount_cents)
  FROM payments WHERE status <> 'failed' GROUP BY substr(created_at, 1, 7), currency
ON CONFLICT (month, currency) DO UPDATE SET collected_cents = excluded.collected_cents;

INSERT INTO revenue_months (month, currency, refunded_cents)
SELECT substr(r.created_at, 1, 7), p.currency, SUM(r.amount_cents)
  FROM refunds r JOIN payments p ON p.id = r.payment_id
 GROUP BY substr(r.created_at, 1, 7), p.currency
ON CONFLICT (month, currency) DO UPDATE SET refunded_cents = excluded.refunded_cents;

INSERT INTO revenue_months (month, currency, credited_cents)
SELECT substr(created_at, 1, 7), currency, SUM(total_cents)
  FROM credit_notes GROUP BY substr(created_at, 1, 7), currency
ON CONFLICT (month, currency) DO UPDATE SET credited_cents = excluded.credited_cents;

INSERT INTO payment_attempts (month, method, currency, retry, succeeded, failed, succeeded_cents,
                              failed_cents)
SELECT substr(created_at, 1, 7), method, currency, 0,
       SUM(status <> 'failed'), SUM(status = 'failed'),
       SUM(CASE WHEN status <> 'failed' THEN amount_cents ELSE 0 END),
       SUM(CASE WHEN status = 'failed' THEN amount_cents ELSE 0 END)
  FROM payments GROUP BY substr(created_at, 1, 7), method, currency;

-- What is subscribed today counts as new in the month each subscription was made (the changes
-- before this migration were not recorded).
INSERT INTO mrr_months (month, currency, new_arr_cents)
SELECT substr(s.created_at, 1, 7), p.currency,
       SUM(s.quantity * p.price_cents *
           CASE p.billing_interval WHEN 'monthly' THEN 12 WHEN 'quarterly' THEN 4 ELSE 1 END)
  FROM subscriptions s JOIN plans p ON p.id = s.plan_id
 WHERE s.status <> 'canceled'
 GROUP BY substr(s.created_at, 1, 7), p.currency;
