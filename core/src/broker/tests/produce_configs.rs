//! The topic configs that change what Produce does: max.message.bytes, compression.type and
//! message.timestamp.type=LogAppendTime, set through the admin APIs.

use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::*;
use kafka_protocol::ResponseError;

use super::produce_fetch::{produce, produce_req};
use super::testkit::{batch, batch_with, harness};
use super::topic_configs::{create, incremental};
use crate::broker::topic_name;

#[tokio::test]
async fn produce_honours_max_message_bytes_and_compression_type_after_an_alter() {
    let h = harness();
    create(&h, "mm", 1, &[]).await;
    let big = vec![7u8; 300];
    assert_eq!(produce(&h, "mm", 0, batch(&[(1, &big)])).await.0, 0);
    assert_eq!(
        incremental(
            &h,
            1,
            2,
            "mm",
            &[("max.message.bytes", 0, Some("200"))],
            false
        )
        .await,
        0
    );
    assert_eq!(
        produce(&h, "mm", 0, batch(&[(1, &big)])).await.0,
        ResponseError::MessageTooLarge.code()
    );
    assert_eq!(produce(&h, "mm", 0, batch(&[(1, b"small")])).await.0, 0);
    // A fixed codec refuses batches in another one (they are never recompressed).
    assert_eq!(
        incremental(
            &h,
            1,
            2,
            "mm",
            &[("compression.type", 0, Some("gzip"))],
            false
        )
        .await,
        0
    );
    assert_eq!(
        produce(&h, "mm", 0, batch(&[(1, b"plain")])).await.0,
        ResponseError::InvalidRecord.code()
    );
    assert_eq!(
        incremental(
            &h,
            1,
            2,
            "mm",
            &[("compression.type", 0, Some("uncompressed"))],
            false
        )
        .await,
        0
    );
    assert_eq!(produce(&h, "mm", 0, batch(&[(1, b"plain")])).await.0, 0);
}

#[tokio::test]
async fn log_append_time_stamps_the_batch_and_keeps_its_crc_valid() {
    let h = harness();
    create(&h, "lat", 1, &[("message.timestamp.type", "LogAppendTime")]).await;
    let before = crate::clock::now_ms();
    let req = produce_req(
        -1,
        "lat",
        0,
        Some(batch_with(-1, 0, &[(5, b"a"), (9, b"b")])),
    );
    let append_time = match h.call(9, req).await {
        Some(ResponseKind::Produce(r)) => {
            let p = &r.responses[0].partition_responses[0];
            assert_eq!((p.error_code, p.base_offset), (0, 0));
            p.log_append_time_ms
        }
        other => panic!("{other:?}"),
    };
    let after = crate::clock::now_ms();
    assert!((before..=after).contains(&append_time));
    let mut p = FetchPartition::default();
    p.partition_max_bytes = 1 << 20;
    let mut t = FetchTopic::default();
    t.topic = topic_name("lat");
    t.partitions = vec![p];
    let mut r = FetchRequest::default();
    r.max_bytes = 1 << 20;
    r.topics = vec![t];
    let bytes = match h.call(11, r).await {
        Some(ResponseKind::Fetch(r)) => r.responses[0].partitions[0].records.clone().unwrap(),
        other => panic!("{other:?}"),
    };
    let attributes = i16::from_be_bytes([bytes[21], bytes[22]]);
    assert_eq!(attributes & 0x08, 0x08);
    let base = i64::from_be_bytes(bytes[27..35].try_into().unwrap());
    let max = i64::from_be_bytes(bytes[35..43].try_into().unwrap());
    assert_eq!(base, 5, "the records keep their create times");
    assert_eq!(max, append_time);
    let crc = u32::from_be_bytes(bytes[17..21].try_into().unwrap());
    assert_eq!(crc, crc32c::crc32c(&bytes[21..]));
    crate::protocol::batch::validate_batches(&bytes, 1 << 20).unwrap();
}
