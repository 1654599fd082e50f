package telemetry

import (
	"context"
	"fmt"

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
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP exporter %s: %w", endpoint, err)
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	return &Tracing{Provider: tp, Tracer: tp.Tracer("github.com/bloody-sweet/platform/services/" + service)}, nil
}

// Shutdown flushes and stops the provider.
func (t *Tracing) Shutdown(ctx context.Context) error { return t.Provider.Shutdown(ctx) }
