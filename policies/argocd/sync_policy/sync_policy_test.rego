package argocd.sync_policy_test

import data.argocd.sync_policy
import data.lib.fixtures

test_prod_policy_allowed if {
	count(sync_policy.deny) == 0 with input as fixtures.application
}

test_dev_root_allowed if {
	count(sync_policy.deny) == 0 with input as fixtures.root_application
}

test_prod_prune_denied if {
	app := json.patch(fixtures.application, [{"op": "replace", "path": "/spec/syncPolicy/automated/prune", "value": true}])
	sync_policy.deny == {"syncPolicy.automated.prune is true, the environment requires false"} with input as app
}

test_dev_without_self_heal_denied if {
	app := json.patch(fixtures.root_application, [{"op": "remove", "path": "/spec/syncPolicy/automated/selfHeal"}])
	sync_policy.deny == {"syncPolicy.automated.selfHeal is false, the environment requires true"} with input as app
}

test_manual_sync_denied if {
	app := json.patch(fixtures.application, [{"op": "remove", "path": "/spec/syncPolicy/automated"}])
	count(sync_policy.deny) == 1 with input as app
}
