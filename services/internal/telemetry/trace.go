package telemetry

import (
	"context"
	"fmt"
	"net/url"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// Propagator is the W3C trace-context propagator used on Kafka headers.
var Propagator = propagation.TraceContext{}

// Tracing is a service's tracer provider. Without an endpoint spans still get
// ids (so logs carry trace_id and Kafka headers carry traceparent) but are
// not exported.
type Tracing struct {
	Provider *sdktrace.TracerProvider
	Tracer   trace.Tracer
}

// NewTracing builds the provider for service; endpoint is an OTLP/HTTP
// endpoint URL or empty.
func NewTracing(ctx context.Context, service, endpoint string) (*Tracing, error) {
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(service))),
	}
	if endpoint != "" {
		u, err := tracesURL(endpoint)
		if err != nil {
			return nil, err
		}
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u))
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP exporter %s: %w", endpoint, err)
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	return &Tracing{Provider: tp, Tracer: tp.Tracer("github.com/bloody-sweet/platform/services/" + service)}, nil
}

// tracesURL turns OTEL_EXPORTER_OTLP_ENDPOINT into the traces URL. That
// variable names the collector's base URL (http://collector:4318), and the
// OTLP spec appends /v1/traces to it; the exporter's WithEndpointURL uses a
// URL as it is, so a bare base URL would post spans to "/" and lose them.
// A URL that already has a path is kept.
func tracesURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("telemetry: OTEL_EXPORTER_OTLP_ENDPOINT %q: want an http(s)://host:port URL", endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return u.String(), nil
}

// Shutdown flushes and stops the provider.
func (t *Tracing) Shutdown(ctx context.Context) error { return t.Provider.Shutdown(ctx) }
