package render

import (
	"bytes"
	"fmt"
	"path"
	"path/filepath"

	"cuelang.org/go/cue"
	"sigs.k8s.io/yaml"

	"github.com/bloody-sweet/platform/internal/cliexit"
	"github.com/bloody-sweet/platform/internal/dashboards"
)

// DashboardsFile (under environments/<env>/_platform) holds one ConfigMap
// per Grafana dashboard: the <env>-platform Application syncs it, and
// kube-prometheus-stack's Grafana sidecar loads every ConfigMap labelled
// grafana_dashboard=1 in its namespace into the folder named by the
// grafana_folder annotation.
const DashboardsFile = "dashboards.gen.yaml"

// dashboardFolder is the Grafana folder of the platform's dashboards.
const dashboardFolder = "bloody-sweet"

// renderDashboards builds the environment's dashboards from the services'
// #DashboardModel, checks every panel query against the metric catalog
// (a query on an unknown metric or label is bad input, named by dashboard
// and panel) and writes them as ConfigMaps.
func renderDashboards(root string, kinds cue.Value, env, namespace string, models []dashboards.Service, res *Result) error {
	cat, err := dashboards.LoadCatalog(filepath.Join(root, CatalogDir))
	if err != nil {
		return fmt.Errorf("metric catalog: %w", err)
	}
	ds, err := dashboards.Build(env, models[0].Namespace, models)
	if err != nil {
		return err
	}
	if err := dashboards.Check(ds, models, cat); err != nil {
		return cliexit.BadInputf("%s: dashboards of %s: %v", CUEDir, env, err)
	}
	var buf bytes.Buffer
	buf.WriteString(headerCUE)
	for _, d := range ds {
		cm := map[string]any{
			"apiVersion": "v1",
			"kind":       "ConfigMap",
			"metadata": map[string]any{
				"name":      d.UID,
				"namespace": namespace,
				"labels": map[string]string{
					"grafana_dashboard":           "1",
					"app.kubernetes.io/part-of":   "bloody-sweet",
					"bloody-sweet.io/environment": env,
				},
				"annotations": map[string]string{"grafana_folder": dashboardFolder},
			},
			"data": map[string]string{d.UID + ".json": string(d.JSON)},
		}
		b, err := yaml.Marshal(cm)
		if err != nil {
			return fmt.Errorf("encode dashboard %s: %w", d.UID, err)
		}
		buf.WriteString("---\n")
		buf.Write(b)
	}
	p := path.Join(EnvironmentsDir, env, PlatformDir, DashboardsFile)
	res.Files[p] = buf.Bytes()
	return checkManifests(root, kinds, p, res.Files[p])
}
