//go:build faults

// Package faults is the fault suite under load (make test-faults): the six
// services run as separate processes, built once with go build, on a real
// Postgres 15, a real Redis 7 and the embedded Kafka broker in its own
// process with a data dir. While the load harness (internal/load) places
// orders at a steady rate, each case injects one fault, then waits until
// every accepted order is terminal and checks that none was lost, none was
// charged or refunded twice, every revision was decided once, every order
// got a delivery-time prediction and no valid event was dead-lettered. The same stack is the
// production-shaped side of BenchmarkPipeline.
package faults

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for the checks

	"github.com/bloody-sweet/platform/services/devissuer"
)

// services are the six service binaries, in start order (producers of a
// topic before its consumers does not matter: every group starts from the
// first offset).
var services = []string{"order", "payment", "store", "delivery", "notification", "eta"}

// binDir holds the binaries TestMain built: the six services and platform.
// modelDir holds the eta model they load, trained by `platform eta eval`
// on simulated days as an operator trains one (a folder of versions, as
// in a cluster, not the embedded model trained at start).
var binDir, modelDir string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "faults-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, s := range services {
		args = append(args, "./services/"+s)
	}
	args = append(args, "./cmd/platform")
	cmd := exec.Command("go", args...)
	cmd.Dir = filepath.Join("..", "..") // the module root
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		return 1
	}
	binDir = dir
	modelDir = filepath.Join(dir, "eta-models")
	train := exec.Command(filepath.Join(dir, "platform"), "eta", "eval", "--days", "2", "--png", "", "--models", modelDir)
	if out, err := train.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "platform eta eval: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// stack is the production-shaped platform: six service processes, a
// Postgres and a Redis server, a broker process.
type stack struct {
	dir    string
	pg     *postgres
	redis  *redisServer
	broker *broker
	issuer *devissuer.Issuer
	caFile string
	dbURL  string
	svc    map[string]*service
	opts   stackOptions
}

type stackOptions struct {
	// durableDB keeps Postgres's fsync and synchronous_commit on.
	durableDB bool
	// extraEnv is added to every service's environment (SIM_* knobs).
	extraEnv []string
}

func startStack(tb testing.TB, o stackOptions) *stack {
	tb.Helper()
	dir := tb.TempDir()
	s := &stack{dir: dir, svc: map[string]*service{}, opts: o}
	s.pg = startPostgres(tb, o.durableDB)
	db, err := sql.Open("pgx", s.pg.url("postgres"))
	if err != nil {
		tb.Fatal(err)
	}
	_, err = db.Exec("CREATE DATABASE platform")
	db.Close()
	if err != nil {
		tb.Fatalf("create database: %v", err)
	}
	s.dbURL = s.pg.url("platform")
	s.redis = startRedis(tb, dir)
	s.broker = startBroker(tb, filepath.Join(binDir, "platform"), dir)
	// The order API and the streams verify tokens as in a cluster, against a
	// local issuer whose certificate the service processes trust.
	is, err := devissuer.Start("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = is.Close() })
	s.issuer, s.caFile = is, filepath.Join(dir, "issuer-ca.pem")
	if err := os.WriteFile(s.caFile, is.CertificatePEM(), 0o600); err != nil {
		tb.Fatal(err)
	}
	for _, name := range services {
		sv := &service{port: freePort(tb), metricsPort: freePort(tb)}
		sv.process = process{name: name, logPath: filepath.Join(dir, name+".log"),
			args: []string{filepath.Join(binDir, name)}, env: s.serviceEnv(name, sv)}
		s.svc[name] = sv
		sv.up(tb)
		tb.Cleanup(func() { sv.signal(tb, syscall.SIGTERM) })
	}
	// On failure the services' logs are where the story is.
	tb.Cleanup(func() {
		if tb.Failed() {
			for _, name := range services {
				tb.Logf("--- %s log (tail):\n%s", name, s.svc[name].logTail())
			}
		}
	})
	return s
}

// serviceEnv is the whole configuration of a service process, in one place
// (docs/CONTRACTS.md, "Service runtime"): real Kafka, Postgres and Redis,
// never an embedded default. Every service shares one database, each
// with its own table prefix, as on the dev stack.
func (s *stack) serviceEnv(name string, sv *service) []string {
	env := s.opts.extraEnv
	if name == "eta" {
		env = append([]string{"ETA_MODEL_DIR=" + modelDir}, env...)
	}
	return append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"SERVICE_NAME=" + name,
		"HTTP_ADDR=127.0.0.1:" + strconv.Itoa(sv.port),
		"METRICS_ADDR=127.0.0.1:" + strconv.Itoa(sv.metricsPort),
		"AUTH_REQUIRED=true",
		"AUTH_ISSUER=" + s.issuer.Issuer,
		"AUTH_AUDIENCES=" + devissuer.Audience,
		"SSL_CERT_FILE=" + s.caFile,
		"KAFKA_BROKERS=" + s.broker.addr(),
		"DATABASE_URL=" + s.dbURL,
		"REDIS_URL=redis://" + s.redis.addr(),
		"LOG_LEVEL=info",
		"SHUTDOWN_DELAY=0s",
	}, env...)
}

func (s *stack) orderURL() string        { return s.svc["order"].url() }
func (s *stack) notificationURL() string { return s.svc["notification"].url() }
