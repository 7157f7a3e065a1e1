// Package matrix is the Go side of the client compatibility matrix, as
// tests/clients/python/compat_common.py is the Python side: each scenario runs once with a hang
// guard and yields pass (its note), n-a (NA) or fail (a panic or an error). Results go to
// $PG_KAFKA_COMPAT_DIR/<client>.jsonl; tests/clients/merge_compat.py merges them.
package matrix

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

const (
	// ScenarioTimeout is the hang guard of one scenario, never a performance assertion.
	ScenarioTimeout = 120 * time.Second
	Patience        = 60 * time.Second
)

var (
	Bootstrap = EnvOr("PG_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
	counter   atomic.Int64
)

// NotApplicable is the panic value (or error) of a scenario the client cannot express.
type NotApplicable struct{ Why string }

func (n NotApplicable) Error() string { return n.Why }

// NA is a scenario that the client cannot express.
func NA(why string) func() string { return func() string { panic(NotApplicable{why}) } }

func EnvOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

func Unique(p string) string {
	return fmt.Sprintf("%s-%d-%d-%d", p, os.Getpid(), time.Now().UnixNano(), counter.Add(1))
}

func Check(cond bool, format string, a ...any) {
	if !cond {
		panic(fmt.Errorf(format, a...))
	}
}

func Must(err error) {
	if err != nil {
		panic(err)
	}
}

func Must1[T any](v T, err error) T {
	Must(err)
	return v
}

// WaitUntil polls pred every 100 ms until it holds; panics after Patience.
func WaitUntil(what string, pred func() bool) {
	deadline := time.Now().Add(Patience)
	for !pred() {
		Check(time.Now().Before(deadline), "timed out waiting for %s", what)
		time.Sleep(100 * time.Millisecond)
	}
}

// Murmur2 is Kafka's murmur2 (the Java client's Utils.murmur2), checked against its known answers.
func Murmur2(data []byte) int32 {
	const m = uint32(0x5bd1e995)
	n := len(data)
	h := uint32(0x9747b28c) ^ uint32(n)
	i := 0
	for ; n-i >= 4; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= m
		k ^= k >> 24
		k *= m
		h *= m
		h ^= k
	}
	switch n - i {
	case 3:
		h ^= uint32(data[i+2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[i+1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[i])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

func JavaPartition(key []byte, n int32) int32 { return (Murmur2(key) & 0x7fffffff) % n }

func init() {
	for s, want := range map[string]int32{"21": -973932308, "foobar": -790332482, "a-little-bit-long-string": -985981536, "abc": 479470107} {
		if Murmur2([]byte(s)) != want {
			panic("murmur2 known answer " + s)
		}
	}
}

// Scenario is one named check; Fn returns the note of a pass.
type Scenario struct {
	Name string
	Fn   func() string
}

// Run runs every scenario and writes <client>.jsonl; timeouts overrides the hang guard of the
// scenarios it names.
func Run(client, version string, scenarios []Scenario, timeouts map[string]time.Duration) {
	dir := EnvOr("PG_KAFKA_COMPAT_DIR", "target/compat")
	Must(os.MkdirAll(dir, 0o755))
	out := Must1(os.Create(filepath.Join(dir, client+".jsonl")))
	enc := json.NewEncoder(out)
	// PG_KAFKA_COMPAT_ONLY=a,b runs only those scenarios (a debugging aid; merge_compat.py then
	// reports the others as missing).
	only := map[string]bool{}
	for _, n := range strings.Split(os.Getenv("PG_KAFKA_COMPAT_ONLY"), ",") {
		if n != "" {
			only[n] = true
		}
	}
	for _, s := range scenarios {
		if len(only) > 0 && !only[s.Name] {
			continue
		}
		type outcome struct{ result, note string }
		ch := make(chan outcome, 1)
		go func(fn func() string) {
			defer func() {
				if r := recover(); r != nil {
					if n, ok := r.(NotApplicable); ok {
						ch <- outcome{"n-a", n.Why}
						return
					}
					ch <- outcome{"fail", strings.Join(strings.Fields(fmt.Sprint(r)), " ")}
				}
			}()
			ch <- outcome{"pass", fn()}
		}(s.Fn)
		timeout := ScenarioTimeout
		if t, ok := timeouts[s.Name]; ok {
			timeout = t
		}
		var o outcome
		select {
		case o = <-ch:
		case <-time.After(timeout):
			o = outcome{"fail", fmt.Sprintf("timed out after %v", timeout)}
		}
		if len(o.note) > 300 {
			o.note = o.note[:300]
		}
		Must(enc.Encode(map[string]string{"client": client, "version": version, "scenario": s.Name, "result": o.result, "note": o.note}))
		fmt.Printf("%s %s: %s %s\n", client, s.Name, o.result, o.note)
	}
	Must(out.Close())
	// A hung scenario's goroutine may hold clients whose Close would block: leave hard.
	os.Exit(0)
}
