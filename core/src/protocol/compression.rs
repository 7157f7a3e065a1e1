//! Bounded decompression of RecordBatch record sections (gzip, snappy raw or xerial-framed, LZ4
//! frame, zstd frame), and compression in the same codecs for batches the broker rebuilds
//! (compaction).
//!
//! Owns: turning a compressed records section into plain record bytes and back. Must not touch: record
//! parsing or batch headers (batch.rs). Invariants: output never exceeds `max` bytes (a larger
//! output is a bomb, reported as `Codec::Bomb`, distinct from corrupt input); buffers grow only
//! as bytes are actually produced, never from a size the input claims, except the codecs' own
//! working buffers (zstd window, LZ4 block), whose declared sizes are checked against
//! `max.max(WORKSPACE_FLOOR)` before the codec sees the stream.

use std::io::Read;

/// Largest codec working buffer accepted even when the output limit is smaller: real producers
/// use windows/blocks up to this size (zstd level <= 19 without a pledged size, LZ4 4 MiB
/// blocks) regardless of how little they compress.
pub const WORKSPACE_FLOOR: usize = 8 << 20;

/// Codec named by the low three bits of the batch attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl Compression {
    /// The codec for `attributes & 7`, or `None` for the reserved values 5..=7.
    pub fn from_attributes(attributes: i16) -> Option<Self> {
        match attributes & 7 {
            0 => Some(Compression::None),
            1 => Some(Compression::Gzip),
            2 => Some(Compression::Snappy),
            3 => Some(Compression::Lz4),
            4 => Some(Compression::Zstd),
            _ => None,
        }
    }
}

/// Why a records section could not be decompressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Codec {
    /// The compressed stream is invalid.
    Corrupt(String),
    /// The output (or a declared working buffer) would exceed the limit.
    Bomb,
}

const CHUNK: usize = 32 * 1024;
const XERIAL_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];

/// Decompress `data` with `codec`, producing at most `max` bytes.
pub fn decompress(codec: Compression, data: &[u8], max: usize) -> Result<Vec<u8>, Codec> {
    match codec {
        Compression::None => {
            if data.len() > max {
                return Err(Codec::Bomb);
            }
            Ok(data.to_vec())
        }
        Compression::Gzip => read_bounded(flate2::read::MultiGzDecoder::new(data), max),
        Compression::Snappy => snappy(data, max),
        Compression::Lz4 => {
            check_lz4_block_size(data, max)?;
            read_bounded(lz4_flex::frame::FrameDecoder::new(data), max)
        }
        Compression::Zstd => zstd(data, max),
    }
}

/// Block size of the xerial snappy framing written here (snappy-java's default).
const XERIAL_BLOCK: usize = 32 * 1024;

/// Compress a records section with `codec`, in the framing Kafka's own clients write: gzip,
/// xerial-framed snappy (as the Java client does; librdkafka reads it too), an LZ4 frame, a zstd
/// frame.
pub fn compress(codec: Compression, data: &[u8]) -> Result<Vec<u8>, Codec> {
    use std::io::Write;
    let failed = |e: std::io::Error| Codec::Corrupt(e.to_string());
    match codec {
        Compression::None => Ok(data.to_vec()),
        Compression::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(data).map_err(failed)?;
            enc.finish().map_err(failed)
        }
        Compression::Snappy => {
            let mut out = XERIAL_MAGIC.to_vec();
            out.extend(1i32.to_be_bytes()); // version
            out.extend(1i32.to_be_bytes()); // compatible version
            let mut enc = snap::raw::Encoder::new();
            for block in data.chunks(XERIAL_BLOCK) {
                let packed = enc
                    .compress_vec(block)
                    .map_err(|e| Codec::Corrupt(e.to_string()))?;
                out.extend((packed.len() as i32).to_be_bytes());
                out.extend(packed);
            }
            Ok(out)
        }
        Compression::Lz4 => {
            let mut enc = lz4_flex::frame::FrameEncoder::new(Vec::new());
            enc.write_all(data).map_err(failed)?;
            enc.finish().map_err(|e| Codec::Corrupt(e.to_string()))
        }
        Compression::Zstd => Ok(ruzstd::encoding::compress_to_vec(
            data,
            ruzstd::encoding::CompressionLevel::Fastest,
        )),
    }
}

/// Drain a decoder in fixed chunks, failing once more than `max` bytes come out.
fn read_bounded<R: Read>(mut reader: R, max: usize) -> Result<Vec<u8>, Codec> {
    let mut out = Vec::new();
    let mut chunk = [0u8; CHUNK];
    loop {
        let n = reader
            .read(&mut chunk)
            .map_err(|e| Codec::Corrupt(e.to_string()))?;
        if n == 0 {
            return Ok(out);
        }
        if out.len().saturating_add(n) > max {
            return Err(Codec::Bomb);
        }
        out.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
}

fn snappy(data: &[u8], max: usize) -> Result<Vec<u8>, Codec> {
    let Some(mut rest) = data.strip_prefix(&XERIAL_MAGIC[..]) else {
        let mut out = Vec::new();
        snappy_block(data, max, &mut out)?;
        return Ok(out);
    };
    // Xerial framing (Java clients): version and compatible-version i32s, then blocks of
    // i32 length + raw snappy block.
    rest = rest
        .get(8..)
        .ok_or_else(|| Codec::Corrupt("short xerial header".into()))?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (len, tail) = rest
            .split_first_chunk::<4>()
            .ok_or_else(|| Codec::Corrupt("short xerial block length".into()))?;
        let len = usize::try_from(i32::from_be_bytes(*len))
            .map_err(|_| Codec::Corrupt("negative xerial block length".into()))?;
        let block = tail
            .get(..len)
            .ok_or_else(|| Codec::Corrupt("xerial block beyond data".into()))?;
        let room = max.saturating_sub(out.len());
        snappy_block(block, room, &mut out)?;
        rest = tail.get(len..).unwrap_or_default();
    }
    Ok(out)
}

/// Append one raw snappy block to `out`, after checking its claimed length against `room`.
fn snappy_block(block: &[u8], room: usize, out: &mut Vec<u8>) -> Result<(), Codec> {
    let len = snap::raw::decompress_len(block).map_err(|e| Codec::Corrupt(e.to_string()))?;
    if len > room {
        return Err(Codec::Bomb);
    }
    let start = out.len();
    out.resize(start + len, 0);
    let target = out.get_mut(start..).unwrap_or_default();
    let written = snap::raw::Decoder::new()
        .decompress(block, target)
        .map_err(|e| Codec::Corrupt(e.to_string()))?;
    out.truncate(start + written);
    Ok(())
}

/// LZ4 frame: magic, FLG, BD. The decoder reserves the declared maximum block size up front.
fn check_lz4_block_size(data: &[u8], max: usize) -> Result<(), Codec> {
    let bd = data
        .get(5)
        .ok_or_else(|| Codec::Corrupt("short lz4 frame header".into()))?;
    let block = match (bd >> 4) & 7 {
        4 => 64 << 10,
        5 => 256 << 10,
        6 => 1 << 20,
        7 => 4 << 20,
        id => return Err(Codec::Corrupt(format!("lz4 block size id {id}"))),
    };
    if block > max.max(WORKSPACE_FLOOR) {
        return Err(Codec::Bomb);
    }
    Ok(())
}

fn zstd(data: &[u8], max: usize) -> Result<Vec<u8>, Codec> {
    let mut out = Vec::new();
    let mut rest = data;
    // A producer may concatenate frames; each is checked and decoded in turn.
    while !rest.is_empty() {
        let window = zstd_window(rest)?;
        if window > max.max(WORKSPACE_FLOOR) as u64 {
            return Err(Codec::Bomb);
        }
        let mut source = rest;
        let decoder = ruzstd::decoding::StreamingDecoder::new(&mut source)
            .map_err(|e| Codec::Corrupt(e.to_string()))?;
        let part = read_bounded(decoder, max.saturating_sub(out.len()))?;
        out.extend_from_slice(&part);
        if source.len() >= rest.len() {
            return Err(Codec::Corrupt("zstd frame consumed nothing".into()));
        }
        rest = source;
    }
    Ok(out)
}

/// The window a zstd frame header declares (the decoder reserves it up front).
fn zstd_window(frame: &[u8]) -> Result<u64, Codec> {
    let corrupt = |m: &str| Codec::Corrupt(m.to_string());
    let (magic, rest) = frame
        .split_first_chunk::<4>()
        .ok_or_else(|| corrupt("short zstd frame"))?;
    if u32::from_le_bytes(*magic) != 0xFD2F_B528 {
        return Err(corrupt("not a zstd frame"));
    }
    let (&fhd, rest) = rest
        .split_first()
        .ok_or_else(|| corrupt("short zstd header"))?;
    let single_segment = fhd & 0x20 != 0;
    if !single_segment {
        let wd = rest.first().ok_or_else(|| corrupt("short zstd header"))?;
        let base = 1u64 << (10 + u32::from(wd >> 3));
        return Ok(base + (base / 8) * u64::from(wd & 7));
    }
    // Single segment: the window is the frame content size, after the dictionary id.
    let did_len = [0usize, 1, 2, 4][usize::from(fhd & 3)];
    let fcs_len = [1usize, 2, 4, 8][usize::from(fhd >> 6)];
    let fcs = rest
        .get(did_len..did_len + fcs_len)
        .ok_or_else(|| corrupt("short zstd header"))?;
    let mut le = [0u8; 8];
    le.get_mut(..fcs_len)
        .ok_or_else(|| corrupt("zstd content size"))?
        .copy_from_slice(fcs);
    let size = u64::from_le_bytes(le);
    Ok(if fcs_len == 2 { size + 256 } else { size })
}
