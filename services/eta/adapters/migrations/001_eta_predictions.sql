CREATE TABLE IF NOT EXISTS {p}predictions (
	order_id TEXT NOT NULL,
	step TEXT NOT NULL,
	model_version TEXT NOT NULL,
	predicted_at BIGINT NOT NULL,
	eta BIGINT NOT NULL,
	eta_p10 BIGINT NOT NULL,
	eta_p90 BIGINT NOT NULL,
	PRIMARY KEY (order_id, step)
)
