CREATE TABLE IF NOT EXISTS {p}payments (
	order_id TEXT PRIMARY KEY,
	store_id TEXT NOT NULL,
	amount_cents BIGINT NOT NULL,
	status TEXT NOT NULL,
	payment_id TEXT NOT NULL,
	reason TEXT NOT NULL,
	updated_at BIGINT NOT NULL
)
