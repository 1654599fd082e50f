package delivery.analysis_args_test

import data.delivery.analysis_args
import data.lib.fixtures

docs := [fixtures.rollout, fixtures.analysis_template]

test_resolving_args_allowed if {
	count(analysis_args.deny) == 0 with input as fixtures.combine(docs)
}

test_missing_template_denied if {
	some f in analysis_args.deny with input as fixtures.combine([fixtures.rollout])
	contains(f.msg, "does not exist")
	f.resource.kind == "Rollout"
}

test_missing_required_arg_denied if {
	r := json.patch(fixtures.rollout, [{"op": "replace", "path": "/spec/strategy/canary/steps/1/analysis/args", "value": []}])
	some f in analysis_args.deny with input as fixtures.combine([r, fixtures.analysis_template])
	f.msg == "argument service of template order-canary has no default and the Rollout does not pass it"
}

test_undeclared_arg_denied if {
	r := json.patch(fixtures.rollout, [{"op": "add", "path": "/spec/strategy/canary/steps/1/analysis/args/-", "value": {"name": "canary-hash", "valueFrom": {"podTemplateHashValue": "Latest"}}}])
	some f in analysis_args.deny with input as fixtures.combine([r, fixtures.analysis_template])
	contains(f.msg, "canary-hash, which none")
}

test_arg_without_value_denied if {
	r := json.patch(fixtures.rollout, [{"op": "replace", "path": "/spec/strategy/canary/steps/1/analysis/args/0", "value": {"name": "service"}}])
	some f in analysis_args.deny with input as fixtures.combine([r, fixtures.analysis_template])
	contains(f.msg, "without value or valueFrom")
}

test_template_using_undeclared_arg_denied if {
	t := json.patch(fixtures.analysis_template, [{"op": "remove", "path": "/spec/args/1"}])
	some f in analysis_args.deny with input as fixtures.combine([fixtures.rollout, t])
	f.resource.kind == "AnalysisTemplate"
	contains(f.msg, "{{args.namespace}}")
}

test_template_in_other_namespace_denied if {
	t := json.patch(fixtures.analysis_template, [{"op": "replace", "path": "/metadata/namespace", "value": "orders-dev"}])
	some f in analysis_args.deny with input as fixtures.combine([fixtures.rollout, t])
	f.msg == "analysis names template order-canary, which does not exist in namespace orders-prod"
}
