package test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"gopkg.in/yaml.v3"
)

// Values of the properties Terraform writes (modules/connection-secrets), shaped as
// AWS returns them, and a master secret as RDS generates it but with every
// character a URL's user info must escape.
var (
	sampleFacts = map[string]string{
		"kafka_brokers": "b-1.bloodysweet.abc123.c2.kafka.eu-west-1.amazonaws.com:9098,b-2.bloodysweet.abc123.c2.kafka.eu-west-1.amazonaws.com:9098",
		"redis_host":    "master.bloody-sweet-dev.abc123.euw1.cache.amazonaws.com",
		"redis_port":    "6379",
		"redis_user":    "app_user",
		"db_host":       "bloody-sweet-dev.abc123.eu-west-1.rds.amazonaws.com",
		"db_port":       "5432",
		"db_name":       "orders",
		// the notification service's token issuer (its SSE streams bypass API Gateway)
		"auth_issuer":    "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
		"auth_audiences": "1example23456789abcdefghij,2example23456789abcdefghij",
		"auth_jwks_url":  "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123/.well-known/jwks.json",
	}
	sampleUser       = "platform_admin"
	samplePassword   = `p@ss w:rd/+%?#&=[]'$`
	sampleMasterName = "rds!db-3f2c1a9e-8b7d-4c6e-9a1b-2d3e4f5a6b7c"
)

// TestExternalSecretTemplatesCompose evaluates the target templates of every
// rendered ExternalSecret the way the External Secrets Operator does (Go
// text/template with missingkey=error and the sprig functions, on the data its
// remoteRefs and dataFrom rewrites produce) and checks that the composed values are
// what the services parse: the brokers as written, a rediss:// URL and, in
// <service>-connections, a postgres:// URL for the service's own user without a
// password (RDS IAM auth), in <service>-db-admin (the migrate hook's) one whose user
// and password decode to the master secret's.
func TestExternalSecretTemplatesCompose(t *testing.T) {
	funcs := sprig.TxtFuncMap()
	// as the operator: no access to its own environment
	delete(funcs, "env")
	delete(funcs, "expandenv")
	master, err := json.Marshal(map[string]string{"username": sampleUser, "password": samplePassword})
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range envs {
		files, err := filepath.Glob(filepath.Join(repoRoot, "environments", env, "*", "manifests.gen.yaml"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no rendered manifests for %s (run `make render`): %v", env, err)
		}
		for _, path := range files {
			for _, es := range externalSecrets(t, path) {
				data := map[string]string{}
				for _, d := range es.Spec.Data {
					v, ok := sampleFacts[d.RemoteRef.Property]
					if !ok {
						t.Fatalf("%s: property %q has no sample value here", path, d.RemoteRef.Property)
					}
					data[d.SecretKey] = v
				}
				for _, f := range es.Spec.DataFrom {
					key := sampleMasterName
					for _, r := range f.Rewrite {
						re, err := regexp.Compile(r.Regexp.Source)
						if err != nil {
							t.Fatalf("%s: rewrite %q: %v", path, r.Regexp.Source, err)
						}
						key = re.ReplaceAllString(key, r.Regexp.Target)
					}
					data[key] = string(master)
				}
				got := map[string]string{}
				for key, text := range es.Spec.Target.Template.Data {
					tpl, err := template.New(key).Option("missingkey=error").Funcs(funcs).Parse(text)
					if err != nil {
						t.Fatalf("%s: template %s: %v", path, key, err)
					}
					var out bytes.Buffer
					if err := tpl.Execute(&out, data); err != nil {
						t.Fatalf("%s: template %s: %v", path, key, err)
					}
					got[key] = out.String()
				}
				checkComposed(t, path, es.Spec.Target.Name, got)
			}
		}
	}
}

func checkComposed(t *testing.T, path, secret string, got map[string]string) {
	t.Helper()
	service, admin := strings.CutSuffix(secret, "-db-admin")
	if !admin {
		service = strings.TrimSuffix(secret, "-connections")
	}
	if v, ok := got["kafka-brokers"]; ok && v != sampleFacts["kafka_brokers"] {
		t.Errorf("%s: kafka-brokers = %q, want %q", path, v, sampleFacts["kafka_brokers"])
	}
	if v, ok := got["redis-url"]; ok {
		u, err := url.Parse(v)
		if err != nil || u.Scheme != "rediss" || u.User.Username() != "app_user" || u.Host != sampleFacts["redis_host"]+":6379" {
			t.Errorf("%s: redis-url = %q (%v), want rediss://app_user@<primary>:6379", path, v, err)
		} else if _, set := u.User.Password(); set {
			t.Errorf("%s: redis-url carries a password; the user authenticates with IAM", path)
		}
	}
	if v, ok := got["database-url"]; ok {
		u, err := url.Parse(v)
		if err != nil {
			t.Fatalf("%s: database-url does not parse: %v", path, err)
		}
		pw, hasPW := u.User.Password()
		wantUser, wantPW, who := service+"_svc", "", "the service's own user without a password (IAM auth)"
		if admin {
			wantUser, wantPW, who = sampleUser, samplePassword, "the master credentials"
		}
		if u.Scheme != "postgres" || u.User.Username() != wantUser || pw != wantPW || hasPW != admin ||
			u.Host != sampleFacts["db_host"]+":5432" || u.Path != "/orders" || u.Query().Get("sslmode") != "require" {
			t.Errorf("%s: %s database-url = %q decodes to user %q password %q host %q path %q; want %s at <db_host>:5432/orders?sslmode=require",
				path, secret, v, u.User.Username(), pw, u.Host, u.Path, who)
		}
	}
	if len(got) == 0 {
		t.Errorf("%s: ExternalSecret composes no keys", path)
	}
}

type renderedExternalSecret struct {
	Kind string
	Spec struct {
		Target struct {
			Name     string
			Template struct {
				Data map[string]string
			}
		}
		Data []struct {
			SecretKey string                    `yaml:"secretKey"`
			RemoteRef struct{ Property string } `yaml:"remoteRef"`
		}
		DataFrom []struct {
			Rewrite []struct {
				Regexp struct{ Source, Target string }
			}
		} `yaml:"dataFrom"`
	}
}

func externalSecrets(t *testing.T, path string) []renderedExternalSecret {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []renderedExternalSecret
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for i := 0; ; i++ {
		var doc renderedExternalSecret
		if err := dec.Decode(&doc); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("%s: document %d: %v", path, i, err)
		}
		if doc.Kind == "ExternalSecret" {
			out = append(out, doc)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no ExternalSecret", path)
	}
	return out
}
