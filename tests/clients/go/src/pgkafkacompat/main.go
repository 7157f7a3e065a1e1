// Compatibility matrix: Sarama (Debian's golang-github-shopify-sarama-dev), built offline in
// GOPATH mode against /usr/share/gocode (see the Makefile's compat-go). Writes
// $PG_KAFKA_COMPAT_DIR/sarama.jsonl; tests/clients/merge_compat.py merges the results.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

const (
	saramaVersion     = "1.22.1 (Debian golang-github-shopify-sarama-dev)"
	patience          = 60 * time.Second
	scenarioTimeout   = 120 * time.Second
	longPollMaxWaitMs = 20000
)

var (
	bootstrap = []string{envOr("PG_KAFKA_BOOTSTRAP", "127.0.0.1:9092")}
	counter   = 0
	admin     sarama.ClusterAdmin
)

type notApplicable struct{ why string }

func (n notApplicable) Error() string { return n.why }

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

func unique(p string) string {
	counter++
	return fmt.Sprintf("%s-%d-%d-%d", p, os.Getpid(), time.Now().UnixNano(), counter)
}

// murmur2 as in the Java client (Utils.murmur2); Sarama has no murmur2 of its own.
func murmur2(data []byte) int32 {
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

func javaPartition(key []byte, n int32) int32 { return (murmur2(key) & 0x7fffffff) % n }

// murmur2Hash adapts murmur2 to hash.Hash32 for sarama.WithCustomHashFunction.
type murmur2Hash struct{ buf []byte }

func (h *murmur2Hash) Write(p []byte) (int, error) { h.buf = append(h.buf, p...); return len(p), nil }
func (h *murmur2Hash) Sum(b []byte) []byte {
	s := uint32(murmur2(h.buf))
	return append(b, byte(s>>24), byte(s>>16), byte(s>>8), byte(s))
}
func (h *murmur2Hash) Reset()         { h.buf = h.buf[:0] }
func (h *murmur2Hash) Size() int      { return 4 }
func (h *murmur2Hash) BlockSize() int { return 4 }
func (h *murmur2Hash) Sum32() uint32  { return uint32(murmur2(h.buf)) }

func config() *sarama.Config {
	c := sarama.NewConfig()
	c.Version = sarama.V2_1_0_0
	c.ClientID = "pg-kafka-compat-sarama"
	c.Producer.Return.Successes = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Partitioner = sarama.NewManualPartitioner
	c.Consumer.Return.Errors = true
	c.Metadata.Retry.Max = 10
	c.Metadata.Retry.Backoff = 200 * time.Millisecond
	return c
}

func check(cond bool, format string, a ...interface{}) {
	if !cond {
		panic(fmt.Errorf(format, a...))
	}
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func create(topic string, partitions int32) {
	must(admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1}, false))
}

func produce(conf *sarama.Config, msgs []*sarama.ProducerMessage) {
	p, err := sarama.NewSyncProducer(bootstrap, conf)
	must(err)
	defer p.Close()
	must(p.SendMessages(msgs))
}

func readN(topic string, partition int32, n int) []*sarama.ConsumerMessage {
	c, err := sarama.NewConsumer(bootstrap, config())
	must(err)
	defer c.Close()
	pc, err := c.ConsumePartition(topic, partition, sarama.OffsetOldest)
	must(err)
	defer pc.Close()
	var got []*sarama.ConsumerMessage
	deadline := time.After(patience)
	for len(got) < n {
		select {
		case m := <-pc.Messages():
			got = append(got, m)
		case e := <-pc.Errors():
			panic(e)
		case <-deadline:
			panic(fmt.Errorf("only %d of %d records", len(got), n))
		}
	}
	return got
}

func waitUntil(what string, pred func() bool) {
	deadline := time.Now().Add(patience)
	for !pred() {
		check(time.Now().Before(deadline), "timed out waiting for %s", what)
		time.Sleep(100 * time.Millisecond)
	}
}

func metadata() string {
	topic := unique("go-meta")
	create(topic, 3)
	cl, err := sarama.NewClient(bootstrap, config())
	must(err)
	defer cl.Close()
	var parts []int32
	waitUntil("partitions", func() bool {
		_ = cl.RefreshMetadata(topic)
		parts, _ = cl.Partitions(topic)
		return len(parts) == 3
	})
	return fmt.Sprintf("%d broker(s)", len(cl.Brokers()))
}

// Topics from metadata. (ClusterAdmin.ListTopics also sends DescribeConfigs v0 for every topic.)
func listTopics() map[string]bool {
	cl, err := sarama.NewClient(bootstrap, config())
	must(err)
	defer cl.Close()
	must(cl.RefreshMetadata())
	ts, err := cl.Topics()
	must(err)
	out := map[string]bool{}
	for _, t := range ts {
		out[t] = true
	}
	return out
}

func createDeleteTopic() string {
	topic := unique("go-cd")
	create(topic, 2)
	waitUntil("created topic listed", func() bool { return listTopics()[topic] })
	must(admin.DeleteTopic(topic))
	waitUntil("deleted topic gone", func() bool { return !listTopics()[topic] })
	return ""
}

func bytesOrNil(s *string) []byte {
	if s == nil {
		return nil
	}
	return []byte(*s)
}

func produceConsume() string {
	topic := unique("go-pc")
	create(topic, 1)
	str := func(s string) *string { return &s }
	type rec struct {
		key, value *string
		headers    []sarama.RecordHeader
	}
	recs := []rec{
		{str("k1"), str("v1"), []sarama.RecordHeader{{Key: []byte("h"), Value: []byte("a")}, {Key: []byte("h"), Value: []byte("b")}, {Key: []byte("n"), Value: nil}}},
		{nil, str("no key"), nil},
		{str("null-value"), nil, nil},
		{str("empty-value"), str(""), nil},
		{str(""), str("empty key"), []sarama.RecordHeader{{Key: []byte("e"), Value: []byte{}}}},
	}
	var msgs []*sarama.ProducerMessage
	for _, r := range recs {
		m := &sarama.ProducerMessage{Topic: topic, Partition: 0, Headers: r.headers}
		if r.key != nil {
			m.Key = sarama.ByteEncoder(*r.key)
		}
		if r.value != nil {
			m.Value = sarama.ByteEncoder(*r.value)
		}
		msgs = append(msgs, m)
	}
	produce(config(), msgs)
	got := readN(topic, 0, len(recs))
	for i, r := range recs {
		g := got[i]
		check(g.Offset == int64(i), "offset %d at %d", g.Offset, i)
		check((g.Key == nil) == (r.key == nil) && string(g.Key) == string(bytesOrNil(r.key)), "key %q want %v", g.Key, r.key)
		check((g.Value == nil) == (r.value == nil) && string(g.Value) == string(bytesOrNil(r.value)), "record %d value %q (nil %v) want %v", i, g.Value, g.Value == nil, r.value)
		check(len(g.Headers) == len(r.headers), "record %d: %d headers, want %d", i, len(g.Headers), len(r.headers))
		for j, h := range r.headers {
			gh := g.Headers[j]
			check(string(gh.Key) == string(h.Key) && string(gh.Value) == string(h.Value) && (gh.Value == nil) == (h.Value == nil),
				"record %d header %d: %q=%q (nil %v)", i, j, gh.Key, gh.Value, gh.Value == nil)
		}
	}
	return "keys, duplicate/null/empty headers, null and empty values and keys"
}

func codec(name string, c sarama.CompressionCodec) func() string {
	return func() string {
		topic := unique("go-" + name)
		create(topic, 1)
		conf := config()
		conf.Producer.Compression = c
		conf.Producer.Flush.Messages = 100
		conf.Producer.Flush.Frequency = 50 * time.Millisecond
		var msgs []*sarama.ProducerMessage
		var want []string
		for i := 0; i < 100; i++ {
			v := strings.Repeat(fmt.Sprintf("%s record %d ", name, i), 20)
			want = append(want, v)
			msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Partition: 0, Value: sarama.StringEncoder(v)})
		}
		produce(conf, msgs)
		got := readN(topic, 0, 100)
		for i := range want {
			check(string(got[i].Value) == want[i], "record %d differs", i)
		}
		return ""
	}
}

func murmur2Partitioning() string {
	topic := unique("go-murmur")
	create(topic, 7)
	conf := config()
	conf.Producer.Partitioner = sarama.NewCustomPartitioner(sarama.WithAbsFirst(),
		sarama.WithCustomHashFunction(func() hash.Hash32 { return &murmur2Hash{} }))
	var msgs []*sarama.ProducerMessage
	for i := 0; i < 60; i++ {
		msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprintf("key-%d", i)), Value: sarama.StringEncoder("v")})
	}
	produce(conf, msgs)
	for _, m := range msgs {
		k, _ := m.Key.Encode()
		check(m.Partition == javaPartition(k, 7), "key %s in partition %d, Java murmur2 says %d", k, m.Partition, javaPartition(k, 7))
	}
	return "60 keys over 7 partitions; Sarama has no built-in murmur2: NewCustomPartitioner(WithAbsFirst, WithCustomHashFunction(murmur2 written in the test))"
}

func listOffsets() string {
	topic := unique("go-lo")
	create(topic, 1)
	base := time.Now().Add(-60 * time.Second).Truncate(time.Millisecond)
	var msgs []*sarama.ProducerMessage
	for i := 0; i < 5; i++ {
		msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Partition: 0, Value: sarama.StringEncoder("v"), Timestamp: base.Add(time.Duration(i) * time.Second)})
	}
	produce(config(), msgs)
	cl, err := sarama.NewClient(bootstrap, config())
	must(err)
	defer cl.Close()
	e, err := cl.GetOffset(topic, 0, sarama.OffsetOldest)
	must(err)
	l, err := cl.GetOffset(topic, 0, sarama.OffsetNewest)
	must(err)
	t, err := cl.GetOffset(topic, 0, base.Add(2500*time.Millisecond).UnixNano()/1e6)
	must(err)
	check(e == 0 && l == 5 && t == 3, "earliest %d latest %d by time %d", e, l, t)
	return "Client.GetOffset: oldest, newest, by timestamp"
}

type handler struct {
	mu       sync.Mutex
	limit    int
	got      []int64
	claims   []int32
	setups   int
	onRecord func()
}

func (h *handler) Setup(s sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.setups++
	h.claims = nil
	for _, ps := range s.Claims() {
		h.claims = append(h.claims, ps...)
	}
	sort.Slice(h.claims, func(i, j int) bool { return h.claims[i] < h.claims[j] })
	return nil
}
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for m := range c.Messages() {
		h.mu.Lock()
		if h.limit == 0 || len(h.got) < h.limit {
			h.got = append(h.got, m.Offset)
			s.MarkMessage(m, "")
		}
		h.mu.Unlock()
	}
	return nil
}
func (h *handler) snapshot() ([]int64, []int32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]int64(nil), h.got...), append([]int32(nil), h.claims...)
}

type member struct {
	g      sarama.ConsumerGroup
	h      *handler
	cancel context.CancelFunc
	done   chan struct{}
}

func join(group, topic string, limit int) *member {
	conf := config()
	conf.Consumer.Offsets.Initial = sarama.OffsetOldest
	conf.Consumer.Group.Session.Timeout = 10 * time.Second
	conf.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond
	conf.Consumer.Offsets.CommitInterval = 100 * time.Millisecond
	// With the default Retention 0 Sarama 1.22 commits with OffsetCommit v1, which the broker
	// (like Kafka 4.0, KIP-896) no longer serves; a retention selects v2.
	conf.Consumer.Offsets.Retention = 7 * 24 * time.Hour
	g, err := sarama.NewConsumerGroup(bootstrap, group, conf)
	must(err)
	ctx, cancel := context.WithCancel(context.Background())
	m := &member{g: g, h: &handler{limit: limit}, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{topic}, m.h); err != nil {
				time.Sleep(200 * time.Millisecond)
			}
		}
	}()
	return m
}

func (m *member) leave() {
	m.cancel()
	must(m.g.Close())
	<-m.done
}

func groupCommitResume() string {
	topic, group := unique("go-resume"), unique("go-resume-g")
	create(topic, 1)
	var msgs []*sarama.ProducerMessage
	for i := 0; i < 10; i++ {
		msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Partition: 0, Value: sarama.StringEncoder(fmt.Sprintf("v%d", i))})
	}
	produce(config(), msgs)
	first := join(group, topic, 6)
	waitUntil("6 records", func() bool { g, _ := first.h.snapshot(); return len(g) >= 6 })
	time.Sleep(500 * time.Millisecond) // one commit interval
	first.leave()
	g1, _ := first.h.snapshot()
	check(reflect.DeepEqual(g1, []int64{0, 1, 2, 3, 4, 5}), "first got %v", g1)
	second := join(group, topic, 0)
	waitUntil("4 more records", func() bool { g, _ := second.h.snapshot(); return len(g) >= 4 })
	second.leave()
	g2, _ := second.h.snapshot()
	check(reflect.DeepEqual(g2, []int64{6, 7, 8, 9}), "second got %v", g2)
	return "ConsumerGroup, MarkMessage with auto-commit"
}

func rebalanceTwoMembers() string {
	topic, group := unique("go-reb"), unique("go-reb-g")
	create(topic, 4)
	a := join(group, topic, 0)
	waitUntil("a owns all", func() bool { _, c := a.h.snapshot(); return len(c) == 4 })
	b := join(group, topic, 0)
	var ca, cb []int32
	waitUntil("two-member split", func() bool {
		_, ca = a.h.snapshot()
		_, cb = b.h.snapshot()
		seen := map[int32]bool{}
		for _, p := range append(append([]int32{}, ca...), cb...) {
			seen[p] = true
		}
		return len(ca) > 0 && len(cb) > 0 && len(ca)+len(cb) == 4 && len(seen) == 4
	})
	b.leave()
	waitUntil("a owns all again", func() bool { _, c := a.h.snapshot(); return len(c) == 4 })
	a.leave()
	return fmt.Sprintf("split %v / %v, back to one member after leave", ca, cb)
}

func groupsListDescribeDelete() string {
	topic, group := unique("go-grp"), unique("go-grp-g")
	create(topic, 1)
	produce(config(), []*sarama.ProducerMessage{{Topic: topic, Partition: 0, Value: sarama.StringEncoder("x")}})
	m := join(group, topic, 0)
	waitUntil("1 record", func() bool { g, _ := m.h.snapshot(); return len(g) >= 1 })
	groups, err := admin.ListConsumerGroups()
	must(err)
	_, listed := groups[group]
	check(listed, "group not listed")
	d, err := admin.DescribeConsumerGroups([]string{group})
	must(err)
	check(len(d) == 1 && len(d[0].Members) == 1, "describe: %+v", d)
	state := d[0].State
	time.Sleep(300 * time.Millisecond)
	m.leave()
	off, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0}})
	must(err)
	check(off.GetBlock(topic, 0) != nil && off.GetBlock(topic, 0).Offset == 1, "committed offset %+v", off.GetBlock(topic, 0))
	waitUntil("group empty", func() bool {
		d, err := admin.DescribeConsumerGroups([]string{group})
		return err == nil && len(d) == 1 && d[0].State == "Empty"
	})
	// Sarama 1.22's ClusterAdmin has no DeleteConsumerGroup: send DeleteGroups to the coordinator.
	cl, err := sarama.NewClient(bootstrap, config())
	must(err)
	defer cl.Close()
	coord, err := cl.Coordinator(group)
	must(err)
	resp, err := coord.DeleteGroups(&sarama.DeleteGroupsRequest{Groups: []string{group}})
	must(err)
	check(resp.GroupErrorCodes[group] == sarama.ErrNoError, "delete: %v", resp.GroupErrorCodes[group])
	groups, err = admin.ListConsumerGroups()
	must(err)
	_, listed = groups[group]
	check(!listed, "group still listed after delete")
	return fmt.Sprintf("ListConsumerGroups, DescribeConsumerGroups (state %s), ListConsumerGroupOffsets, DeleteGroups request", state)
}

func createPartitions() string {
	topic := unique("go-cp")
	create(topic, 2)
	must(admin.CreatePartitions(topic, 4, nil, false))
	cl, err := sarama.NewClient(bootstrap, config())
	must(err)
	defer cl.Close()
	waitUntil("4 partitions", func() bool {
		_ = cl.RefreshMetadata(topic)
		p, _ := cl.Partitions(topic)
		return len(p) == 4
	})
	produce(config(), []*sarama.ProducerMessage{{Topic: topic, Partition: 3, Value: sarama.StringEncoder("p3")}})
	check(string(readN(topic, 3, 1)[0].Value) == "p3", "wrong record")
	return ""
}

func idempotentProducer() string {
	topic := unique("go-idem")
	create(topic, 1)
	conf := config()
	conf.Producer.Idempotent = true
	conf.Producer.Retry.Max = 3
	conf.Net.MaxOpenRequests = 1
	// Sarama 1.22 ignores an error code in the InitProducerId response and would produce with
	// producer id -1: ask first and insist on a real producer id.
	cl, err := sarama.NewClient(bootstrap, config())
	must(err)
	ip, err := cl.InitProducerID()
	cl.Close()
	must(err)
	check(ip.Err == sarama.ErrNoError && ip.ProducerID >= 0, "InitProducerId: error %v, producer id %d", ip.Err, ip.ProducerID)
	var msgs []*sarama.ProducerMessage
	for i := 0; i < 5; i++ {
		msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Partition: 0, Value: sarama.StringEncoder(fmt.Sprintf("i%d", i))})
	}
	produce(conf, msgs)
	got := readN(topic, 0, 5)
	for i, m := range got {
		check(string(m.Value) == fmt.Sprintf("i%d", i), "record %d", i)
	}
	return fmt.Sprintf("producer id %d", ip.ProducerID)
}

func longPoll() string {
	topic := unique("go-lp")
	create(topic, 1)
	conf := config()
	conf.Consumer.MaxWaitTime = longPollMaxWaitMs * time.Millisecond
	conf.Net.ReadTimeout = 60 * time.Second
	c, err := sarama.NewConsumer(bootstrap, conf)
	must(err)
	defer c.Close()
	pc, err := c.ConsumePartition(topic, 0, sarama.OffsetOldest)
	must(err)
	defer pc.Close()
	time.Sleep(3 * time.Second)
	t0 := time.Now()
	produce(config(), []*sarama.ProducerMessage{{Topic: topic, Partition: 0, Value: sarama.StringEncoder("late")}})
	select {
	case m := <-pc.Messages():
		waited := time.Since(t0)
		check(string(m.Value) == "late", "wrong record")
		check(waited < longPollMaxWaitMs*time.Millisecond*3/4, "record arrived after %v", waited)
		return fmt.Sprintf("record arrived %.2fs after produce (max wait %ds)", waited.Seconds(), longPollMaxWaitMs/1000)
	case e := <-pc.Errors():
		panic(e)
	case <-time.After(longPollMaxWaitMs*time.Millisecond + 10*time.Second):
		panic(errors.New("record never arrived"))
	}
}

func describeConfigs() string {
	topic := unique("go-dc")
	create(topic, 1)
	entries, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic})
	must(err)
	names := map[string]bool{}
	for _, e := range entries {
		names[e.Name] = true
	}
	for _, k := range []string{"retention.ms", "cleanup.policy", "max.message.bytes"} {
		check(names[k], "%s missing", k)
	}
	b, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.BrokerResource, Name: "0"})
	must(err)
	check(len(b) > 0, "no broker configs")
	return fmt.Sprintf("topic: %d entries, broker: %d", len(entries), len(b))
}

func na(why string) func() string { return func() string { panic(notApplicable{why}) } }

func main() {
	dir := envOr("PG_KAFKA_COMPAT_DIR", "target/compat")
	must(os.MkdirAll(dir, 0o755))
	out, err := os.Create(filepath.Join(dir, "sarama.jsonl"))
	must(err)
	defer out.Close()
	scenarios := []struct {
		name string
		fn   func() string
	}{
		{"metadata", metadata},
		{"create_delete_topic", createDeleteTopic},
		{"produce_consume", produceConsume},
		{"codec_gzip", codec("gzip", sarama.CompressionGZIP)},
		{"codec_snappy", codec("snappy", sarama.CompressionSnappy)},
		{"codec_lz4", codec("lz4", sarama.CompressionLZ4)},
		{"codec_zstd", codec("zstd", sarama.CompressionZSTD)},
		{"murmur2_partitioning", murmur2Partitioning},
		{"list_offsets", listOffsets},
		{"group_commit_resume", groupCommitResume},
		{"rebalance_two_members", rebalanceTwoMembers},
		{"groups_list_describe_delete", groupsListDescribeDelete},
		{"create_partitions", createPartitions},
		{"idempotent_producer", idempotentProducer},
		{"transactions", na("Sarama 1.22.1 has no transactional producer (added in 1.37)")},
		{"long_poll", longPoll},
		{"describe_configs", describeConfigs},
	}
	enc := json.NewEncoder(out)
	for _, s := range scenarios {
		type outcome struct{ result, note string }
		ch := make(chan outcome, 1)
		go func(fn func() string) {
			defer func() {
				if r := recover(); r != nil {
					if n, ok := r.(notApplicable); ok {
						ch <- outcome{"n-a", n.why}
						return
					}
					ch <- outcome{"fail", strings.Join(strings.Fields(fmt.Sprint(r)), " ")}
				}
			}()
			// A fresh admin per scenario: Sarama 1.22's ClusterAdmin never reopens a connection
			// the broker closed, so one failure would otherwise fail every later scenario.
			a, err := sarama.NewClusterAdmin(bootstrap, config())
			must(err)
			admin = a
			defer a.Close()
			ch <- outcome{"pass", fn()}
		}(s.fn)
		var o outcome
		select {
		case o = <-ch:
		case <-time.After(scenarioTimeout):
			o = outcome{"fail", fmt.Sprintf("timed out after %v", scenarioTimeout)}
		}
		if len(o.note) > 300 {
			o.note = o.note[:300]
		}
		must(enc.Encode(map[string]string{"client": "sarama", "version": saramaVersion, "scenario": s.name, "result": o.result, "note": o.note}))
		fmt.Printf("sarama %s: %s %s\n", s.name, o.result, o.note)
	}
	os.Exit(0)
}
