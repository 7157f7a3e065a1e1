// Compatibility matrix: segmentio/kafka-go (Writer, Reader and the request-level Client).
// Writes $PG_KAFKA_COMPAT_DIR/kafka-go.jsonl.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"

	. "pgkafkacompat/internal/matrix"
)

const longPollMaxWait = 60 * time.Second

var cl = &kafka.Client{Addr: kafka.TCP(Bootstrap), Timeout: 30 * time.Second}

func ctx() context.Context {
	c, _ := context.WithTimeout(context.Background(), Patience) //nolint:govet // the hang guard ends it
	return c
}

func create(topic string, partitions int) {
	r := Must1(cl.CreateTopics(ctx(), &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1}}}))
	Must(r.Errors[topic])
}

// fixed sends every message to one partition.
type fixed int

func (f fixed) Balance(_ kafka.Message, _ ...int) int { return int(f) }

func write(topic string, partition int, msgs []kafka.Message, tune func(*kafka.Writer)) {
	w := &kafka.Writer{Addr: kafka.TCP(Bootstrap), Topic: topic, Balancer: fixed(partition), RequiredAcks: kafka.RequireAll,
		BatchTimeout: 10 * time.Millisecond, BatchSize: len(msgs)}
	if tune != nil {
		tune(w)
	}
	defer w.Close()
	Must(w.WriteMessages(ctx(), msgs...))
}

func values(n int, prefix string) []kafka.Message {
	var ms []kafka.Message
	for i := 0; i < n; i++ {
		ms = append(ms, kafka.Message{Value: []byte(fmt.Sprintf("%s%d", prefix, i))})
	}
	return ms
}

func readN(topic string, partition, n int) []kafka.Message {
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{Bootstrap}, Topic: topic, Partition: partition, MaxWait: 500 * time.Millisecond})
	defer r.Close()
	Must(r.SetOffset(kafka.FirstOffset))
	var got []kafka.Message
	c := ctx()
	for len(got) < n {
		m, err := r.ReadMessage(c)
		if err != nil {
			panic(fmt.Errorf("after %d of %d records: %w", len(got), n, err))
		}
		got = append(got, m)
	}
	return got
}

func meta(topics ...string) *kafka.MetadataResponse {
	return Must1(cl.Metadata(ctx(), &kafka.MetadataRequest{Topics: topics}))
}

func topicNames() map[string]bool {
	out := map[string]bool{}
	for _, t := range meta().Topics {
		out[t.Name] = true
	}
	return out
}

func metadata() string {
	topic := Unique("kg-meta")
	create(topic, 3)
	var md *kafka.MetadataResponse
	WaitUntil("3 partitions with leaders", func() bool {
		md = meta(topic)
		if len(md.Topics) != 1 || md.Topics[0].Error != nil || len(md.Topics[0].Partitions) != 3 {
			return false
		}
		for _, p := range md.Topics[0].Partitions {
			if p.Leader.ID < 0 {
				return false
			}
		}
		return true
	})
	Check(len(md.Brokers) > 0, "no brokers")
	return fmt.Sprintf("%d broker(s), cluster %s", len(md.Brokers), md.ClusterID)
}

func describeCluster() string {
	md := meta()
	Check(md.ClusterID != "", "no cluster id")
	Check(md.Controller.ID >= 0, "no controller")
	found := false
	for _, b := range md.Brokers {
		found = found || b.ID == md.Controller.ID
		Check(b.Host != "localhost", "broker advertises localhost")
	}
	Check(found, "controller %d not among %v", md.Controller.ID, md.Brokers)
	return fmt.Sprintf("Metadata: cluster %s, %d broker(s), controller %d", md.ClusterID, len(md.Brokers), md.Controller.ID)
}

func createDeleteTopic() string {
	topic := Unique("kg-cd")
	create(topic, 2)
	WaitUntil("created topic listed", func() bool { return topicNames()[topic] })
	r := Must1(cl.CreateTopics(ctx(), &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: 2, ReplicationFactor: 1}}}))
	Check(errors.Is(r.Errors[topic], kafka.TopicAlreadyExists), "second create: %v", r.Errors[topic])
	d := Must1(cl.DeleteTopics(ctx(), &kafka.DeleteTopicsRequest{Topics: []string{topic}}))
	Must(d.Errors[topic])
	WaitUntil("deleted topic gone", func() bool { return !topicNames()[topic] })
	return "CreateTopics, TOPIC_ALREADY_EXISTS, DeleteTopics"
}

func produceConsume() string {
	topic := Unique("kg-pc")
	create(topic, 1)
	ts := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	// kafka-go's Header.Value has no null: a nil slice goes out as an empty value.
	msgs := []kafka.Message{
		{Key: []byte("k1"), Value: []byte("v1"), Headers: []kafka.Header{{Key: "h", Value: []byte("a")}, {Key: "h", Value: []byte("b")}, {Key: "e", Value: []byte{}}}},
		{Key: nil, Value: []byte("no key")},
		{Key: []byte("null-value"), Value: nil},
		{Key: []byte("empty-value"), Value: []byte{}},
		{Key: []byte{}, Value: []byte("empty key")},
	}
	for i := range msgs {
		msgs[i].Time = ts.Add(time.Duration(i) * time.Millisecond)
	}
	write(topic, 0, msgs, nil)
	got := readN(topic, 0, len(msgs))
	for i, m := range msgs {
		g := got[i]
		Check(g.Offset == int64(i), "offset %d at %d", g.Offset, i)
		// A null comes back nil; kafka-go's reader also returns an empty key or value as nil
		// (the broker stores it empty), so empty is checked by content only.
		Check(string(g.Key) == string(m.Key) && (m.Key != nil || g.Key == nil), "record %d key %q (nil %v)", i, g.Key, g.Key == nil)
		Check(string(g.Value) == string(m.Value) && (m.Value != nil || g.Value == nil), "record %d value %q (nil %v)", i, g.Value, g.Value == nil)
		Check(g.Time.Equal(m.Time), "record %d time %v", i, g.Time)
		Check(len(g.Headers) == len(m.Headers), "record %d: %d headers", i, len(g.Headers))
		for j, h := range m.Headers {
			Check(g.Headers[j].Key == h.Key && string(g.Headers[j].Value) == string(h.Value), "record %d header %d", i, j)
		}
	}
	return "keys, duplicate and empty headers, null and empty values and keys, timestamps (kafka-go has no null header value; its reader returns empty keys and values as nil)"
}

func codec(name string, c compress.Compression) func() string {
	return func() string {
		topic := Unique("kg-" + name)
		create(topic, 1)
		var msgs []kafka.Message
		var want []string
		for i := 0; i < 200; i++ {
			v := strings.Repeat(fmt.Sprintf("%s record %d ", name, i), 20)
			want = append(want, v)
			msgs = append(msgs, kafka.Message{Value: []byte(v)})
		}
		write(topic, 0, msgs, func(w *kafka.Writer) { w.Compression = c })
		got := readN(topic, 0, 200)
		for i := range want {
			Check(string(got[i].Value) == want[i], "record %d differs", i)
		}
		return "200 records"
	}
}

func murmur2Partitioning() string {
	topic := Unique("kg-murmur")
	create(topic, 7)
	var msgs []kafka.Message
	for i := 0; i < 60; i++ {
		msgs = append(msgs, kafka.Message{Key: []byte(fmt.Sprintf("key-%d", i)), Value: []byte("v")})
	}
	msgs = append(msgs, kafka.Message{Key: []byte("x"), Value: []byte("v")}, kafka.Message{Key: []byte{0xff, 0xfe, 0}, Value: []byte("v")})
	w := &kafka.Writer{Addr: kafka.TCP(Bootstrap), Topic: topic, Balancer: &kafka.Murmur2Balancer{Consistent: true}, RequiredAcks: kafka.RequireAll, BatchTimeout: 10 * time.Millisecond}
	defer w.Close()
	Must(w.WriteMessages(ctx(), msgs...))
	perPartition := map[int]map[string]bool{}
	for p := 0; p < 7; p++ {
		r := Must1(cl.ListOffsets(ctx(), &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: {kafka.LastOffsetOf(p)}}}))
		n := int(r.Topics[topic][0].LastOffset)
		perPartition[p] = map[string]bool{}
		for _, m := range readN(topic, p, n) {
			perPartition[p][string(m.Key)] = true
		}
	}
	for _, m := range msgs {
		want := int(JavaPartition(m.Key, 7))
		Check(perPartition[want][string(m.Key)], "key %q not in partition %d (Java murmur2)", m.Key, want)
	}
	return fmt.Sprintf("%d keys over 7 partitions, Murmur2Balancer{Consistent: true}: each read back from Java's partition", len(msgs))
}

func offsets(topic string, reqs ...kafka.OffsetRequest) kafka.PartitionOffsets {
	r := Must1(cl.ListOffsets(ctx(), &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}}))
	po := r.Topics[topic][0]
	Must(po.Error)
	return po
}

func listOffsets() string {
	topic := Unique("kg-lo")
	create(topic, 1)
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	var msgs []kafka.Message
	for i := 0; i < 5; i++ {
		msgs = append(msgs, kafka.Message{Value: []byte("v"), Time: base.Add(time.Duration(i) * time.Second)})
	}
	write(topic, 0, msgs, nil)
	po := offsets(topic, kafka.FirstOffsetOf(0), kafka.LastOffsetOf(0))
	Check(po.FirstOffset == 0 && po.LastOffset == 5, "first %d last %d", po.FirstOffset, po.LastOffset)
	pt := offsets(topic, kafka.TimeOffsetOf(0, base.Add(2500*time.Millisecond)))
	found := false
	for off := range pt.Offsets {
		found = found || off == 3
	}
	Check(found, "by timestamp: %v", pt.Offsets)
	return "Client.ListOffsets: first, last, by time"
}

func groupCommitResume() string {
	topic, group := Unique("kg-resume"), Unique("kg-resume-g")
	create(topic, 1)
	write(topic, 0, values(10, "v"), nil)
	reader := func() *kafka.Reader {
		return kafka.NewReader(kafka.ReaderConfig{Brokers: []string{Bootstrap}, GroupID: group, Topic: topic, StartOffset: kafka.FirstOffset,
			MaxWait: 500 * time.Millisecond, SessionTimeout: 10 * time.Second, HeartbeatInterval: 500 * time.Millisecond})
	}
	first := reader()
	c := ctx()
	var last kafka.Message
	for i := 0; i < 6; i++ {
		last = Must1(first.FetchMessage(c))
		Check(last.Offset == int64(i), "first member read offset %d at %d", last.Offset, i)
	}
	Must(first.CommitMessages(c, last))
	Must(first.Close())
	second := reader()
	defer second.Close()
	var offs []int64
	for i := 0; i < 4; i++ {
		offs = append(offs, Must1(second.FetchMessage(c)).Offset)
	}
	Check(fmt.Sprint(offs) == "[6 7 8 9]", "second member read %v", offs)
	return "Reader with GroupID: FetchMessage, CommitMessages; the next member resumes at 6"
}

type member struct {
	r      *kafka.Reader
	mu     sync.Mutex
	parts  map[int]bool
	cancel context.CancelFunc
	done   chan struct{}
}

func rebalanceTwoMembers() string {
	topic, group := Unique("kg-reb"), Unique("kg-reb-g")
	create(topic, 4)
	// A reader's assignment shows only in the records it reads: keep every partition fed.
	stop := make(chan struct{})
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			for p := 0; p < 4; p++ {
				write(topic, p, values(1, fmt.Sprintf("feed-%d-", i)), nil)
			}
		}
	}()
	defer func() { close(stop); <-fed }()
	join := func() *member {
		m := &member{parts: map[int]bool{}, done: make(chan struct{})}
		m.r = kafka.NewReader(kafka.ReaderConfig{Brokers: []string{Bootstrap}, GroupID: group, Topic: topic, StartOffset: kafka.LastOffset,
			MaxWait: 200 * time.Millisecond, SessionTimeout: 10 * time.Second, HeartbeatInterval: 500 * time.Millisecond, RebalanceTimeout: 10 * time.Second})
		c, cancel := context.WithCancel(context.Background())
		m.cancel = cancel
		go func() {
			defer close(m.done)
			for {
				msg, err := m.r.FetchMessage(c)
				if err != nil {
					return
				}
				m.mu.Lock()
				m.parts[msg.Partition] = true
				m.mu.Unlock()
			}
		}()
		return m
	}
	seen := func(m *member) []int {
		m.mu.Lock()
		defer m.mu.Unlock()
		var ps []int
		for p := range m.parts {
			ps = append(ps, p)
		}
		sort.Ints(ps)
		return ps
	}
	reset := func(m *member) { m.mu.Lock(); m.parts = map[int]bool{}; m.mu.Unlock() }
	a := join()
	WaitUntil("a reads all four", func() bool { return len(seen(a)) == 4 })
	b := join()
	var pa, pb []int
	WaitUntil("two-member split", func() bool {
		reset(a)
		reset(b)
		time.Sleep(1500 * time.Millisecond) // several feeds: what each reads now is its assignment
		pa, pb = seen(a), seen(b)
		all := map[int]bool{}
		for _, p := range append(append([]int{}, pa...), pb...) {
			all[p] = true
		}
		return len(pa) > 0 && len(pb) > 0 && len(pa)+len(pb) == 4 && len(all) == 4
	})
	b.cancel()
	Must(b.r.Close())
	<-b.done
	WaitUntil("a reads all four again", func() bool {
		reset(a)
		time.Sleep(1500 * time.Millisecond)
		return len(seen(a)) == 4
	})
	a.cancel()
	Must(a.r.Close())
	<-a.done
	return fmt.Sprintf("split %v / %v (partitions each member read), back to one member after leave", pa, pb)
}

func groupsListDescribeDelete() string {
	topic, group := Unique("kg-grp"), Unique("kg-grp-g")
	create(topic, 1)
	write(topic, 0, values(1, "x"), nil)
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{Bootstrap}, GroupID: group, Topic: topic, StartOffset: kafka.FirstOffset, MaxWait: 500 * time.Millisecond, HeartbeatInterval: 500 * time.Millisecond})
	m := Must1(r.FetchMessage(ctx()))
	Must(r.CommitMessages(ctx(), m))
	lg := Must1(cl.ListGroups(ctx(), &kafka.ListGroupsRequest{}))
	listed := false
	for _, g := range lg.Groups {
		listed = listed || g.GroupID == group
	}
	Check(listed, "group not listed")
	dg := Must1(cl.DescribeGroups(ctx(), &kafka.DescribeGroupsRequest{GroupIDs: []string{group}}))
	Check(len(dg.Groups) == 1 && dg.Groups[0].Error == nil && len(dg.Groups[0].Members) == 1, "describe %+v", dg.Groups)
	state := dg.Groups[0].GroupState
	Must(r.Close())
	WaitUntil("group empty", func() bool {
		d := Must1(cl.DescribeGroups(ctx(), &kafka.DescribeGroupsRequest{GroupIDs: []string{group}}))
		return len(d.Groups) == 1 && d.Groups[0].GroupState == "Empty"
	})
	of := Must1(cl.OffsetFetch(ctx(), &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: {0}}}))
	Check(len(of.Topics[topic]) == 1 && of.Topics[topic][0].CommittedOffset == 1, "committed %+v", of.Topics[topic])
	del := Must1(cl.DeleteGroups(ctx(), &kafka.DeleteGroupsRequest{GroupIDs: []string{group}}))
	Must(del.Errors[group])
	lg = Must1(cl.ListGroups(ctx(), &kafka.ListGroupsRequest{}))
	for _, g := range lg.Groups {
		Check(g.GroupID != group, "group listed after delete")
	}
	return fmt.Sprintf("ListGroups, DescribeGroups (%s), OffsetFetch, DeleteGroups", state)
}

func simpleCommitAssign() string {
	topic, group := Unique("kg-sc"), Unique("kg-sc-g")
	create(topic, 1)
	write(topic, 0, values(6, "s"), nil)
	commit := func(t string) error {
		r, err := cl.OffsetCommit(ctx(), &kafka.OffsetCommitRequest{GroupID: group, GenerationID: -1, MemberID: "",
			Topics: map[string][]kafka.OffsetCommit{t: {{Partition: 0, Offset: 3}}}})
		if err != nil {
			return err
		}
		return r.Topics[t][0].Error
	}
	Must(commit(topic))
	of := Must1(cl.OffsetFetch(ctx(), &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: {0}}}))
	Check(of.Topics[topic][0].CommittedOffset == 3, "committed %+v", of.Topics[topic])
	err := commit(Unique("kg-sc-missing"))
	Check(errors.Is(err, kafka.UnknownTopicOrPartition), "commit for an unknown topic: %v", err)
	return "OffsetCommit with generation -1 and no member id, OffsetFetch: 3; unknown topic: UNKNOWN_TOPIC_OR_PARTITION"
}

func createPartitions() string {
	topic := Unique("kg-cp")
	create(topic, 2)
	r := Must1(cl.CreatePartitions(ctx(), &kafka.CreatePartitionsRequest{Topics: []kafka.TopicPartitionsConfig{{Name: topic, Count: 4}}}))
	Must(r.Errors[topic])
	WaitUntil("4 partitions", func() bool { md := meta(topic); return len(md.Topics) == 1 && len(md.Topics[0].Partitions) == 4 })
	write(topic, 3, []kafka.Message{{Value: []byte("p3")}}, nil)
	Check(string(readN(topic, 3, 1)[0].Value) == "p3", "wrong record")
	return ""
}

func describe(rt kafka.ResourceType, name string) map[string]string {
	r := Must1(cl.DescribeConfigs(ctx(), &kafka.DescribeConfigsRequest{Resources: []kafka.DescribeConfigRequestResource{{ResourceType: rt, ResourceName: name}}}))
	Check(len(r.Resources) == 1, "%d resources", len(r.Resources))
	Must(r.Resources[0].Error)
	out := map[string]string{}
	for _, e := range r.Resources[0].ConfigEntries {
		out[e.ConfigName] = e.ConfigValue
	}
	return out
}

func describeConfigs() string {
	topic := Unique("kg-dc")
	create(topic, 1)
	t := describe(kafka.ResourceTypeTopic, topic)
	for _, k := range []string{"retention.ms", "cleanup.policy", "max.message.bytes"} {
		_, ok := t[k]
		Check(ok, "%s missing", k)
	}
	b := describe(kafka.ResourceTypeBroker, strconv.Itoa(meta().Controller.ID))
	Check(len(b) > 0, "no broker configs")
	return fmt.Sprintf("topic: %d entries, broker: %d", len(t), len(b))
}

func alterConfigs() string {
	topic := Unique("kg-ac")
	create(topic, 1)
	alter := func(op kafka.ConfigOperation, v string) {
		r := Must1(cl.IncrementalAlterConfigs(ctx(), &kafka.IncrementalAlterConfigsRequest{Resources: []kafka.IncrementalAlterConfigsRequestResource{{
			ResourceType: kafka.ResourceTypeTopic, ResourceName: topic,
			Configs: []kafka.IncrementalAlterConfigsRequestConfig{{Name: "retention.ms", Value: v, ConfigOperation: op}}}}}))
		Must(r.Resources[0].Error)
	}
	alter(kafka.ConfigOperationSet, "123456")
	Check(describe(kafka.ResourceTypeTopic, topic)["retention.ms"] == "123456", "retention.ms not set")
	alter(kafka.ConfigOperationDelete, "")
	Check(describe(kafka.ResourceTypeTopic, topic)["retention.ms"] != "123456", "retention.ms still set")
	return "IncrementalAlterConfigs set and delete, seen by DescribeConfigs"
}

func listOffsetsMaxTimestamp() string {
	topic := Unique("kg-lomax")
	create(topic, 1)
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	var msgs []kafka.Message
	for _, d := range []int{0, 4000, 1000, 2000, 3000} {
		msgs = append(msgs, kafka.Message{Value: []byte("v"), Time: base.Add(time.Duration(d) * time.Millisecond)})
	}
	write(topic, 0, msgs, nil)
	// -3 is ListOffsets' MAX_TIMESTAMP spec (KIP-734); kafka-go names no constant for it and sends it
	// with ListOffsets v5, the newest it speaks.
	po := offsets(topic, kafka.OffsetRequest{Partition: 0, Timestamp: -3})
	// kafka-go's response merger replaces each answered timestamp with the one requested (its
	// listoffsets.Response.Merge), so only the offset can be checked here.
	_, ok := po.Offsets[1]
	Check(ok && len(po.Offsets) == 1, "max timestamp: %v", po.Offsets)
	return "ListOffsets with timestamp -3: offset 1 of timestamps out of order (kafka-go reports the timestamp it asked for, not the record's)"
}

func adminACLs() string {
	topic := Unique("kg-acl")
	r, err := cl.CreateACLs(ctx(), &kafka.CreateACLsRequest{ACLs: []kafka.ACLEntry{{ResourceType: kafka.ResourceTypeTopic, ResourceName: topic,
		ResourcePatternType: kafka.PatternTypeLiteral, Principal: "User:pgkafka_compat", Host: "*", Operation: kafka.ACLOperationTypeRead, PermissionType: kafka.ACLPermissionTypeAllow}}})
	if err == nil && len(r.Errors) > 0 {
		err = r.Errors[0]
	}
	var ne net.Error
	if err != nil && (errors.Is(err, kafka.SecurityDisabled) || errors.Is(err, kafka.UnsupportedVersion) || errors.As(err, &ne) || strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "not support")) {
		panic(NotApplicable{"the broker serves no ACLs yet: " + err.Error()})
	}
	Must(err)
	return "CreateACLs"
}

func longPoll() string {
	topic := Unique("kg-lp")
	create(topic, 1)
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{Bootstrap}, Topic: topic, Partition: 0, MaxWait: longPollMaxWait})
	defer r.Close()
	Must(r.SetOffset(kafka.FirstOffset))
	got := make(chan kafka.Message, 1)
	go func() {
		m, err := r.ReadMessage(context.Background())
		if err == nil {
			got <- m
		}
	}()
	time.Sleep(3 * time.Second) // the reader is now waiting in a long-poll fetch
	t0 := time.Now()
	write(topic, 0, []kafka.Message{{Value: []byte("late")}}, nil)
	select {
	case m := <-got:
		Check(string(m.Value) == "late", "wrong record")
		return fmt.Sprintf("MaxWait %v; the record arrived %.2fs after its produce", longPollMaxWait, time.Since(t0).Seconds())
	case <-time.After(30 * time.Second): // hang guard shorter than the max wait
		panic(errors.New("the record did not arrive before the fetch's max wait"))
	}
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/segmentio/kafka-go" {
				return d.Version
			}
		}
	}
	return "unknown"
}

func main() {
	classicOnly := "kafka-go speaks only the classic group protocol"
	Run("kafka-go", version(), []Scenario{
		{Name: "metadata", Fn: metadata},
		{Name: "create_delete_topic", Fn: createDeleteTopic},
		{Name: "produce_consume", Fn: produceConsume},
		{Name: "codec_gzip", Fn: codec("gzip", kafka.Gzip)},
		{Name: "codec_snappy", Fn: codec("snappy", kafka.Snappy)},
		{Name: "codec_lz4", Fn: codec("lz4", kafka.Lz4)},
		{Name: "codec_zstd", Fn: codec("zstd", kafka.Zstd)},
		{Name: "murmur2_partitioning", Fn: murmur2Partitioning},
		{Name: "list_offsets", Fn: listOffsets},
		{Name: "group_commit_resume", Fn: groupCommitResume},
		{Name: "rebalance_two_members", Fn: rebalanceTwoMembers},
		{Name: "groups_list_describe_delete", Fn: groupsListDescribeDelete},
		{Name: "create_partitions", Fn: createPartitions},
		{Name: "idempotent_producer", Fn: NA("kafka-go's Writer has no idempotent producer")},
		{Name: "transactions", Fn: NA("kafka-go's Writer has no transactional producer")},
		{Name: "long_poll", Fn: longPoll},
		{Name: "describe_configs", Fn: describeConfigs},
		{Name: "describe_cluster", Fn: describeCluster},
		{Name: "alter_configs", Fn: alterConfigs},
		{Name: "admin_delete_records", Fn: NA("kafka-go's Client has no DeleteRecords")},
		{Name: "list_offsets_max_timestamp", Fn: listOffsetsMaxTimestamp},
		{Name: "admin_acls", Fn: adminACLs},
		{Name: "txn_offset_commit", Fn: NA("kafka-go's Writer has no transactional producer")},
		{Name: "simple_commit_assign", Fn: simpleCommitAssign},
		{Name: "regex_subscribe", Fn: NA("kafka-go's Reader takes topic names only, no pattern")},
		{Name: "assign_grow", Fn: NA("kafka-go's Reader reads one partition or one group; there is no assign()")},
		{Name: "kip848_commit_resume", Fn: NA(classicOnly)},
		{Name: "kip848_rebalance", Fn: NA(classicOnly)},
		{Name: "kip848_simple_commit_assign", Fn: NA(classicOnly)},
		{Name: "kip848_regex_subscribe", Fn: NA(classicOnly)},
		{Name: "kip848_assign_grow", Fn: NA(classicOnly)},
	}, nil)
}
