-- The order API's read model of eta.events.v1: each order's latest
-- delivery-time prediction (times in Unix nanoseconds), replaced only by
-- one made at a later step or, at the same step, later.
CREATE TABLE IF NOT EXISTS {p}eta (
	order_id TEXT PRIMARY KEY,
	step TEXT NOT NULL,
	step_rank INTEGER NOT NULL,
	made_at BIGINT NOT NULL,
	model_version TEXT NOT NULL,
	eta BIGINT NOT NULL,
	eta_p10 BIGINT NOT NULL,
	eta_p90 BIGINT NOT NULL
)
