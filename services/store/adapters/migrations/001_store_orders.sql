CREATE TABLE IF NOT EXISTS {p}orders (
	order_id TEXT PRIMARY KEY,
	store_id TEXT NOT NULL,
	status TEXT NOT NULL,
	decided_at BIGINT NOT NULL,
	ready_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS {p}orders_store ON {p}orders (store_id, status)
