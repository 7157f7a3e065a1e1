//! Property tests of the protocol layer:
//! - a RecordBatch of any records, headers and codec validates, keeps its bytes through
//!   stamping and the LogAppendTime rewrite (with a valid CRC), and decodes to what was encoded;
//! - the pre-decode guard never panics on a mutated request, and whatever body it accepts the
//!   decoder accepts too, except for the semantics the guard leaves to the decoder by design
//!   (text that is not UTF-8, null in a field that is not nullable: ADR 0003).

use bytes::Bytes;
use proptest::prelude::*;

use super::samples::{self, SampleRecord};
use crate::protocol::batch::{
    attributes, decode_records, set_log_append_time, stamp_base_offset, validate_batches, Record,
};
use crate::protocol::guard::walk_body;
use crate::protocol::versions::TABLE;
use crate::protocol::{decode_request, parse_head};

const MIB: usize = 1 << 20;

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

fn record() -> impl Strategy<Value = SampleRecord> {
    let header = ("[a-z.-]{0,12}", prop::option::of(bytes(40)));
    (
        0i64..100_000,
        prop::option::of(bytes(60)),
        prop::option::of(bytes(300)),
        prop::collection::vec(header, 0..5),
    )
        .prop_map(|(ts_delta, key, value, headers)| SampleRecord {
            ts_delta,
            key,
            value,
            headers: headers
                .into_iter()
                .map(|(k, v): (String, _)| (k.into_bytes(), v))
                .collect(),
        })
}

fn expected(records: &[SampleRecord], base_offset: i64, base_ts: i64) -> Vec<Record> {
    records
        .iter()
        .enumerate()
        .map(|(i, r)| Record {
            offset: base_offset + i as i64,
            timestamp: base_ts + r.ts_delta,
            key: r.key.clone(),
            value: r.value.clone(),
            headers: r.headers.clone(),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_batch_round_trips_through_validate_stamp_and_decode(
        records in prop::collection::vec(record(), 1..25),
        codec in 0u8..=4,
        base_offset in 0i64..(1 << 48),
        append_time in 1_600_000_000_000i64..1_900_000_000_000,
    ) {
        let base_ts = 1_700_000_000_000;
        let max_ts = base_ts + records.iter().map(|r| r.ts_delta).max().unwrap_or(0);
        let section = samples::compress(codec, &samples::records_section(&records));
        let count = records.len() as i32;
        let mut batch =
            samples::batch_from_section(0, base_ts, max_ts, i16::from(codec), count, &section);

        let infos = validate_batches(&batch, MIB).expect("a well-formed batch validates");
        prop_assert_eq!(infos.len(), 1);
        prop_assert_eq!(infos[0].records_count, count);
        prop_assert_eq!(infos[0].byte_len, batch.len());
        prop_assert_eq!(infos[0].max_timestamp, max_ts);

        let before = batch.clone();
        stamp_base_offset(&mut batch, base_offset);
        prop_assert_eq!(&batch[8..], &before[8..], "stamping touches only the base offset");
        prop_assert!(validate_batches(&batch, MIB).is_ok(), "the CRC does not cover it");
        prop_assert_eq!(decode_records(&batch, MIB).unwrap(), expected(&records, base_offset, base_ts));

        let attrs = set_log_append_time(&mut batch, append_time).expect("a full header");
        prop_assert!(attributes::is_log_append_time(attrs));
        let infos = validate_batches(&batch, MIB).expect("the CRC is recomputed");
        prop_assert_eq!(infos[0].max_timestamp, append_time);
        let decoded = decode_records(&batch, MIB).unwrap();
        prop_assert!(decoded.iter().all(|r| r.timestamp == append_time));
        let mut want = expected(&records, base_offset, base_ts);
        for r in &mut want {
            r.timestamp = append_time;
        }
        prop_assert_eq!(decoded, want);
    }

    #[test]
    fn the_guard_never_panics_and_agrees_with_the_decoder_on_structure(
        api in 0..TABLE.len(),
        version_pick in any::<u16>(),
        edits in prop::collection::vec((any::<u16>(), 0u8..4, any::<u8>()), 1..6),
    ) {
        let row = &TABLE[api];
        let span = (row.max_advertised - row.min_served + 1) as u16;
        let version = row.min_served + (version_pick % span) as i16;
        let mut frame = samples::frame(row.key, version, 9, &samples::request(row.key, version));
        let head = parse_head(&frame).unwrap();
        for (at, kind, byte) in edits {
            mutate(&mut frame, head.header_len, at, kind, byte);
        }
        let Ok(head) = parse_head(&frame) else { return Ok(()) };
        let body = frame.get(head.header_len..).unwrap_or_default();
        let walked = walk_body(row.schema, version, body);
        let decoded = decode_request(&head, Bytes::from(frame.clone()));
        if let (Ok(len), Err(e)) = (&walked, &decoded) {
            let why = e.to_string();
            prop_assert!(
                left_to_the_decoder(&why),
                "{:?} v{} guard accepted {} bytes, decoder refused: {}", row.key, version, len, why
            );
        }
    }
}

/// Overwrite, truncate, insert or delete one byte of the body (never the header).
fn mutate(frame: &mut Vec<u8>, header: usize, at: u16, kind: u8, byte: u8) {
    let body = frame.len().saturating_sub(header).max(1);
    let at = header + usize::from(at) % body;
    match kind {
        0 if at < frame.len() => frame[at] = byte,
        1 => frame.truncate(at),
        2 => frame.insert(at.min(frame.len()), byte),
        _ if at < frame.len() => {
            frame.remove(at);
        }
        _ => {}
    }
}

/// The decoder's refusals the guard does not try to foresee (see the module header).
fn left_to_the_decoder(why: &str) -> bool {
    let why = why.to_ascii_lowercase();
    why.contains("utf-8") || why.contains("utf8") || why.contains("length is negative (-1)")
}
