// Package harness runs a whole `platform load`: the scenario against the
// order pipeline, then the same schedule through the raw kafka-go chain as
// the baseline, then the thresholds and the results folder. The CLI only
// parses flags and, for --embedded, starts the local stack.
package harness

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bloody-sweet/platform/internal/load"
	"github.com/bloody-sweet/platform/internal/load/rawkafka"
	"github.com/bloody-sweet/platform/internal/load/report"
	"github.com/bloody-sweet/platform/internal/load/scenario"
	"github.com/bloody-sweet/platform/services/devissuer"
)

// Config says what to load and where.
type Config struct {
	Scenario *scenario.Scenario
	// OrderURL and NotificationURL are the base URLs of the order API and
	// the status stream. Empty OrderURL skips the pipeline run (raw only).
	OrderURL        string
	NotificationURL string
	// TargetName labels the pipeline in reports ("embedded", a URL).
	TargetName string
	// Brokers for the raw baseline; empty runs it on an in-process broker.
	Brokers []string
	// BrokersName labels where the raw baseline ran.
	BrokersName string
	// Raw runs the kafka-go baseline after the pipeline run.
	Raw bool
	// OutDir is the results folder.
	OutDir string
	// Progress receives the per-second progress lines and stage notes.
	Progress io.Writer
	// OAuth, when enabled, puts the identity provider's bearer token on
	// every request to the target (a deployed environment's edge).
	OAuth load.OAuth
	// Issuer, when set (the embedded stack's local issuer), mints each
	// order's customer token and an operator's token for the stream.
	Issuer *devissuer.Signer
}

// Run executes the configured runs, writes the results folder and returns
// the summary. Thresholds failing is not an error here; the caller decides
// the exit code from Summary.Passed.
func Run(ctx context.Context, cfg Config) (*load.Summary, error) {
	sc := cfg.Scenario
	runID := time.Now().UTC().Format("20060102t150405")
	mix := load.NewMix(sc)
	var pipeline, raw *load.Result
	var rawNote string

	if cfg.OrderURL != "" {
		fmt.Fprintf(cfg.Progress, "pipeline: %d orders over %s against %s\n", sc.PlannedOrders(), sc.TotalDuration(), cfg.TargetName)
		res, err := runPipeline(ctx, cfg, mix, runID)
		if err != nil {
			return nil, err
		}
		pipeline = res
	}
	if cfg.Raw {
		res, note, err := runRaw(ctx, cfg, mix, runID)
		if err != nil {
			return nil, err
		}
		raw, rawNote = res, note
	} else {
		rawNote = "not run (--raw=false)"
	}
	s := load.NewSummary(sc, pipeline, raw, rawNote)
	if err := report.Write(cfg.OutDir, s); err != nil {
		return nil, err
	}
	return s, nil
}

func runPipeline(ctx context.Context, cfg Config, mix *load.Mix, runID string) (*load.Result, error) {
	client := load.NewHTTPClient(cfg.Scenario.MaxInFlight)
	streamClient := client
	var tokens *load.TokenCache
	switch {
	case cfg.OAuth.Enabled():
		var err error
		if client, err = cfg.OAuth.Authorize(ctx, client); err != nil {
			return nil, fmt.Errorf("pipeline run: %w", err)
		}
		streamClient = client
	case cfg.Issuer != nil:
		tokens = &load.TokenCache{Mint: func(c string) (string, error) { return cfg.Issuer.Token(c) }}
		var err error
		if streamClient, err = cfg.Issuer.Authorize(client, "load-operator", devissuer.StreamAllScope); err != nil {
			return nil, fmt.Errorf("pipeline run: %w", err)
		}
	}
	p := load.Pipeline{OrderURL: cfg.OrderURL, NotificationURL: cfg.NotificationURL, Client: client, StreamClient: streamClient, Tokens: tokens}
	res, err := p.Run(ctx, cfg.Scenario, mix, runID, load.Options{Mode: "pipeline", Target: cfg.TargetName, Progress: cfg.Progress})
	if err != nil {
		return nil, fmt.Errorf("pipeline run: %w", err)
	}
	return res, nil
}

func runRaw(ctx context.Context, cfg Config, mix *load.Mix, runID string) (*load.Result, string, error) {
	brokers, where := cfg.Brokers, cfg.BrokersName
	if len(brokers) == 0 {
		local, err := rawkafka.LocalBroker()
		if err != nil {
			return nil, "", err
		}
		defer local.Close()
		brokers, where = local.ListenAddrs(), "in-process kfake broker"
	}
	note := fmt.Sprintf("kafka-go through %d topic hops on %s", rawkafka.Hops, where)
	fmt.Fprintf(cfg.Progress, "raw baseline: same schedule, %s\n", note)
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	chain, err := rawkafka.Start(startCtx, brokers, runID, mix)
	if err != nil {
		return nil, "", err
	}
	res, runErr := load.Run(ctx, cfg.Scenario, chain, load.Options{
		Mode: "raw", Target: where, Progress: cfg.Progress, Completions: chain.Completions(),
	})
	closeCtx, cancelClose := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelClose()
	if err := chain.Close(closeCtx); err != nil && runErr == nil {
		// A relay error means the baseline is not trustworthy: say so.
		note += "; relay error: " + strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	if runErr != nil {
		return nil, "", fmt.Errorf("raw baseline run: %w", runErr)
	}
	return res, note, nil
}
