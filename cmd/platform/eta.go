package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/bloody-sweet/platform/internal/cliexit"
	"github.com/bloody-sweet/platform/internal/eta"
	"github.com/bloody-sweet/platform/services/eta/model"
	"github.com/bloody-sweet/platform/services/world"
)

func init() { subcommands = append(subcommands, newETACmd) }

func newETACmd() *cobra.Command {
	cmd := &cobra.Command{Use: "eta", Short: "Train and evaluate the delivery-time model"}
	cmd.AddCommand(newETAEvalCmd(), newETATrainCmd())
	return cmd
}

// worldConfig is the world of the simulators with seed and scale, checked.
func worldConfig(seed int64, scale float64) (world.Config, error) {
	c := world.Defaults()
	c.Seed, c.Scale = seed, scale
	var fe *world.FieldError
	if err := c.Validate(); errors.As(err, &fe) && fe.Field == "Scale" {
		return c, cliexit.BadInputf("--scale %v: must be > 0", scale)
	} else if err != nil {
		return c, cliexit.WrapBadInput(err)
	}
	return c, nil
}

func newETAEvalCmd() *cobra.Command {
	var (
		seed                int64
		days                int
		format, png, logOut string
		models              string
	)
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Simulate days of orders, train on the first 75% and score the rest against baselines and the oracle",
		Long: `Eval simulates --days days of orders through the world model (services/world),
trains the model on the first 75% of the days and scores the rest at placement
and at each later step against the global median, the per-store median and the
oracle (the world's own distribution for each order: the limit no model can
beat). It prints MAE, P90 absolute error and P10-P90 coverage per step (text:
world minutes; json: seconds) and writes a PNG: predicted vs actual and
calibration. --events-out writes the simulated days as an event log that
` + "`platform eta train --from`" + ` reads; --models saves the trained model.`,
		Args: badArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return cliexit.BadInputf("--format %q: want text or json", format)
			}
			if days < 2 {
				return cliexit.BadInputf("--days %d: need at least 2 (one to train, one to test)", days)
			}
			c, err := worldConfig(seed, world.Defaults().Scale)
			if err != nil {
				return err
			}
			r, m, err := eta.Eval(eta.Options{World: c, Days: days})
			if err != nil {
				return err
			}
			if png != "" {
				b, err := r.Chart()
				if err != nil {
					return err
				}
				if err := os.WriteFile(png, b, 0o644); err != nil {
					return err
				}
			}
			if logOut != "" {
				if err := writeSimLog(logOut, c, days); err != nil {
					return err
				}
			}
			if models != "" {
				if err := (model.Dir{Path: models}).Save(cmd.Context(), m); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			if format == "json" {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			if err := r.WriteText(out); err != nil {
				return err
			}
			if png != "" {
				fmt.Fprintf(out, "chart: %s\n", png)
			}
			return nil
		},
	}
	cmd.Flags().Int64Var(&seed, "seed", 1, "seed of the simulated world")
	cmd.Flags().IntVar(&days, "days", 28, "days to simulate (the first 75% train)")
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	cmd.Flags().StringVar(&png, "png", "eta-eval.png", "write the chart here (empty: no chart)")
	cmd.Flags().StringVar(&logOut, "events-out", "", "also write the simulated days as an event log (JSON lines)")
	cmd.Flags().StringVar(&models, "models", "", "save the trained model in this folder")
	return cmd
}

func writeSimLog(path string, c world.Config, days int) error {
	w, err := world.New(c)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := eta.WriteLog(f, w, w.Simulate(world.Start(), days)); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

func newETATrainCmd() *cobra.Command {
	var (
		from, models string
		seed         int64
		scale        float64
	)
	cmd := &cobra.Command{
		Use:   "train --from EVENTS",
		Short: "Train the delivery-time model on a recorded event log and save a new version",
		Long: `Train replays an event log (one CloudEvents envelope per line, as the services
write them) in time order, keeps the features the eta service keeps (store
queue, busy couriers, distance, basket, world hour) and fits the model to the
delivered orders. --seed and --scale must be the simulators' (SIM_SEED,
SIM_SCALE): they place stores and zones on the map and map wall time to world
time. The new version is saved in --models and made current.`,
		Args: badArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				return cliexit.BadInputf("--from is required")
			}
			c, err := worldConfig(seed, scale)
			if err != nil {
				return err
			}
			f, err := os.Open(from)
			if err != nil {
				return cliexit.WrapBadInput(err)
			}
			defer f.Close()
			log, err := eta.ReadLog(f, from)
			if err != nil {
				return cliexit.WrapBadInput(err)
			}
			w, err := world.New(c)
			if err != nil {
				return err
			}
			m, err := eta.Train(w, log)
			if err != nil {
				return cliexit.WrapBadInput(fmt.Errorf("%s: %w", from, err))
			}
			if err := (model.Dir{Path: models}).Save(cmd.Context(), m); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "model %s trained on %d delivered orders (%d events), saved in %s\n", m.Version, m.Orders, len(log), models)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "event log to train on (JSON lines)")
	cmd.Flags().StringVar(&models, "models", ".eta/models", "folder of model versions")
	cmd.Flags().Int64Var(&seed, "seed", 1, "the simulators' seed (SIM_SEED)")
	cmd.Flags().Float64Var(&scale, "scale", world.Defaults().Scale, "the simulators' world seconds per wall second (SIM_SCALE)")
	return cmd
}
