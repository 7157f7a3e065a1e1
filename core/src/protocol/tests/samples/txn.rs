//! Sample requests of the producer and transaction APIs, every field set that the version has.

use kafka_protocol::messages::add_partitions_to_txn_request::{
    AddPartitionsToTxnTopic, AddPartitionsToTxnTransaction,
};
use kafka_protocol::messages::describe_producers_request::TopicRequest;
use kafka_protocol::messages::txn_offset_commit_request::{
    TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;

fn s(v: &'static str) -> StrBytes {
    StrBytes::from_static_str(v)
}

fn tid() -> TransactionalId {
    TransactionalId(s("txn-1"))
}

pub fn init_producer_id(v: i16) -> InitProducerIdRequest {
    let mut r = InitProducerIdRequest::default();
    r.transactional_id = Some(tid());
    r.transaction_timeout_ms = 60_000;
    if v >= 3 {
        r.producer_id = ProducerId(7);
        r.producer_epoch = 2;
    }
    r
}

fn txn_topic() -> AddPartitionsToTxnTopic {
    let mut t = AddPartitionsToTxnTopic::default();
    t.name = TopicName(s("t"));
    t.partitions = vec![0, 1];
    t
}

pub fn add_partitions_to_txn(v: i16) -> AddPartitionsToTxnRequest {
    let mut r = AddPartitionsToTxnRequest::default();
    if v >= 4 {
        let mut t = AddPartitionsToTxnTransaction::default();
        t.transactional_id = tid();
        t.producer_id = ProducerId(7);
        t.producer_epoch = 1;
        t.verify_only = true;
        t.topics = vec![txn_topic()];
        r.transactions = vec![t];
    } else {
        r.v3_and_below_transactional_id = tid();
        r.v3_and_below_producer_id = ProducerId(7);
        r.v3_and_below_producer_epoch = 1;
        r.v3_and_below_topics = vec![txn_topic()];
    }
    r
}

pub fn add_offsets_to_txn(_v: i16) -> AddOffsetsToTxnRequest {
    let mut r = AddOffsetsToTxnRequest::default();
    r.transactional_id = tid();
    r.producer_id = ProducerId(7);
    r.producer_epoch = 1;
    r.group_id = GroupId(s("g"));
    r
}

pub fn end_txn(_v: i16) -> EndTxnRequest {
    let mut r = EndTxnRequest::default();
    r.transactional_id = tid();
    r.producer_id = ProducerId(7);
    r.producer_epoch = 1;
    r.committed = true;
    r
}

pub fn txn_offset_commit(v: i16) -> TxnOffsetCommitRequest {
    let mut p = TxnOffsetCommitRequestPartition::default();
    p.partition_index = 3;
    p.committed_offset = 42;
    if v >= 2 {
        p.committed_leader_epoch = 5;
    }
    p.committed_metadata = Some(s("meta"));
    let mut t = TxnOffsetCommitRequestTopic::default();
    t.name = TopicName(s("t"));
    t.partitions = vec![p];
    let mut r = TxnOffsetCommitRequest::default();
    r.transactional_id = tid();
    r.group_id = GroupId(s("g"));
    r.producer_id = ProducerId(7);
    r.producer_epoch = 1;
    if v >= 3 {
        r.generation_id = 4;
        r.member_id = s("m-1");
        r.group_instance_id = Some(s("i-1"));
    }
    r.topics = vec![t];
    r
}

pub fn describe_producers(_v: i16) -> DescribeProducersRequest {
    let mut t = TopicRequest::default();
    t.name = TopicName(s("t"));
    t.partition_indexes = vec![0, 2];
    let mut r = DescribeProducersRequest::default();
    r.topics = vec![t];
    r
}

pub fn describe_transactions(_v: i16) -> DescribeTransactionsRequest {
    let mut r = DescribeTransactionsRequest::default();
    r.transactional_ids = vec![tid(), TransactionalId(s("txn-2"))];
    r
}

pub fn list_transactions(v: i16) -> ListTransactionsRequest {
    let mut r = ListTransactionsRequest::default();
    r.state_filters = vec![s("Ongoing")];
    r.producer_id_filters = vec![ProducerId(7)];
    if v >= 1 {
        r.duration_filter = 1000;
    }
    if v >= 2 {
        r.transactional_id_pattern = Some(s("txn-.*"));
    }
    r
}
