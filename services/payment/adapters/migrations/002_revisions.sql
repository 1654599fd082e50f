-- auth_key: the provider idempotency key of the current authorization ('' = the order id, as before revisions).
-- pending_*: a re-authorization of a revision's new total, held until the order service decides.
ALTER TABLE {p}payments ADD COLUMN auth_key TEXT NOT NULL DEFAULT '';
ALTER TABLE {p}payments ADD COLUMN pending_revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE {p}payments ADD COLUMN pending_key TEXT NOT NULL DEFAULT '';
ALTER TABLE {p}payments ADD COLUMN pending_payment_id TEXT NOT NULL DEFAULT '';
ALTER TABLE {p}payments ADD COLUMN pending_amount_cents BIGINT NOT NULL DEFAULT 0
