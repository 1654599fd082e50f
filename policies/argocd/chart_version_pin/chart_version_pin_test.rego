package argocd.chart_version_pin_test

import data.argocd.chart_version_pin

addon := {
	"apiVersion": "argoproj.io/v1alpha1",
	"kind": "Application",
	"metadata": {"name": "prod-addon-external-secrets", "namespace": "argocd", "labels": {"bloody-sweet.io/environment": "prod", "bloody-sweet.io/addon": "external-secrets"}},
	"spec": {
		"project": "bloody-sweet-prod-addons",
		"source": {"repoURL": "https://charts.external-secrets.io", "chart": "external-secrets", "targetRevision": "0.16.2", "helm": {"releaseName": "external-secrets"}},
		"destination": {"server": "https://kubernetes.default.svc", "namespace": "external-secrets"},
	},
}

oci_addon := json.patch(addon, [{"op": "replace", "path": "/spec/source", "value": {"repoURL": "oci://public.ecr.aws/karpenter/karpenter", "path": ".", "targetRevision": "1.6.3"}}])

with_revision(app, revision) := json.patch(app, [{"op": "replace", "path": "/spec/source/targetRevision", "value": revision}])

test_exact_version_allowed if {
	count(chart_version_pin.deny) == 0 with input as addon
	count(chart_version_pin.deny) == 0 with input as oci_addon
	count(chart_version_pin.deny) == 0 with input as with_revision(addon, "1.0.0-rc.1")
}

test_ranges_and_branches_denied if {
	every revision in ["~0.16.2", "^0.16", "0.16.x", ">=0.16.0", "0.16", "*", "latest", "HEAD", "main", ""] {
		chart_version_pin.deny == {sprintf(`chart external-secrets from https://charts.external-secrets.io has targetRevision %q, not one exact version`, [revision])} with input as with_revision(addon, revision)
	}
}

test_oci_range_denied if {
	count(chart_version_pin.deny) == 1 with input as with_revision(oci_addon, "1.x")
}

test_missing_revision_denied if {
	app := json.patch(addon, [{"op": "remove", "path": "/spec/source/targetRevision"}])
	count(chart_version_pin.deny) == 1 with input as app
}

test_multiple_sources_checked if {
	app := json.patch(addon, [
		{"op": "remove", "path": "/spec/source"},
		{"op": "add", "path": "/spec/sources", "value": [addon.spec.source, {"repoURL": "https://argoproj.github.io/argo-helm", "chart": "argo-rollouts", "targetRevision": "2.40.*"}]},
	])
	chart_version_pin.deny == {`chart argo-rollouts from https://argoproj.github.io/argo-helm has targetRevision "2.40.*", not one exact version`} with input as app
}

test_git_folder_source_ignored if {
	app := json.patch(addon, [{"op": "replace", "path": "/spec/source", "value": {"repoURL": "https://github.com/bloody-sweet/platform.git", "path": "environments/prod/order", "targetRevision": "main"}}])
	count(chart_version_pin.deny) == 0 with input as app
}
