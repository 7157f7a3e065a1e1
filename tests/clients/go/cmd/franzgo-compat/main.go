// Compatibility matrix: franz-go (kgo) with its admin package kadm. Writes
// $PG_KAFKA_COMPAT_DIR/franz-go.jsonl.
package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	. "pgkafkacompat/internal/matrix"
)

const longPollMaxWait = 60 * time.Second

var ctxBg = context.Background()

func ctx() context.Context {
	c, _ := context.WithTimeout(ctxBg, Patience) //nolint:govet // the scenario's hang guard ends it
	return c
}

func client(opts ...kgo.Opt) *kgo.Client {
	base := []kgo.Opt{kgo.SeedBrokers(Bootstrap), kgo.ClientID("pg-kafka-compat-franz-go"), kgo.RetryTimeout(30 * time.Second)}
	return Must1(kgo.NewClient(append(base, opts...)...))
}

func admin() (*kadm.Client, func()) {
	cl := client()
	return kadm.NewClient(cl), cl.Close
}

func create(topic string, partitions int32) {
	adm, done := admin()
	defer done()
	rs := Must1(adm.CreateTopics(ctx(), partitions, 1, nil, topic))
	Must(rs.Error())
}

// produce sends records synchronously with a manual partitioner (Record.Partition decides).
func produce(recs []*kgo.Record, opts ...kgo.Opt) {
	cl := client(append([]kgo.Opt{kgo.RecordPartitioner(kgo.ManualPartitioner())}, opts...)...)
	defer cl.Close()
	Must(cl.ProduceSync(ctx(), recs...).FirstErr())
}

func values(topic string, partition int32, n int, prefix string) []*kgo.Record {
	var rs []*kgo.Record
	for i := 0; i < n; i++ {
		rs = append(rs, &kgo.Record{Topic: topic, Partition: partition, Value: []byte(fmt.Sprintf("%s%d", prefix, i))})
	}
	return rs
}

// pollN polls cl until n records arrived.
func pollN(cl *kgo.Client, n int) []*kgo.Record {
	var got []*kgo.Record
	deadline := time.Now().Add(Patience)
	for len(got) < n {
		Check(time.Now().Before(deadline), "only %d of %d records", len(got), n)
		c, cancel := context.WithTimeout(ctxBg, 500*time.Millisecond)
		fs := cl.PollFetches(c)
		cancel()
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				panic(fmt.Errorf("fetch %s/%d: %w", t, p, err))
			}
		})
		got = append(got, fs.Records()...)
	}
	return got
}

func readN(topic string, partition int32, n int, opts ...kgo.Opt) []*kgo.Record {
	cl := client(append([]kgo.Opt{kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {partition: kgo.NewOffset().AtStart()}})}, opts...)...)
	defer cl.Close()
	return pollN(cl, n)
}

func topicNames() map[string]bool {
	adm, done := admin()
	defer done()
	td := Must1(adm.ListTopics(ctx()))
	out := map[string]bool{}
	for _, t := range td.Names() {
		out[t] = true
	}
	return out
}

func metadata() string {
	topic := Unique("fg-meta")
	create(topic, 3)
	adm, done := admin()
	defer done()
	var md kadm.Metadata
	WaitUntil("3 partitions with leaders", func() bool {
		md = Must1(adm.Metadata(ctx(), topic))
		t, ok := md.Topics[topic]
		if !ok || t.Err != nil || len(t.Partitions) != 3 {
			return false
		}
		for _, p := range t.Partitions {
			if p.Leader < 0 {
				return false
			}
		}
		return true
	})
	Check(len(md.Brokers) > 0, "no brokers")
	return fmt.Sprintf("%d broker(s), cluster %s, controller %d", len(md.Brokers), md.Cluster, md.Controller)
}

func describeCluster() string {
	adm, done := admin()
	defer done()
	md := Must1(adm.BrokerMetadata(ctx()))
	Check(md.Cluster != "", "no cluster id")
	Check(md.Controller >= 0, "no controller")
	found := false
	for _, b := range md.Brokers {
		found = found || b.NodeID == md.Controller
		Check(b.Host != "localhost", "broker %d advertises localhost", b.NodeID)
	}
	Check(found, "controller %d not among brokers %v", md.Controller, md.Brokers)
	bs := Must1(adm.ListBrokers(ctx()))
	Check(len(bs) == len(md.Brokers), "ListBrokers %d, metadata %d", len(bs), len(md.Brokers))
	return fmt.Sprintf("cluster %s, %d broker(s), controller %d", md.Cluster, len(md.Brokers), md.Controller)
}

func createDeleteTopic() string {
	topic := Unique("fg-cd")
	create(topic, 2)
	WaitUntil("created topic listed", func() bool { return topicNames()[topic] })
	adm, done := admin()
	defer done()
	rs := Must1(adm.CreateTopics(ctx(), 2, 1, nil, topic))
	Check(errors.Is(rs.Error(), kerr.TopicAlreadyExists), "second create: %v", rs.Error())
	Must(Must1(adm.DeleteTopics(ctx(), topic)).Error())
	WaitUntil("deleted topic gone", func() bool { return !topicNames()[topic] })
	return "create, TOPIC_ALREADY_EXISTS on re-create, delete"
}

type rec struct {
	key, value []byte
	headers    []kgo.RecordHeader
}

func produceConsume() string {
	topic := Unique("fg-pc")
	create(topic, 1)
	recs := []rec{
		{[]byte("k1"), []byte("v1"), []kgo.RecordHeader{{Key: "h", Value: []byte("a")}, {Key: "h", Value: []byte("b")}, {Key: "n", Value: nil}}},
		{nil, []byte("no key"), nil},
		{[]byte("null-value"), nil, nil},
		{[]byte("empty-value"), []byte{}, nil},
		{[]byte{}, []byte("empty key"), []kgo.RecordHeader{{Key: "e", Value: []byte{}}}},
	}
	ts := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	var krs []*kgo.Record
	for i, r := range recs {
		krs = append(krs, &kgo.Record{Topic: topic, Partition: 0, Key: r.key, Value: r.value, Headers: r.headers, Timestamp: ts.Add(time.Duration(i) * time.Millisecond)})
	}
	produce(krs)
	got := readN(topic, 0, len(recs))
	for i, r := range recs {
		g := got[i]
		Check(g.Offset == int64(i), "offset %d at %d", g.Offset, i)
		Check((g.Key == nil) == (r.key == nil) && string(g.Key) == string(r.key), "record %d key %q", i, g.Key)
		Check((g.Value == nil) == (r.value == nil) && string(g.Value) == string(r.value), "record %d value %q (nil %v)", i, g.Value, g.Value == nil)
		Check(g.Timestamp.Equal(ts.Add(time.Duration(i)*time.Millisecond)), "record %d timestamp %v", i, g.Timestamp)
		Check(len(g.Headers) == len(r.headers), "record %d: %d headers, want %d", i, len(g.Headers), len(r.headers))
		for j, h := range r.headers {
			gh := g.Headers[j]
			Check(gh.Key == h.Key && string(gh.Value) == string(h.Value) && (gh.Value == nil) == (h.Value == nil), "record %d header %d: %q=%q", i, j, gh.Key, gh.Value)
		}
	}
	return "default producer (idempotent); keys, duplicate/null/empty headers, null and empty values and keys, timestamps"
}

func codec(name string, c kgo.CompressionCodec) func() string {
	return func() string {
		topic := Unique("fg-" + name)
		create(topic, 1)
		var recs []*kgo.Record
		var want []string
		for i := 0; i < 200; i++ {
			v := strings.Repeat(fmt.Sprintf("%s record %d ", name, i), 20)
			want = append(want, v)
			recs = append(recs, &kgo.Record{Topic: topic, Partition: 0, Value: []byte(v)})
		}
		produce(recs, kgo.ProducerBatchCompression(c), kgo.ProducerLinger(50*time.Millisecond))
		got := readN(topic, 0, 200)
		for i := range want {
			Check(string(got[i].Value) == want[i], "record %d differs", i)
		}
		return "200 records"
	}
}

func murmur2Partitioning() string {
	topic := Unique("fg-murmur")
	create(topic, 7)
	var keys [][]byte
	for i := 0; i < 60; i++ {
		keys = append(keys, []byte(fmt.Sprintf("key-%d", i)))
	}
	keys = append(keys, []byte{}, []byte("x"), []byte{0xff, 0xfe, 0})
	cl := client() // the default partitioner: murmur2 on keys, as the Java client
	defer cl.Close()
	var recs []*kgo.Record
	for _, k := range keys {
		recs = append(recs, &kgo.Record{Topic: topic, Key: k, Value: []byte("v")})
	}
	Must(cl.ProduceSync(ctx(), recs...).FirstErr())
	for _, r := range recs {
		Check(r.Partition == JavaPartition(r.Key, 7), "key %q in partition %d, Java murmur2 says %d", r.Key, r.Partition, JavaPartition(r.Key, 7))
	}
	return fmt.Sprintf("%d keys over 7 partitions, default partitioner", len(keys))
}

func offsetsOf(lo kadm.ListedOffsets, topic string) int64 {
	o, ok := lo.Lookup(topic, 0)
	Check(ok, "no offset for %s/0", topic)
	Must(o.Err)
	return o.Offset
}

func listOffsets() string {
	topic := Unique("fg-lo")
	create(topic, 1)
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	var recs []*kgo.Record
	for i := 0; i < 5; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: 0, Value: []byte("v"), Timestamp: base.Add(time.Duration(i) * time.Second)})
	}
	produce(recs)
	adm, done := admin()
	defer done()
	e := offsetsOf(Must1(adm.ListStartOffsets(ctx(), topic)), topic)
	l := offsetsOf(Must1(adm.ListEndOffsets(ctx(), topic)), topic)
	t := offsetsOf(Must1(adm.ListOffsetsAfterMilli(ctx(), base.Add(2500*time.Millisecond).UnixMilli(), topic)), topic)
	Check(e == 0 && l == 5 && t == 3, "earliest %d latest %d by time %d", e, l, t)
	// A consumer starting at a time.
	got := readN(topic, 0, 1, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AfterMilli(base.Add(time.Second).UnixMilli())}}))
	Check(got[0].Offset == 1, "consumer AfterMilli started at %d", got[0].Offset)
	return "kadm: start, end, after milli; a consumer starting AfterMilli"
}

func listOffsetsMaxTimestamp() string {
	topic := Unique("fg-lomax")
	create(topic, 1)
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	var recs []*kgo.Record
	for _, d := range []int{0, 4000, 1000, 2000, 3000} {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: 0, Value: []byte("v"), Timestamp: base.Add(time.Duration(d) * time.Millisecond)})
	}
	produce(recs, kgo.ProducerLinger(100*time.Millisecond))
	adm, done := admin()
	defer done()
	lo := Must1(adm.ListMaxTimestampOffsets(ctx(), topic))
	o, _ := lo.Lookup(topic, 0)
	Must(o.Err)
	Check(o.Offset == 1 && o.Timestamp == base.Add(4*time.Second).UnixMilli(), "max timestamp: offset %d timestamp %d", o.Offset, o.Timestamp)
	return "ListMaxTimestampOffsets: offset 1 of timestamps out of order"
}

func adminDeleteRecords() string {
	topic := Unique("fg-dr")
	create(topic, 1)
	produce(values(topic, 0, 10, "d"))
	adm, done := admin()
	defer done()
	var os kadm.Offsets
	os.Add(kadm.Offset{Topic: topic, Partition: 0, At: 4})
	rs := Must1(adm.DeleteRecords(ctx(), os))
	r, ok := rs.Lookup(topic, 0)
	Check(ok, "no delete result")
	Must(r.Err)
	Check(r.LowWatermark == 4, "low watermark %d", r.LowWatermark)
	Check(offsetsOf(Must1(adm.ListStartOffsets(ctx(), topic)), topic) == 4, "start offset after delete")
	got := readN(topic, 0, 6)
	Check(got[0].Offset == 4 && string(got[0].Value) == "d4", "first record after delete at %d", got[0].Offset)
	return "DeleteRecords before 4: low watermark 4, start offset 4, reading starts at 4"
}

// ---- groups ------------------------------------------------------------------------------

const (
	classic  = "classic"
	consumer = "consumer"
)

func groupOpts(protocol, group string, extra ...kgo.Opt) []kgo.Opt {
	opts := []kgo.Opt{kgo.ConsumerGroup(group), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit()}
	if protocol == consumer {
		// KIP-848: the broker assigns; franz-go needs ServerSideBalancer and a range or sticky
		// balancer (its default, cooperative-sticky, is one).
		opts = append(opts, kgo.ServerSideBalancer())
	} else {
		opts = append(opts, kgo.SessionTimeout(10*time.Second), kgo.HeartbeatInterval(500*time.Millisecond))
	}
	return append(opts, extra...)
}

// checkProtocol proves which protocol the group uses: a KIP-848 group is described by
// ConsumerGroupDescribe, a classic one by DescribeGroups with the cooperative-sticky assignor.
func checkProtocol(protocol, group string) string {
	adm, done := admin()
	defer done()
	if protocol == consumer {
		ds := Must1(adm.DescribeConsumerGroups(ctx(), group))
		d := ds[group]
		Must(d.Err)
		Check(len(d.Members) > 0, "ConsumerGroupDescribe: no members (%+v)", d)
		return fmt.Sprintf("KIP-848 group (ConsumerGroupDescribe: epoch %d, assignor %s)", d.Epoch, d.AssignorName)
	}
	ds := Must1(adm.DescribeGroups(ctx(), group))
	d := ds[group]
	Must(d.Err)
	Check(d.ProtocolType == "consumer" && d.Protocol == "cooperative-sticky", "classic group protocol %q/%q", d.ProtocolType, d.Protocol)
	return "classic group, " + d.Protocol
}

func groupCommitResume(protocol string) func() string {
	return func() string {
		topic, group := Unique("fg-resume"), Unique("fg-resume-g")
		create(topic, 1)
		produce(values(topic, 0, 10, "v"))
		first := client(groupOpts(protocol, group, kgo.ConsumeTopics(topic))...)
		got := pollN(first, 6)
		Check(got[0].Offset == 0, "first member started at %d", got[0].Offset)
		how := checkProtocol(protocol, group)
		var commitErr error
		first.CommitOffsetsSync(ctx(), map[string]map[int32]kgo.EpochOffset{topic: {0: {Epoch: -1, Offset: 6}}},
			func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
				commitErr = err
				if err == nil {
					for _, t := range resp.Topics {
						for _, p := range t.Partitions {
							if e := kerr.ErrorForCode(p.ErrorCode); e != nil {
								commitErr = e
							}
						}
					}
				}
			})
		Must(commitErr)
		first.Close()
		second := client(groupOpts(protocol, group, kgo.ConsumeTopics(topic))...)
		defer second.Close()
		rest := pollN(second, 4)
		var offs []int64
		for _, r := range rest {
			offs = append(offs, r.Offset)
		}
		Check(fmt.Sprint(offs) == "[6 7 8 9]", "second member read %v", offs)
		return how + "; CommitOffsetsSync 6, the next member resumes at 6"
	}
}

// member is one group consumer polling in the background; the group's callbacks keep its
// assignment.
type member struct {
	cl     *kgo.Client
	mu     sync.Mutex
	parts  map[int32]bool
	cancel context.CancelFunc
	done   chan struct{}
}

func join(protocol, group, topic string) *member {
	m := &member{done: make(chan struct{}), parts: map[int32]bool{}}
	set := func(add bool) func(context.Context, *kgo.Client, map[string][]int32) {
		return func(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
			m.mu.Lock()
			defer m.mu.Unlock()
			for _, p := range ps[topic] {
				if add {
					m.parts[p] = true
				} else {
					delete(m.parts, p)
				}
			}
		}
	}
	m.cl = client(groupOpts(protocol, group, kgo.ConsumeTopics(topic),
		kgo.OnPartitionsAssigned(set(true)), kgo.OnPartitionsRevoked(set(false)), kgo.OnPartitionsLost(set(false)))...)
	c, cancel := context.WithCancel(ctxBg)
	m.cancel = cancel
	go func() {
		defer close(m.done)
		for c.Err() == nil {
			pc, pcancel := context.WithTimeout(c, 200*time.Millisecond)
			m.cl.PollFetches(pc)
			pcancel()
		}
	}()
	return m
}

func (m *member) partitions() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ps []int32
	for p := range m.parts {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	return ps
}

func (m *member) leave() {
	m.cancel()
	<-m.done
	m.cl.Close()
}

func rebalanceTwoMembers(protocol string) func() string {
	return func() string {
		topic, group := Unique("fg-reb"), Unique("fg-reb-g")
		create(topic, 4)
		a := join(protocol, group, topic)
		WaitUntil("a owns all", func() bool { return len(a.partitions()) == 4 })
		b := join(protocol, group, topic)
		var pa, pb []int32
		WaitUntil("two-member split", func() bool {
			pa, pb = a.partitions(), b.partitions()
			seen := map[int32]bool{}
			for _, p := range append(append([]int32{}, pa...), pb...) {
				seen[p] = true
			}
			return len(pa) > 0 && len(pb) > 0 && len(pa)+len(pb) == 4 && len(seen) == 4
		})
		how := checkProtocol(protocol, group)
		b.leave()
		WaitUntil("a owns all again", func() bool { return len(a.partitions()) == 4 })
		a.leave()
		return fmt.Sprintf("%s; split %v / %v, back to one member after leave", how, pa, pb)
	}
}

func groupsListDescribeDelete() string {
	topic, group := Unique("fg-grp"), Unique("fg-grp-g")
	create(topic, 1)
	produce(values(topic, 0, 1, "x"))
	c := client(groupOpts(classic, group, kgo.ConsumeTopics(topic))...)
	recs := pollN(c, 1)
	Must(c.CommitRecords(ctx(), recs...))
	adm, done := admin()
	defer done()
	lg := Must1(adm.ListGroups(ctx()))
	_, listed := lg[group]
	Check(listed, "group not listed")
	dg := Must1(adm.DescribeGroups(ctx(), group))[group]
	Must(dg.Err)
	Check(len(dg.Members) == 1 && dg.State == "Stable", "describe: state %s, %d members", dg.State, len(dg.Members))
	c.Close()
	WaitUntil("group empty", func() bool {
		d := Must1(adm.DescribeGroups(ctx(), group))[group]
		return d.Err == nil && d.State == "Empty"
	})
	off := Must1(adm.FetchOffsets(ctx(), group))
	o, ok := off.Lookup(topic, 0)
	Check(ok && o.At == 1, "committed offset %+v", o)
	Must(Must1(adm.DeleteGroups(ctx(), group)).Error())
	lg = Must1(adm.ListGroups(ctx()))
	_, listed = lg[group]
	Check(!listed, "group listed after delete")
	return "ListGroups, DescribeGroups (Stable, then Empty), FetchOffsets, DeleteGroups"
}

func simpleCommitAssign(protocol string) func() string {
	return func() string {
		_ = protocol // a consumer without membership speaks no group protocol: the same requests either way
		topic, group := Unique("fg-sc"), Unique("fg-sc-g")
		create(topic, 1)
		produce(values(topic, 0, 6, "s"))
		adm, done := admin()
		defer done()
		// Simple commits as an assign()-only consumer sends them: generation -1, empty member id.
		var os kadm.Offsets
		os.Add(kadm.Offset{Topic: topic, Partition: 0, At: 3, LeaderEpoch: -1})
		rs := Must1(adm.CommitOffsets(ctx(), group, os))
		Must(rs.Error())
		off := Must1(adm.FetchOffsets(ctx(), group))
		o, ok := off.Lookup(topic, 0)
		Check(ok && o.At == 3, "fetched offset %+v", o)
		// A direct consumer resumes from the group's committed offset.
		got := readN(topic, 0, 3, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().At(o.At)}}))
		Check(got[0].Offset == 3, "resumed at %d", got[0].Offset)
		missing := Unique("fg-sc-missing")
		var mos kadm.Offsets
		mos.Add(kadm.Offset{Topic: missing, Partition: 0, At: 1, LeaderEpoch: -1})
		mrs, err := adm.CommitOffsets(ctx(), group, mos)
		if err == nil {
			err = mrs.Error()
		}
		Check(errors.Is(err, kerr.UnknownTopicOrPartition), "commit for an unknown topic: %v", err)
		return "kadm CommitOffsets (generation -1, no member) then FetchOffsets: 3; unknown topic: UNKNOWN_TOPIC_OR_PARTITION"
	}
}

func regexSubscribe(protocol string) func() string {
	return func() string {
		prefix := Unique("fg-rx")
		t1, t2, other := prefix+"-a", prefix+"-b", Unique("fg-rxother")
		for _, t := range []string{t1, t2, other} {
			create(t, 1)
			produce(values(t, 0, 2, t))
		}
		c := client(groupOpts(protocol, Unique("fg-rx-g"), kgo.ConsumeRegex(), kgo.ConsumeTopics("^"+regexp.QuoteMeta(prefix)+"-.*"), kgo.MetadataMinAge(500*time.Millisecond))...)
		defer c.Close()
		got := pollN(c, 4)
		topics := map[string]int{}
		for _, r := range got {
			topics[r.Topic]++
		}
		Check(len(topics) == 2 && topics[t1] == 2 && topics[t2] == 2, "read %v", topics)
		return "ConsumeRegex: both matching topics read, the other not"
	}
}

func assignGrow(protocol string) func() string {
	return func() string {
		_ = protocol
		topic := Unique("fg-grow")
		create(topic, 2)
		produce(values(topic, 0, 5, "p0-"))
		produce(values(topic, 1, 5, "p1-"))
		c := client(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
		defer c.Close()
		first := pollN(c, 5)
		for _, r := range first {
			Check(r.Partition == 0, "read partition %d", r.Partition)
		}
		c.AddConsumePartitions(map[string]map[int32]kgo.Offset{topic: {1: kgo.NewOffset().AtStart()}})
		produce(values(topic, 0, 1, "p0-late-"))
		next := pollN(c, 6)
		p1 := 0
		for _, r := range next {
			Check(!(r.Partition == 0 && r.Offset < 5), "partition 0 offset %d read again", r.Offset)
			if r.Partition == 1 {
				p1++
			}
		}
		Check(p1 == 5, "%d records of partition 1", p1)
		return "ConsumePartitions p0, then AddConsumePartitions p1: p0 continues at 5"
	}
}

func createPartitions() string {
	topic := Unique("fg-cp")
	create(topic, 2)
	adm, done := admin()
	defer done()
	Must(Must1(adm.UpdatePartitions(ctx(), 4, topic)).Error())
	WaitUntil("4 partitions", func() bool {
		md := Must1(adm.Metadata(ctx(), topic))
		return len(md.Topics[topic].Partitions) == 4
	})
	produce([]*kgo.Record{{Topic: topic, Partition: 3, Value: []byte("p3")}})
	Check(string(readN(topic, 3, 1)[0].Value) == "p3", "wrong record")
	return "UpdatePartitions to 4"
}

func describeConfigs() string {
	topic := Unique("fg-dc")
	create(topic, 1)
	adm, done := admin()
	defer done()
	rc := Must1(adm.DescribeTopicConfigs(ctx(), topic))
	r, err := rc.On(topic, nil)
	Must(err)
	Must(r.Err)
	names := map[string]bool{}
	for _, c := range r.Configs {
		names[c.Key] = true
	}
	for _, k := range []string{"retention.ms", "cleanup.policy", "max.message.bytes"} {
		Check(names[k], "%s missing", k)
	}
	bc := Must1(adm.DescribeBrokerConfigs(ctx()))
	Check(len(bc) > 0 && len(bc[0].Configs) > 0, "no broker configs")
	return fmt.Sprintf("topic: %d entries, broker: %d", len(r.Configs), len(bc[0].Configs))
}

func alterConfigs() string {
	topic := Unique("fg-ac")
	create(topic, 1)
	adm, done := admin()
	defer done()
	v := "123456"
	rs := Must1(adm.AlterTopicConfigs(ctx(), []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: &v}}, topic))
	r, err := rs.On(topic, nil)
	Must(err)
	Must(r.Err)
	rc := Must1(adm.DescribeTopicConfigs(ctx(), topic))
	dr, _ := rc.On(topic, nil)
	val := ""
	for _, c := range dr.Configs {
		if c.Key == "retention.ms" {
			val = c.MaybeValue()
			Check(c.Source.String() == "DYNAMIC_TOPIC_CONFIG", "source %v", c.Source)
		}
	}
	Check(val == v, "retention.ms %q", val)
	dres, err := Must1(adm.AlterTopicConfigs(ctx(), []kadm.AlterConfig{{Op: kadm.DeleteConfig, Name: "retention.ms"}}, topic)).On(topic, nil)
	Must(err)
	Must(dres.Err)
	rc = Must1(adm.DescribeTopicConfigs(ctx(), topic))
	dr, _ = rc.On(topic, nil)
	for _, c := range dr.Configs {
		if c.Key == "retention.ms" {
			Check(c.MaybeValue() != v, "retention.ms still %s after delete", v)
		}
	}
	return "AlterTopicConfigs (incremental) set and delete, seen by DescribeTopicConfigs"
}

func adminACLs() string {
	topic := Unique("fg-acl")
	adm, done := admin()
	defer done()
	b := kadm.NewACLs().Topics(topic).ResourcePatternType(kadm.ACLPatternLiteral).Allow("User:pgkafka_compat").AllowHosts("*").Operations(kadm.OpRead)
	rs, err := adm.CreateACLs(ctx(), b)
	if err == nil {
		for _, r := range rs {
			if r.Err != nil {
				err = r.Err
			}
		}
	}
	var ke *kerr.Error
	// franz-go's "broker is too old" means the broker's ApiVersions lacks CreateAcls.
	if errors.As(err, &ke) && (ke == kerr.SecurityDisabled || ke == kerr.UnsupportedVersion) || err != nil && strings.Contains(err.Error(), "broker is too old") {
		panic(NotApplicable{"the broker serves no ACLs yet: " + err.Error()})
	}
	Must(err)
	ds := Must1(adm.DescribeACLs(ctx(), b))
	Check(len(ds) == 1 && len(ds[0].Described) == 1, "described %+v", ds)
	Must1(adm.DeleteACLs(ctx(), b))
	return "CreateACLs, DescribeACLs, DeleteACLs"
}

func idempotentProducer() string {
	topic := Unique("fg-idem")
	create(topic, 1)
	produce(values(topic, 0, 1000, "i"), kgo.ProducerBatchMaxBytes(1024))
	got := readN(topic, 0, 1000)
	for i, r := range got {
		Check(string(r.Value) == fmt.Sprintf("i%d", i) && r.Offset == int64(i), "record %d", i)
	}
	return "1000 records in small batches (franz-go is idempotent by default): each once, in order"
}

// readCommitted appends a plain sentinel record and reads with read_committed up to it: what
// comes before it is everything a read_committed consumer will ever see of the partition.
func readCommitted(topic string, partition int32) []string {
	produce([]*kgo.Record{{Topic: topic, Partition: partition, Value: []byte("sentinel")}})
	cl := client(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {partition: kgo.NewOffset().AtStart()}}), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	defer cl.Close()
	var out []string
	deadline := time.Now().Add(Patience)
	for {
		Check(time.Now().Before(deadline), "read_committed did not reach the sentinel: %v", out)
		c, cancel := context.WithTimeout(ctxBg, 500*time.Millisecond)
		fs := cl.PollFetches(c)
		cancel()
		for _, r := range fs.Records() {
			if string(r.Value) == "sentinel" {
				return out
			}
			out = append(out, string(r.Value))
		}
	}
}

func transactions() string {
	topic := Unique("fg-txn")
	create(topic, 1)
	cl := client(kgo.TransactionalID(Unique("fg-txn-id")), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	defer cl.Close()
	step := func(vals []string, commit kgo.TransactionEndTry) {
		Must(cl.BeginTransaction())
		for _, v := range vals {
			Must(cl.ProduceSync(ctx(), &kgo.Record{Topic: topic, Partition: 0, Value: []byte(v)}).FirstErr())
		}
		Must(cl.EndTransaction(ctx(), commit))
	}
	step([]string{"c1", "c2"}, kgo.TryCommit)
	step([]string{"a1"}, kgo.TryAbort)
	step([]string{"c3"}, kgo.TryCommit)
	got := readCommitted(topic, 0)
	Check(fmt.Sprint(got) == "[c1 c2 c3]", "read_committed saw %v", got)
	all := readN(topic, 0, 5)[:4]
	var vs []string
	for _, r := range all {
		vs = append(vs, string(r.Value))
	}
	Check(fmt.Sprint(vs) == "[c1 c2 a1 c3]", "read_uncommitted saw %v", vs)
	return "commit, abort, commit: read_committed sees [c1 c2 c3], read_uncommitted [c1 c2 a1 c3]"
}

func txnOffsetCommit() string {
	in, out, group := Unique("fg-ctp-in"), Unique("fg-ctp-out"), Unique("fg-ctp-g")
	create(in, 1)
	create(out, 1)
	produce(values(in, 0, 10, "in"))
	sess := Must1(kgo.NewGroupTransactSession(kgo.SeedBrokers(Bootstrap), kgo.TransactionalID(Unique("fg-ctp-id")),
		kgo.ConsumerGroup(group), kgo.ConsumeTopics(in), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.RecordPartitioner(kgo.ManualPartitioner())))
	defer sess.Close()
	done := 0
	deadline := time.Now().Add(Patience)
	for done < 10 {
		Check(time.Now().Before(deadline), "processed %d of 10", done)
		c, cancel := context.WithTimeout(ctxBg, time.Second)
		fs := sess.PollFetches(c)
		cancel()
		recs := fs.Records()
		if len(recs) == 0 {
			continue
		}
		Must(sess.Begin())
		for _, r := range recs {
			Must(sess.ProduceSync(ctx(), &kgo.Record{Topic: out, Partition: 0, Value: append([]byte("out-"), r.Value...)}).FirstErr())
		}
		committed, err := sess.End(ctx(), kgo.TryCommit)
		Must(err)
		if committed {
			done += len(recs)
		}
	}
	adm, closeAdm := admin()
	defer closeAdm()
	off := Must1(adm.FetchOffsets(ctx(), group))
	o, ok := off.Lookup(in, 0)
	Check(ok && o.At == 10, "group offset %+v", o)
	got := readCommitted(out, 0)
	Check(len(got) == 10, "output %v", got)
	for i, v := range got {
		Check(v == fmt.Sprintf("out-in%d", i), "output %d: %s", i, v)
	}
	return "GroupTransactSession consume-transform-produce: group offset 10, output each record once"
}

func longPoll() string {
	topic := Unique("fg-lp")
	create(topic, 1)
	cl := client(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}), kgo.FetchMaxWait(longPollMaxWait))
	defer cl.Close()
	c, cancel := context.WithTimeout(ctxBg, 3*time.Second)
	fs := cl.PollFetches(c)
	cancel()
	Check(len(fs.Records()) == 0, "records in an empty topic")
	t0 := time.Now()
	produce([]*kgo.Record{{Topic: topic, Partition: 0, Value: []byte("late")}})
	// Hang guard shorter than the max wait: only a fetch the produce woke delivers in time.
	c, cancel = context.WithTimeout(ctxBg, 30*time.Second)
	defer cancel()
	for {
		fs := cl.PollFetches(c)
		Check(c.Err() == nil, "the record did not arrive before the fetch's max wait")
		if rs := fs.Records(); len(rs) > 0 {
			Check(string(rs[0].Value) == "late", "wrong record")
			return fmt.Sprintf("FetchMaxWait %v; the record arrived %.2fs after its produce", longPollMaxWait, time.Since(t0).Seconds())
		}
	}
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := map[string]string{}
		for _, d := range bi.Deps {
			v[d.Path] = d.Version
		}
		return fmt.Sprintf("%s (kadm %s)", v["github.com/twmb/franz-go"], v["github.com/twmb/franz-go/pkg/kadm"])
	}
	return "unknown"
}

func main() {
	Run("franz-go", version(), []Scenario{
		{"metadata", metadata},
		{"create_delete_topic", createDeleteTopic},
		{"produce_consume", produceConsume},
		{"codec_gzip", codec("gzip", kgo.GzipCompression())},
		{"codec_snappy", codec("snappy", kgo.SnappyCompression())},
		{"codec_lz4", codec("lz4", kgo.Lz4Compression())},
		{"codec_zstd", codec("zstd", kgo.ZstdCompression())},
		{"murmur2_partitioning", murmur2Partitioning},
		{"list_offsets", listOffsets},
		{"group_commit_resume", groupCommitResume(classic)},
		{"rebalance_two_members", rebalanceTwoMembers(classic)},
		{"groups_list_describe_delete", groupsListDescribeDelete},
		{"create_partitions", createPartitions},
		{"idempotent_producer", idempotentProducer},
		{"transactions", transactions},
		{"long_poll", longPoll},
		{"describe_configs", describeConfigs},
		{"describe_cluster", describeCluster},
		{"alter_configs", alterConfigs},
		{"admin_delete_records", adminDeleteRecords},
		{"list_offsets_max_timestamp", listOffsetsMaxTimestamp},
		{"admin_acls", adminACLs},
		{"txn_offset_commit", txnOffsetCommit},
		{"simple_commit_assign", simpleCommitAssign(classic)},
		{"regex_subscribe", regexSubscribe(classic)},
		{"assign_grow", assignGrow(classic)},
		{"kip848_commit_resume", groupCommitResume(consumer)},
		{"kip848_rebalance", rebalanceTwoMembers(consumer)},
		{"kip848_simple_commit_assign", NA("franz-go commits without membership through kadm (OffsetCommit with generation -1), the same request under either group protocol: see simple_commit_assign")},
		{"kip848_regex_subscribe", regexSubscribe(consumer)},
		{"kip848_assign_grow", NA("franz-go's direct consumer (ConsumePartitions/AddConsumePartitions) has no group protocol: see assign_grow")},
	}, nil)
}
