# METADATA
# title: Production Rollouts must canary in steps with analysis
# description: >-
#   A Rollout in prod (namespace orders-prod) uses the canary strategy with setWeight steps below 100%,
#   and runs an AnalysisTemplate, as background analysis or as an analysis step, so a bad release is
#   stopped on metrics before it takes all traffic.
# custom:
#   severity: high
#   kinds: [Rollout]
#   remediation: >-
#     Give the prod Rollout strategy.canary.steps with gradual setWeight steps (for example 5, 25, 50) and
#     strategy.canary.analysis.templates (or analysis steps) naming the service's AnalysisTemplate.
package delivery.prod_canary

import data.lib.kubernetes as k8s

deny contains "prod Rollout does not use the canary strategy" if {
	is_prod_rollout
	not input.spec.strategy.canary
}

deny contains "prod Rollout canary has no setWeight step below 100: the release would take all traffic at once" if {
	is_prod_rollout
	canary := input.spec.strategy.canary
	every step in object.get(canary, "steps", []) {
		not partial_weight(step)
	}
}

deny contains "prod Rollout canary runs no analysis: add strategy.canary.analysis or an analysis step" if {
	is_prod_rollout
	not has_analysis(input.spec.strategy.canary)
}

is_prod_rollout if {
	input.kind == "Rollout"
	k8s.environment_of(input) == "prod"
}

partial_weight(step) if {
	is_number(step.setWeight)
	step.setWeight < 100
}

has_analysis(canary) if count(canary.analysis.templates) > 0

has_analysis(canary) if {
	some step in canary.steps
	count(step.analysis.templates) > 0
}
