// Command otelcol is an OpenTelemetry collector with exactly the components
// the log collector's rendered configuration uses (the add-on
// opentelemetry-collector-logs in cue/config/addons.cue): the tests run the
// real configuration on it (tests/observability), so a component the model
// names that this binary lacks, or a setting a component refuses, fails
// there instead of in a cluster. scripts/build-otelcol.sh builds and caches
// it. The cluster runs the contrib image, which has these components and
// more; versions here are one release of core and contrib (v0.148.0, core's
// stable modules v1.54.0).
package main

import (
	"encoding/json"
	"log"
	"slices"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/resourceprocessor"
	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/filelogreceiver"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"

	"github.com/spf13/cobra"
)

func components() (otelcol.Factories, error) {
	var f otelcol.Factories
	var err error
	if f.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](
		filelogreceiver.NewFactory(),
	); err != nil {
		return f, err
	}
	if f.Processors, err = otelcol.MakeFactoryMap[processor.Factory](
		memorylimiterprocessor.NewFactory(),
		resourceprocessor.NewFactory(),
		batchprocessor.NewFactory(),
	); err != nil {
		return f, err
	}
	if f.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](
		otlphttpexporter.NewFactory(),
	); err != nil {
		return f, err
	}
	// the collector's own logs and metrics (service.telemetry).
	f.Telemetry = otelconftelemetry.NewFactory()
	f.Extensions, err = otelcol.MakeFactoryMap[extension.Factory](
		healthcheckextension.NewFactory(),
		filestorage.NewFactory(),
	)
	return f, err
}

func main() {
	info := component.BuildInfo{
		Command:     "otelcol",
		Description: "bloody-sweet log collector (test build)",
		Version:     "0.148.0",
	}
	cmd := otelcol.NewCommand(otelcol.CollectorSettings{
		BuildInfo: info,
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{
					fileprovider.NewFactory(),
					envprovider.NewFactory(),
				},
			},
		},
	})
	cmd.AddCommand(typesCommand())
	if err := cmd.Execute(); err != nil {
		log.Fatal(err)
	}
}

// typesCommand prints the component types this build has, per kind, and
// the deprecated aliases it accepts for them, as JSON: what
// tests/observability compares with the rendered config. The collector's
// own `components` command cannot serve: at this release it leaves out every
// factory that has a deprecated alias (otlp_http, alias otlphttp).
func typesCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "types",
		Short: "Print the component types of this build and their deprecated aliases (JSON)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := components()
			if err != nil {
				return err
			}
			aliases := map[string]string{}
			out := map[string]any{
				"receivers":  typeNames(f.Receivers, aliases),
				"processors": typeNames(f.Processors, aliases),
				"exporters":  typeNames(f.Exporters, aliases),
				"connectors": typeNames(f.Connectors, aliases),
				"extensions": typeNames(f.Extensions, aliases),
				"aliases":    aliases,
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		},
	}
}

// typeNames are the types of a factory map; a key that is not its
// factory's own type is a deprecated alias, recorded in aliases.
func typeNames[T component.Factory](m map[component.Type]T, aliases map[string]string) []string {
	names := []string{}
	for key, f := range m {
		if key != f.Type() {
			aliases[key.String()] = f.Type().String()
			continue
		}
		names = append(names, key.String())
	}
	slices.Sort(names)
	return names
}
