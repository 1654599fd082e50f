package delivery.release_digest_test

import data.delivery.release_digest
import data.lib.fixtures

digest := crypto.sha256("order 1.4.2")

with_image(obj, image) := json.patch(obj, [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": image}])

in_namespace(obj, ns) := json.patch(obj, [{"op": "replace", "path": "/metadata/namespace", "value": ns}])

test_prod_tag_and_digest_allowed if {
	r := with_image(fixtures.rollout, sprintf("%s/order:1.4.2@sha256:%s", [fixtures.registry, digest]))
	count(release_digest.deny) == 0 with input as r
}

test_prod_digest_without_tag_allowed if {
	r := with_image(fixtures.rollout, sprintf("%s/order@sha256:%s", [fixtures.registry, digest]))
	count(release_digest.deny) == 0 with input as r
}

test_prod_tag_only_denied if {
	r := with_image(fixtures.rollout, sprintf("%s/order:1.4.2", [fixtures.registry]))
	some f in release_digest.deny with input as r
	contains(f.msg, "is not a digest")
	f.container == "order"
}

test_staging_tag_only_denied if {
	r := in_namespace(with_image(fixtures.rollout, sprintf("%s/order:1.4.2", [fixtures.registry])), "orders-staging")
	count(release_digest.deny) == 1 with input as r
}

test_dev_tag_allowed if {
	r := in_namespace(with_image(fixtures.rollout, sprintf("%s/order:1.4.2", [fixtures.registry])), "orders-dev")
	count(release_digest.deny) == 0 with input as r
}

test_digest_from_another_registry_denied if {
	r := with_image(fixtures.rollout, sprintf("ghcr.io/someone/order@sha256:%s", [digest]))
	count(release_digest.deny) == 1 with input as r
}

test_lookalike_registry_denied if {
	r := with_image(fixtures.rollout, sprintf("123456789012.dkr.ecr.eu-west-1.amazonaws.com/bloody-sweet-evil/order@sha256:%s", [digest]))
	count(release_digest.deny) == 1 with input as r
}

test_short_digest_denied if {
	r := with_image(fixtures.rollout, sprintf("%s/order@sha256:%s", [fixtures.registry, substring(digest, 0, 12)]))
	count(release_digest.deny) == 1 with input as r
}

test_init_container_checked if {
	r := json.patch(with_image(fixtures.rollout, sprintf("%s/order@sha256:%s", [fixtures.registry, digest])), [{
		"op": "add", "path": "/spec/template/spec/initContainers",
		"value": [{"name": "migrate", "image": sprintf("%s/order:1.4.2", [fixtures.registry])}],
	}])
	some f in release_digest.deny with input as r
	f.container == "migrate"
}
