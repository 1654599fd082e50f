package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"gopkg.in/yaml.v3"
)

// cueAddon is what the contract reads of one add-on of cue/config/addons.cue.
type cueAddon struct {
	Namespace string `json:"namespace"`
	Chart     struct {
		RepoURL string `json:"repoURL"`
		Name    string `json:"name"`
	} `json:"chart"`
	IRSA *struct {
		RoleARN         string `json:"roleArn"`
		TerraformOutput string `json:"terraformOutput"`
		ServiceAccount  string `json:"serviceAccount"`
	} `json:"irsa"`
	Values map[string]any `json:"values"`
}

func cueAddons(t *testing.T) map[string]map[string]cueAddon {
	t.Helper()
	var addons map[string]map[string]cueAddon
	if err := json.Unmarshal(cueExport(t, "addons"), &addons); err != nil {
		t.Fatalf("parse CUE addons: %v", err)
	}
	return addons
}

// TestAddonRolesAreTheLiveRootsOutputs is the contract between the cluster add-ons
// (cue/config/addons.cue, rendered into apps/<env>/addons/) and Terraform: every
// add-on that runs with an IRSA role annotates its service account with exactly the
// role ARN the environment's live root outputs for it (external_secrets_role_arn,
// lb_controller_role_arn, autoscaler_role_arn, otel_collector_role_arn,
// loki_role_arn), and the other facts its values take from the AWS side (cluster,
// region, Karpenter's interruption queue, the collector's X-Ray region and
// permissions, Loki's bucket, region and retention) are the ones Terraform creates.
func TestAddonRolesAreTheLiveRootsOutputs(t *testing.T) {
	addons := cueAddons(t)
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			p := planRoot(t, env)
			account := plannedString(t, p, "account_id")
			cluster := plannedString(t, p, "cluster_name")
			region := plannedString(t, p, "region")
			withRole := 0
			for name, a := range addons[env] {
				app := renderedAddonApplication(t, env, name)
				if a.IRSA == nil {
					if sa, ok := dig(app, "spec.source.helm.valuesObject.serviceAccount.annotations").(map[string]any); ok && sa["eks.amazonaws.com/role-arn"] != nil {
						t.Errorf("add-on %s has no IRSA role in CUE but its Application annotates one", name)
					}
					continue
				}
				withRole++
				want := roleARNOutput(t, p, a.IRSA.TerraformOutput, account)
				if a.IRSA.RoleARN != want {
					t.Errorf("cue addons.%s.%s.irsa.roleArn = %q but live/%s output %s = %q", env, name, a.IRSA.RoleARN, env, a.IRSA.TerraformOutput, want)
				}
				got, _ := dig(app, "spec.source.helm.valuesObject.serviceAccount.annotations").(map[string]any)
				if got["eks.amazonaws.com/role-arn"] != want {
					t.Errorf("apps/%s/addons/%s.application.gen.yaml: service account role %v, live/%s output %s = %q", env, name, got["eks.amazonaws.com/role-arn"], env, a.IRSA.TerraformOutput, want)
				}
				if sa := dig(app, "spec.source.helm.valuesObject.serviceAccount.name"); sa != a.IRSA.ServiceAccount {
					t.Errorf("add-on %s: service account %v, want %s", name, sa, a.IRSA.ServiceAccount)
				}
			}
			// The five add-ons that call AWS: the operator reading Secrets
			// Manager, the Load Balancer Controller, the node autoscaler,
			// the collector writing to X-Ray and Loki storing logs in S3.
			if withRole != 5 {
				t.Errorf("%d add-ons with an IRSA role, want 5", withRole)
			}
			if a := addons[env]["opentelemetry-collector"]; a.IRSA == nil || a.IRSA.TerraformOutput != "otel_collector_role_arn" {
				t.Errorf("the opentelemetry-collector add-on does not run with otel_collector_role_arn")
			}

			// The collector writes to X-Ray in the root's region, with a role
			// that may do nothing else.
			otel := renderedAddonApplication(t, env, "opentelemetry-collector")
			if got := dig(otel, "spec.source.helm.valuesObject.config.exporters.awsxray.region"); got != region {
				t.Errorf("collector awsxray exporter region %v, live/%s region %q", got, env, region)
			}
			if got, want := plannedPolicyActions(t, p, "module.platform.module.eks.aws_iam_role_policy.otel_collector"), []string{
				"xray:GetSamplingRules", "xray:GetSamplingStatisticSummaries", "xray:GetSamplingTargets",
				"xray:PutTelemetryRecords", "xray:PutTraceSegments",
			}; !slices.Equal(got, want) {
				t.Errorf("the collector role's policy allows %v, want exactly %v", got, want)
			}

			checkLoki(t, p, env, addons[env]["loki"], region)

			lbc := renderedAddonApplication(t, env, "aws-load-balancer-controller")
			if got := dig(lbc, "spec.source.helm.valuesObject.clusterName"); got != cluster {
				t.Errorf("Load Balancer Controller clusterName %v, live/%s cluster_name %q", got, env, cluster)
			}
			if got := dig(lbc, "spec.source.helm.valuesObject.region"); got != region {
				t.Errorf("Load Balancer Controller region %v, live/%s region %q", got, env, region)
			}

			karpenter := renderedAddonApplication(t, env, "karpenter")
			if got := dig(karpenter, "spec.source.helm.valuesObject.settings.clusterName"); got != cluster {
				t.Errorf("Karpenter clusterName %v, live/%s cluster_name %q", got, env, cluster)
			}
			queues := plannedNames(p, "aws_sqs_queue")
			if got, _ := dig(karpenter, "spec.source.helm.valuesObject.settings.interruptionQueue").(string); !queues[got] {
				t.Errorf("Karpenter reads interruption queue %q; live/%s plans the queues %v", got, env, sortedSet(queues))
			}
		})
	}
}

// checkLoki: Loki stores its chunks in the bucket the live root creates for it, in
// the root's region, as the role the root outputs (trusted by exactly the service
// account the add-on runs as, allowed only to list that bucket and get, put and
// delete its objects), and keeps logs exactly as long as the bucket's lifecycle
// backstop assumes (it expires objects 7 days after Loki's retention).
func checkLoki(t *testing.T, p *rootPlan, env string, a cueAddon, region string) {
	t.Helper()
	if a.IRSA == nil || a.IRSA.TerraformOutput != "loki_role_arn" {
		t.Fatalf("the loki add-on does not run with loki_role_arn")
	}
	app := renderedAddonApplication(t, env, "loki")
	values := "spec.source.helm.valuesObject."
	bucket := plannedString(t, p, "loki_bucket")
	for _, k := range []string{"chunks", "ruler", "admin"} {
		if got := dig(app, values+"loki.storage.bucketNames."+k); got != bucket {
			t.Errorf("loki storage.bucketNames.%s = %v, live/%s output loki_bucket = %q", k, got, env, bucket)
		}
	}
	if got := dig(app, values+"loki.storage.type"); got != "s3" {
		t.Errorf("loki storage type %v, want s3 (no filesystem storage)", got)
	}
	if got := dig(app, values+"loki.storage.s3.region"); got != region {
		t.Errorf("loki S3 region %v, live/%s region %q", got, env, region)
	}
	if got, want := plannedPolicyActions(t, p, "module.platform.module.log_store.aws_iam_role_policy.loki"), []string{
		"s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject",
	}; !slices.Equal(got, want) {
		t.Errorf("Loki's role policy allows %v, want exactly %v", got, want)
	}
	for _, r := range plannedPolicyResources(t, p, "module.platform.module.log_store.aws_iam_role_policy.loki") {
		if r != "arn:aws:s3:::"+bucket && r != "arn:aws:s3:::"+bucket+"/*" {
			t.Errorf("Loki's role policy reaches %s, beyond its bucket %s", r, bucket)
		}
	}
	if got, want := moduleServiceAccount(t, p, "../log-store", "service_account"), a.Namespace+"/"+a.IRSA.ServiceAccount; got != want {
		t.Errorf("live/%s trusts the service account %s with loki_role_arn, the add-on runs as %s", env, got, want)
	}
	retention, _ := dig(app, values+"loki.limits_config.retention_period").(string)
	hours, err := strconv.Atoi(strings.TrimSuffix(retention, "h"))
	if err != nil || !strings.HasSuffix(retention, "h") || hours%24 != 0 {
		t.Fatalf("loki retention_period %q is not a whole number of days in hours", retention)
	}
	if got, _ := dig(app, values+"loki.compactor.retention_enabled").(bool); !got {
		t.Errorf("loki compactor.retention_enabled is off: retention_period would never delete anything")
	}
	lc, ok := plannedResource(p, "module.platform.module.log_store.aws_s3_bucket_lifecycle_configuration.this")
	if !ok {
		t.Fatal("the plan creates no lifecycle rule on Loki's bucket")
	}
	rule, _ := lc["rule"].([]any)
	if len(rule) != 1 {
		t.Fatalf("Loki's bucket has %d lifecycle rules, want 1", len(rule))
	}
	exp, _ := dig(rule[0], "expiration").([]any)
	if len(exp) != 1 {
		t.Fatalf("Loki's bucket lifecycle rule has no expiration")
	}
	if days, _ := dig(exp[0], "days").(float64); int(days) != hours/24+7 {
		t.Errorf("Loki keeps logs %d days (CUE) but live/%s expires its objects after %v days, want retention + 7 (sizes.loki_retention_days)", hours/24, env, days)
	}
}

// TestKarpenterNodeClassMatchesTerraform: the EC2NodeClass Karpenter launches from
// (environments/<env>/_platform/karpenter.gen.yaml) names the node role the eks
// module creates (the role the autoscaling module lets Karpenter pass), selects the
// subnets the vpc module tags for Karpenter and tags the instances like every
// resource of the live root.
func TestKarpenterNodeClassMatchesTerraform(t *testing.T) {
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			p := planRoot(t, env)
			path := filepath.Join(repoRoot, "environments", env, "_platform", "karpenter.gen.yaml")
			var class map[string]any
			for _, doc := range readYAMLDocs(t, path) {
				if doc["kind"] == "EC2NodeClass" {
					class = doc
				}
			}
			if class == nil {
				t.Fatalf("%s has no EC2NodeClass", path)
			}

			// The node role: the eks module's, passed to the autoscaling module.
			passed := p.Plan.Config.RootModule.ModuleCalls["platform"].Module.ModuleCalls["autoscaling"].Expressions["node_role_arn"]
			if passed == nil || !slices.Contains(passed.References, "module.eks.node_role_arn") {
				t.Fatal("module platform no longer passes module.eks.node_role_arn to module autoscaling")
			}
			node, ok := plannedResource(p, "module.platform.module.eks.aws_iam_role.node")
			if !ok {
				t.Fatal("the plan creates no module.platform.module.eks.aws_iam_role.node")
			}
			if got := dig(class, "spec.role"); got != node["name"] {
				t.Errorf("%s: role %v, the node role Karpenter may pass is %v", path, got, node["name"])
			}

			// Subnets: exactly the ones tagged karpenter.sh/discovery=<value>.
			terms, _ := dig(class, "spec.subnetSelectorTerms").([]any)
			if len(terms) != 1 {
				t.Fatalf("%s: %d subnet selector terms, want 1", path, len(terms))
			}
			// (dig splits on dots, which the tag key has)
			selector, _ := dig(terms[0], "tags").(map[string]any)
			want, _ := selector["karpenter.sh/discovery"].(string)
			tagged := 0
			for _, rc := range p.Plan.ResourceChanges {
				if rc.Type != "aws_subnet" {
					continue
				}
				after, _ := rc.Change.After.(map[string]any)
				tags, _ := after["tags"].(map[string]any)
				if v, ok := tags["karpenter.sh/discovery"]; ok {
					if v != want || tags["tier"] != "private" {
						t.Errorf("%s is tagged karpenter.sh/discovery=%v (tier %v); the node class selects %q, private subnets only", rc.Address, v, tags["tier"], want)
					}
					tagged++
				}
			}
			if tagged == 0 {
				t.Errorf("no subnet of live/%s is tagged karpenter.sh/discovery=%q", env, want)
			}

			// Tags: those every resource of the root carries (default_tags).
			vpc, ok := plannedResource(p, "module.platform.module.vpc.aws_vpc.this")
			if !ok {
				t.Fatal("the plan creates no module.platform.module.vpc.aws_vpc.this")
			}
			all, _ := vpc["tags_all"].(map[string]any)
			got, _ := dig(class, "spec.tags").(map[string]any)
			for _, k := range []string{"environment", "owner", "cost-center"} {
				if got[k] != all[k] {
					t.Errorf("%s: tag %s = %v, live/%s tags resources %s = %v", path, k, got[k], env, k, all[k])
				}
			}
		})
	}
}

// TestClusterSecretStoreUsesTheOperatorRole: the rendered ClusterSecretStore of each
// environment is the store the ExternalSecrets name (environments.<env>.secrets.store),
// in the live root's region, and authenticates as the service account that carries
// external_secrets_role_arn, the role Terraform lets read the connection secrets.
func TestClusterSecretStoreUsesTheOperatorRole(t *testing.T) {
	addons := cueAddons(t)
	var cueEnvs map[string]struct {
		Secrets struct {
			Store string `json:"store"`
		} `json:"secrets"`
	}
	if err := json.Unmarshal(cueExport(t, "environments"), &cueEnvs); err != nil {
		t.Fatalf("parse CUE environments: %v", err)
	}
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			p := planRoot(t, env)
			path := filepath.Join(repoRoot, "environments", env, "_platform", "cluster-secret-store.gen.yaml")
			store := readYAMLDoc(t, path)
			if got := dig(store, "metadata.name"); got != cueEnvs[env].Secrets.Store {
				t.Errorf("%s: store %v, the ExternalSecrets read through %q", path, got, cueEnvs[env].Secrets.Store)
			}
			if got, want := dig(store, "spec.provider.aws.region"), plannedString(t, p, "region"); got != want {
				t.Errorf("%s: region %v, live/%s region %q", path, got, env, want)
			}
			if got := dig(store, "spec.provider.aws.service"); got != "SecretsManager" {
				t.Errorf("%s: service %v, Terraform writes the connection secrets to SecretsManager", path, got)
			}
			operator := addons[env]["external-secrets"]
			if operator.IRSA == nil || operator.IRSA.TerraformOutput != "external_secrets_role_arn" {
				t.Fatalf("the external-secrets add-on of %s does not run with external_secrets_role_arn", env)
			}
			ref := fmt.Sprintf("%v/%v", dig(store, "spec.provider.aws.auth.jwt.serviceAccountRef.namespace"), dig(store, "spec.provider.aws.auth.jwt.serviceAccountRef.name"))
			if want := operator.Namespace + "/" + operator.IRSA.ServiceAccount; ref != want {
				t.Errorf("%s: authenticates as %s, the service account with the operator's role is %s", path, ref, want)
			}
			// Terraform's trust policy names that service account.
			trusted := plannedOperatorServiceAccount(t, p)
			if trusted != operator.Namespace+"/"+operator.IRSA.ServiceAccount {
				t.Errorf("live/%s trusts the service account %s with external_secrets_role_arn, the add-on runs as %s/%s", env, trusted, operator.Namespace, operator.IRSA.ServiceAccount)
			}
		})
	}
}

// TestAddonPolicyDataAgreesWithCUE: argocd.app_project allows each add-on's
// Application exactly its CUE namespace and chart repository
// (policies/data/platform.json, addons.charts), so the gate passes the rendered
// add-ons for the right reason and refuses one moved elsewhere.
func TestAddonPolicyDataAgreesWithCUE(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "policies", "data", "platform.json"))
	if err != nil {
		t.Fatal(err)
	}
	var data struct {
		Platform struct {
			Addons struct {
				ProjectSuffix string `json:"project_suffix"`
				Charts        map[string]struct {
					Namespace string `json:"namespace"`
					RepoURL   string `json:"repoURL"`
				} `json:"charts"`
			} `json:"addons"`
		} `json:"platform"`
	}
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatalf("parse policies/data/platform.json: %v", err)
	}
	charts := data.Platform.Addons.Charts
	for env, addons := range cueAddons(t) {
		names := map[string]bool{}
		for name, a := range addons {
			names[name] = true
			c, ok := charts[name]
			if !ok {
				t.Errorf("%s: add-on %s is not in the policy data", env, name)
				continue
			}
			repo := a.Chart.RepoURL
			if strings.HasPrefix(repo, "oci://") {
				repo += "/" + a.Chart.Name // the Application's repoURL of an OCI chart
			}
			if c.Namespace != a.Namespace || c.RepoURL != repo {
				t.Errorf("%s: add-on %s in %s from %s, the policy allows %s from %s", env, name, a.Namespace, repo, c.Namespace, c.RepoURL)
			}
		}
		for name := range charts {
			if !names[name] {
				t.Errorf("%s: the policy data allows add-on %s, which CUE does not install", env, name)
			}
		}
		project := readYAMLDoc(t, filepath.Join(repoRoot, "apps", env, "addons", "project.gen.yaml"))
		if got, want := dig(project, "metadata.name"), "bloody-sweet-"+env+data.Platform.Addons.ProjectSuffix; got != want {
			t.Errorf("%s: add-ons project %v, the policy expects %s", env, got, want)
		}
	}
}

// roleARNOutput is the value of a live root's role ARN output. Outputs built from
// the role name are known at plan time; one that reads aws_iam_role.<x>.arn is
// "known after apply", so the ARN is built the way IAM builds it, from the account
// and the planned name of the role the output refers to (followed through the
// module outputs in the plan's configuration).
func roleARNOutput(t *testing.T, p *rootPlan, name, account string) string {
	t.Helper()
	if o, ok := p.Plan.PlannedValues.Outputs[name]; ok {
		if s, ok := o.Value.(string); ok && s != "" {
			return s
		}
	}
	addr, ok := resolveOutput(p.Plan.Config.RootModule, "", name)
	if !ok {
		t.Fatalf("live root output %s does not lead to one resource", name)
	}
	res, ok := plannedResource(p, addr)
	if !ok {
		t.Fatalf("output %s refers to %s, which the plan does not create", name, addr)
	}
	if !strings.HasSuffix(addr, ".arn") && !strings.Contains(addr, "aws_iam_role.") {
		t.Fatalf("output %s refers to %s, not an IAM role", name, addr)
	}
	roleName, _ := res["name"].(string)
	if roleName == "" {
		t.Fatalf("%s has no planned name", addr)
	}
	return "arn:aws:iam::" + account + ":role/" + roleName
}

// resolveOutput follows output name of module m (at address prefix) to the
// resource it reads: module.<x>.<output> goes into the module call, anything else
// must be a resource attribute reference like aws_iam_role.<name>.arn.
func resolveOutput(m *tfjson.ConfigModule, prefix, name string) (string, bool) {
	o, ok := m.Outputs[name]
	if !ok || o.Expression == nil {
		return "", false
	}
	for _, ref := range o.Expression.References {
		parts := strings.Split(ref, ".")
		switch {
		case parts[0] == "module" && len(parts) == 3:
			call, ok := m.ModuleCalls[parts[1]]
			if !ok || call.Module == nil {
				return "", false
			}
			return resolveOutput(call.Module, prefix+"module."+parts[1]+".", parts[2])
		case parts[0] != "module" && parts[0] != "var" && parts[0] != "local" && len(parts) == 3:
			// aws_iam_role.x.arn: the resource is the first two parts.
			return prefix + parts[0] + "." + parts[1], true
		}
	}
	return "", false
}

func plannedResource(p *rootPlan, addr string) (map[string]any, bool) {
	for _, rc := range p.Plan.ResourceChanges {
		if rc.Address == addr && rc.Mode == tfjson.ManagedResourceMode {
			after, ok := rc.Change.After.(map[string]any)
			return after, ok
		}
	}
	return nil, false
}

// plannedNames is the set of planned name attributes of every resource of a type.
func plannedNames(p *rootPlan, typ string) map[string]bool {
	names := map[string]bool{}
	for _, rc := range p.Plan.ResourceChanges {
		if rc.Type != typ || rc.Mode != tfjson.ManagedResourceMode {
			continue
		}
		if after, ok := rc.Change.After.(map[string]any); ok {
			if n, ok := after["name"].(string); ok {
				names[n] = true
			}
		}
	}
	return names
}

// plannedOperatorServiceAccount is the namespace/name of the service account
// whose web identity may assume the External Secrets Operator's role: the
// :sub condition of the trust policy when the plan knows it, otherwise the
// connection-secrets module's service_account input (what the policy is built
// from), read from the configuration.
func plannedOperatorServiceAccount(t *testing.T, p *rootPlan) string {
	t.Helper()
	for _, rc := range p.Plan.ResourceChanges {
		if rc.Type != "aws_iam_role" || !strings.HasSuffix(rc.Address, ".aws_iam_role.operator") {
			continue
		}
		after, _ := rc.Change.After.(map[string]any)
		if doc, ok := after["assume_role_policy"].(string); ok && doc != "" {
			var policy struct {
				Statement []struct {
					Condition map[string]map[string]any
				}
			}
			if err := json.Unmarshal([]byte(doc), &policy); err != nil {
				t.Fatalf("%s: trust policy: %v", rc.Address, err)
			}
			for _, s := range policy.Statement {
				for key, v := range s.Condition["StringEquals"] {
					if strings.HasSuffix(key, ":sub") {
						sub, _ := v.(string)
						return strings.Join(strings.Split(strings.TrimPrefix(sub, "system:serviceaccount:"), ":"), "/")
					}
				}
			}
		}
		return defaultOperatorServiceAccount(t, p)
	}
	t.Fatal("the plan creates no External Secrets Operator role (aws_iam_role.operator)")
	return ""
}

// defaultOperatorServiceAccount is the operator_service_account input of the
// connection-secrets module, which its trust policy is built from: the value the
// platform module passes, or the variable's default.
func defaultOperatorServiceAccount(t *testing.T, p *rootPlan) string {
	t.Helper()
	platform, ok := p.Plan.Config.RootModule.ModuleCalls["platform"]
	if !ok || platform.Module == nil {
		t.Fatal("live root calls no module platform")
	}
	var call *tfjson.ModuleCall
	for _, c := range platform.Module.ModuleCalls {
		if c.Source == "../connection-secrets" {
			call = c
		}
	}
	if call == nil || call.Module == nil {
		t.Fatal("module platform calls no ../connection-secrets")
	}
	var v any
	if e, ok := call.Expressions["operator_service_account"]; ok && e.ExpressionData != nil {
		v = e.ConstantValue
	} else if vr, ok := call.Module.Variables["operator_service_account"]; ok {
		v = vr.Default
	}
	m, _ := v.(map[string]any)
	ns, _ := m["namespace"].(string)
	name, _ := m["name"].(string)
	if ns == "" || name == "" {
		t.Fatalf("cannot tell the operator_service_account of connection-secrets from the configuration (%v)", v)
	}
	return ns + "/" + name
}

// moduleServiceAccount is the namespace/name of the service account input varName
// of the module with the given source called by module platform: the value passed,
// or the variable's default (what its IRSA trust policy is built from, unknown in
// the plan until the cluster's OIDC provider exists).
func moduleServiceAccount(t *testing.T, p *rootPlan, source, varName string) string {
	t.Helper()
	platform, ok := p.Plan.Config.RootModule.ModuleCalls["platform"]
	if !ok || platform.Module == nil {
		t.Fatal("live root calls no module platform")
	}
	var call *tfjson.ModuleCall
	for _, c := range platform.Module.ModuleCalls {
		if c.Source == source {
			call = c
		}
	}
	if call == nil || call.Module == nil {
		t.Fatalf("module platform calls no %s", source)
	}
	var v any
	if e, ok := call.Expressions[varName]; ok && e.ExpressionData != nil {
		v = e.ConstantValue
	} else if vr, ok := call.Module.Variables[varName]; ok {
		v = vr.Default
	}
	m, _ := v.(map[string]any)
	ns, _ := m["namespace"].(string)
	name, _ := m["name"].(string)
	if ns == "" || name == "" {
		t.Fatalf("cannot tell %s of %s from the configuration (%v)", varName, source, v)
	}
	return ns + "/" + name
}

// plannedPolicyResources is the sorted set of resources the Allow statements of a
// planned inline policy name.
func plannedPolicyResources(t *testing.T, p *rootPlan, addr string) []string {
	t.Helper()
	res, ok := plannedResource(p, addr)
	if !ok {
		t.Fatalf("the plan creates no %s", addr)
	}
	doc, _ := res["policy"].(string)
	var policy struct {
		Statement []struct {
			Effect   string
			Resource any // a string or a list
		}
	}
	if err := json.Unmarshal([]byte(doc), &policy); err != nil {
		t.Fatalf("%s: policy: %v", addr, err)
	}
	set := map[string]bool{}
	for _, s := range policy.Statement {
		if s.Effect != "Allow" {
			continue
		}
		switch r := s.Resource.(type) {
		case string:
			set[r] = true
		case []any:
			for _, x := range r {
				if s, ok := x.(string); ok {
					set[s] = true
				}
			}
		}
	}
	return sortedSet(set)
}

// plannedPolicyActions is the sorted set of actions every Allow statement of a
// planned inline policy (aws_iam_role_policy) grants; the policy document is
// known at plan time.
func plannedPolicyActions(t *testing.T, p *rootPlan, addr string) []string {
	t.Helper()
	res, ok := plannedResource(p, addr)
	if !ok {
		t.Fatalf("the plan creates no %s", addr)
	}
	doc, _ := res["policy"].(string)
	if doc == "" {
		t.Fatalf("%s: policy unknown at plan", addr)
	}
	var policy struct {
		Statement []struct {
			Effect string
			Action any // a string or a list
		}
	}
	if err := json.Unmarshal([]byte(doc), &policy); err != nil {
		t.Fatalf("%s: policy: %v", addr, err)
	}
	set := map[string]bool{}
	for _, s := range policy.Statement {
		if s.Effect != "Allow" {
			continue
		}
		switch a := s.Action.(type) {
		case string:
			set[a] = true
		case []any:
			for _, x := range a {
				if s, ok := x.(string); ok {
					set[s] = true
				}
			}
		}
	}
	return sortedSet(set)
}

func plannedString(t *testing.T, p *rootPlan, name string) string {
	t.Helper()
	o, ok := p.Plan.PlannedValues.Outputs[name]
	if !ok {
		t.Fatalf("live root has no known output %q", name)
	}
	s, ok := o.Value.(string)
	if !ok {
		t.Fatalf("output %s = %v, not a string", name, o.Value)
	}
	return s
}

func renderedAddonApplication(t *testing.T, env, name string) map[string]any {
	t.Helper()
	return readYAMLDoc(t, filepath.Join(repoRoot, "apps", env, "addons", name+".application.gen.yaml"))
}

func readYAMLDoc(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read rendered file (run `make render`): %v", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}

func readYAMLDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read rendered file (run `make render`): %v", err)
	}
	var docs []map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err == io.EOF {
			return docs
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
