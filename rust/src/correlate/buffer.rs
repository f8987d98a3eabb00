//! A column buffer handed to Python without a copy: the Vec the rows were written into,
//! owned by a small Python object that exposes it through the buffer protocol, so
//! `pyarrow.py_buffer` wraps the Rust memory itself. Arrow's buffer holds the object
//! (the protocol's view references it) and the Vec is freed when Arrow lets go of it.
//! The object is frozen and has no method that touches the Vec: the memory Arrow reads
//! never changes nor moves.

use std::ffi::{c_int, c_void};

use pyo3::exceptions::PyBufferError;
use pyo3::ffi;
use pyo3::prelude::*;

/// The Vec of one column buffer, whichever its item type (dropped as that type).
pub enum Owned {
    Bytes(Vec<u8>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    F64(Vec<f64>),
}

/// Where an empty buffer points: a Vec without room points at a dangling, possibly
/// unaligned address, and Arrow wants every buffer 8-byte aligned.
static EMPTY: u64 = 0;

#[pyclass(frozen, weakref, module = "analyzer._core")]
pub struct ColumnBuffer {
    owned: Owned,
}

impl ColumnBuffer {
    pub fn new(owned: Owned) -> ColumnBuffer {
        ColumnBuffer { owned }
    }

    /// The buffer's bytes: plain integers and floats in native byte order (Arrow's
    /// layout on the machine).
    fn bytes(&self) -> &[u8] {
        let (ptr, len) = match &self.owned {
            Owned::Bytes(v) => return v,
            Owned::I32(v) => (v.as_ptr() as *const u8, std::mem::size_of_val(&v[..])),
            Owned::I64(v) => (v.as_ptr() as *const u8, std::mem::size_of_val(&v[..])),
            Owned::F64(v) => (v.as_ptr() as *const u8, std::mem::size_of_val(&v[..])),
        };
        // SAFETY: the Vec's items, all initialised plain numbers, read as their bytes
        unsafe { std::slice::from_raw_parts(ptr, len) }
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
