# METADATA
# title: Every AnalysisTemplate reference and argument must resolve
# description: >-
#   Each analysis a Rollout runs names AnalysisTemplates that exist in its namespace
#   (ClusterAnalysisTemplates with clusterScope), supplies every template argument that has no default,
#   passes only arguments the templates declare, and gives each a value or valueFrom; and every
#   {{args.x}} an AnalysisTemplate uses is declared in its spec.args. Otherwise the analysis errors at
#   run time and the canary is aborted or stuck.
# custom:
#   severity: high
#   remediation: >-
#     Declare the argument in the AnalysisTemplate's spec.args, pass it from the Rollout's analysis args
#     (value or valueFrom), and make templateName match an AnalysisTemplate in the Rollout's namespace.
#   combine: true
package delivery.analysis_args

import data.lib.combined
import data.lib.kubernetes as k8s

template_kinds := {"AnalysisTemplate", "ClusterAnalysisTemplate"}

# analyses(rollout) lists every analysis block a Rollout runs.
analyses(rollout) := array.concat(
	[a |
		some a in [
			object.get(rollout.spec.strategy, ["canary", "analysis"], null),
			object.get(rollout.spec.strategy, ["blueGreen", "prePromotionAnalysis"], null),
			object.get(rollout.spec.strategy, ["blueGreen", "postPromotionAnalysis"], null),
		]
		a != null
	],
	[step.analysis | some step in object.get(rollout.spec.strategy, ["canary", "steps"], []); step.analysis],
)

# templates(rollout, ref) are the templates an analysis names: a set, as the
# same template may come from more than one file.
templates(rollout, ref) := {t |
	some kind in template_kinds
	some entry in combined.by_kind[kind]
	t := entry.contents
	matches(rollout, ref, t)
}

matches(rollout, ref, t) if {
	not ref.clusterScope
	t.kind == "AnalysisTemplate"
	k8s.name_of(t) == ref.templateName
	k8s.namespace_of(t) == k8s.namespace_of(rollout)
}

matches(_, ref, t) if {
	ref.clusterScope == true
	t.kind == "ClusterAnalysisTemplate"
	k8s.name_of(t) == ref.templateName
}

rollout_analyses contains [entry, analysis] if {
	some entry in combined.by_kind.Rollout
	some analysis in analyses(entry.contents)
}

deny contains combined.finding(entry, msg) if {
	some [entry, analysis] in rollout_analyses
	some ref in analysis.templates
	count(templates(entry.contents, ref)) == 0
	msg := sprintf("analysis names template %s, which does not exist in namespace %s", [ref.templateName, k8s.namespace_of(entry.contents)])
}

deny contains combined.finding(entry, msg) if {
	some [entry, analysis] in rollout_analyses
	some ref in analysis.templates
	some t in templates(entry.contents, ref)
	some arg in object.get(t.spec, "args", [])
	not has_default(arg)
	not arg.name in {a.name | some a in object.get(analysis, "args", [])}
	msg := sprintf("argument %s of template %s has no default and the Rollout does not pass it", [arg.name, ref.templateName])
}

deny contains combined.finding(entry, msg) if {
	some [entry, analysis] in rollout_analyses
	declared := {arg.name |
		some ref in analysis.templates
		some t in templates(entry.contents, ref)
		some arg in object.get(t.spec, "args", [])
	}
	some arg in object.get(analysis, "args", [])
	not arg.name in declared
	msg := sprintf("the Rollout passes argument %s, which none of its analysis templates declares", [arg.name])
}

deny contains combined.finding(entry, msg) if {
	some [entry, analysis] in rollout_analyses
	some arg in object.get(analysis, "args", [])
	not has_default(arg)
	msg := sprintf("the Rollout passes argument %s without value or valueFrom", [arg.name])
}

deny contains combined.finding(entry, msg) if {
	some kind in template_kinds
	some entry in combined.by_kind[kind]
	declared := {arg.name | some arg in object.get(entry.contents.spec, "args", [])}
	some used in used_args(entry.contents)
	not used in declared
	msg := sprintf("%s uses {{args.%s}} but does not declare it in spec.args", [kind, used])
}

has_default(arg) if k8s.has_key(arg, "value")

has_default(arg) if arg.valueFrom

# used_args(t) is every argument name a template's metrics interpolate.
used_args(t) := {m[1] |
	some m in regex.find_all_string_submatch_n(`\{\{\s*args\.([A-Za-z0-9_.-]+?)\s*\}\}`, json.marshal(object.get(t.spec, "metrics", [])), -1)
}
