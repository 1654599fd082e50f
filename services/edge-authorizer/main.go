// Command edge-authorizer is the Lambda REQUEST authorizer of the API Gateway HTTP
// API (terraform/modules/api-gateway): it admits a request only when it came through
// CloudFront (X-Origin-Verify) and carries a valid bearer JWT. The engine is
// services/edge-authorizer/edgeauth (the token rules: services/authtoken); this is the wiring. Built for the provided.al2023 runtime on
// arm64 as a binary named bootstrap (.github/workflows/release.yml).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/bloody-sweet/platform/services/edge-authorizer/edgeauth"
)

func main() {
	a, err := setup(context.Background(), os.Getenv)
	if err != nil {
		// At cold start, before any request: the function's init fails with this
		// message in its log instead of refusing every request.
		fmt.Fprintln(os.Stderr, "edge-authorizer:", err)
		os.Exit(1)
	}
	lambda.Start(a.Handle)
}

func setup(ctx context.Context, getenv func(string) string) (*edgeauth.Authorizer, error) {
	cfg, err := edgeauth.LoadConfig(getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	client := &http.Client{Timeout: 5 * time.Second}
	return edgeauth.New(cfg, secretsmanager.NewFromConfig(awsCfg), client, log), nil
}
