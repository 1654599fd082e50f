package telemetry

import (
	"strings"
	"testing"
)

func TestTracesURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://collector:4318":                    "http://collector:4318/v1/traces",
		"http://collector:4318/":                   "http://collector:4318/v1/traces",
		"https://otel.example.internal/v1/traces":  "https://otel.example.internal/v1/traces",
		"http://collector:4318/custom/path/traces": "http://collector:4318/custom/path/traces",
	} {
		if got, err := tracesURL(in); err != nil || got != want {
			t.Errorf("tracesURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"collector:4318", "grpc://collector:4317", "http://", "::"} {
		if _, err := tracesURL(bad); err == nil || !strings.Contains(err.Error(), "OTEL_EXPORTER_OTLP_ENDPOINT") {
			t.Errorf("tracesURL(%q) = %v, want an error naming OTEL_EXPORTER_OTLP_ENDPOINT", bad, err)
		}
	}
}
