//! RecordBatch validation, decoding and the header rewrites, over sample batches in every codec.

use std::io::Write;

use super::samples::{self, SampleRecord};
use crate::protocol::batch::*;
use crate::protocol::compression::Compression;

const MIB: usize = 1 << 20;

fn expected_records(base_offset: i64, base_ts: i64) -> Vec<Record> {
    samples::sample_records()
        .into_iter()
        .enumerate()
        .map(|(i, r)| Record {
            offset: base_offset + i as i64,
            timestamp: base_ts + r.ts_delta,
            key: r.key,
            value: r.value,
            headers: r.headers,
        })
        .collect()
}

#[test]
fn valid_batches_with_every_codec_validate_and_decode() {
    for codec in 0..=4u8 {
        let batch = samples::sample_batch(100, codec);
        let infos = validate_batches(&batch, MIB).unwrap_or_else(|e| panic!("codec {codec}: {e}"));
        assert_eq!(infos.len(), 1);
        let info = &infos[0];
        assert_eq!(info.byte_len, batch.len());
        assert_eq!((info.records_count, info.last_offset_delta), (3, 2));
        assert_eq!(
            info.compression,
            Compression::from_attributes(codec.into()).unwrap()
        );
        assert!(!info.is_transactional && !info.is_control);
        assert_eq!(
            decode_records(&batch, MIB).unwrap(),
            expected_records(100, 1_700_000_000_000)
        );
    }
}

#[test]
fn xerial_framed_snappy_is_accepted() {
    let records = samples::sample_records();
    let section = samples::xerial(&samples::records_section(&records), 100);
    let batch = samples::batch_from_section(0, 10, 20, 2, 3, &section);
    assert_eq!(
        decode_records(&batch, MIB).unwrap(),
        expected_records(0, 10)
    );
}

#[test]
fn concatenated_batches_are_a_sequence() {
    let mut data = samples::sample_batch(0, 0);
    data.extend_from_slice(&samples::sample_batch(3, 1));
    let infos = validate_batches(&data, MIB).unwrap();
    assert_eq!(infos.len(), 2);
    assert_eq!(infos[0].byte_len + infos[1].byte_len, data.len());
    let records = decode_records(&data, MIB).unwrap();
    assert_eq!(
        records.iter().map(|r| r.offset).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4, 5]
    );
}

#[test]
fn headers_keep_order_duplicates_and_nulls() {
    let headers = vec![
        (b"dup".to_vec(), Some(b"1".to_vec())),
        (b"dup".to_vec(), Some(b"2".to_vec())),
        (b"n".to_vec(), None),
        (b"dup".to_vec(), None),
        (b"".to_vec(), Some(Vec::new())),
    ];
    let rec = SampleRecord {
        ts_delta: -5,
        key: None,
        value: Some(b"v".to_vec()),
        headers: headers.clone(),
    };
    let batch = samples::batch_from_section(9, 1000, 1000, 0, 1, &samples::records_section(&[rec]));
    let out = decode_records(&batch, MIB).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].headers, headers);
    assert_eq!(
        (out[0].offset, out[0].timestamp, out[0].key.clone()),
        (9, 995, None)
    );
}

#[test]
fn log_append_time_uses_max_timestamp_for_every_record() {
    let section = samples::records_section(&samples::sample_records());
    let batch = samples::batch_from_section(0, 10, 77, 0x08, 3, &section);
    let out = decode_records(&batch, MIB).unwrap();
    assert!(out.iter().all(|r| r.timestamp == 77));
}

#[test]
fn stamping_the_base_offset_keeps_the_crc_valid() {
    let mut batch = samples::sample_batch(0, 3);
    stamp_base_offset(&mut batch, 1 << 40);
    assert!(validate_batches(&batch, MIB).is_ok());
    assert_eq!(
        decode_records(&batch, MIB).unwrap()[2].offset,
        (1 << 40) + 2
    );
    stamp_base_offset(&mut [0u8; 3], 5); // too short: no-op, no panic
}

#[test]
fn crc_mismatch_and_bad_magic_are_corrupt() {
    let mut batch = samples::sample_batch(0, 0);
    let last = batch.len() - 1;
    batch[last] ^= 1;
    let err = validate_batches(&batch, MIB).unwrap_err();
    assert!(matches!(err, BatchError::Corrupt(_)));
    assert_eq!(err.code(), kafka_protocol::ResponseError::CorruptMessage);

    let mut batch = samples::sample_batch(0, 0);
    batch[16] = 1;
    samples::fix_crc(&mut batch);
    assert!(matches!(
        validate_batches(&batch, MIB),
        Err(BatchError::Corrupt(_))
    ));
}

#[test]
fn lengths_inconsistent_with_the_bytes_are_corrupt() {
    let batch = samples::sample_batch(0, 0);
    for cut in [0, 11, 12, 60, batch.len() - 1] {
        assert!(validate_batches(&batch[..cut], MIB).is_err(), "cut {cut}");
    }
    for len in [-1i32, 0, 48, i32::MAX] {
        let mut b = batch.clone();
        b[8..12].copy_from_slice(&len.to_be_bytes());
        assert!(
            matches!(validate_batches(&b, MIB), Err(BatchError::Corrupt(_))),
            "{len}"
        );
    }
    let mut trailing = batch.clone();
    trailing.extend_from_slice(&[0; 5]);
    assert!(validate_batches(&trailing, MIB).is_err());
}

#[test]
fn huge_record_count_in_a_tiny_batch_is_refused() {
    let section = samples::records_section(&samples::sample_records()[..1]);
    let mut batch = samples::batch_from_section(0, 0, 0, 0, i32::MAX, &section);
    assert!(validate_batches(&batch, MIB).is_err());
    // Also with a consistent last_offset_delta, so only the byte bound can refuse it.
    batch[23..27].copy_from_slice(&(i32::MAX - 1).to_be_bytes());
    samples::fix_crc(&mut batch);
    assert!(matches!(
        validate_batches(&batch, MIB),
        Err(BatchError::Corrupt(_))
    ));
    assert!(decode_records(&batch, MIB).is_err());
}

#[test]
fn record_structure_errors_are_invalid_record() {
    let records = samples::sample_records();
    // Count says 2, three records present: trailing bytes.
    let section = samples::records_section(&records);
    let b = samples::batch_from_section(0, 0, 0, 0, 2, &section);
    assert!(validate_batches(&b, MIB).is_err());
    // Zero records.
    let b = samples::batch_from_section(0, 0, 0, 0, 0, &[]);
    let err = validate_batches(&b, MIB).unwrap_err();
    assert_eq!(err.code(), kafka_protocol::ResponseError::InvalidRecord);
    // Offset deltas out of order: swap the first two records.
    let mut swapped = samples::records_section(&records[1..2]);
    swapped.extend_from_slice(&samples::records_section(&records[..1]));
    let b = samples::batch_from_section(0, 0, 0, 0, 2, &swapped);
    assert!(matches!(
        validate_batches(&b, MIB),
        Err(BatchError::InvalidRecord(_))
    ));
    // A null header key.
    let mut rec = vec![0u8, 0, 0, 1, 1, 2];
    samples::put_varlong(&mut rec, -1);
    rec.push(0);
    let mut section = Vec::new();
    samples::put_varlong(&mut section, rec.len() as i64);
    section.extend_from_slice(&rec);
    let b = samples::batch_from_section(0, 0, 0, 0, 1, &section);
    assert!(matches!(
        validate_batches(&b, MIB),
        Err(BatchError::InvalidRecord(_))
    ));
}

#[test]
fn unknown_codecs_are_unsupported() {
    for codec in 5..=7i16 {
        let section = samples::records_section(&samples::sample_records());
        let b = samples::batch_from_section(0, 0, 0, codec, 3, &section);
        let err = validate_batches(&b, MIB).unwrap_err();
        assert_eq!(err, BatchError::UnsupportedCompression(codec));
        assert_eq!(
            err.code(),
            kafka_protocol::ResponseError::UnsupportedCompressionType
        );
    }
}

#[test]
fn corrupt_compressed_sections_are_corrupt_not_panics() {
    for codec in 1..=4u8 {
        let plain = samples::records_section(&samples::sample_records());
        let mut section = samples::compress(codec, &plain);
        let mid = section.len() / 2;
        for (i, b) in section.iter_mut().enumerate().skip(mid).take(8) {
            *b ^= 0x5a ^ i as u8;
        }
        let b = samples::batch_from_section(0, 0, 0, codec.into(), 3, &section);
        assert!(validate_batches(&b, MIB).is_err(), "codec {codec}");
        for cut in 0..section.len() {
            let b = samples::batch_from_section(0, 0, 0, codec.into(), 3, &section[..cut]);
            assert!(
                validate_batches(&b, MIB).is_err(),
                "codec {codec} cut {cut}"
            );
        }
    }
}

fn zeros_batch(codec: u8, size: usize) -> Vec<u8> {
    let zeros = vec![0u8; size];
    let section = match codec {
        1 => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(&zeros).unwrap();
            e.finish().unwrap()
        }
        2 => samples::xerial(&zeros, 64 << 10),
        _ => samples::compress(codec, &zeros),
    };
    samples::batch_from_section(0, 0, 0, codec.into(), 1, &section)
}

#[test]
fn decompression_bombs_are_refused_with_a_size_error() {
    let gzip = zeros_batch(1, 50 * MIB);
    assert!(gzip.len() < MIB / 4, "the bomb is small on the wire");
    let err = validate_batches(&gzip, MIB).unwrap_err();
    assert_eq!(err, BatchError::TooLarge(MIB));
    assert_eq!(err.code(), kafka_protocol::ResponseError::MessageTooLarge);
    for codec in 2..=4 {
        let b = zeros_batch(codec, 4 * MIB);
        assert_eq!(
            validate_batches(&b, MIB),
            Err(BatchError::TooLarge(MIB)),
            "codec {codec}"
        );
    }
    // Raw snappy: the claimed length alone is over the bound.
    let raw = samples::compress(2, &vec![0u8; 2 * MIB]);
    let b = samples::batch_from_section(0, 0, 0, 2, 1, &raw);
    assert_eq!(validate_batches(&b, MIB), Err(BatchError::TooLarge(MIB)));
}

#[test]
fn declared_codec_workspaces_beyond_the_bound_are_refused() {
    // zstd frame header claiming a 1 GiB window (exponent 20), no data needed to refuse it.
    let section = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 20 << 3, 0, 0, 0];
    let b = samples::batch_from_section(0, 0, 0, 4, 1, &section);
    assert_eq!(validate_batches(&b, MIB), Err(BatchError::TooLarge(MIB)));
}

#[test]
fn control_batches_carry_a_valid_crc_and_the_marker_type() {
    let b = control_batch(7, 3, true, 1000);
    let crc = u32::from_be_bytes([b[17], b[18], b[19], b[20]]);
    assert_eq!(crc, crc32c::crc32c(&b[21..]));
    let infos = validate_batches(&b, 1 << 20).unwrap();
    assert!(infos[0].is_control && infos[0].is_transactional);
    assert_eq!(infos[0].producer_id, 7);
    // key: version 0, type 1 (commit)
    let recs = decode_records(&b, 1 << 20).unwrap();
    assert_eq!(recs[0].key.as_deref(), Some(&[0u8, 0, 0, 1][..]));
}

#[test]
fn a_rebuilt_batch_keeps_offsets_timestamps_codec_and_a_valid_crc() {
    for codec in 0..=4u8 {
        let batch = samples::sample_batch(100, codec);
        let all = decode_records(&batch, MIB).unwrap();
        // Keep the last record only: offsets 100 and 101 are gone, 102 stays where it was.
        let kept = vec![all[2].clone()];
        let rebuilt = rebuild(&batch, &kept).unwrap_or_else(|e| panic!("codec {codec}: {e}"));
        assert_eq!(
            decode_records(&rebuilt, MIB).unwrap(),
            kept,
            "codec {codec}"
        );
        // Same base offset, last offset delta, attributes (codec), base timestamp.
        assert_eq!(&rebuilt[..8], &batch[..8]);
        assert_eq!(&rebuilt[21..35], &batch[21..35], "codec {codec}");
        // The CRC covers what changed, and is right (decode checks it); a producer could not
        // send this batch, a consumer reads it.
        assert!(
            validate_batches(&rebuilt, MIB).is_err(),
            "gaps are for stored batches only"
        );
        // The middle record alone, then the first and last.
        let gap = vec![all[0].clone(), all[2].clone()];
        let rebuilt = rebuild(&batch, &gap).unwrap();
        assert_eq!(decode_records(&rebuilt, MIB).unwrap(), gap);
    }
}

#[test]
fn a_rebuild_refuses_records_that_are_not_the_batches_own() {
    let batch = samples::sample_batch(100, 0);
    let all = decode_records(&batch, MIB).unwrap();
    assert!(rebuild(&batch, &[]).is_err());
    let mut stranger = all[0].clone();
    stranger.offset = 103;
    assert!(rebuild(&batch, &[stranger]).is_err());
    assert!(
        rebuild(&batch, &[all[1].clone(), all[0].clone()]).is_err(),
        "out of order"
    );
    let mut two = batch.clone();
    two.extend_from_slice(&batch);
    assert!(rebuild(&two, &all).is_err(), "one batch at a time");
}
