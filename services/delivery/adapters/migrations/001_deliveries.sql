CREATE TABLE IF NOT EXISTS {p}deliveries (
	order_id TEXT PRIMARY KEY,
	store_id TEXT NOT NULL,
	courier_id TEXT NOT NULL,
	picked_up_at BIGINT NOT NULL,
	delivered_at BIGINT NOT NULL
)
