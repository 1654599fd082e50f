//go:build faults

package faults

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/internal/load"
	"github.com/bloody-sweet/platform/internal/load/scenario"
	"github.com/bloody-sweet/platform/services/devissuer"
)

// BenchmarkPipeline measures the production-shaped pipeline (the six
// services as separate processes on a real Postgres, with fsync, and a
// real Redis, kfake in its own process) side by side with the embedded
// stack (`platform load --embedded`: one process, kfake, SQLite,
// miniredis), alternating the two, each round on fresh stacks. Both are
// loaded by the same `platform load` binary in its own process with the
// same scenarios: a fixed rate (warm-up, then 500 orders/s for 30 s) and a
// capacity step (400, 800, 1,200, 1,600 orders/s, 10 s each). It is a
// benchmark, not a test: it asserts nothing. Run it with -benchtime 1x
// (scripts/bench-pipeline.sh); PIPELINE_ROUNDS sets the rounds (default 2),
// PIPELINE_DURABLE=false turns Postgres's fsync off, PIPELINE_PERF=DIR
// records a perf profile of the service and Postgres processes during the
// fixed-rate run into DIR.
func BenchmarkPipeline(b *testing.B) {
	rounds := 2
	if v := os.Getenv("PIPELINE_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("PIPELINE_ROUNDS=%q: want a positive integer", v)
		}
		rounds = n
	}
	durable := os.Getenv("PIPELINE_DURABLE") != "false"
	dir := b.TempDir()
	fixed := writeScenario(b, dir, newScenario("pipeline-500", 4000, stage("warmup", 5*time.Second, 100), stage("steady", 30*time.Second, 500)))
	capacity := writeScenario(b, dir, newScenario("pipeline-capacity", 8000,
		stage("r400", 10*time.Second, 400), stage("r800", 10*time.Second, 800),
		stage("r1200", 10*time.Second, 1200), stage("r1600", 10*time.Second, 1600)))
	for round := 1; round <= rounds; round++ {
		modes := []string{"processes", "embedded"}
		if round%2 == 0 { // alternate who goes first: the second of a pair runs on a warmer, busier machine
			modes[0], modes[1] = modes[1], modes[0]
		}
		for _, mode := range modes {
			b.Run(fmt.Sprintf("round=%d/stack=%s", round, mode), func(b *testing.B) {
				for range b.N {
					benchStack(b, mode, durable, fixed, capacity)
				}
			})
		}
	}
}

// writeScenario writes sc where `platform load --scenario` reads it.
func writeScenario(b *testing.B, dir string, sc *scenario.Scenario) string {
	b.Helper()
	data, err := json.MarshalIndent(sc, "", "  ")
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, sc.Name+".json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// benchStack runs both scenarios against one fresh stack and prints one
// line per scenario.
func benchStack(b *testing.B, mode string, durable bool, fixed, capacity string) {
	var (
		target []string
		meter  cpuMeter
		pg     *pgStats
		pids   func() []int // the processes PIPELINE_PERF profiles
	)
	ctx := context.Background()
	if mode == "processes" {
		s := startStack(b, stackOptions{durableDB: durable})
		db, err := sql.Open("pgx", s.dbURL)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		pg = &pgStats{db: db}
		pids = func() []int {
			out, err := s.pg.pids()
			if err != nil {
				b.Fatal(err)
			}
			for _, name := range services {
				out = append(out, s.svc[name].cmd.Process.Pid)
			}
			return out
		}
		keyFile := filepath.Join(b.TempDir(), devissuer.KeyFile)
		if err := s.issuer.WriteFile(keyFile); err != nil {
			b.Fatal(err)
		}
		target = []string{"--target", s.orderURL(), "--notifications", s.notificationURL(), "--dev-issuer-key", keyFile}
		meter = cpuMeter{"postgres": s.pg.cpu, "redis": pidCPU(&s.redis.process), "kafka": pidCPU(&s.broker.process)}
		for _, name := range services {
			meter[name] = pidCPU(&s.svc[name].process)
		}
	} else {
		target = []string{"--embedded"}
	}
	for _, sc := range []string{fixed, capacity} {
		if pg != nil {
			if err := pg.reset(ctx); err != nil {
				b.Fatal(err)
			}
		}
		var stopPerf func()
		if dir := os.Getenv("PIPELINE_PERF"); dir != "" && pids != nil && sc == fixed {
			stopPerf = startPerf(b, filepath.Join(dir, fmt.Sprintf("perf-%s.data", b.Name()[strings.LastIndexByte(b.Name(), '/')+1:])), pids())
		}
		before := meter.sample()
		sum, loadCPU := runLoad(b, sc, target)
		after := meter.sample()
		if stopPerf != nil {
			stopPerf()
		}
		if pg != nil {
			line, err := pg.report(ctx, sum.Pipeline.Total.Delivered+sum.Pipeline.Total.Cancelled)
			if err != nil {
				b.Fatal(err)
			}
			fmt.Println(line)
		}
		cpu := map[string]time.Duration{"platform load": loadCPU}
		for name, d := range after {
			cpu[name] = d - before[name]
		}
		line := describe(mode, sum, cpu)
		fmt.Println(line)
		if sc == fixed {
			steady := sum.Pipeline.Stages[1]
			b.ReportMetric(steady.EndToEnd.P50, "p50-ms@500/s")
			b.ReportMetric(steady.EndToEnd.P99, "p99-ms@500/s")
		} else {
			rates := finishedPerStage(sum)
			b.ReportMetric(maxOf(rates), "max-finished-orders/s")
		}
	}
}

// runLoad runs `platform load` on the scenario file sc and returns its summary and
// the CPU time of the load process (for --embedded: the whole stack).
func runLoad(b *testing.B, sc string, target []string) (*load.Summary, time.Duration) {
	b.Helper()
	out := filepath.Join(b.TempDir(), "results")
	args := append([]string{"load", "--scenario", sc, "--raw=false", "--out", out}, target...)
	cmd := exec.Command(filepath.Join(binDir, "platform"), args...)
	var progress strings.Builder
	cmd.Stdout, cmd.Stderr = &progress, &progress
	// Exit 1 (a threshold missed) is a result here, not an error.
	if err := cmd.Run(); err != nil && cmd.ProcessState.ExitCode() != 1 {
		b.Fatalf("platform %s: %v\n%s", strings.Join(args, " "), err, progress.String())
	}
	data, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		b.Fatalf("platform load wrote no summary: %v\n%s", err, progress.String())
	}
	var s load.Summary
	if err := json.Unmarshal(data, &s); err != nil || s.Pipeline == nil {
		b.Fatalf("summary.json: %v", err)
	}
	return &s, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// finishedPerStage is, per stage, the orders that reached DELIVERED or
// CANCELLED per second of the stage's window, whenever they were sent (as
// `platform load`'s comparison counts "finished"): when the pipeline falls
// behind it finishes fewer than offered.
func finishedPerStage(s *load.Summary) []float64 {
	var out []float64
	from := 0
	for _, st := range s.Scenario.Stages {
		to := from + int(st.Duration.Seconds())
		n := 0
		for _, p := range s.Pipeline.Series {
			if p.Second >= from && p.Second < to {
				n += p.Completed
			}
		}
		out = append(out, float64(n)/st.Duration.Seconds())
		from = to
	}
	return out
}

func maxOf(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// describe is one result line: per stage offered and finished rates and
// placed -> terminal percentiles, then CPU per finished order by part.
func describe(mode string, s *load.Summary, cpu map[string]time.Duration) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %s:", s.Scenario.Name, mode)
	finished := finishedPerStage(s)
	for i, st := range s.Pipeline.Stages {
		fmt.Fprintf(&sb, " [%s offered %.0f/s ok %d err %d finished %.0f/s p50 %.1fms p99 %.1fms undelivered %d]",
			st.Name, st.Rate, st.OK, st.Errors, finished[i], st.EndToEnd.P50, st.EndToEnd.P99, st.Undelivered)
	}
	t := s.Pipeline.Total
	done := t.Delivered + t.Cancelled
	if done == 0 {
		return sb.String()
	}
	var names []string
	var total time.Duration
	for name, d := range cpu {
		names = append(names, name)
		total += d
	}
	sort.Strings(names)
	fmt.Fprintf(&sb, " cpu-us/order %.0f (", float64(total.Microseconds())/float64(done))
	for i, name := range names {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "%s %.0f", name, float64(cpu[name].Microseconds())/float64(done))
	}
	sb.WriteString(")")
	return sb.String()
}

// startPerf records a CPU profile with call graphs (perf record) of the
// given processes until the returned function is called:
// `perf report -i FILE --sort comm,dso,symbol` shows where the time goes.
func startPerf(b *testing.B, file string, pids []int) func() {
	b.Helper()
	var list []string
	for _, p := range pids {
		list = append(list, strconv.Itoa(p))
	}
	cmd := exec.Command("perf", "record", "-F", "199", "-g", "-o", file, "-p", strings.Join(list, ","))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		b.Fatalf("perf record: %v", err)
	}
	return func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		_ = cmd.Wait() // it ends by the SIGINT: an error says nothing here
		if _, err := os.Stat(file); err != nil {
			b.Fatalf("perf record wrote nothing: %v\n%s", err, out.String())
		}
		fmt.Println("perf profile:", file)
	}
}
