package terraform.api_route_auth_test

import data.lib.fixtures
import data.terraform.api_route_auth

route := {"type": "aws_apigatewayv2_route", "name": "orders", "values": {"route_key": "POST /v1/orders", "authorization_type": "JWT"}, "unknown": {"authorizer_id": true}}

test_jwt_route_with_authorizer_allowed if {
	count(api_route_auth.deny) == 0 with input as fixtures.plan([route])
}

test_custom_authorizer_allowed if {
	r := json.patch(route, [{"op": "replace", "path": "/values/authorization_type", "value": "CUSTOM"}])
	count(api_route_auth.deny) == 0 with input as fixtures.plan([r])
}

test_known_authorizer_id_allowed if {
	r := json.patch(route, [{"op": "add", "path": "/values/authorizer_id", "value": "abc123"}, {"op": "replace", "path": "/unknown", "value": {}}])
	count(api_route_auth.deny) == 0 with input as fixtures.plan([r])
}

test_open_route_denied if {
	r := json.patch(route, [{"op": "replace", "path": "/values/authorization_type", "value": "NONE"}])
	api_route_auth.deny == {{"msg": `route "POST /v1/orders" has authorization_type NONE: it needs a JWT or custom authorizer`, "resource": {"kind": "aws_apigatewayv2_route", "name": "aws_apigatewayv2_route.orders"}}} with input as fixtures.plan([r])
}

test_missing_authorization_type_denied if {
	r := json.patch(route, [{"op": "remove", "path": "/values/authorization_type"}])
	count(api_route_auth.deny) == 1 with input as fixtures.plan([r])
}

test_iam_route_denied if {
	r := json.patch(route, [{"op": "replace", "path": "/values/authorization_type", "value": "AWS_IAM"}])
	count(api_route_auth.deny) == 1 with input as fixtures.plan([r])
}

test_jwt_without_authorizer_denied if {
	r := json.patch(route, [{"op": "replace", "path": "/unknown", "value": {}}])
	api_route_auth.deny == {{"msg": `route "POST /v1/orders" has authorization_type JWT but no authorizer_id`, "resource": {"kind": "aws_apigatewayv2_route", "name": "aws_apigatewayv2_route.orders"}}} with input as fixtures.plan([r])
}

test_listed_public_route_allowed if {
	r := json.patch(route, [{"op": "replace", "path": "/values/authorization_type", "value": "NONE"}])
	count(api_route_auth.deny) == 0 with input as fixtures.plan([r]) with api_route_auth.public_routes as {"POST /v1/orders"}
}
