package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	tfjson "github.com/hashicorp/terraform-json"
	"gopkg.in/yaml.v3"
)

// cueExport evaluates an expression of the CUE configuration (cue/config) with the
// cue tool pinned in the main module's go.mod.
func cueExport(t *testing.T, expr string) []byte {
	t.Helper()
	cmd := exec.Command("go", "tool", "cue", "export", "./config", "-e", expr)
	cmd.Dir = filepath.Join(repoRoot, "cue")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cue export -e %s: %v\n%s", expr, err, stderr.String())
	}
	return out
}

// TestCUEEnvironmentsAgreeWithLiveRoots is the typed contract between the two halves
// of the repository: what Terraform creates (the live roots' outputs) and what the
// GitOps side deploys against (cue/config/environments.cue, services.cue and the
// rendered Helm values).
func TestCUEEnvironmentsAgreeWithLiveRoots(t *testing.T) {
	var cueEnvs map[string]struct {
		AWS struct {
			Account     string `json:"account"`
			Region      string `json:"region"`
			ClusterName string `json:"clusterName"`
			ECRRegistry string `json:"ecrRegistry"`
		} `json:"aws"`
		Namespace string `json:"namespace"`
		Domain    string `json:"domain"`
		APIHost   string `json:"apiHost"`
		Secrets   struct {
			Store          string `json:"store"`
			Prefix         string `json:"prefix"`
			RDSInstanceARN string `json:"rdsInstanceArn"`
		} `json:"secrets"`
		Clients struct {
			RedisIAMCache string `json:"redisIAMCache"`
		} `json:"clients"`
	}
	if err := json.Unmarshal(cueExport(t, "environments"), &cueEnvs); err != nil {
		t.Fatalf("parse CUE environments: %v", err)
	}
	var cueServices map[string]struct {
		Image struct {
			Repository string `json:"repository"`
		} `json:"image"`
		Produces  []struct{ Name string } `json:"produces"`
		Consumes  []struct{ Name string } `json:"consumes"`
		SecretEnv map[string]any          `json:"secretEnv"`
	}
	if err := json.Unmarshal(cueExport(t, "services"), &cueServices); err != nil {
		t.Fatalf("parse CUE services: %v", err)
	}

	var names []string
	for env := range cueEnvs {
		names = append(names, env)
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"dev", "prod", "staging"}, names); diff != "" {
		t.Fatalf("CUE environments differ from terraform/live roots (-terraform +cue):\n%s", diff)
	}

	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			p := planRoot(t, env)
			c := cueEnvs[env]
			facts := []struct{ field, cue, output string }{
				{"aws.account", c.AWS.Account, "account_id"},
				{"aws.region", c.AWS.Region, "region"},
				{"aws.clusterName", c.AWS.ClusterName, "cluster_name"},
				{"aws.ecrRegistry", c.AWS.ECRRegistry, "ecr_registry"},
				{"namespace", c.Namespace, "namespace"},
				{"domain", c.Domain, "domain"},
				{"apiHost", c.APIHost, "api_host"},
				{"secrets.prefix", c.Secrets.Prefix, "connection_secret_prefix"},
				{"secrets.rdsInstanceArn", c.Secrets.RDSInstanceARN, "rds_instance_arn"},
				{"clients.redisIAMCache", c.Clients.RedisIAMCache, "redis_cache_name"},
			}
			for _, f := range facts {
				if got := output(t, p, f.output); got != f.cue {
					t.Errorf("cue environments.%s.%s = %q but live/%s output %s = %v", env, f.field, f.cue, env, f.output, got)
				}
			}

			// Images: registry + repository of every service is a repository Terraform owns.
			repos, _ := output(t, p, "ecr_repository_urls").(map[string]any)
			for svc, s := range cueServices {
				want := c.AWS.ECRRegistry + "/" + s.Image.Repository
				if repos[svc] != want {
					t.Errorf("service %s pulls %s but Terraform's repository is %v", svc, want, repos[svc])
				}
			}
			if len(repos) != len(cueServices) {
				t.Errorf("Terraform has %d repositories, CUE %d services", len(repos), len(cueServices))
			}

			// IRSA: the role each rendered service account is annotated with exists.
			roles, _ := output(t, p, "irsa_role_arns").(map[string]any)
			for svc := range cueServices {
				values := filepath.Join(repoRoot, "environments", env, svc, "values.gen.yaml")
				got := renderedRoleARN(t, values)
				if roles[svc] != got {
					t.Errorf("%s: service account role %q, Terraform IRSA role %v", values, got, roles[svc])
				}
			}

			// Topics: IAM lets each service produce and consume exactly what CUE wires up.
			for svc, s := range cueServices {
				want := contractTopics[svc]
				if diff := cmp.Diff(sorted(want.produces), sorted(topicNames(s.Produces))); diff != "" {
					t.Errorf("%s produces (-terraform IAM +cue):\n%s", svc, diff)
				}
				if diff := cmp.Diff(sorted(want.consumes), sorted(topicNames(s.Consumes))); diff != "" {
					t.Errorf("%s consumes (-terraform IAM +cue):\n%s", svc, diff)
				}
			}

			// Brokers: known only after apply (and MSK's certificates name the AWS
			// broker hosts), so CUE holds no broker address: the pods read
			// KAFKA_BROKERS from the <service>-connections Secret, which the infra
			// pipeline fills from this root's msk_bootstrap_brokers output.
			checkBrokersOutput(t, p, env)
			var redisUsers []string
			for svc, sv := range cueServices {
				if _, ok := sv.SecretEnv["REDIS_URL"]; ok {
					redisUsers = append(redisUsers, svc)
				}
			}
			checkServiceSet(t, p, env, "redis_services", "REDIS_URL", redisUsers)
			var tokenUsers []string
			for svc, sv := range cueServices {
				if _, ok := sv.SecretEnv["AUTH_ISSUER"]; ok {
					tokenUsers = append(tokenUsers, svc)
				}
			}
			checkServiceSet(t, p, env, "token_services", "AUTH_ISSUER", tokenUsers)
			for svc := range cueServices {
				checkKafkaBrokersFromSecret(t, filepath.Join(repoRoot, "environments", env, svc, "manifests.gen.yaml"), svc)
			}

			// Connection Secrets: the rendered ExternalSecret of each service reads
			// the Secrets Manager secret Terraform writes for it, only properties
			// Terraform puts there, through the environment's store.
			names, _ := output(t, p, "connection_secret_names").(map[string]any)
			props, _ := output(t, p, "connection_secret_properties").(map[string]any)
			if len(names) != len(cueServices) || len(props) != len(cueServices) {
				t.Errorf("Terraform writes connection secrets for %d services (properties for %d), CUE has %d services", len(names), len(props), len(cueServices))
			}
			for svc := range cueServices {
				var written []string
				ps, _ := props[svc].([]any)
				for _, p := range ps {
					written = append(written, fmt.Sprint(p))
				}
				name, _ := names[svc].(string)
				dbUser := checkExternalSecret(t, filepath.Join(repoRoot, "environments", env, svc, "manifests.gen.yaml"), svc, connectionSecret{
					store: c.Secrets.Store, name: name, properties: written, rdsInstanceARN: c.Secrets.RDSInstanceARN,
				})
				if _, stateful := cueServices[svc].SecretEnv["DATABASE_URL"]; stateful && dbUser != svc+"_svc" {
					t.Errorf("%s: database-url user %q, want %s_svc (the role \"%s migrate\" creates)", svc, dbUser, svc, svc)
				}
			}

			// Database users: the user of each rendered database-url (<svc>_svc, the
			// role the migrate hook creates) is the db_user Terraform writes into the
			// service's secret, and the only one its IRSA role may rds-db:connect as.
			wantUsers := map[string]any{}
			for svc, sv := range cueServices {
				if _, ok := sv.SecretEnv["DATABASE_URL"]; ok {
					wantUsers[svc] = svc + "_svc"
				}
			}
			checkDatabaseUsers(t, p, env, wantUsers, props)
		})
	}
}

// checkDatabaseUsers: Terraform's database users (output database_users, from
// modules/connection-secrets, which writes them as property db_user) are want; each
// such service's IRSA role has exactly one rds-db:connect policy (modules/iam,
// aws_iam_role_policy.rds) and no other service has one; its resource names the
// instance's resource id (only known after apply: the plan's configuration is
// followed from the iam module's database argument to aws_db_instance.resource_id;
// modules/iam/tests checks the ARN built from it, .../dbuser:<id>/<service>_svc).
func checkDatabaseUsers(t *testing.T, p *rootPlan, env string, want map[string]any, props map[string]any) {
	t.Helper()
	got, _ := output(t, p, "database_users").(map[string]any)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("live/%s database_users (-cue +terraform):\n%s", env, diff)
	}
	for svc := range want {
		ps, _ := props[svc].([]any)
		if !slices.Contains(ps, any("db_user")) {
			t.Errorf("live/%s: the connections secret of %s holds %v, no db_user", env, svc, ps)
		}
	}
	policies := map[string]any{}
	for addr, v := range after(p, "aws_iam_role_policy") {
		if strings.HasPrefix(addr, "module.platform.module.iam.aws_iam_role_policy.rds[") {
			policies[between(addr, `["`, `"]`)] = v["name"]
		}
	}
	wantPolicies := map[string]any{}
	for svc := range want {
		wantPolicies[svc] = "rds-connect"
	}
	if diff := cmp.Diff(wantPolicies, policies); diff != "" {
		t.Errorf("live/%s rds-db:connect policies per service (-cue +terraform):\n%s", env, diff)
	}
	root := p.Plan.Config.RootModule
	platform, ok := root.ModuleCalls["platform"]
	if !ok || platform.Module == nil {
		t.Fatalf("live/%s does not call module platform", env)
	}
	iam, ok := platform.Module.ModuleCalls["iam"]
	if !ok || iam.Module == nil {
		t.Fatalf("modules/platform does not call module iam")
	}
	if e, ok := iam.Expressions["database"]; !ok || e.ExpressionData == nil || !slices.Contains(e.References, "module.rds.resource_id") {
		t.Errorf("modules/platform: module iam's database argument does not take module.rds.resource_id (%v)", e)
	}
	rds, ok := platform.Module.ModuleCalls["rds"]
	if !ok || rds.Module == nil {
		t.Fatalf("modules/platform does not call module rds")
	}
	if refs := outputRefs(rds.Module, "resource_id"); !slices.Contains(refs, "aws_db_instance.this.resource_id") {
		t.Errorf("modules/rds output resource_id references %v, want aws_db_instance.this.resource_id", refs)
	}
	res := findResource(iam.Module, "aws_iam_role_policy.rds")
	if res == nil {
		t.Fatalf("modules/iam has no aws_iam_role_policy.rds")
	}
	if e, ok := res.Expressions["role"]; !ok || e.ExpressionData == nil || !slices.Contains(e.References, "aws_iam_role.service") {
		t.Errorf("modules/iam aws_iam_role_policy.rds is not attached to the service's own role (%v)", e)
	}
}

func findResource(m *tfjson.ConfigModule, addr string) *tfjson.ConfigResource {
	for _, r := range m.Resources {
		if r.Address == addr {
			return r
		}
	}
	return nil
}

// connectionSecret is what Terraform wrote for one service, as the rendered
// ExternalSecret must read it.
type connectionSecret struct {
	store, name, rdsInstanceARN string
	properties                  []string
}

// checkExternalSecret checks the ExternalSecrets of one service's rendered
// manifests. <svc>-connections reads through the environment's
// ClusterSecretStore from the secret Terraform names for the service, only
// properties Terraform writes there, never the RDS master secret, and composes
// a database-url (exactly when Terraform writes the database facts) for the
// service's own user without a password. <svc>-db-admin, rendered exactly for
// the services with a database, is the migrate hook's: the same secret's
// database facts plus the master secret found by this environment's instance
// tag. It returns the database user of the database-url ("" without one).
func checkExternalSecret(t *testing.T, path, svc string, want connectionSecret) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read rendered manifests (run `make render`): %v", err)
	}
	type externalSecret struct {
		Kind     string
		Metadata struct {
			Annotations map[string]string
		}
		Spec struct {
			SecretStoreRef struct{ Kind, Name string } `yaml:"secretStoreRef"`
			Target         struct {
				Name     string
				Template struct {
					Data map[string]string
				}
			}
			Data []struct {
				SecretKey string                         `yaml:"secretKey"`
				RemoteRef struct{ Key, Property string } `yaml:"remoteRef"`
			}
			DataFrom []struct {
				Find struct {
					Path string
					Tags map[string]string
				}
			} `yaml:"dataFrom"`
		}
	}
	found := map[string][]externalSecret{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for i := 0; ; i++ {
		var doc externalSecret
		if err := dec.Decode(&doc); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("%s: document %d: %v", path, i, err)
		}
		if doc.Kind == "ExternalSecret" {
			found[doc.Spec.Target.Name] = append(found[doc.Spec.Target.Name], doc)
		}
	}
	if n := len(found[svc+"-connections"]); n != 1 {
		t.Fatalf("%s: %d ExternalSecrets produce %s-connections, want 1", path, n, svc)
	}
	if want.name == "" {
		t.Errorf("%s: Terraform writes no connections secret for %s", path, svc)
	}
	checkSource := func(name string, es externalSecret) {
		t.Helper()
		if es.Spec.SecretStoreRef.Kind != "ClusterSecretStore" || es.Spec.SecretStoreRef.Name != want.store {
			t.Errorf("%s: %s: store %s/%s, want ClusterSecretStore/%s", path, name, es.Spec.SecretStoreRef.Kind, es.Spec.SecretStoreRef.Name, want.store)
		}
		for _, d := range es.Spec.Data {
			if d.RemoteRef.Key != want.name {
				t.Errorf("%s: %s: %s reads secret %q, Terraform writes %q", path, name, d.SecretKey, d.RemoteRef.Key, want.name)
			}
			if !slices.Contains(want.properties, d.RemoteRef.Property) {
				t.Errorf("%s: %s: %s reads property %q of %s, Terraform writes only %v", path, name, d.SecretKey, d.RemoteRef.Property, want.name, want.properties)
			}
		}
	}
	conn := found[svc+"-connections"][0]
	checkSource(svc+"-connections", conn)
	if len(conn.Spec.DataFrom) != 0 {
		t.Errorf("%s: %s-connections reads %d dataFrom sources; the services' Secret must not hold the master credentials", path, svc, len(conn.Spec.DataFrom))
	}
	dbURL, composesDB := conn.Spec.Target.Template.Data["database-url"]
	if writesDB := slices.Contains(want.properties, "db_host"); composesDB != writesDB {
		t.Errorf("%s: the Secret composes a database-url: %v; Terraform writes database facts for %s: %v", path, composesDB, svc, writesDB)
	}
	admins := found[svc+"-db-admin"]
	if !composesDB {
		if len(admins) != 0 {
			t.Errorf("%s: %s has no database but renders %d %s-db-admin ExternalSecrets", path, svc, len(admins), svc)
		}
		return ""
	}
	m := regexp.MustCompile(`^postgres://([a-z][a-z0-9_]*)@\{\{ \.db_host \}\}:\{\{ \.db_port \}\}/\{\{ \.db_name \}\}\?sslmode=(require|verify-ca|verify-full)$`).FindStringSubmatch(dbURL)
	if m == nil {
		t.Errorf("%s: %s-connections database-url %q: want postgres://<user>@{{ .db_host }}:{{ .db_port }}/{{ .db_name }}?sslmode=require, no password (IAM auth)", path, svc, dbURL)
		return ""
	}
	if len(admins) != 1 {
		t.Fatalf("%s: %d ExternalSecrets produce %s-db-admin, want 1 (the migrate hook's)", path, len(admins), svc)
	}
	admin := admins[0]
	checkSource(svc+"-db-admin", admin)
	if admin.Metadata.Annotations["argocd.argoproj.io/hook"] != "PreSync" {
		t.Errorf("%s: %s-db-admin is not a PreSync hook (annotations %v): the migrate Job needs it first", path, svc, admin.Metadata.Annotations)
	}
	if len(admin.Spec.DataFrom) != 1 {
		t.Errorf("%s: %s-db-admin needs the RDS master secret (one dataFrom find), got %d", path, svc, len(admin.Spec.DataFrom))
	}
	for _, f := range admin.Spec.DataFrom {
		if got := f.Find.Tags["aws:rds:primaryDBInstanceArn"]; got != want.rdsInstanceARN || f.Find.Path != "rds!db-" {
			t.Errorf("%s: finds the database master secret by path %q and tag %q, want rds!db- and %s", path, f.Find.Path, got, want.rdsInstanceARN)
		}
	}
	return m[1]
}

// checkServiceSet: a set of services modules/platform treats specially, its
// variable (which the live roots leave at its default) is exactly the CUE
// services that read envVar: redis_services (their IRSA roles may connect to
// ElastiCache) and REDIS_URL; token_services (their connections secret holds
// the user pool's issuer) and AUTH_ISSUER.
func checkServiceSet(t *testing.T, p *rootPlan, env, variable, envVar string, want []string) {
	t.Helper()
	call, ok := p.Plan.Config.RootModule.ModuleCalls["platform"]
	if !ok || call.Module == nil {
		t.Fatalf("live/%s does not call module platform", env)
	}
	if _, set := call.Expressions[variable]; set {
		t.Fatalf("live/%s sets %s: check it against CUE here too", env, variable)
	}
	v, ok := call.Module.Variables[variable]
	if !ok {
		t.Fatalf("modules/platform has no variable %s", variable)
	}
	var got []string
	list, _ := v.Default.([]any)
	for _, s := range list {
		got = append(got, fmt.Sprint(s))
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("modules/platform %s = %v, but the CUE services reading %s are %v", variable, got, envVar, want)
	}
}

// checkBrokersOutput checks that live/<env> outputs msk_bootstrap_brokers and that it
// is the MSK cluster's IAM-over-TLS listener (the only one the msk module opens):
// root output -> module.platform.msk_bootstrap_brokers -> module.msk.bootstrap_brokers_sasl_iam.
func checkBrokersOutput(t *testing.T, p *rootPlan, env string) {
	t.Helper()
	output(t, p, "msk_bootstrap_brokers") // fails the test when the root has no such output
	if p.Plan.Config == nil || p.Plan.Config.RootModule == nil {
		t.Fatalf("plan of live/%s has no configuration", env)
	}
	root := p.Plan.Config.RootModule
	if refs := outputRefs(root, "msk_bootstrap_brokers"); !slices.Contains(refs, "module.platform.msk_bootstrap_brokers") {
		t.Errorf("live/%s output msk_bootstrap_brokers references %v, want module.platform.msk_bootstrap_brokers", env, refs)
	}
	call, ok := root.ModuleCalls["platform"]
	if !ok || call.Module == nil {
		t.Fatalf("live/%s does not call module platform", env)
	}
	if refs := outputRefs(call.Module, "msk_bootstrap_brokers"); !slices.Contains(refs, "module.msk.bootstrap_brokers_sasl_iam") {
		t.Errorf("modules/platform output msk_bootstrap_brokers references %v, want module.msk.bootstrap_brokers_sasl_iam", refs)
	}
}

func outputRefs(m *tfjson.ConfigModule, name string) []string {
	o, ok := m.Outputs[name]
	if !ok || o.Expression == nil {
		return nil
	}
	return o.Expression.References
}

// checkKafkaBrokersFromSecret checks the rendered manifests of one service: every pod
// template sets KAFKA_BROKERS, always from key kafka-brokers of the Secret
// <svc>-connections, and no ConfigMap carries a literal KAFKA_BROKERS.
// isMigrateJob: the pod runs "<service> migrate" only (the chart's PreSync hook).
func isMigrateJob(containers []any) bool {
	if len(containers) != 1 {
		return false
	}
	c, _ := containers[0].(map[string]any)
	args, _ := c["args"].([]any)
	return len(args) == 1 && args[0] == "migrate"
}

func checkKafkaBrokersFromSecret(t *testing.T, path, svc string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read rendered manifests (run `make render`): %v", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	templates := 0
	for i := 0; ; i++ {
		var doc map[string]any
		if err := dec.Decode(&doc); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("%s: document %d: %v", path, i, err)
		}
		kind, _ := doc["kind"].(string)
		if kind == "ConfigMap" {
			data, _ := dig(doc, "data").(map[string]any)
			if v, ok := data["KAFKA_BROKERS"]; ok {
				t.Errorf("%s: ConfigMap sets KAFKA_BROKERS to %q; it must come from the Secret %s-connections", path, v, svc)
			}
		}
		containers, ok := dig(doc, "spec.template.spec.containers").([]any)
		if !ok {
			continue
		}
		if kind == "Job" && isMigrateJob(containers) {
			continue // the migrate hook talks to Postgres only
		}
		templates++
		set := 0
		for _, c := range containers {
			c, _ := c.(map[string]any)
			envs, _ := c["env"].([]any)
			for _, e := range envs {
				e, _ := e.(map[string]any)
				if e["name"] != "KAFKA_BROKERS" {
					continue
				}
				set++
				ref, _ := dig(e, "valueFrom.secretKeyRef").(map[string]any)
				if _, literal := e["value"]; literal || ref["name"] != svc+"-connections" || ref["key"] != "kafka-brokers" {
					t.Errorf("%s: %s container %v: KAFKA_BROKERS is %v, want secretKeyRef {name: %s-connections, key: kafka-brokers}", path, kind, c["name"], e, svc)
				}
			}
		}
		if set == 0 {
			t.Errorf("%s: the %s pod template does not set KAFKA_BROKERS", path, kind)
		}
	}
	if templates == 0 {
		t.Errorf("%s: no pod template", path)
	}
}

var roleARNLine = regexp.MustCompile(`(?m)^\s+roleArn:\s*"?([^"\s]+)"?\s*$`)

func renderedRoleARN(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read rendered values (run `make render`): %v", err)
	}
	m := roleARNLine.FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s: no serviceAccount.roleArn", path)
	}
	return string(m[1])
}

func topicNames(ts []struct{ Name string }) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

func sorted(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	if out == nil {
		return []string{}
	}
	return out
}

// TestPolicyGateAcceptsLivePlans feeds each live root's plan JSON to `platform check`,
// the OPA gate every pull request goes through.
func TestPolicyGateAcceptsLivePlans(t *testing.T) {
	if _, err := os.Stat(filepath.Join(repoRoot, "cmd", "platform", "check.go")); err != nil {
		t.Fatalf("cmd/platform/check.go is missing: the policy gate is part of the contract: %v", err)
	}
	// scripts/test-terraform.sh builds it ahead (PLATFORM_BIN); alone, build it here.
	bin := os.Getenv("PLATFORM_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "platform")
		build := exec.Command("go", "build", "-o", bin, "./cmd/platform")
		build.Dir = repoRoot
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build platform: %v\n%s", err, out)
		}
	}
	for _, env := range append(envs, "shared") {
		t.Run(env, func(t *testing.T) {
			p := planRoot(t, env)
			file := filepath.Join(t.TempDir(), fmt.Sprintf("%s.plan.json", env))
			if err := os.WriteFile(file, p.JSON, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "check", file)
			cmd.Dir = repoRoot
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("platform check %s: %v\n%s", file, err, out)
			}
		})
	}
}

// TestPolicyDataAgreesWithCUESecrets checks that the names the policy gate allows
// (policies/data/platform.json, secrets) are the ones the CUE environments use, so
// that secrets.external_secret_scope passes the rendered ExternalSecrets for the
// right reason and would fail one pointing at another environment.
func TestPolicyDataAgreesWithCUESecrets(t *testing.T) {
	var cueEnvs map[string]struct {
		Secrets struct {
			Store          string `json:"store"`
			Prefix         string `json:"prefix"`
			RDSInstanceARN string `json:"rdsInstanceArn"`
		} `json:"secrets"`
	}
	if err := json.Unmarshal(cueExport(t, "environments"), &cueEnvs); err != nil {
		t.Fatalf("parse CUE environments: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(repoRoot, "policies", "data", "platform.json"))
	if err != nil {
		t.Fatal(err)
	}
	var data struct {
		Platform struct {
			Environments []string `json:"environments"`
			Secrets      struct {
				StoreKind         string `json:"store_kind"`
				StorePrefix       string `json:"store_prefix"`
				PathPrefix        string `json:"path_prefix"`
				RDSInstanceTag    string `json:"rds_instance_tag"`
				RDSInstancePrefix string `json:"rds_instance_prefix"`
			} `json:"secrets"`
		} `json:"platform"`
	}
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatalf("parse policies/data/platform.json: %v", err)
	}
	s := data.Platform.Secrets
	if s.StoreKind != "ClusterSecretStore" || s.RDSInstanceTag != "aws:rds:primaryDBInstanceArn" {
		t.Errorf("policy data store_kind %q, rds_instance_tag %q: the chart renders ClusterSecretStore and RDS tags aws:rds:primaryDBInstanceArn", s.StoreKind, s.RDSInstanceTag)
	}
	if diff := cmp.Diff(sorted(data.Platform.Environments), sorted(mapKeys(cueEnvs))); diff != "" {
		t.Errorf("policy data environments (-policy +cue):\n%s", diff)
	}
	for env, c := range cueEnvs {
		if want := s.StorePrefix + env; c.Secrets.Store != want {
			t.Errorf("%s: CUE secrets.store %q, the policy allows %q", env, c.Secrets.Store, want)
		}
		if want := s.PathPrefix + env; c.Secrets.Prefix != want {
			t.Errorf("%s: CUE secrets.prefix %q, the policy allows keys under %q/", env, c.Secrets.Prefix, want)
		}
		if suffix := ":db:" + s.RDSInstancePrefix + env; !strings.HasSuffix(c.Secrets.RDSInstanceARN, suffix) {
			t.Errorf("%s: CUE secrets.rdsInstanceArn %q, the policy allows instances ending %q", env, c.Secrets.RDSInstanceARN, suffix)
		}
	}
}

func mapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
