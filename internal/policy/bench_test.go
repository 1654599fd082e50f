package policy

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time so far. The machine is
// shared, so besides wall time (ns/op) the benchmarks report CPU time per
// document, which other processes do not inflate.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchFiles is the benchmark corpus, the same files
// scripts/bench-policy-conftest.sh gives conftest: the rendered
// environments and apps, plus the policies' sample Terraform plans.
func benchFiles(b *testing.B) []string {
	b.Helper()
	files, err := RepoTargets(repoRoot)
	if err != nil {
		b.Fatal(err)
	}
	if len(files) == 0 {
		b.Fatal("no rendered environments: run platform render")
	}
	plans, err := filepath.Glob(filepath.Join(policiesDir, "terraform", "*", "testdata", "*.json"))
	if err != nil {
		b.Fatal(err)
	}
	return append(files, plans...)
}

// BenchmarkCheck measures the gate on the corpus, excluding policy
// compilation (done once at start-up): parse every file, evaluate document
// policies in parallel and combined policies once. ns/doc is the figure the
// target (<= 1 ms per document) is about.
func BenchmarkCheck(b *testing.B) {
	e := loadTestEngine(b)
	files := benchFiles(b)
	ctx := context.Background()
	var docs int
	b.ResetTimer()
	cpu := cpuTime(b)
	for b.Loop() {
		rep, err := e.CheckFiles(ctx, CheckInput{Files: files})
		if err != nil {
			b.Fatal(err)
		}
		docs = len(rep.Documents)
	}
	cpu = cpuTime(b) - cpu
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*docs), "ns/doc")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*docs), "cpu-ns/doc")
	b.ReportMetric(float64(docs), "docs")
}

// BenchmarkEvaluate isolates policy evaluation: documents already parsed.
func BenchmarkEvaluate(b *testing.B) {
	e := loadTestEngine(b)
	var docs []*Document
	for _, f := range benchFiles(b) {
		d, err := ParseFile(f)
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, d...)
	}
	ctx := context.Background()
	for _, stage := range []struct {
		name string
		run  func(context.Context, []*Document) ([]Finding, error)
	}{{"all", e.Check}, {"documents", e.checkDocuments}, {"combined", e.checkCombined}} {
		b.Run(stage.name, func(b *testing.B) {
			cpu := cpuTime(b)
			for b.Loop() {
				if _, err := stage.run(ctx, docs); err != nil {
					b.Fatal(err)
				}
			}
			cpu = cpuTime(b) - cpu
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(docs)), "ns/doc")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*len(docs)), "cpu-ns/doc")
		})
	}
}

// BenchmarkLoad is the one-off start-up cost: parse, compile, prepare.
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		if _, err := Load(ctx, Options{Dir: policiesDir}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse is reading the corpus into documents.
func BenchmarkParse(b *testing.B) {
	files := benchFiles(b)
	var docs int
	cpu := cpuTime(b)
	for b.Loop() {
		docs = 0
		for _, f := range files {
			d, err := ParseFile(f)
			if err != nil {
				b.Fatal(err)
			}
			docs += len(d)
		}
	}
	cpu = cpuTime(b) - cpu
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*docs), "ns/doc")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*docs), "cpu-ns/doc")
}
