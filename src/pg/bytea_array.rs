//! One-copy `bytea[]` parameters for the batch INSERT.
//!
//! pgrx turns a `Vec<&[u8]>` into an array in three copies: each slice into its own varlena,
//! `accumArrayResult` copying that again, and `makeArrayResult` copying everything into the final
//! array, all alive until the statement ends. A 95 MB produce would cost 285 MB of backend memory
//! before Postgres even forms the tuple. `ByteaArray` writes the bytes once, straight into a
//! single palloc'd one-dimensional array with no nulls, laid out as `array.h` documents it.

use pgrx::prelude::*;
use pgrx::{pg_sys, set_varsize_4b, IntoDatum};

/// Array header (`ArrayType`) plus one dimension and one lower bound: `ARR_OVERHEAD_NONULLS(1)`.
const OVERHEAD: usize = 24;
/// A 4-byte varlena header.
const VARHDRSZ: usize = 4;
/// `MaxAllocSize` in memutils.h: the most palloc (and a varlena) can hold.
const MAX_ALLOC: usize = 0x3fff_ffff;
/// `bytea` is int-aligned (`typalign = 'i'`).
fn int_align(n: usize) -> usize {
    (n + 3) & !3
}

/// Borrowed element bytes, converted to a `bytea[]` datum in the current memory context.
pub struct ByteaArray<'a>(pub Vec<&'a [u8]>);

impl ByteaArray<'_> {
    /// The array's total size in bytes, or None when a varlena could not hold it (1 GB).
    fn size(&self) -> Option<usize> {
        let data: usize = self.0.iter().map(|e| int_align(VARHDRSZ + e.len())).sum();
        // Postgres writes an empty array with no dimensions at all: just the header.
        let total = if self.0.is_empty() {
            std::mem::size_of::<pg_sys::ArrayType>()
        } else {
            OVERHEAD + data
        };
        (total <= MAX_ALLOC && self.0.len() <= i32::MAX as usize).then_some(total)
    }
}

impl IntoDatum for ByteaArray<'_> {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        let Some(total) = self.size() else {
            error!("pg_kafka: a group commit's batches exceed 1 GB");
        };
        // SAFETY: `total` bytes are allocated (zeroed, so alignment padding is defined) and every
        // write below stays inside them: the header and the dimension words take OVERHEAD bytes
        // (an empty array is the header alone), and each element int_align(VARHDRSZ + len)
        // bytes, which is how `total` was summed.
        unsafe {
            let base = pg_sys::palloc0(total) as *mut u8;
            let header = base as *mut pg_sys::ArrayType;
            set_varsize_4b(base as *mut pg_sys::varlena, total as i32);
            (*header).dataoffset = 0; // no null bitmap
            (*header).elemtype = pg_sys::BYTEAOID;
            if self.0.is_empty() {
                return Some(pg_sys::Datum::from(base)); // ndim 0, as palloc0 left it
            }
            (*header).ndim = 1;
            let dims = base.add(std::mem::size_of::<pg_sys::ArrayType>()) as *mut i32;
            *dims = self.0.len() as i32; // the one dimension's length
            *dims.add(1) = 1; // its lower bound
            let mut at = OVERHEAD;
            for element in &self.0 {
                let item = base.add(at);
                set_varsize_4b(
                    item as *mut pg_sys::varlena,
                    (VARHDRSZ + element.len()) as i32,
                );
                std::ptr::copy_nonoverlapping(element.as_ptr(), item.add(VARHDRSZ), element.len());
                at += int_align(VARHDRSZ + element.len());
            }
            Some(pg_sys::Datum::from(base))
        }
    }

    fn type_oid() -> pg_sys::Oid {
        pg_sys::BYTEAARRAYOID
    }
}
