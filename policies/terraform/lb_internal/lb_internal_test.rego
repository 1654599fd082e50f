package terraform.lb_internal_test

import data.lib.fixtures
import data.terraform.lb_internal

lb := {"type": "aws_lb", "name": "api", "module": "module.edge", "values": {"name": "bloody-sweet-dev", "internal": true, "load_balancer_type": "application"}}

test_internal_alb_allowed if {
	count(lb_internal.deny) == 0 with input as fixtures.plan([lb])
}

test_public_alb_denied if {
	r := json.patch(lb, [{"op": "replace", "path": "/values/internal", "value": false}])
	lb_internal.deny == {{"msg": "application load balancer module.edge.aws_lb.api is not internal (internal = false): only CloudFront and API Gateway face the internet", "resource": {"kind": "aws_lb", "name": "module.edge.aws_lb.api"}}} with input as fixtures.plan([r])
}

test_default_type_is_application if {
	r := json.patch(lb, [{"op": "remove", "path": "/values/load_balancer_type"}, {"op": "remove", "path": "/values/internal"}])
	count(lb_internal.deny) == 1 with input as fixtures.plan([r])
}

test_alb_alias_type_denied if {
	r := json.patch(lb, [{"op": "replace", "path": "/type", "value": "aws_alb"}, {"op": "replace", "path": "/values/internal", "value": false}])
	count(lb_internal.deny) == 1 with input as fixtures.plan([r])
}

test_unknown_internal_denied if {
	r := object.union(json.patch(lb, [{"op": "remove", "path": "/values/internal"}]), {"unknown": {"internal": true}})
	count(lb_internal.deny) == 1 with input as fixtures.plan([r])
}

test_network_load_balancer_out_of_scope if {
	r := json.patch(lb, [{"op": "replace", "path": "/values/load_balancer_type", "value": "network"}, {"op": "replace", "path": "/values/internal", "value": false}])
	count(lb_internal.deny) == 0 with input as fixtures.plan([r])
}

test_listed_public_edge_allowed if {
	r := json.patch(lb, [{"op": "replace", "path": "/values/internal", "value": false}])
	count(lb_internal.deny) == 0 with input as fixtures.plan([r]) with lb_internal.public_edge as {"module.edge.aws_lb.api"}
}
