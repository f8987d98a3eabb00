//! Column buffers handed to Python without a copy: the Vec the rows were written into,
//! owned by a small Python object that exposes it through the buffer protocol, so
//! `pyarrow.py_buffer` wraps the Rust memory itself. Arrow's buffer holds the object
//! (the protocol's view references it); the object is frozen and has no method that
//! touches the Vec, so the memory Arrow reads never changes nor moves.
//!
//! When Arrow lets go of it (the rows are written as Parquet) the Vec goes back to the
//! column it came from, emptied, and the column fills it again: fresh Vecs each take
//! would cost page faults and a growing copy on every take (and memory the allocator
//! keeps for a while), where the recycled ones are already mapped and large enough.

use std::ffi::{c_int, c_void};
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyBufferError;
use pyo3::ffi;
use pyo3::prelude::*;

/// Spare Vecs kept per column buffer: a table's takes alive in Arrow at once are the
/// ones waiting for their flush and the flush in flight; more are freed.
const KEEP: usize = 3;

type Spares<T> = Arc<Mutex<Vec<Vec<T>>>>;

/// One buffer of a column: the Vec being filled (`Deref`s to it) and the emptied Vecs
/// Arrow gave back.
pub struct Recycled<T> {
    items: Vec<T>,
    spares: Spares<T>,
    most: usize,
}

impl<T> Default for Recycled<T> {
    fn default() -> Self {
        Recycled {
            items: Vec::new(),
            spares: Arc::default(),
            most: 0,
        }
    }
}

impl<T> Deref for Recycled<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.items
    }
}

impl<T> DerefMut for Recycled<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.items
    }
}

impl<T> Recycled<T> {
    /// The items, moved out with the way back to this buffer; it goes on with a spare
    /// Vec, else a new one with room for as many items.
    fn hand(&mut self) -> Handed<T> {
        self.most = self.most.max(self.items.len());
        let room = self.most + self.most / 4;
        let spare = self.spares.lock().ok().and_then(|mut s| s.pop());
        let next = match spare {
            Some(v) if v.capacity() >= self.most => v,
            _ => Vec::with_capacity(room),
        };
        Handed {
            items: std::mem::replace(&mut self.items, next),
            back: self.spares.clone(),
        }
    }
}

/// A Vec out of its column, and where it goes back to.
pub struct Handed<T> {
    items: Vec<T>,
    back: Spares<T>,
}

impl<T> Handed<T> {
    fn give_back(&mut self) {
        let mut items = std::mem::take(&mut self.items);
        items.clear();
        if let Ok(mut spares) = self.back.lock() {
            if spares.len() < KEEP {
                spares.push(items);
            }
        }
    }
}

/// The Vec of one column buffer, whichever its item type (dropped as that type).
pub enum Owned {
    Bytes(Handed<u8>),
    I32(Handed<i32>),
    I64(Handed<i64>),
    F64(Handed<f64>),
}

/// Where an empty buffer points: a Vec without room points at a dangling, possibly
/// unaligned address, and Arrow wants every buffer 8-byte aligned.
static EMPTY: u64 = 0;

#[pyclass(frozen, weakref, module = "analyzer._core")]
pub struct ColumnBuffer {
    owned: Owned,
}

/// The items of `buffer` as a `ColumnBuffer` for Python (the buffer goes on filling
/// another Vec).
pub fn hand<'py, T: Item>(
    py: Python<'py>,
    buffer: &mut Recycled<T>,
) -> PyResult<Bound<'py, PyAny>> {
    let owned = T::owned(buffer.hand());
    Ok(Bound::new(py, ColumnBuffer { owned })?.into_any())
}

/// The item types of column buffers: plain numbers, read as their native-endian bytes
/// (Arrow's layout on the machine).
pub trait Item: Sized {
    fn owned(handed: Handed<Self>) -> Owned;
}

impl Item for u8 {
    fn owned(handed: Handed<u8>) -> Owned {
        Owned::Bytes(handed)
    }
}

impl Item for i32 {
    fn owned(handed: Handed<i32>) -> Owned {
        Owned::I32(handed)
    }
}

impl Item for i64 {
    fn owned(handed: Handed<i64>) -> Owned {
        Owned::I64(handed)
    }
}

impl Item for f64 {
    fn owned(handed: Handed<f64>) -> Owned {
        Owned::F64(handed)
    }
}

impl ColumnBuffer {
    fn bytes(&self) -> &[u8] {
        let (ptr, len) = match &self.owned {
            Owned::Bytes(h) => return &h.items,
            Owned::I32(h) => (h.items.as_ptr() as *const u8, size_of_val(&h.items[..])),
            Owned::I64(h) => (h.items.as_ptr() as *const u8, size_of_val(&h.items[..])),
            Owned::F64(h) => (h.items.as_ptr() as *const u8, size_of_val(&h.items[..])),
        };
        // SAFETY: the Vec's items, all initialised plain numbers, read as their bytes
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

impl Drop for ColumnBuffer {
    fn drop(&mut self) {
        match &mut self.owned {
            Owned::Bytes(h) => h.give_back(),
            Owned::I32(h) => h.give_back(),
            Owned::I64(h) => h.give_back(),
            Owned::F64(h) => h.give_back(),
        }
    }
}

#[pymethods]
impl ColumnBuffer {
    /// The read-only buffer protocol (`memoryview(b)`, `pyarrow.py_buffer(b)`).
    ///
    /// # Safety
    /// `view` is the `Py_buffer` Python hands over to be filled.
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        if flags & ffi::PyBUF_WRITABLE != 0 {
            return Err(PyBufferError::new_err("a column buffer is read-only"));
        }
        let bytes = slf.get().bytes();
        let ptr = if bytes.is_empty() {
            &EMPTY as *const u64 as *const u8
        } else {
            bytes.as_ptr()
        };
        // SAFETY: fills `view` with the bytes, read-only, and a new reference to the
        // object that owns them (released with the view)
        let rc = unsafe {
            ffi::PyBuffer_FillInfo(
                view,
                slf.as_ptr(),
                ptr as *mut c_void,
                bytes.len() as ffi::Py_ssize_t,
                1,
                flags,
            )
        };
        if rc != 0 {
            return Err(PyErr::fetch(slf.py()));
        }
        Ok(())
    }

    /// The buffer's size in bytes.
    fn __len__(&self) -> usize {
        self.bytes().len()
    }
}
