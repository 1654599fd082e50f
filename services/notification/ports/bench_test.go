package ports

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/bloody-sweet/platform/services/notification/app"
	"github.com/bloody-sweet/platform/services/notification/domain"
)

// BenchmarkIdleAllStreamMemory reports the heap held per idle /v1/stream
// connection (server and client side in this process: the subscription
// buffer, the handler goroutine, the connection's buffers), with the old
// 65,536-slot buffer beside today's. After each connection has received one
// change, so that the channel's buffer has been touched as in production.
//
//	go test ./services/notification/ports/ -run XXX -bench IdleAllStreamMemory -benchtime 1x
func BenchmarkIdleAllStreamMemory(b *testing.B) {
	const conns = 200
	for _, buffer := range []int{65536, 128, AllStreamBuffer} {
		b.Run(fmt.Sprintf("buffer=%d", buffer), func(b *testing.B) {
			for range b.N {
				hub := app.NewHub(app.RecentChanges)
				streams := Streams{Hub: hub, Stopping: make(chan struct{}), AllBuffer: buffer}
				srv := httptest.NewServer(http.HandlerFunc(streams.All))
				before := heap()
				var open []net.Conn
				var readers []*bufio.Reader
				for range conns {
					c, err := net.Dial("tcp", srv.Listener.Addr().String())
					if err != nil {
						b.Fatal(err)
					}
					fmt.Fprintf(c, "GET /v1/stream HTTP/1.1\r\nHost: x\r\n\r\n")
					r := bufio.NewReader(c)
					if _, err := http.ReadResponse(r, nil); err != nil {
						b.Fatal(err)
					}
					open, readers = append(open, c), append(readers, r)
				}
				hub.Publish(domain.Change{OrderID: "o-1", Seq: 1, Time: time.Now()})
				for _, r := range readers { // every handler has sent it
					for {
						line, err := r.ReadString('\n')
						if err != nil {
							b.Fatal(err)
						}
						if line == "\r\n" || line == "\n" {
							break
						}
					}
				}
				after := heap()
				b.ReportMetric(float64(after-before)/conns, "heap-B/conn")
				for _, c := range open {
					_ = c.Close()
				}
				srv.Close()
			}
		})
	}
}

func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
