# METADATA
# title: Helm chart sources must pin one exact chart version
# description: >-
#   An Application that installs a Helm chart (a cluster add-on: spec.source.chart, or an oci:// chart)
#   names one exact chart version in targetRevision, MAJOR.MINOR.PATCH with an optional pre-release.
#   A range (~1.2, ^1, 1.x, >=1.0), a wildcard, a branch or "latest" lets the cluster change without a
#   commit: the next sync would install whatever the chart repository serves that day.
# custom:
#   severity: high
#   kinds: [Application]
#   remediation: >-
#     Set the add-on's chart.version in cue/config/addons.cue to the exact version you reviewed and
#     render again; bump it with a commit.
package argocd.chart_version_pin

import data.lib.argocd

exact := `^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`

# chart_sources are the sources of an Application that install a Helm chart
# rather than a folder of the platform repository.
chart_sources contains source if {
	input.kind == "Application"
	some source in argocd.sources(input)
	source.chart
}

chart_sources contains source if {
	input.kind == "Application"
	some source in argocd.sources(input)
	startswith(source.repoURL, "oci://")
}

deny contains msg if {
	some source in chart_sources
	revision := object.get(source, "targetRevision", "")
	not regex.match(exact, revision)
	msg := sprintf("chart %s from %s has targetRevision %q, not one exact version", [chart_name(source), source.repoURL, revision])
}

chart_name(source) := source.chart

chart_name(source) := source.repoURL if not source.chart
