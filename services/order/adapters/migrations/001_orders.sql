CREATE TABLE IF NOT EXISTS {p}orders (
	id TEXT PRIMARY KEY,
	store_id TEXT NOT NULL,
	customer_id TEXT NOT NULL,
	status TEXT NOT NULL,
	body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS {p}orders_store ON {p}orders (store_id, id);
CREATE INDEX IF NOT EXISTS {p}orders_status ON {p}orders (status);
CREATE TABLE IF NOT EXISTS {p}idempotency (
	idem_key TEXT PRIMARY KEY,
	request_hash TEXT NOT NULL,
	status_code INTEGER NOT NULL,
	body TEXT NOT NULL,
	created_at BIGINT NOT NULL
)
