//! Rows -> Arrow column buffers, per table of the schema Python hands over: the
//! correlator's rows become the buffers of Arrow arrays (validity bitmap, values,
//! string offsets) that `pyarrow.Array.from_buffers` wraps, plus each row's partition
//! day, as `dataset.writer` computes it (the time column's UTC day, else `_day`, else 0).

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use super::value::{key, Obj, K, NULL, V};

const DAY_US: i64 = 86_400_000_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int, // int64 and timestamp[us]
    Float,
    Bool,
    Str,
}

#[derive(Default)]
struct Bits {
    bytes: Vec<u8>,
    len: usize,
}

impl Bits {
    /// Emptied, its room kept for the next rows.
    fn clear(&mut self) {
        self.bytes.clear();
        self.len = 0;
    }

    /// `n` set bits on an empty bitmap (as `n` pushes of true leave it).
    fn fill_ones(&mut self, n: usize) {
        self.bytes.resize(n / 8, 0xff);
        if !n.is_multiple_of(8) {
            self.bytes.push((1u8 << (n % 8)) - 1);
        }
        self.len = n;
    }

    fn push(&mut self, bit: bool) {
        if self.len.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if bit {
            *self.bytes.last_mut().expect("pushed") |= 1 << (self.len % 8);
        }
        self.len += 1;
    }
}

struct Column {
    name: String,
    key: K,
    kind: Kind,
    /// the validity bitmap, kept only from the first null on (all set before it)
    valid: Bits,
    nulls: usize,
    rows: usize,
    ints: Vec<i64>,
    floats: Vec<f64>,
    bools: Bits,
    offsets: Vec<i32>,
    data: Vec<u8>,
}

impl Column {
    #[inline]
    fn push(&mut self, v: &V) -> Result<(), String> {
        match (self.kind, v) {
            (Kind::Int, V::Int(n)) => self.ints.push(*n),
            (Kind::Str, V::Str(t)) => {
                self.data.extend_from_slice(t.as_bytes());
                self.offsets.push(self.data.len() as i32);
            }
            (_, V::Null) => {
                self.push_null();
                return Ok(());
            }
            (Kind::Int, V::Bool(b)) => self.ints.push(*b as i64),
            (Kind::Float, V::Float(x)) => self.floats.push(*x),
            (Kind::Float, V::Int(n)) => self.floats.push(*n as f64),
            (Kind::Bool, V::Bool(b)) => self.bools.push(*b),
            _ => return Err(self.cannot_store(v)),
        }
        if self.nulls > 0 {
            self.valid.push(true);
        }
        self.rows += 1;
        Ok(())
    }

    fn push_null(&mut self) {
        if self.nulls == 0 {
            self.valid.fill_ones(self.rows);
        }
        self.nulls += 1;
        match self.kind {
            Kind::Int => self.ints.push(0),
            Kind::Float => self.floats.push(0.0),
            Kind::Bool => self.bools.push(false),
            Kind::Str => self.offsets.push(self.data.len() as i32),
        }
        self.valid.push(false);
        self.rows += 1;
    }

    #[cold]
    fn cannot_store(&self, v: &V) -> String {
        format!("column {}: cannot store {:?}", self.name, v)
    }
}

/// No column for this key id / no field for this column.
const NONE: u16 = u16::MAX;

pub struct Table {
    pub name: String,
    time: K,
    columns: Vec<Column>,
    /// the column of each key id (`NONE`: not one of this table's); empty when the
    /// table's columns cannot be placed that way (too many, a name twice)
    column_of: Vec<u16>,
    /// the time column's place among the columns (`NONE`: not one of them)
    time_column: u16,
    /// per column, the row's entry for it (`NONE`: none), reused row after row
    at: Vec<u16>,
    days: Vec<i32>,
    pub rows: usize,
}

impl Table {
    /// `columns`: (name, type) with types `timestamp`, `int64`, `float64`, `bool`, `string`.
    pub fn new(name: String, time: &str, columns: Vec<(String, String)>) -> Result<Table, String> {
        let mut cols = Vec::new();
        for (col, ty) in columns {
            let kind = match ty.as_str() {
                "timestamp" | "int64" => Kind::Int,
                "float64" => Kind::Float,
                "bool" => Kind::Bool,
                "string" => Kind::Str,
                other => return Err(format!("{name}.{col}: type {other}")),
            };
            cols.push(Column {
                key: key(&col),
                name: col,
                kind,
                valid: Bits::default(),
                nulls: 0,
                rows: 0,
                ints: Vec::new(),
                floats: Vec::new(),
                bools: Bits::default(),
                offsets: vec![0],
                data: Vec::new(),
            });
        }
        let mut column_of = vec![NONE; cols.iter().map(|c| c.key as usize + 1).max().unwrap_or(0)];
        let mut placed = cols.len() < NONE as usize;
        for (i, col) in cols.iter().enumerate() {
            placed &= column_of[col.key as usize] == NONE; // a name twice: the slow path
            column_of[col.key as usize] = i as u16;
        }
        if !placed {
            column_of.clear();
        }
        let time = key(time);
        let time_column = cols
            .iter()
            .position(|c| c.key == time)
            .map_or(NONE, |i| i as u16);
        Ok(Table {
            name,
            time,
            at: vec![NONE; cols.len()],
            columns: cols,
            column_of,
            time_column,
            days: Vec::new(),
            rows: 0,
        })
    }

    /// Add a row: only the schema's columns of it are taken (rows may be whole events).
    pub fn push(&mut self, row: &Obj) -> Result<(), String> {
        let time = if !self.column_of.is_empty() && row.0.len() < NONE as usize {
            // one pass over the row instead of one search of it per column
            let at = &mut self.at;
            at.fill(NONE);
            for (i, (k, _)) in row.0.iter().enumerate() {
                if let Some(&c) = self.column_of.get(*k as usize) {
                    if c != NONE && at[c as usize] == NONE {
                        at[c as usize] = i as u16; // `get` finds a key's first entry
                    }
                }
            }
            for (col, &i) in self.columns.iter_mut().zip(at.iter()) {
                let v = if i == NONE {
                    &NULL
                } else {
                    &row.0[i as usize].1
                };
                col.push(v)?;
            }
            match at.get(self.time_column as usize) {
                Some(&i) if i != NONE => &row.0[i as usize].1,
                Some(_) => &NULL,
                None => row.get(self.time),
            }
        } else {
            for col in &mut self.columns {
                col.push(row.get(col.key))?;
            }
            row.get(self.time)
        };
        let day = match time {
            V::Int(ts) => ts.div_euclid(DAY_US),
            _ => match row.get(super::value::DAY) {
                V::Int(d) => *d,
                _ => 0,
            },
        };
        self.days.push(day as i32);
        self.rows += 1;
        Ok(())
    }

    /// Bytes held, roughly (to decide when to hand the rows over).
    pub fn bytes(&self) -> usize {
        self.columns
            .iter()
            .map(|c| c.data.len() + c.ints.len() * 8 + c.floats.len() * 8 + c.offsets.len() * 4)
            .sum()
    }

    /// (rows, [(validity or None, null count, buffers...)], days) for Python; the table
    /// is left empty.
    pub fn take<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let cols = PyList::empty(py);
        let rows = self.rows;
        for col in &mut self.columns {
            let valid = if col.nulls > 0 {
                PyBytes::new(py, &col.valid.bytes).into_any()
            } else {
                py.None().into_bound(py)
            };
            let data: Vec<Bound<'py, PyAny>> = match col.kind {
                Kind::Int => vec![PyBytes::new(py, as_bytes_i64(&col.ints)).into_any()],
                Kind::Float => vec![PyBytes::new(py, as_bytes_f64(&col.floats)).into_any()],
                Kind::Bool => vec![PyBytes::new(py, &col.bools.bytes).into_any()],
                Kind::Str => vec![
                    PyBytes::new(py, as_bytes_i32(&col.offsets)).into_any(),
                    PyBytes::new(py, &col.data).into_any(),
                ],
            };
            cols.append((valid, col.nulls, data))?;
            col.valid.clear();
            col.nulls = 0;
            col.rows = 0;
            col.ints.clear();
            col.floats.clear();
            col.bools.clear();
            col.offsets.clear();
            col.offsets.push(0);
            col.data.clear();
        }
        let days = PyBytes::new(py, as_bytes_i32(&self.days));
        self.days.clear();
        self.rows = 0;
        (rows, cols, days).into_pyobject(py)
    }
}

fn as_bytes_i64(v: &[i64]) -> &[u8] {
    // SAFETY: plain integers, read as their native-endian bytes (Arrow's layout)
    unsafe { std::slice::from_raw_parts(v.as_ptr() as *const u8, std::mem::size_of_val(v)) }
}

fn as_bytes_f64(v: &[f64]) -> &[u8] {
    // SAFETY: as above
    unsafe { std::slice::from_raw_parts(v.as_ptr() as *const u8, std::mem::size_of_val(v)) }
}

fn as_bytes_i32(v: &[i32]) -> &[u8] {
    // SAFETY: as above
    unsafe { std::slice::from_raw_parts(v.as_ptr() as *const u8, std::mem::size_of_val(v)) }
}
