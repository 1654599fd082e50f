package edge.ingress_internal_test

import data.edge.ingress_internal

ingress := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "Ingress",
	"metadata": {"name": "order", "namespace": "orders-dev", "annotations": {
		"alb.ingress.kubernetes.io/scheme": "internal",
		"alb.ingress.kubernetes.io/group.name": "bloody-sweet-dev",
	}},
	"spec": {"ingressClassName": "alb"},
}

test_internal_ingress_allowed if {
	count(ingress_internal.deny) == 0 with input as ingress
}

test_ingress_without_scheme_allowed if {
	obj := json.patch(ingress, [{"op": "remove", "path": "/metadata/annotations/alb.ingress.kubernetes.io~1scheme"}])
	count(ingress_internal.deny) == 0 with input as obj
}

test_internet_facing_ingress_denied if {
	obj := json.patch(ingress, [{"op": "replace", "path": "/metadata/annotations/alb.ingress.kubernetes.io~1scheme", "value": "internet-facing"}])
	ingress_internal.deny == {"Ingress order has alb.ingress.kubernetes.io/scheme: internet-facing; only internal ALBs, reached through API Gateway's VPC link, may serve Ingresses"} with input as obj
}

test_scheme_case_does_not_matter if {
	obj := json.patch(ingress, [{"op": "replace", "path": "/metadata/annotations/alb.ingress.kubernetes.io~1scheme", "value": "Internet-Facing"}])
	count(ingress_internal.deny) == 1 with input as obj
}

service := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "order"}, "spec": {"type": "LoadBalancer"}}

test_public_load_balancer_service_denied if {
	count(ingress_internal.deny) == 1 with input as service
}

test_internal_load_balancer_service_allowed if {
	obj := json.patch(service, [{"op": "add", "path": "/metadata/annotations", "value": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}}])
	count(ingress_internal.deny) == 0 with input as obj
}

test_legacy_internal_annotation_allowed if {
	obj := json.patch(service, [{"op": "add", "path": "/metadata/annotations", "value": {"service.beta.kubernetes.io/aws-load-balancer-internal": "true"}}])
	count(ingress_internal.deny) == 0 with input as obj
}

test_cluster_ip_service_allowed if {
	obj := json.patch(service, [{"op": "replace", "path": "/spec/type", "value": "ClusterIP"}])
	count(ingress_internal.deny) == 0 with input as obj
}
