package svc

import (
	"context"
	"errors"
	"fmt"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/bloody-sweet/platform/services/internal/awscfg"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/redisauth"
)

// openRedis connects to REDIS_URL ("embedded": a miniredis in this process,
// for demo and tests) and pings it. An empty REDIS_URL is an error: a pod
// must not fan out through a private Redis no other replica sees.
func (s *Service) openRedis(ctx context.Context, cfg config.Common, aws *awscfg.Lazy) (*redis.Client, error) {
	url := cfg.RedisURL
	switch url {
	case "":
		return nil, errors.New("svc: REDIS_URL is not set: name the redis:// or rediss:// server, or REDIS_URL=" + config.Embedded + " for an in-process Redis (demo and tests only)")
	case config.Embedded:
		mr, err := miniredis.Run()
		if err != nil {
			return nil, fmt.Errorf("svc: start embedded redis: %w", err)
		}
		s.closers = append(s.closers, func() error { mr.Close(); return nil })
		url = "redis://" + mr.Addr()
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		// Not err: go-redis quotes the URL, password and all.
		return nil, fmt.Errorf("svc: REDIS_URL %q is not a redis:// or rediss:// URL go-redis accepts", config.Redact(url))
	}
	if cfg.RedisIAMCache != "" {
		if err := useIAMAuth(ctx, opt, cfg.RedisIAMCache, aws); err != nil {
			return nil, err
		}
	}
	client := redis.NewClient(opt)
	s.closers = append(s.closers, client.Close)
	if err := client.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("svc: redis %s: %w", opt.Addr, err)
	}
	return client, nil
}

// useIAMAuth makes every new Redis connection authenticate as REDIS_URL's
// user with a fresh ElastiCache IAM token signed by the pod's AWS role.
func useIAMAuth(ctx context.Context, opt *redis.Options, cache string, aws *awscfg.Lazy) error {
	if opt.Username == "" || opt.TLSConfig == nil {
		return fmt.Errorf("svc: REDIS_IAM_CACHE needs REDIS_URL rediss://<user>@host:port")
	}
	awsCfg, err := aws.Get(ctx)
	if err != nil {
		return fmt.Errorf("svc: AWS configuration for Redis IAM auth: %w", err)
	}
	opt.CredentialsProviderContext = redisauth.Signer{
		Cache: cache, User: opt.Username, Region: awsCfg.Region, Creds: awsCfg.Credentials,
	}.Credentials
	return nil
}
