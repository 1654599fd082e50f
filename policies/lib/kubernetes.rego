# METADATA
# title: Kubernetes helpers
# description: |
#   Pod templates, containers and identities of Kubernetes objects, shared by the
#   policies. Functions take the object as an argument so that the combined
#   (cross-document) policies can use them too; the input-based rules are
#   shortcuts for the per-document policies.
package lib.kubernetes

# Kinds whose pod template sits at spec.template.spec.
template_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "Rollout"}

# Kinds that run long-lived pods and therefore can have replicas, PDBs and HPAs.
scalable_kinds := {"Deployment", "StatefulSet", "Rollout", "ReplicaSet"}

# pod_spec_of(obj) is the pod spec an object runs, for every kind that has one.
pod_spec_of(obj) := obj.spec.template.spec if obj.kind in template_kinds

pod_spec_of(obj) := obj.spec.jobTemplate.spec.template.spec if obj.kind == "CronJob"

pod_spec_of(obj) := obj.spec if obj.kind == "Pod"

# pod_labels_of(obj) is the label set of the pods an object creates.
pod_labels_of(obj) := object.get(obj, ["spec", "template", "metadata", "labels"], {})

# containers_of(obj) lists every container, init and ephemeral included, with
# the pod spec it belongs to.
containers_of(obj) := [c |
	spec := pod_spec_of(obj)
	some field in ["initContainers", "containers", "ephemeralContainers"]
	some c in object.get(spec, field, [])
]

# app_containers_of(obj) lists the long-running containers only (no init containers).
app_containers_of(obj) := object.get(pod_spec_of(obj), "containers", [])

# security_context(pod_spec, container, key) is the container's setting, falling
# back to the pod-level securityContext when the container does not set it.
security_context(_, container, key) := container.securityContext[key]

security_context(spec, container, key) := spec.securityContext[key] if {
	not has_key(object.get(container, "securityContext", {}), key)
}

has_key(obj, key) if _ = obj[key]

name_of(obj) := object.get(obj, ["metadata", "name"], "")

namespace_of(obj) := object.get(obj, ["metadata", "namespace"], "")

labels_of(obj) := object.get(obj, ["metadata", "labels"], {})

# resource_of(obj) is how findings name the object they are about.
resource_of(obj) := {
	"kind": object.get(obj, "kind", ""),
	"namespace": namespace_of(obj),
	"name": name_of(obj),
}

# service_of(obj) is the platform service an object belongs to, from the
# recommended labels, the plain app label, or the name.
service_of(obj) := labels_of(obj)["app.kubernetes.io/name"]

service_of(obj) := labels_of(obj).app if not labels_of(obj)["app.kubernetes.io/name"]

# environment_of(obj) is the environment an object is deployed to, read from its
# namespace (orders-<env>) or the bloody-sweet.io/environment label.
environment_of(obj) := trim_prefix(namespace_of(obj), "orders-") if {
	startswith(namespace_of(obj), "orders-")
}

environment_of(obj) := labels_of(obj)["bloody-sweet.io/environment"] if {
	not startswith(namespace_of(obj), "orders-")
}

# Per-document shortcuts over input.
pod_spec := pod_spec_of(input)

containers := containers_of(input)

app_containers := app_containers_of(input)

# selector_matches(selector, labels) is true when a label selector
# (matchLabels and matchExpressions) selects the given labels.
selector_matches(selector, labels) if {
	every key, value in object.get(selector, "matchLabels", {}) {
		labels[key] == value
	}
	every expr in object.get(selector, "matchExpressions", []) {
		expression_matches(expr, labels)
	}
}

expression_matches(expr, labels) if {
	expr.operator == "In"
	labels[expr.key] in expr.values
}

expression_matches(expr, labels) if {
	expr.operator == "NotIn"
	not labels[expr.key] in expr.values
}

expression_matches(expr, labels) if {
	expr.operator == "Exists"
	_ = labels[expr.key]
}

expression_matches(expr, labels) if {
	expr.operator == "DoesNotExist"
	not has_key(labels, expr.key)
}

# component_of(obj) is the service kind (api or consumer): the
# app.kubernetes.io/component label, else the platform's service table.
component_of(obj) := labels_of(obj)["app.kubernetes.io/component"]

component_of(obj) := data.platform.services[service_of(obj)].kind if {
	not labels_of(obj)["app.kubernetes.io/component"]
}

# replicas_of(obj) is the replica count a workload declares (Kubernetes
# defaults it to 1).
replicas_of(obj) := object.get(obj, ["spec", "replicas"], 1)

# autoscaler_kinds scale a workload through its scale subresource: the HPA,
# and KEDA's ScaledObject (which creates an HPA; the consumers scale on lag).
autoscaler_kinds := {"HorizontalPodAutoscaler", "ScaledObject"}

# targets(hpa, obj) is true when the autoscaler (HPA or ScaledObject) scales obj.
targets(hpa, obj) if {
	hpa.kind in autoscaler_kinds
	hpa.spec.scaleTargetRef.kind == obj.kind
	hpa.spec.scaleTargetRef.name == name_of(obj)
	namespace_of(hpa) == namespace_of(obj)
}

# min_replicas_of(hpa) is the autoscaler's floor (each kind's own default).
min_replicas_of(hpa) := object.get(hpa.spec, "minReplicas", 1) if hpa.kind == "HorizontalPodAutoscaler"

min_replicas_of(hpa) := object.get(hpa.spec, "minReplicaCount", 0) if hpa.kind == "ScaledObject"
