# METADATA
# title: Application load balancers are internal
# description: >-
#   Every aws_lb / aws_alb of type application (the default) is internal = true, known at plan time,
#   except the load balancers listed here as the public edge. The public edge of this platform is
#   CloudFront (with WAF) in front of API Gateway, so the list is empty: an internet-facing ALB would
#   be a second, unguarded way in. Network and gateway load balancers are out of scope.
# custom:
#   severity: critical
#   remediation: >-
#     Set internal = true and reach the service through CloudFront and API Gateway (VPC link). A load
#     balancer that must be public is added to public_edge (its address without instance keys) in review.
package terraform.lb_internal

import data.lib.terraform as tf

# Configuration addresses (module.x.aws_lb.y) of the one allowed public edge
# load balancer, if any. None: CloudFront is the public edge.
public_edge := set()

deny contains tf.finding(r, msg) if {
	some t in ["aws_lb", "aws_alb"]
	some r in tf.of_type(t)
	lb_type(r) == "application"
	not r.values.internal == true
	not r.key in public_edge
	msg := sprintf("application load balancer %s is not internal (internal = %v): only CloudFront and API Gateway face the internet", [r.address, object.get(r.values, "internal", null)])
}

# A null load_balancer_type is the provider's default, application.
lb_type(r) := t if {
	t := r.values.load_balancer_type
	is_string(t)
}

lb_type(r) := "application" if not is_string(object.get(r.values, "load_balancer_type", null))
