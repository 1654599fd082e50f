package pod_security.image_tag_test

import data.lib.fixtures
import data.pod_security.image_tag

test_version_tag_allowed if {
	count(image_tag.deny) == 0 with input as fixtures.deployment
}

test_digest_allowed if {
	obj := json.patch(fixtures.deployment, [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": sprintf("%s/order@sha256:%s", [fixtures.registry, crypto.sha256("x")])}])
	count(image_tag.deny) == 0 with input as obj
}

test_latest_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": sprintf("%s/order:latest", [fixtures.registry])}])
	some f in image_tag.deny with input as obj
	contains(f.msg, "latest")
}

test_untagged_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": sprintf("%s/order", [fixtures.registry])}])
	some f in image_tag.deny with input as obj
	contains(f.msg, "no tag")
}

test_registry_port_is_not_a_tag if {
	obj := json.patch(fixtures.deployment, [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "registry.local:5000/order"}])
	count(image_tag.deny) == 1 with input as obj
}
