package main

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is what a throughput scenario measured.
type result struct {
	n        int64 // operations that succeeded
	failed   int64
	elapsed  time.Duration
	p50, p99 time.Duration
	cpu      time.Duration // the measured server's CPU time over the run, when known
}

func (r result) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

// hammerOn is hammer that also reads how much CPU the server process p spent: on a machine
// other jobs share, CPU per operation moves less than operations a second.
func hammerOn(ctx context.Context, p *process, workers int, d time.Duration, op func(ctx context.Context) bool) result {
	before := p.cpu()
	r := hammer(ctx, workers, d, op)
	r.cpu = p.cpu() - before
	return r
}

// hammer runs op from workers goroutines for d and measures it; op reports success.
func hammer(ctx context.Context, workers int, d time.Duration, op func(ctx context.Context) bool) result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var n, failed atomic.Int64
	lat := make([][]time.Duration, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t := time.Now()
				ok := op(ctx)
				if ctx.Err() != nil {
					return // cut by the end of the run: not counted
				}
				if ok {
					n.Add(1)
					lat[i] = append(lat[i], time.Since(t))
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	all := slices.Concat(lat...)
	r := result{n: n.Load(), failed: failed.Load(), elapsed: time.Since(start)}
	r.p50, r.p99 = percentile(all, 0.50), percentile(all, 0.99)
	return r
}

// percentile of durations (sorted in place).
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

// newClient is an HTTP client that keeps up to conns connections to one host.
func newClient(conns int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute},
		Timeout:   60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// get GETs url with headers and reports whether it answered want; the body is read and
// returned.
func get(ctx context.Context, c *http.Client, url string, want int, hdr ...string) ([]byte, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, false
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(c, req, want)
}

func do(c *http.Client, req *http.Request, want int) ([]byte, bool) {
	body, status, err := doStatus(c, req)
	return body, err == nil && status == want
}

// doStatus sends req and returns the body (a redirect's Location) and the status.
func doStatus(c *http.Client, req *http.Request) ([]byte, int, error) {
	res, err := c.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusSeeOther {
		body = []byte(res.Header.Get("Location"))
	}
	return body, res.StatusCode, err
}
