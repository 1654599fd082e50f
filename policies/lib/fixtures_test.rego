# METADATA
# title: Test fixtures
# description: |
#   Compliant objects the policy tests start from; each test changes one thing
#   with json.patch and expects exactly the policy under test to react.
package lib.fixtures

registry := "123456789012.dkr.ecr.eu-west-1.amazonaws.com/bloody-sweet"

container := {
	"name": "order",
	"image": sprintf("%s/order:1.4.2", [registry]),
	"ports": [{"name": "http", "containerPort": 8080}],
	"env": [
		{"name": "KAFKA_BROKERS", "value": "b-1.msk:9098,b-2.msk:9098"},
		{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "order-connections", "key": "DATABASE_URL"}}},
	],
	"securityContext": {
		"allowPrivilegeEscalation": false,
		"readOnlyRootFilesystem": true,
		"capabilities": {"drop": ["ALL"]},
	},
	"resources": {
		"requests": {"cpu": "100m", "memory": "128Mi"},
		"limits": {"cpu": "500m", "memory": "256Mi"},
	},
	"livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
	"readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}},
}

labels := {"app.kubernetes.io/name": "order", "app.kubernetes.io/part-of": "bloody-sweet"}

pod_spec := {
	"serviceAccountName": "order",
	"securityContext": {
		"runAsNonRoot": true,
		"runAsUser": 65532,
		"seccompProfile": {"type": "RuntimeDefault"},
	},
	"containers": [container],
	"volumes": [{"name": "tmp", "emptyDir": {}}],
}

deployment := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "order", "namespace": "orders-dev", "labels": labels},
	"spec": {
		"replicas": 1,
		"selector": {"matchLabels": labels},
		"template": {"metadata": {"labels": labels}, "spec": pod_spec},
	},
}

rollout := {
	"apiVersion": "argoproj.io/v1alpha1",
	"kind": "Rollout",
	"metadata": {"name": "order", "namespace": "orders-prod", "labels": labels},
	"spec": {
		"replicas": 3,
		"selector": {"matchLabels": labels},
		"template": {"metadata": {"labels": labels}, "spec": pod_spec},
		"strategy": {"canary": {
			"canaryService": "order-canary",
			"stableService": "order",
			"steps": [
				{"setWeight": 5},
				{"analysis": {"templates": [{"templateName": "order-canary"}], "args": [{"name": "service", "value": "order"}]}},
				{"setWeight": 25},
				{"pause": {"duration": "5m"}},
				{"setWeight": 50},
				{"pause": {"duration": "5m"}},
			],
		}},
	},
}

analysis_template := {
	"apiVersion": "argoproj.io/v1alpha1",
	"kind": "AnalysisTemplate",
	"metadata": {"name": "order-canary", "namespace": "orders-prod", "labels": labels},
	"spec": {
		"args": [{"name": "service"}, {"name": "namespace", "value": "orders-prod"}],
		"metrics": [
			{
				"name": "success-rate",
				"successCondition": "result[0] >= 0.99",
				"provider": {"prometheus": {
					"address": "http://prometheus.monitoring:9090",
					"query": `sum(rate(http_requests_total{service="{{args.service}}",code!~"5.."}[2m])) / sum(rate(http_requests_total{service="{{args.service}}"}[2m]))`,
				}},
			},
			{
				"name": "p99-latency",
				"successCondition": "result[0] <= 0.5",
				"provider": {"prometheus": {
					"address": "http://prometheus.monitoring:9090",
					"query": `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="{{args.namespace}}",service="{{args.service}}"}[2m])))`,
				}},
			},
		],
	},
}

pdb := {
	"apiVersion": "policy/v1",
	"kind": "PodDisruptionBudget",
	"metadata": {"name": "order", "namespace": "orders-prod", "labels": labels},
	"spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels}},
}

hpa := {
	"apiVersion": "autoscaling/v2",
	"kind": "HorizontalPodAutoscaler",
	"metadata": {"name": "order", "namespace": "orders-prod", "labels": labels},
	"spec": {
		"minReplicas": 3,
		"maxReplicas": 10,
		"scaleTargetRef": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "order"},
		"metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}],
	},
}

# scaled_object is KEDA's autoscaler of the same Rollout, as rendered for a
# consumer (cue/templates/scaledobject.cue).
scaled_object := {
	"apiVersion": "keda.sh/v1alpha1",
	"kind": "ScaledObject",
	"metadata": {"name": "order", "namespace": "orders-prod", "labels": labels},
	"spec": {
		"minReplicaCount": 3,
		"maxReplicaCount": 10,
		"scaleTargetRef": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "order"},
		"triggers": [{"type": "prometheus", "metricType": "AverageValue", "metadata": {"query": "sum(kafka_consumer_lag)", "threshold": "100"}}],
	},
}

application := {
	"apiVersion": "argoproj.io/v1alpha1",
	"kind": "Application",
	"metadata": {
		"name": "prod-order",
		"namespace": "argocd",
		"labels": {"app.kubernetes.io/part-of": "bloody-sweet", "bloody-sweet.io/environment": "prod", "bloody-sweet.io/service": "order"},
	},
	"spec": {
		"project": "bloody-sweet-prod",
		"source": {
			"repoURL": "https://github.com/bloody-sweet/platform.git",
			"targetRevision": "main",
			"path": "environments/prod/order",
			"directory": {"include": "manifests.gen.yaml"},
		},
		"destination": {"server": "https://kubernetes.default.svc", "namespace": "orders-prod"},
		"syncPolicy": {
			"automated": {"prune": false, "selfHeal": true},
			"syncOptions": ["PruneLast=true"],
		},
	},
}

root_application := {
	"apiVersion": "argoproj.io/v1alpha1",
	"kind": "Application",
	"metadata": {"name": "dev-root", "namespace": "argocd", "labels": {"bloody-sweet.io/environment": "dev"}},
	"spec": {
		"project": "bloody-sweet-dev",
		"source": {"repoURL": "https://github.com/bloody-sweet/platform.git", "targetRevision": "main", "path": "apps/dev"},
		"destination": {"server": "https://kubernetes.default.svc", "namespace": "argocd"},
		"syncPolicy": {"automated": {"prune": true, "selfHeal": true}},
	},
}

app_project := {
	"apiVersion": "argoproj.io/v1alpha1",
	"kind": "AppProject",
	"metadata": {"name": "bloody-sweet-prod", "namespace": "argocd"},
	"spec": {
		"sourceRepos": ["https://github.com/bloody-sweet/platform.git"],
		"destinations": [
			{"server": "https://kubernetes.default.svc", "namespace": "orders-prod"},
			{"server": "https://kubernetes.default.svc", "namespace": "argocd"},
		],
		"clusterResourceWhitelist": [],
		"namespaceResourceWhitelist": [{"group": "argoproj.io", "kind": "Rollout"}],
	},
}

# combine(objs) is the input combined policies receive.
combine(objs) := [{"path": sprintf("doc-%d.yaml", [i]), "contents": o} | some i, o in objs]

# plan(resources) is a minimal Terraform plan around resources given as
# {"type", "name", "values"} (optionally "module", "unknown", "expressions").
plan(resources) := {
	"format_version": "1.2",
	"terraform_version": "1.9.8",
	"planned_values": {"root_module": {"resources": [{
		"address": address(r),
		"mode": "managed",
		"type": r.type,
		"name": r.name,
		"values": r.values,
	} |
		some r in resources
	]}},
	"resource_changes": [object.union(
		{
			"address": address(r),
			"mode": "managed",
			"type": r.type,
			"name": r.name,
			"change": {"actions": ["create"], "before": null, "after": r.values, "after_unknown": object.get(r, "unknown", {})},
		},
		module_address(r),
	) |
		some r in resources
	],
	"configuration": {
		"provider_config": {"aws": {"name": "aws", "expressions": {"default_tags": [{"tags": {"constant_value": default_tags}}]}}},
		"root_module": {"resources": [{"address": sprintf("%s.%s", [r.type, r.name]), "mode": "managed", "type": r.type, "name": r.name, "expressions": object.get(r, "expressions", {})} |
			some r in resources
			not r.module
		]},
	},
}

default_tags := {"environment": "prod", "owner": "platform-team", "cost-center": "cc-1234"}

address(r) := sprintf("%s.%s.%s", [r.module, r.type, r.name]) if r.module

address(r) := sprintf("%s.%s", [r.type, r.name]) if not r.module

module_address(r) := {"module_address": r.module} if r.module

module_address(r) := {} if not r.module
