package delivery.prod_canary_test

import data.delivery.prod_canary
import data.lib.fixtures

test_prod_canary_with_analysis_step_allowed if {
	count(prod_canary.deny) == 0 with input as fixtures.rollout
}

test_background_analysis_allowed if {
	r := json.patch(fixtures.rollout, [
		{"op": "remove", "path": "/spec/strategy/canary/steps/1"},
		{"op": "add", "path": "/spec/strategy/canary/analysis", "value": {"templates": [{"templateName": "order-canary"}]}},
	])
	count(prod_canary.deny) == 0 with input as r
}

test_prod_without_analysis_denied if {
	r := json.patch(fixtures.rollout, [{"op": "remove", "path": "/spec/strategy/canary/steps/1"}])
	prod_canary.deny == {"prod Rollout canary runs no analysis: add strategy.canary.analysis or an analysis step"} with input as r
}

test_prod_without_steps_denied if {
	r := json.patch(fixtures.rollout, [{"op": "replace", "path": "/spec/strategy/canary/steps", "value": [{"setWeight": 100}]}])
	count(prod_canary.deny) == 2 with input as r
}

test_prod_blue_green_denied if {
	r := json.patch(fixtures.rollout, [{"op": "replace", "path": "/spec/strategy", "value": {"blueGreen": {"activeService": "order"}}}])
	"prod Rollout does not use the canary strategy" in prod_canary.deny with input as r
}

test_dev_straight_through_allowed if {
	r := json.patch(fixtures.rollout, [{"op": "replace", "path": "/metadata/namespace", "value": "orders-dev"}, {"op": "replace", "path": "/spec/strategy/canary/steps", "value": []}])
	count(prod_canary.deny) == 0 with input as r
}
