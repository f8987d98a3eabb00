//! A dict with Python's order and `Keyed`'s bookkeeping: entries iterate in insertion
//! order (one removed and added again goes last, one changed in place keeps its place),
//! and the map remembers the keys reached, set or removed since the last save, so a
//! commit hands over only those (see `analyzer.dataset.openstate.Keyed`).

use std::collections::hash_map::Entry as MapEntry;
use std::hash::Hash;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

pub struct OrdMap<Key: Eq + Hash + Clone, T> {
    map: HashMap<Key, Entry<T>>,
    next: u64,
    /// entries inserted at or after this sequence number are new since the last save
    saved_at: u64,
    /// keys the store held at the last save that were removed since (and not inserted
    /// again): with the entries marked `touched`, what `Keyed.touched` holds
    gone: HashSet<Key>,
    /// the store holds every entry as of the last save (`Keyed.synced`)
    pub synced: bool,
}

struct Entry<T> {
    seq: u64,
    /// reached, set or (re)inserted since the last save (an open message is reached by
    /// most lines of its life: a flag, not a set of keys, costs no lookup nor copy)
    touched: bool,
    /// absent at the last save and inserted since: removed again before the next save,
    /// the store never held it, so it is not touched either (a long run would
    /// otherwise hand every message of the commit interval back to Python at a commit)
    born: bool,
    value: T,
}

impl<Key: Eq + Hash + Clone, T> Default for OrdMap<Key, T> {
    fn default() -> Self {
        OrdMap {
            map: HashMap::default(),
            next: 0,
            saved_at: 0,
            gone: HashSet::default(),
            synced: false,
        }
    }
}

impl<Key: Eq + Hash + Clone, T> OrdMap<Key, T> {
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn contains(&self, k: &Key) -> bool {
        self.map.contains_key(k)
    }

    /// `d.get(k)` (counts as reached: the caller may change it)
    pub fn get_mut(&mut self, k: &Key) -> Option<&mut T> {
        let entry = self.map.get_mut(k)?;
        entry.touched = true;
        Some(&mut entry.value)
    }

    /// Read without counting as reached (iteration in Python).
    pub fn peek(&self, k: &Key) -> Option<&T> {
        self.map.get(k).map(|e| &e.value)
    }

    /// `d[k] = v`: a new key goes last, an existing one keeps its place.
    pub fn insert(&mut self, k: Key, v: T) {
        match self.map.entry(k) {
            MapEntry::Occupied(mut found) => {
                let entry = found.get_mut();
                entry.value = v;
                entry.touched = true;
            }
            MapEntry::Vacant(slot) => {
                // absent at the save unless removed since
                let born = self.gone.is_empty() || !self.gone.remove(slot.key());
                slot.insert(Entry {
                    seq: self.next,
                    touched: true,
                    born,
                    value: v,
                });
                self.next += 1;
            }
        }
    }

    /// Loading: append without counting as changed.
    pub fn load(&mut self, k: Key, v: T) {
        let entry = Entry {
            seq: self.next,
            touched: self.gone.remove(&k),
            born: false,
            value: v,
        };
        self.map.insert(k, entry);
        self.next += 1;
        self.saved_at = self.next;
    }

    pub fn remove(&mut self, k: &Key) -> Option<T> {
        let found = self.map.remove(k)?;
        if !found.born {
            self.gone.insert(k.clone());
        }
        Some(found.value)
    }

    /// Keys in dict order.
    pub fn keys_in_order(&self) -> Vec<Key> {
        let mut keys: Vec<(u64, &Key)> = self.map.iter().map(|(k, e)| (e.seq, k)).collect();
        keys.sort_unstable_by_key(|(seq, _)| *seq);
        keys.into_iter().map(|(_, k)| k.clone()).collect()
    }

    /// (changed in place or removed, (re)inserted since the last save in order): what
    /// `Keyed.touched` and `Keyed.moved` hold.
    pub fn changes(&self) -> (Vec<Key>, Vec<Key>) {
        let mut moved: Vec<(u64, &Key)> = self
            .map
            .iter()
            .filter(|(_, e)| e.seq >= self.saved_at)
            .map(|(k, e)| (e.seq, k))
            .collect();
        moved.sort_unstable_by_key(|(seq, _)| *seq);
        let touched = self
            .map
            .iter()
            .filter(|(_, e)| e.touched)
            .map(|(k, _)| k)
            .chain(&self.gone)
            .cloned()
            .collect();
        (touched, moved.into_iter().map(|(_, k)| k.clone()).collect())
    }

    pub fn saved(&mut self) {
        self.gone.clear();
        for entry in self.map.values_mut() {
            entry.touched = false;
            entry.born = false;
        }
        self.saved_at = self.next;
        self.synced = true;
    }
}
