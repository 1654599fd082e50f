package rawkafka

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kfake"
)

// LocalBroker starts an in-process Kafka (kfake) with the partition count
// every environment uses. The raw baseline runs on it when the run has no
// broker of its own (a remote --target without --brokers).
func LocalBroker() (*kfake.Cluster, error) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DefaultNumPartitions(Partitions))
	if err != nil {
		return nil, fmt.Errorf("start in-process kafka: %w", err)
	}
	return c, nil
}
