# METADATA
# title: Ingresses and load-balanced Services make internal load balancers only
# description: >-
#   The one way in is Route 53 -> CloudFront (WAF) -> API Gateway (JWT) -> VPC link -> the internal ALB of
#   the Ingress group bloody-sweet-<env>. An Ingress with alb.ingress.kubernetes.io/scheme internet-facing,
#   or a Service of type LoadBalancer that is not internal, would make the AWS Load Balancer Controller
#   create a public load balancer straight to the pods, around WAF and the authorizer. The controller's
#   own default is internal, so an Ingress without the annotation passes; a LoadBalancer Service must say
#   internal (the in-tree default is public). A deliberate public entry needs an exception
#   (cue/config/exceptions.cue) naming the object.
# custom:
#   severity: critical
#   kinds: [Ingress, Service]
#   remediation: >-
#     Set alb.ingress.kubernetes.io/scheme: internal (the chart takes it from the CUE model,
#     cue/templates/values.cue) and reach the service through the API Gateway routes of the edge stage
#     (terraform/live/<env>/edge); for a Service use service.beta.kubernetes.io/aws-load-balancer-scheme:
#     internal. If it really must be public, add an exception with a reason and an expiry.
package edge.ingress_internal

scheme_annotation := "alb.ingress.kubernetes.io/scheme"

annotations := object.get(input, ["metadata", "annotations"], {})

deny contains msg if {
	input.kind == "Ingress"
	scheme := object.get(annotations, scheme_annotation, "internal")
	lower(scheme) != "internal"
	msg := sprintf("Ingress %s has %s: %s; only internal ALBs, reached through API Gateway's VPC link, may serve Ingresses", [object.get(input, ["metadata", "name"], ""), scheme_annotation, scheme])
}

deny contains msg if {
	input.kind == "Service"
	object.get(input, ["spec", "type"], "ClusterIP") == "LoadBalancer"
	not internal_service
	msg := sprintf("Service %s of type LoadBalancer is not internal: set service.beta.kubernetes.io/aws-load-balancer-scheme: internal", [object.get(input, ["metadata", "name"], "")])
}

internal_service if lower(object.get(annotations, "service.beta.kubernetes.io/aws-load-balancer-scheme", "")) == "internal"

internal_service if lower(object.get(annotations, "service.beta.kubernetes.io/aws-load-balancer-internal", "")) == "true"
