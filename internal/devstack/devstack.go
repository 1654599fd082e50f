// Package devstack is the local platform the CLI runs: the five order
// services in one process on embedded defaults (kfake, in-memory SQLite,
// miniredis), or on real brokers / Postgres / Redis when the Config names
// them. `platform demo`, `platform dev` and `platform load --embedded` use
// it. The wiring lives in services/stack (it needs services/internal); this
// package is the stable API of docs/CONTRACTS.md.
package devstack

import (
	"context"

	"github.com/bloody-sweet/platform/services/stack"
)

// Config says which parts to run; the zero value is fully embedded. Fields:
// Brokers, DatabaseURL, RedisURL (empty = embedded), DataDir (keep embedded
// state across restarts), Sim (simulator rates and latencies), Host and
// BasePort (HTTP ports; 0 = free ports), LogWriter and LogLevel.
type Config = stack.Config

// Admission is the order API's admission control: new orders are refused
// 503 while MaxInFlight orders are in flight (0: never).
type Admission = stack.Admission

// AdmissionDefaults is the order API's admission control unless configured.
func AdmissionDefaults() Admission { return stack.AdmissionDefaults() }

// Stack is a running local platform: OrderURL, NotificationURL, Brokers,
// URLs (every service), Issuer (the local identity provider the order API
// and the streams verify tokens of: Issuer.Token, Issuer.Client) and
// Close(ctx).
type Stack = stack.Stack

// Start runs the stack and returns once every service is serving.
func Start(ctx context.Context, cfg Config) (*Stack, error) { return stack.Start(ctx, cfg) }

// Broker is a standalone embedded Kafka broker.
type Broker interface {
	Addrs() []string
	Close()
}

// StartBroker starts the embedded broker with the platform topics on port
// (0: a free port), persisting to dataDir when it is not empty.
func StartBroker(port int, dataDir string) (Broker, error) { return stack.StartBroker(port, dataDir) }
