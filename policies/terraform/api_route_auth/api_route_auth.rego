# METADATA
# title: Every API Gateway route has an authorizer
# description: >-
#   Every aws_apigatewayv2_route has authorization_type JWT or CUSTOM (a Lambda authorizer) and an
#   authorizer_id (known, or waiting for apply), except the routes listed here as deliberately public.
#   A route without one lets anyone on the internet call the service behind it (place or read orders).
# custom:
#   severity: critical
#   remediation: >-
#     Put the route behind the API's authorizer (modules/api-gateway puts every entry of var.routes
#     behind the edge Lambda authorizer). A route that must be public is added to public_routes in this policy, in review.
package terraform.api_route_auth

import data.lib.terraform as tf

# The route keys that may be called without a token. None today: the API serves
# customers only, and health checks never go through API Gateway.
public_routes := set()

authorizer_types := {"JWT", "CUSTOM"}

deny contains tf.finding(r, msg) if {
	some r in tf.of_type("aws_apigatewayv2_route")
	not public(r)
	kind := auth_type(r)
	not kind in authorizer_types
	msg := sprintf("route %q has authorization_type %s: it needs a JWT or custom authorizer", [route_key(r), kind])
}

deny contains tf.finding(r, msg) if {
	some r in tf.of_type("aws_apigatewayv2_route")
	not public(r)
	auth_type(r) in authorizer_types
	not has_authorizer(r)
	msg := sprintf("route %q has authorization_type %s but no authorizer_id", [route_key(r), auth_type(r)])
}

public(r) if route_key(r) in public_routes

route_key(r) := object.get(r.values, "route_key", "")

# A null authorization_type is API Gateway's default, NONE.
auth_type(r) := t if {
	t := r.values.authorization_type
	is_string(t)
}

auth_type(r) := "NONE" if not is_string(object.get(r.values, "authorization_type", null))

has_authorizer(r) if {
	id := r.values.authorizer_id
	is_string(id)
	id != ""
}

has_authorizer(r) if r.unknown.authorizer_id == true
