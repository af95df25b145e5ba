package hostmetrics_test

import (
	"context"
	"fmt"
	"time"

	"github.com/hamigames/lucid-node-management/nodemgmt/hostmetrics"
)

// Start a source for the local host and read its latest sample; Sample never waits for the
// host, it returns what the background loop measured last.
func ExampleNew() {
	src, err := hostmetrics.New(hostmetrics.Options{Interval: time.Second, DiskPath: "/"})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	if err := src.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	time.Sleep(1100 * time.Millisecond)
	s, err := src.Sample(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("cpu %.1f%%, net in %.2f Mbps, disk writes %.2f MB/s, unavailable %v\n",
		s.CPU.UsagePercent, s.Network.InMbps, s.Disk.WriteThroughputMBps, src.Unavailable())
}
