-- Idempotency keys are scoped per customer (the token's subject): the same
-- key from two customers is two orders. The old table was keyed by the key
-- alone and its rows name no customer, so they are not carried over: a
-- client retrying, after this migration, a POST it sent before it places a
-- new order (the records expire after 24 h anyway).
CREATE TABLE IF NOT EXISTS {p}idempotency_keys (
	customer_id TEXT NOT NULL,
	idem_key TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	status_code INTEGER NOT NULL,
	body TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (customer_id, idem_key)
);
CREATE INDEX IF NOT EXISTS {p}idempotency_keys_created ON {p}idempotency_keys (created_at);
DROP TABLE IF EXISTS {p}idempotency;
-- GET /v1/orders lists the caller's own orders.
CREATE INDEX IF NOT EXISTS {p}orders_customer ON {p}orders (customer_id, id)
