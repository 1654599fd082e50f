package pod_security.image_registry_test

import data.lib.fixtures
import data.pod_security.image_registry

test_ecr_image_allowed if {
	count(image_registry.deny) == 0 with input as fixtures.deployment
}

test_docker_hub_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "nginx:1.27"}])
	count(image_registry.deny) == 1 with input as obj
}

test_lookalike_registry_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/bloody-sweet-evil/order:1.0.0"}])
	count(image_registry.deny) == 1 with input as obj
}
