package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bloody-sweet/platform/internal/cliexit"
)

// TestETAEvalThenTrain: eval prints the JSON keys the issue names, writes
// the chart and the simulated log, and train reads that log back into a
// saved model version; bad input exits 2 naming the flag or the line.
func TestETAEvalThenTrain(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	png, logPath, models := filepath.Join(dir, "eval.png"), filepath.Join(dir, "events.jsonl"), filepath.Join(dir, "models")
	out, code := runRoot(t, "eta", "eval", "--seed", "3", "--days", "3", "--format", "json", "--png", png, "--events-out", logPath)
	if code != 0 {
		t.Fatalf("eta eval: exit %d\n%s", code, out)
	}
	var r map[string]map[string]any
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("eta eval --format json: %v\n%s", err, out)
	}
	for _, k := range []string{"model", "baselines", "oracle"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("no %q in %s", k, out)
		}
	}
	if err := json.Unmarshal(raw["baselines"], &r); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"global_median", "store_median"} {
		for _, k := range []string{"mae_s", "p90_abs_err_s", "coverage"} {
			if _, ok := r[b][k]; !ok {
				t.Errorf("baselines.%s has no %s", b, k)
			}
		}
	}
	if b, err := os.ReadFile(png); err != nil || !strings.HasPrefix(string(b), "\x89PNG") {
		t.Errorf("chart: %v", err)
	}
	out, code = runRoot(t, "eta", "train", "--from", logPath, "--seed", "3", "--models", models)
	if code != 0 || !strings.Contains(out, "trained on") {
		t.Fatalf("eta train: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(models, "CURRENT")); err != nil {
		t.Errorf("no current model after train: %v", err)
	}

	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{\"not\":\"an event\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"eta", "eval", "--format", "yaml"},
		{"eta", "eval", "--days", "1"},
		{"eta", "train"},
		{"eta", "train", "--from", filepath.Join(dir, "missing")},
		{"eta", "train", "--from", bad},
		{"eta", "train", "--from", logPath, "--scale", "0"},
	} {
		out, code := runRoot(t, args...)
		if code != cliexit.BadInput {
			t.Errorf("%v: exit %d, want %d\n%s", args, code, cliexit.BadInput, out)
		}
	}
	root := newRootCmd()
	root.SetArgs([]string{"eta", "train", "--from", bad})
	root.SetOut(&strings.Builder{})
	if err := root.Execute(); err == nil || !strings.Contains(err.Error(), "bad.jsonl:1") {
		t.Errorf("a bad log line is not named: %v", err)
	}
}
