package main

import "github.com/bloody-sweet/platform/cmd/internal/democmd"

func init() { subcommands = append(subcommands, democmd.New) }
