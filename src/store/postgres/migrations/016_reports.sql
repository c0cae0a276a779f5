-- The counters behind the billing reports (docs/reports.md), as SQLite's 027: kept by triggers in
-- the same transaction as every change, so that a report reads rows in proportion to what it
-- shows (days, months, customers with open invoices) and never walks the ledger.
-- BillingService::CheckInvariants recomputes every counter from the rows and compares.

-- Which attempt of an automatic collection a payment was (1 = the first; a manual payment is 1).
ALTER TABLE payments ADD COLUMN attempt BIGINT NOT NULL DEFAULT 1 CHECK (attempt >= 1);

-- Open receivables: finalized invoices not paid nor cancelled (status 'pending'), per customer,
-- currency and due date; outstanding = total - paid - credited. A row goes when its last invoice
-- does.
CREATE TABLE receivables (
  customer_id TEXT COLLATE "C" NOT NULL,
  currency TEXT COLLATE "C" NOT NULL,
  due_date TEXT COLLATE "C" NOT NULL,
  outstanding_cents BIGINT NOT NULL DEFAULT 0,
  invoices BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (customer_id, currency, due_date)
);

-- Per currency and month (YYYY-MM): invoiced (invoices not cancelled, by issue date), collected
-- (payments not failed, by their time), refunded (refunds, by theirs), credited (credit notes).
CREATE TABLE revenue_months (
  month TEXT COLLATE "C" NOT NULL,
  currency TEXT COLLATE "C" NOT NULL,
  invoiced_cents BIGINT NOT NULL DEFAULT 0,
  collected_cents BIGINT NOT NULL DEFAULT 0,
  refunded_cents BIGINT NOT NULL DEFAULT 0,
  credited_cents BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (month, currency)
);

-- Payment attempts per month, method, currency and first attempt (retry 0) or retry (1).
CREATE TABLE payment_attempts (
  month TEXT COLLATE "C" NOT NULL,
  method TEXT COLLATE "C" NOT NULL,
  currency TEXT COLLATE "C" NOT NULL,
  retry BIGINT NOT NULL CHECK (retry IN (0, 1)),
  succeeded BIGINT NOT NULL DEFAULT 0,
  failed BIGINT NOT NULL DEFAULT 0,
  succeeded_cents BIGINT NOT NULL DEFAULT 0,
  failed_cents BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (month, method, currency, retry)
);

-- Recurring revenue movements per month of the change, as annual amounts (ARR, exact in minor
-- units: monthly price x 12, quarterly x 4, annual x 1, times the quantity; list prices, before
-- coupons). A subscription counts while active or past due. The sum of every month's
-- new + expansion - contraction - churned is the ARR of today's subscriptions.
CREATE TABLE mrr_months (
  month TEXT COLLATE "C" NOT NULL,
  currency TEXT COLLATE "C" NOT NULL,
  new_arr_cents BIGINT NOT NULL DEFAULT 0,
  expansion_arr_cents BIGINT NOT NULL DEFAULT 0,
  contraction_arr_cents BIGINT NOT NULL DEFAULT 0,
  churned_arr_cents BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (month, currency)
);

-- ---- receivables ----
-- The old row leaves its day (the row deleted when its last invoice goes), the new row joins its.
CREATE FUNCTION receivables_on_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'pending' THEN
    UPDATE receivables
       SET outstanding_cents = outstanding_cents - (OLD.total_cents - OLD.paid_cents - OLD.credited_cents),
           invoices = invoices - 1
     WHERE customer_id = OLD.customer_id AND currency = OLD.currency AND due_date = OLD.due_date;
    DELETE FROM receivables
     WHERE customer_id = OLD.customer_id AND currency = OLD.currency AND due_date = OLD.due_date AND
           invoices = 0;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'pending' THEN
    INSERT INTO receivables (customer_id, currency, due_date, outstanding_cents, invoices)
    VALUES (NEW.customer_id, NEW.currency, NEW.due_date,
            NEW.total_cents - NEW.paid_cents - NEW.credited_cents, 1)
    ON CONFLICT (customer_id, currency, due_date) DO UPDATE
       SET outstanding_cents = receivables.outstanding_cents + EXCLUDED.outstanding_cents,
           invoices = receivables.invoices + 1;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER receivables_on_invoice_insert AFTER INSERT ON invoices
  FOR EACH ROW WHEN (NEW.status = 'pending') EXECUTE FUNCTION receivables_on_invoice();
CREATE TRIGGER receivables_on_invoice_update
  AFTER UPDATE OF customer_id, currency, status, due_date, total_cents, paid_cents, credited_cents
  ON invoices
  FOR EACH ROW WHEN ((OLD.status = 'pending' OR NEW.status = 'pending') AND
                     (OLD.status IS DISTINCT FROM NEW.status OR
                      OLD.customer_id IS DISTINCT FROM NEW.customer_id OR
                      OLD.currency IS DISTINCT FROM NEW.currency OR
                      OLD.due_date IS DISTINCT FROM NEW.due_date OR
                      OLD.total_cents - OLD.paid_cents - OLD.credited_cents IS DISTINCT FROM
                      NEW.total_cents - NEW.paid_cents - NEW.credited_cents))
  EXECUTE FUNCTION receivables_on_invoice();
CREATE TRIGGER receivables_on_invoice_delete AFTER DELETE ON invoices
  FOR EACH ROW WHEN (OLD.status = 'pending') EXECUTE FUNCTION receivables_on_invoice();

-- ---- revenue: invoiced ----
CREATE FUNCTION revenue_on_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status <> 'cancelled' THEN
    UPDATE revenue_months SET invoiced_cents = invoiced_cents - OLD.total_cents
     WHERE month = substr(OLD.issue_date, 1, 7) AND currency = OLD.currency;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status <> 'cancelled' THEN
    INSERT INTO revenue_months (month, currency, invoiced_cents)
    VALUES (substr(NEW.issue_date, 1, 7), NEW.currency, NEW.total_cents)
    ON CONFLICT (month, currency) DO UPDATE
       SET invoiced_cents = revenue_months.invoiced_cents + EXCLUDED.invoiced_cents;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER revenue_on_invoice_insert AFTER INSERT ON invoices
  FOR EACH ROW WHEN (NEW.status <> 'cancelled') EXECUTE FUNCTION revenue_on_invoice();
CREATE TRIGGER revenue_on_invoice_update
  AFTER UPDATE OF status, total_cents, issue_date, currency ON invoices
  FOR EACH ROW WHEN ((OLD.status = 'cancelled') IS DISTINCT FROM (NEW.status = 'cancelled') OR
                     OLD.total_cents IS DISTINCT FROM NEW.total_cents OR
                     OLD.issue_date IS DISTINCT FROM NEW.issue_date OR
                     OLD.currency IS DISTINCT FROM NEW.currency)
  EXECUTE FUNCTION revenue_on_invoice();
CREATE TRIGGER revenue_on_invoice_delete AFTER DELETE ON invoices
  FOR EACH ROW WHEN (OLD.status <> 'cancelled') EXECUTE FUNCTION revenue_on_invoice();

-- ---- revenue: collected, and payment attempts ----
-- Payments change only between completed, partially refunded and refunded (all collected); a
-- change into or out of failed, or of the amount, moves the counters all the same.
CREATE FUNCTION revenue_on_payment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ok BIGINT;     -- 1 when the payment collected (not failed), else 0
  is_retry BIGINT;  -- payment_attempts.retry: 1 from the second attempt on
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    ok := CASE WHEN OLD.status <> 'failed' THEN 1 ELSE 0 END;
    is_retry := CASE WHEN OLD.attempt > 1 THEN 1 ELSE 0 END;
    IF ok = 1 THEN
      UPDATE revenue_months SET collected_cents = collected_cents - OLD.amount_cents
       WHERE month = substr(OLD.created_at, 1, 7) AND currency = OLD.currency;
    END IF;
    UPDATE payment_attempts
       SET succeeded = succeeded - ok, failed = failed - (1 - ok),
           succeeded_cents = succeeded_cents - ok * OLD.amount_cents,
           failed_cents = failed_cents - (1 - ok) * OLD.amount_cents
     WHERE month = substr(OLD.created_at, 1, 7) AND method = OLD.method AND
           currency = OLD.currency AND retry = is_retry;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    ok := CASE WHEN NEW.status <> 'failed' THEN 1 ELSE 0 END;
    is_retry := CASE WHEN NEW.attempt > 1 THEN 1 ELSE 0 END;
    IF ok = 1 THEN
      INSERT INTO revenue_months (month, currency, collected_cents)
      VALUES (substr(NEW.created_at, 1, 7), NEW.currency, NEW.amount_cents)
      ON CONFLICT (month, currency) DO UPDATE
         SET collected_cents = revenue_months.collected_cents + EXCLUDED.collected_cents;
    END IF;
    INSERT INTO payment_attempts (month, method, currency, retry, succeeded, failed,
                                  succeeded_cents, failed_cents)
    VALUES (substr(NEW.created_at, 1, 7), NEW.method, NEW.currency, is_retry, ok, 1 - ok,
            ok * NEW.amount_cents, (1 - ok) * NEW.amount_cents)
    ON CONFLICT (month, method, currency, retry) DO UPDATE
       SET succeeded = payment_attempts.succeeded + EXCLUDED.succeeded,
           failed = payment_attempts.failed + EXCLUDED.failed,
           succeeded_cents = payment_attempts.succeeded_cents + EXCLUDED.succeeded_cents,
           failed_cents = payment_attempts.failed_cents + EXCLUDED.failed_cents;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER revenue_on_payment_insert AFTER INSERT OR DELETE ON payments
  FOR EACH ROW EXECUTE FUNCTION revenue_on_payment();
CREATE TRIGGER revenue_on_payment_update
  AFTER UPDATE OF status, amount_cents, currency, created_at, method, attempt ON payments
  FOR EACH ROW WHEN ((OLD.status = 'failed') IS DISTINCT FROM (NEW.status = 'failed') OR
                     OLD.amount_cents IS DISTINCT FROM NEW.amount_cents OR
                     OLD.currency IS DISTINCT FROM NEW.currency OR
                     OLD.created_at IS DISTINCT FROM NEW.created_at OR
                     OLD.method IS DISTINCT FROM NEW.method OR
                     OLD.attempt IS DISTINCT FROM NEW.attempt)
  EXECUTE FUNCTION revenue_on_payment();

-- ---- revenue: refunded (in the currency of the refunded payment) and credited ----
CREATE FUNCTION revenue_on_refund() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    UPDATE revenue_months SET refunded_cents = refunded_cents - OLD.amount_cents
     WHERE month = substr(OLD.created_at, 1, 7) AND
           currency = (SELECT p.currency FROM payments p WHERE p.id = OLD.payment_id);
  ELSE
    INSERT INTO revenue_months (month, currency, refunded_cents)
    SELECT substr(NEW.created_at, 1, 7), p.currency, NEW.amount_cents
      FROM payments p WHERE p.id = NEW.payment_id
    ON CONFLICT (month, currency) DO UPDATE
       SET refunded_cents = revenue_months.refunded_cents + EXCLUDED.refunded_cents;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER revenue_on_refund_insert AFTER INSERT OR DELETE ON refunds
  FOR EACH ROW EXECUTE FUNCTION revenue_on_refund();

CREATE FUNCTION revenue_on_credit_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    UPDATE revenue_months SET credited_cents = credited_cents - OLD.total_cents
     WHERE month = substr(OLD.created_at, 1, 7) AND currency = OLD.currency;
  ELSE
    INSERT INTO revenue_months (month, currency, credited_cents)
    VALUES (substr(NEW.created_at, 1, 7), NEW.currency, NEW.total_cents)
    ON CONFLICT (month, currency) DO UPDATE
       SET credited_cents = revenue_months.credited_cents + EXCLUDED.credited_cents;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER revenue_on_credit_note_insert AFTER INSERT OR DELETE ON credit_notes
  FOR EACH ROW EXECUTE FUNCTION revenue_on_credit_note();

-- ---- recurring revenue ----
-- The ARR of a subscription row: 0 once canceled.
CREATE FUNCTION mrr_on_subscription_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO mrr_months (month, currency, new_arr_cents)
  SELECT substr(NEW.created_at, 1, 7), p.currency,
         NEW.quantity * p.price_cents *
           CASE p.billing_interval WHEN 'monthly' THEN 12 WHEN 'quarterly' THEN 4 ELSE 1 END
    FROM plans p WHERE p.id = NEW.plan_id
  ON CONFLICT (month, currency) DO UPDATE
     SET new_arr_cents = mrr_months.new_arr_cents + EXCLUDED.new_arr_cents;
  RETURN NULL;
END $$;
CREATE TRIGGER mrr_on_subscription_insert AFTER INSERT ON subscriptions
  FOR EACH ROW WHEN (NEW.status <> 'canceled') EXECUTE FUNCTION mrr_on_subscription_insert();

-- A change of plan, quantity or status: one movement in the month of the change, classified by
-- the ARR before (o_arr) and after (n_arr). A plan keeps its currency (a subscription's plan is
-- always in its customer's currency).
CREATE FUNCTION mrr_on_subscription_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  cur TEXT;
  o_arr BIGINT;
  n_arr BIGINT;
BEGIN
  SELECT np.currency,
         CASE WHEN OLD.status = 'canceled' THEN 0 ELSE
           OLD.quantity * op.price_cents *
           CASE op.billing_interval WHEN 'monthly' THEN 12 WHEN 'quarterly' THEN 4 ELSE 1 END
         END,
         CASE WHEN NEW.status = 'canceled' THEN 0 ELSE
           NEW.quantity * np.price_cents *
           CASE np.billing_interval WHEN 'monthly' THEN 12 WHEN 'quarterly' THEN 4 ELSE 1 END
         END
    INTO cur, o_arr, n_arr
    FROM plans op, plans np WHERE op.id = OLD.plan_id AND np.id = NEW.plan_id;
  IF FOUND AND o_arr <> n_arr THEN
    INSERT INTO mrr_months (month, currency, new_arr_cents, expansion_arr_cents,
                            contraction_arr_cents, churned_arr_cents)
    VALUES (substr(NEW.updated_at, 1, 7), cur,
            CASE WHEN o_arr = 0 AND n_arr > 0 THEN n_arr ELSE 0 END,
            CASE WHEN o_arr > 0 AND n_arr > o_arr THEN n_arr - o_arr ELSE 0 END,
            CASE WHEN n_arr > 0 AND n_arr < o_arr THEN o_arr - n_arr ELSE 0 END,
            CASE WHEN o_arr > 0 AND n_arr = 0 THEN o_arr ELSE 0 END)
    ON CONFLICT (month, currency) DO UPDATE
       SET new_arr_cents = mrr_months.new_arr_cents + EXCLUDED.new_arr_cents,
           expansion_arr_cents = mrr_months.expansion_arr_cents + EXCLUDED.expansion_arr_cents,
           contraction_arr_cents =
             mrr_months.contraction_arr_cents + EXCLUDED.contraction_arr_cents,
           churned_arr_cents = mrr_months.churned_arr_cents + EXCLUDED.churned_arr_cents;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER mrr_on_subscription_update
  AFTER UPDATE OF status, plan_id, quantity ON subscriptions
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR
                     OLD.plan_id IS DISTINCT FROM NEW.plan_id OR
                     OLD.quantity IS DISTINCT FROM NEW.quantity)
  EXECUTE FUNCTION mrr_on_subscription_update();

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
ON CONFLICT (month, currency) DO UPDATE SET collected_cents = EXCLUDED.collected_cents;

INSERT INTO revenue_months (month, currency, refunded_cents)
SELECT substr(r.created_at, 1, 7), p.currency, SUM(r.amount_cents)
  FROM refunds r JOIN payments p ON p.id = r.payment_id
 GROUP BY substr(r.created_at, 1, 7), p.currency
ON CONFLICT (month, currency) DO UPDATE SET refunded_cents = EXCLUDED.refunded_cents;

INSERT INTO revenue_months (month, currency, credited_cents)
SELECT substr(created_at, 1, 7), currency, SUM(total_cents)
  FROM credit_notes GROUP BY substr(created_at, 1, 7), currency
ON CONFLICT (month, currency) DO UPDATE SET credited_cents = EXCLUDED.credited_cents;

INSERT INTO payment_attempts (month, method, currency, retry, succeeded, failed, succeeded_cents,
                              failed_cents)
SELECT substr(created_at, 1, 7), method, currency, 0,
       SUM(CASE WHEN status <> 'failed' THEN 1 ELSE 0 END),
       SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END),
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
