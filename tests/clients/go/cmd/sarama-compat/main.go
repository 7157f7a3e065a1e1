// Compatibility matrix: IBM/sarama (the module of the maintained Sarama; Debian 12 ships the 2019
// Shopify/sarama 1.22). Writes $PG_KAFKA_COMPAT_DIR/sarama.jsonl.
package main

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"reflect"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"

	. "pgkafkacompat/internal/matrix"
)

const longPollMaxWait = 60 * time.Second

var bootstrap = []string{Bootstrap}

func config() *sarama.Config {
	c := sarama.NewConfig()
	// The broker follows Kafka 4.0's protocol baseline (KIP-896); Sarama picks request versions
	// from Config.Version.
	c.Version = sarama.V4_0_0_0
	c.ClientID = "pg-kafka-compat-sarama"
	c.Producer.Return.Successes = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Partitioner = sarama.NewManualPartitioner
	c.Consumer.Return.Errors = true
	c.Metadata.Retry.Max = 10
	c.Metadata.Retry.Backoff = 200 * time.Millisecond
	return c
}

func admin() sarama.ClusterAdmin { return Must1(sarama.NewClusterAdmin(bootstrap, config())) }

func create(topic string, partitions int32) {
	a := admin()
	defer a.Close()
	Must(a.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1}, false))
}

func produce(conf *sarama.Config, msgs []*sarama.ProducerMessage) {
	p := Must1(sarama.NewSyncProducer(bootstrap, conf))
	defer p.Close()
	Must(p.SendMessages(msgs))
}

func values(topic string, partition int32, n int, prefix string) []*sarama.ProducerMessage {
	var ms []*sarama.ProducerMessage
	for i := 0; i < n; i++ {
		ms = append(ms, &sarama.ProducerMessage{Topic: topic, Partition: partition, Value: sarama.StringEncoder(fmt.Sprintf("%s%d", prefix, i))})
	}
	return ms
}

func readN(conf *sarama.Config, topic string, partition int32, n int) []*sarama.ConsumerMessage {
	c := Must1(sarama.NewConsumer(bootstrap, conf))
	defer c.Close()
	pc := Must1(c.ConsumePartition(topic, partition, sarama.OffsetOldest))
	defer pc.Close()
	var got []*sarama.ConsumerMessage
	deadline := time.After(Patience)
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

func topicNames() map[string]bool {
	a := admin()
	defer a.Close()
	ts := Must1(a.ListTopics())
	out := map[string]bool{}
	for t := range ts {
		out[t] = true
	}
	return out
}

func metadata() string {
	topic := Unique("sa-meta")
	create(topic, 3)
	cl := Must1(sarama.NewClient(bootstrap, config()))
	defer cl.Close()
	WaitUntil("3 partitions", func() bool {
		_ = cl.RefreshMetadata(topic)
		ps, _ := cl.Partitions(topic)
		return len(ps) == 3
	})
	a := admin()
	defer a.Close()
	md := Must1(a.DescribeTopics([]string{topic}))
	Check(len(md) == 1 && len(md[0].Partitions) == 3, "DescribeTopics %+v", md)
	return fmt.Sprintf("%d broker(s); DescribeTopics", len(cl.Brokers()))
}

func describeCluster() string {
	a := admin()
	defer a.Close()
	brokers, controller := Must1x2(a.DescribeCluster())
	Check(len(brokers) > 0 && controller >= 0, "brokers %d controller %d", len(brokers), controller)
	found := false
	for _, b := range brokers {
		found = found || b.ID() == controller
		Check(!strings.HasPrefix(b.Addr(), "localhost"), "broker advertises %s", b.Addr())
	}
	Check(found, "controller %d not among the brokers", controller)
	return fmt.Sprintf("%d broker(s), controller %d", len(brokers), controller)
}

// noErr maps Sarama's ErrNoError (a non-nil error with code 0) to nil.
func noErr(err error) error {
	if errors.Is(err, sarama.ErrNoError) {
		return nil
	}
	return err
}

func Must1x2[A, B any](a A, b B, err error) (A, B) {
	Must(err)
	return a, b
}

func createDeleteTopic() string {
	topic := Unique("sa-cd")
	create(topic, 2)
	WaitUntil("created topic listed", func() bool { return topicNames()[topic] })
	a := admin()
	defer a.Close()
	err := a.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1}, false)
	Check(errors.Is(err, sarama.ErrTopicAlreadyExists), "second create: %v", err)
	Must(a.DeleteTopic(topic))
	WaitUntil("deleted topic gone", func() bool { return !topicNames()[topic] })
	return "CreateTopic, TOPIC_ALREADY_EXISTS, DeleteTopic, ListTopics (with DescribeConfigs)"
}

func produceConsume() string {
	topic := Unique("sa-pc")
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
	ts := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	var msgs []*sarama.ProducerMessage
	for i, r := range recs {
		m := &sarama.ProducerMessage{Topic: topic, Partition: 0, Headers: r.headers, Timestamp: ts.Add(time.Duration(i) * time.Millisecond)}
		if r.key != nil {
			m.Key = sarama.ByteEncoder(*r.key)
		}
		if r.value != nil {
			m.Value = sarama.ByteEncoder(*r.value)
		}
		msgs = append(msgs, m)
	}
	produce(config(), msgs)
	got := readN(config(), topic, 0, len(recs))
	b := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	for i, r := range recs {
		g := got[i]
		Check(g.Offset == int64(i), "offset %d at %d", g.Offset, i)
		Check((g.Key == nil) == (r.key == nil) && string(g.Key) == b(r.key), "record %d key %q", i, g.Key)
		Check((g.Value == nil) == (r.value == nil) && string(g.Value) == b(r.value), "record %d value %q (nil %v)", i, g.Value, g.Value == nil)
		Check(g.Timestamp.Equal(ts.Add(time.Duration(i)*time.Millisecond)), "record %d timestamp %v", i, g.Timestamp)
		Check(len(g.Headers) == len(r.headers), "record %d: %d headers, want %d", i, len(g.Headers), len(r.headers))
		for j, h := range r.headers {
			gh := g.Headers[j]
			Check(string(gh.Key) == string(h.Key) && string(gh.Value) == string(h.Value) && (gh.Value == nil) == (h.Value == nil), "record %d header %d: %q=%q", i, j, gh.Key, gh.Value)
		}
	}
	return "keys, duplicate/null/empty headers, null and empty values and keys, timestamps"
}

func codec(name string, c sarama.CompressionCodec) func() string {
	return func() string {
		topic := Unique("sa-" + name)
		create(topic, 1)
		conf := config()
		conf.Producer.Compression = c
		conf.Producer.Flush.Messages = 100
		conf.Producer.Flush.Frequency = 50 * time.Millisecond
		var msgs []*sarama.ProducerMessage
		var want []string
		for i := 0; i < 200; i++ {
			v := strings.Repeat(fmt.Sprintf("%s record %d ", name, i), 20)
			want = append(want, v)
			msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Partition: 0, Value: sarama.StringEncoder(v)})
		}
		produce(conf, msgs)
		got := readN(config(), topic, 0, 200)
		for i := range want {
			Check(string(got[i].Value) == want[i], "record %d differs", i)
		}
		return "200 records"
	}
}

// murmur2Hash adapts murmur2 to hash.Hash32 for sarama.WithCustomHashFunction.
type murmur2Hash struct{ buf []byte }

func (h *murmur2Hash) Write(p []byte) (int, error) { h.buf = append(h.buf, p...); return len(p), nil }
func (h *murmur2Hash) Sum(b []byte) []byte {
	s := uint32(Murmur2(h.buf))
	return append(b, byte(s>>24), byte(s>>16), byte(s>>8), byte(s))
}
func (h *murmur2Hash) Reset()         { h.buf = h.buf[:0] }
func (h *murmur2Hash) Size() int      { return 4 }
func (h *murmur2Hash) BlockSize() int { return 4 }
func (h *murmur2Hash) Sum32() uint32  { return uint32(Murmur2(h.buf)) }

func murmur2Partitioning() string {
	topic := Unique("sa-murmur")
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
		Check(m.Partition == JavaPartition(k, 7), "key %s in partition %d, Java murmur2 says %d", k, m.Partition, JavaPartition(k, 7))
	}
	return "60 keys over 7 partitions; Sarama has no built-in murmur2: NewCustomPartitioner(WithAbsFirst, WithCustomHashFunction(murmur2 written in the test))"
}

func produceAt(topic string, deltas []int) time.Time {
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	var msgs []*sarama.ProducerMessage
	for _, d := range deltas {
		msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Partition: 0, Value: sarama.StringEncoder("v"), Timestamp: base.Add(time.Duration(d) * time.Millisecond)})
	}
	conf := config()
	conf.Producer.Flush.Messages = len(msgs)
	conf.Producer.Flush.Frequency = 100 * time.Millisecond
	produce(conf, msgs)
	return base
}

func listOffsets() string {
	topic := Unique("sa-lo")
	create(topic, 1)
	base := produceAt(topic, []int{0, 1000, 2000, 3000, 4000})
	cl := Must1(sarama.NewClient(bootstrap, config()))
	defer cl.Close()
	e := Must1(cl.GetOffset(topic, 0, sarama.OffsetOldest))
	l := Must1(cl.GetOffset(topic, 0, sarama.OffsetNewest))
	t := Must1(cl.GetOffset(topic, 0, base.Add(2500*time.Millisecond).UnixMilli()))
	Check(e == 0 && l == 5 && t == 3, "earliest %d latest %d by time %d", e, l, t)
	a := admin()
	defer a.Close()
	r := Must1(a.ListOffsets(map[string]map[int32]int64{topic: {0: base.Add(1000 * time.Millisecond).UnixMilli()}}, nil))
	Must(noErr(r[topic][0].Err))
	Check(r[topic][0].Offset == 1, "ClusterAdmin.ListOffsets by time: %d", r[topic][0].Offset)
	return "Client.GetOffset: oldest, newest, by timestamp; ClusterAdmin.ListOffsets by timestamp"
}

func listOffsetsMaxTimestamp() string {
	topic := Unique("sa-lomax")
	create(topic, 1)
	base := produceAt(topic, []int{0, 4000, 1000, 2000, 3000})
	a := admin()
	defer a.Close()
	// -3 is ListOffsets' MAX_TIMESTAMP spec (KIP-734); Sarama names no constant for it and sends it
	// with ListOffsets v6, the newest it speaks.
	r := Must1(a.ListOffsets(map[string]map[int32]int64{topic: {0: -3}}, nil))
	Must(noErr(r[topic][0].Err))
	Check(r[topic][0].Offset == 1 && r[topic][0].Timestamp == base.Add(4*time.Second).UnixMilli(), "max timestamp: offset %d timestamp %d", r[topic][0].Offset, r[topic][0].Timestamp)
	return "ClusterAdmin.ListOffsets with timestamp -3: offset 1 of timestamps out of order"
}

func adminDeleteRecords() string {
	topic := Unique("sa-dr")
	create(topic, 1)
	produce(config(), values(topic, 0, 10, "d"))
	a := admin()
	defer a.Close()
	Must(a.DeleteRecords(topic, map[int32]int64{0: 4}))
	cl := Must1(sarama.NewClient(bootstrap, config()))
	defer cl.Close()
	Check(Must1(cl.GetOffset(topic, 0, sarama.OffsetOldest)) == 4, "oldest after delete")
	got := readN(config(), topic, 0, 6)
	Check(got[0].Offset == 4 && string(got[0].Value) == "d4", "first record after delete at %d", got[0].Offset)
	return "DeleteRecords before 4: oldest offset 4, reading starts at 4"
}

// ---- consumer groups ---------------------------------------------------------------------

type handler struct {
	mu     sync.Mutex
	limit  int
	got    []int64
	claims []int32
}

func (h *handler) Setup(s sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	defer h.mu.Unlock()
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
	conf.Consumer.Offsets.AutoCommit.Interval = 100 * time.Millisecond
	g := Must1(sarama.NewConsumerGroup(bootstrap, group, conf))
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
	Must(m.g.Close())
	<-m.done
}

func groupCommitResume() string {
	topic, group := Unique("sa-resume"), Unique("sa-resume-g")
	create(topic, 1)
	produce(config(), values(topic, 0, 10, "v"))
	first := join(group, topic, 6)
	WaitUntil("6 records", func() bool { g, _ := first.h.snapshot(); return len(g) >= 6 })
	first.leave() // Close commits the marked offsets
	g1, _ := first.h.snapshot()
	Check(reflect.DeepEqual(g1, []int64{0, 1, 2, 3, 4, 5}), "first got %v", g1)
	second := join(group, topic, 0)
	WaitUntil("4 more records", func() bool { g, _ := second.h.snapshot(); return len(g) >= 4 })
	second.leave()
	g2, _ := second.h.snapshot()
	Check(reflect.DeepEqual(g2, []int64{6, 7, 8, 9}), "second got %v", g2)
	return "ConsumerGroup, MarkMessage with auto-commit (default Retention)"
}

func rebalanceTwoMembers() string {
	topic, group := Unique("sa-reb"), Unique("sa-reb-g")
	create(topic, 4)
	a := join(group, topic, 0)
	WaitUntil("a owns all", func() bool { _, c := a.h.snapshot(); return len(c) == 4 })
	b := join(group, topic, 0)
	var ca, cb []int32
	WaitUntil("two-member split", func() bool {
		_, ca = a.h.snapshot()
		_, cb = b.h.snapshot()
		seen := map[int32]bool{}
		for _, p := range append(append([]int32{}, ca...), cb...) {
			seen[p] = true
		}
		return len(ca) > 0 && len(cb) > 0 && len(ca)+len(cb) == 4 && len(seen) == 4
	})
	b.leave()
	WaitUntil("a owns all again", func() bool { _, c := a.h.snapshot(); return len(c) == 4 })
	a.leave()
	return fmt.Sprintf("split %v / %v, back to one member after leave", ca, cb)
}

func groupsListDescribeDelete() string {
	topic, group := Unique("sa-grp"), Unique("sa-grp-g")
	create(topic, 1)
	produce(config(), values(topic, 0, 1, "x"))
	m := join(group, topic, 0)
	WaitUntil("1 record", func() bool { g, _ := m.h.snapshot(); return len(g) >= 1 })
	a := admin()
	defer a.Close()
	groups := Must1(a.ListConsumerGroups())
	_, listed := groups[group]
	Check(listed, "group not listed")
	d := Must1(a.DescribeConsumerGroups([]string{group}))
	Check(len(d) == 1 && len(d[0].Members) == 1, "describe: %+v", d)
	state := d[0].State
	m.leave()
	off := Must1(a.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0}}))
	Check(off.GetBlock(topic, 0) != nil && off.GetBlock(topic, 0).Offset == 1, "committed offset %+v", off.GetBlock(topic, 0))
	WaitUntil("group empty", func() bool {
		d, err := a.DescribeConsumerGroups([]string{group})
		return err == nil && len(d) == 1 && d[0].State == "Empty"
	})
	Must(a.DeleteConsumerGroup(group))
	groups = Must1(a.ListConsumerGroups())
	_, listed = groups[group]
	Check(!listed, "group still listed after delete")
	return fmt.Sprintf("ListConsumerGroups, DescribeConsumerGroups (%s), ListConsumerGroupOffsets, DeleteConsumerGroup", state)
}

func simpleCommitAssign() string {
	topic, group := Unique("sa-sc"), Unique("sa-sc-g")
	create(topic, 1)
	produce(config(), values(topic, 0, 6, "s"))
	conf := config()
	conf.Consumer.Offsets.Initial = sarama.OffsetOldest
	cl := Must1(sarama.NewClient(bootstrap, conf))
	defer cl.Close()
	// An OffsetManager outside any group session commits with generation -1 and no member id.
	om := Must1(sarama.NewOffsetManagerFromClient(group, cl))
	pom := Must1(om.ManagePartition(topic, 0))
	pom.MarkOffset(3, "")
	om.Commit()
	select {
	case err := <-pom.Errors():
		panic(err)
	default:
	}
	Must(pom.Close())
	Must(om.Close())
	a := admin()
	defer a.Close()
	off := Must1(a.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0}}))
	Check(off.GetBlock(topic, 0) != nil && off.GetBlock(topic, 0).Offset == 3, "committed offset %+v", off.GetBlock(topic, 0))
	om2 := Must1(sarama.NewOffsetManagerFromClient(group, cl))
	defer om2.Close()
	pom2 := Must1(om2.ManagePartition(topic, 0))
	next, _ := pom2.NextOffset()
	Check(next == 3, "a new offset manager resumes at %d", next)
	missing := Unique("sa-sc-missing")
	resp, err := a.AlterConsumerGroupOffsets(group, map[string]map[int32]sarama.OffsetAndMetadata{missing: {0: {Offset: 1}}}, nil)
	if err == nil {
		err = resp.Errors[missing][0]
		if errors.Is(err, sarama.ErrNoError) {
			err = nil
		}
	}
	Check(errors.Is(err, sarama.ErrUnknownTopicOrPartition), "commit for an unknown topic: %v", err)
	return "OffsetManager outside a session (generation -1): committed 3, a new manager resumes at 3; unknown topic: UNKNOWN_TOPIC_OR_PARTITION"
}

func createPartitions() string {
	topic := Unique("sa-cp")
	create(topic, 2)
	a := admin()
	defer a.Close()
	Must(a.CreatePartitions(topic, 4, nil, false))
	cl := Must1(sarama.NewClient(bootstrap, config()))
	defer cl.Close()
	WaitUntil("4 partitions", func() bool {
		_ = cl.RefreshMetadata(topic)
		p, _ := cl.Partitions(topic)
		return len(p) == 4
	})
	produce(config(), []*sarama.ProducerMessage{{Topic: topic, Partition: 3, Value: sarama.StringEncoder("p3")}})
	Check(string(readN(config(), topic, 3, 1)[0].Value) == "p3", "wrong record")
	return ""
}

func describeConfigs() string {
	topic := Unique("sa-dc")
	create(topic, 1)
	a := admin()
	defer a.Close()
	entries := Must1(a.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic}))
	names := map[string]bool{}
	for _, e := range entries {
		names[e.Name] = true
	}
	for _, k := range []string{"retention.ms", "cleanup.policy", "max.message.bytes"} {
		Check(names[k], "%s missing", k)
	}
	b := Must1(a.DescribeConfig(sarama.ConfigResource{Type: sarama.BrokerResource, Name: "0"}))
	Check(len(b) > 0, "no broker configs")
	return fmt.Sprintf("topic: %d entries, broker: %d", len(entries), len(b))
}

func alterConfigs() string {
	topic := Unique("sa-ac")
	create(topic, 1)
	a := admin()
	defer a.Close()
	v := "123456"
	Must(a.IncrementalAlterConfig(sarama.TopicResource, topic, map[string]sarama.IncrementalAlterConfigsEntry{"retention.ms": {Operation: sarama.IncrementalAlterConfigsOperationSet, Value: &v}}, false))
	get := func() string {
		for _, e := range Must1(a.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic})) {
			if e.Name == "retention.ms" {
				return e.Value
			}
		}
		return ""
	}
	Check(get() == v, "retention.ms %q", get())
	Must(a.IncrementalAlterConfig(sarama.TopicResource, topic, map[string]sarama.IncrementalAlterConfigsEntry{"retention.ms": {Operation: sarama.IncrementalAlterConfigsOperationDelete}}, false))
	Check(get() != v, "retention.ms still %s after delete", v)
	return "IncrementalAlterConfig set and delete, seen by DescribeConfig"
}

func adminACLs() string {
	topic := Unique("sa-acl")
	a := admin()
	defer a.Close()
	r := sarama.Resource{ResourceType: sarama.AclResourceTopic, ResourceName: topic, ResourcePatternType: sarama.AclPatternLiteral}
	acl := sarama.Acl{Principal: "User:pgkafka_compat", Host: "*", Operation: sarama.AclOperationRead, PermissionType: sarama.AclPermissionAllow}
	err := a.CreateACL(r, acl)
	if err != nil && (errors.Is(err, sarama.ErrSecurityDisabled) || errors.Is(err, sarama.ErrUnsupportedVersion) || strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "broken pipe") || strings.Contains(err.Error(), "connection reset")) {
		panic(NotApplicable{"the broker serves no ACLs yet (Sarama sends CreateAcls without asking ApiVersions; the broker closes the connection): " + err.Error()})
	}
	Must(err)
	name := topic
	f := sarama.AclFilter{ResourceType: sarama.AclResourceTopic, ResourceName: &name, ResourcePatternTypeFilter: sarama.AclPatternLiteral, Operation: sarama.AclOperationAny, PermissionType: sarama.AclPermissionAny}
	ls := Must1(a.ListAcls(f))
	Check(len(ls) == 1 && len(ls[0].Acls) == 1, "ListAcls %+v", ls)
	Must1(a.DeleteACL(f, false))
	return "CreateACL, ListAcls, DeleteACL"
}

func idempotentProducer() string {
	topic := Unique("sa-idem")
	create(topic, 1)
	conf := config()
	conf.Producer.Idempotent = true
	conf.Producer.Retry.Max = 3
	conf.Net.MaxOpenRequests = 1
	conf.Producer.Flush.Messages = 10
	produce(conf, values(topic, 0, 1000, "i"))
	got := readN(config(), topic, 0, 1000)
	for i, m := range got {
		Check(string(m.Value) == fmt.Sprintf("i%d", i) && m.Offset == int64(i), "record %d", i)
	}
	return "1000 records in batches of 10: each once, in order"
}

// readCommitted appends a plain sentinel and reads with read_committed up to it.
func readCommitted(topic string) []string {
	produce(config(), []*sarama.ProducerMessage{{Topic: topic, Partition: 0, Value: sarama.StringEncoder("sentinel")}})
	conf := config()
	conf.Consumer.IsolationLevel = sarama.ReadCommitted
	c := Must1(sarama.NewConsumer(bootstrap, conf))
	defer c.Close()
	pc := Must1(c.ConsumePartition(topic, 0, sarama.OffsetOldest))
	defer pc.Close()
	var out []string
	deadline := time.After(Patience)
	for {
		select {
		case m := <-pc.Messages():
			if string(m.Value) == "sentinel" {
				return out
			}
			out = append(out, string(m.Value))
		case e := <-pc.Errors():
			panic(e)
		case <-deadline:
			panic(fmt.Errorf("read_committed did not reach the sentinel: %v", out))
		}
	}
}

func txnConfig() *sarama.Config {
	conf := config()
	conf.Producer.Idempotent = true
	conf.Producer.Transaction.ID = Unique("sa-txn-id")
	conf.Net.MaxOpenRequests = 1
	return conf
}

func transactions() string {
	topic := Unique("sa-txn")
	create(topic, 1)
	p := Must1(sarama.NewSyncProducer(bootstrap, txnConfig()))
	defer p.Close()
	step := func(vals []string, commit bool) {
		Must(p.BeginTxn())
		for _, v := range vals {
			Must1x2(p.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: 0, Value: sarama.StringEncoder(v)}))
		}
		if commit {
			Must(p.CommitTxn())
		} else {
			Must(p.AbortTxn())
		}
	}
	step([]string{"c1", "c2"}, true)
	step([]string{"a1"}, false)
	step([]string{"c3"}, true)
	got := readCommitted(topic)
	Check(fmt.Sprint(got) == "[c1 c2 c3]", "read_committed saw %v", got)
	var all []string
	for _, m := range readN(config(), topic, 0, 5)[:4] {
		all = append(all, string(m.Value))
	}
	Check(fmt.Sprint(all) == "[c1 c2 a1 c3]", "read_uncommitted saw %v", all)
	return "BeginTxn/CommitTxn/AbortTxn: read_committed sees [c1 c2 c3], read_uncommitted [c1 c2 a1 c3]"
}

func txnOffsetCommit() string {
	in, out, group := Unique("sa-ctp-in"), Unique("sa-ctp-out"), Unique("sa-ctp-g")
	create(in, 1)
	create(out, 1)
	produce(config(), values(in, 0, 10, "in"))
	p := Must1(sarama.NewSyncProducer(bootstrap, txnConfig()))
	defer p.Close()
	msgs := readN(config(), in, 0, 10)
	// An aborted pass: neither its output nor its offsets count.
	Must(p.BeginTxn())
	for _, m := range msgs {
		Must1x2(p.SendMessage(&sarama.ProducerMessage{Topic: out, Partition: 0, Value: sarama.StringEncoder("aborted-" + string(m.Value))}))
		Must(p.AddMessageToTxn(m, group, nil))
	}
	Must(p.AbortTxn())
	a := admin()
	defer a.Close()
	off := Must1(a.ListConsumerGroupOffsets(group, map[string][]int32{in: {0}}))
	Check(off.GetBlock(in, 0) == nil || off.GetBlock(in, 0).Offset == -1, "offsets of the aborted transaction: %+v", off.GetBlock(in, 0))
	for _, m := range msgs {
		Must(p.BeginTxn())
		Must1x2(p.SendMessage(&sarama.ProducerMessage{Topic: out, Partition: 0, Value: sarama.StringEncoder("out-" + string(m.Value))}))
		Must(p.AddMessageToTxn(m, group, nil))
		Must(p.CommitTxn())
	}
	off = Must1(a.ListConsumerGroupOffsets(group, map[string][]int32{in: {0}}))
	Check(off.GetBlock(in, 0) != nil && off.GetBlock(in, 0).Offset == 10, "group offset %+v", off.GetBlock(in, 0))
	got := readCommitted(out)
	Check(len(got) == 10, "output %v", got)
	for i, v := range got {
		Check(v == fmt.Sprintf("out-in%d", i), "output %d: %s", i, v)
	}
	return "AddMessageToTxn (TxnOffsetCommit): an aborted pass leaves no output and no offsets; committed pass once each"
}

func longPoll() string {
	topic := Unique("sa-lp")
	create(topic, 1)
	conf := config()
	conf.Consumer.MaxWaitTime = longPollMaxWait
	conf.Net.ReadTimeout = longPollMaxWait + 30*time.Second
	c := Must1(sarama.NewConsumer(bootstrap, conf))
	defer c.Close()
	pc := Must1(c.ConsumePartition(topic, 0, sarama.OffsetOldest))
	defer pc.Close()
	time.Sleep(3 * time.Second) // the consumer is now waiting in a long-poll fetch
	t0 := time.Now()
	produce(config(), []*sarama.ProducerMessage{{Topic: topic, Partition: 0, Value: sarama.StringEncoder("late")}})
	select {
	case m := <-pc.Messages():
		Check(string(m.Value) == "late", "wrong record")
		return fmt.Sprintf("MaxWaitTime %v; the record arrived %.2fs after its produce", longPollMaxWait, time.Since(t0).Seconds())
	case e := <-pc.Errors():
		panic(e)
	case <-time.After(30 * time.Second): // hang guard shorter than the max wait
		panic(errors.New("the record did not arrive before the fetch's max wait"))
	}
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/IBM/sarama" {
				return d.Version + " (IBM/sarama, Config.Version 4.0.0)"
			}
		}
	}
	return "unknown"
}

func main() {
	Run("sarama", version(), []Scenario{
		{Name: "metadata", Fn: metadata},
		{Name: "create_delete_topic", Fn: createDeleteTopic},
		{Name: "produce_consume", Fn: produceConsume},
		{Name: "codec_gzip", Fn: codec("gzip", sarama.CompressionGZIP)},
		{Name: "codec_snappy", Fn: codec("snappy", sarama.CompressionSnappy)},
		{Name: "codec_lz4", Fn: codec("lz4", sarama.CompressionLZ4)},
		{Name: "codec_zstd", Fn: codec("zstd", sarama.CompressionZSTD)},
		{Name: "murmur2_partitioning", Fn: murmur2Partitioning},
		{Name: "list_offsets", Fn: listOffsets},
		{Name: "group_commit_resume", Fn: groupCommitResume},
		{Name: "rebalance_two_members", Fn: rebalanceTwoMembers},
		{Name: "groups_list_describe_delete", Fn: groupsListDescribeDelete},
		{Name: "create_partitions", Fn: createPartitions},
		{Name: "idempotent_producer", Fn: idempotentProducer},
		{Name: "transactions", Fn: transactions},
		{Name: "long_poll", Fn: longPoll},
		{Name: "describe_configs", Fn: describeConfigs},
		{Name: "describe_cluster", Fn: describeCluster},
		{Name: "alter_configs", Fn: alterConfigs},
		{Name: "admin_delete_records", Fn: adminDeleteRecords},
		{Name: "list_offsets_max_timestamp", Fn: listOffsetsMaxTimestamp},
		{Name: "admin_acls", Fn: adminACLs},
		{Name: "txn_offset_commit", Fn: txnOffsetCommit},
		{Name: "simple_commit_assign", Fn: simpleCommitAssign},
		{Name: "regex_subscribe", Fn: NA("Sarama's ConsumerGroup takes topic names only, no pattern")},
		{Name: "assign_grow", Fn: NA("Sarama has no assign(): each PartitionConsumer is independent")},
		{Name: "kip848_commit_resume", Fn: NA("Sarama speaks only the classic group protocol (no ConsumerGroupHeartbeat)")},
		{Name: "kip848_rebalance", Fn: NA("Sarama speaks only the classic group protocol")},
		{Name: "kip848_simple_commit_assign", Fn: NA("Sarama speaks only the classic group protocol")},
		{Name: "kip848_regex_subscribe", Fn: NA("Sarama speaks only the classic group protocol")},
		{Name: "kip848_assign_grow", Fn: NA("Sarama speaks only the classic group protocol")},
	}, nil)
}
