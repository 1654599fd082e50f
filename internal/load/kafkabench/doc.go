// Package kafkabench holds `go test -bench` benchmarks of Kafka client
// settings on an in-process kfake broker: kafka-go Writer settings
// (BatchTimeout, batch size, async, compression) and Reader commit
// strategies, side by side with franz-go on the same broker as the
// baseline. Sub-benchmark names are key=value paths, so benchstat can
// group and compare them:
//
//	go test -run '^$' -bench . -count 6 ./internal/load/kafkabench | tee new.txt
//	benchstat new.txt
//
// The package has no code of its own; doc.go only names it.
package kafkabench
