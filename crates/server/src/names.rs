//! The map search's index of names as a server holds it between searches (see `gazetteer`): one for
//! staff, one for residents, each rebuilt from the database at most once a minute. A copy per server,
//! never the only one, so servers behind one load balancer need not share it.

use pingan_geo::gazetteer::Gazetteer;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a built index serves before the names are read again.
const TTL: Duration = Duration::from_secs(60);

/// An index and, for each entry, the area path it lies in (for the searcher's scope).
pub struct Built {
    pub gazetteer: Gazetteer,
    pub area_paths: HashMap<String, String>,
}

/// One index and when it was built.
type Slot = Arc<Mutex<Option<(Instant, Arc<Built>)>>>;

#[derive(Clone, Default)]
pub struct NameCache {
    public: Slot,
    staff: Slot,
}

impl NameCache {
    fn slot(&self, staff: bool) -> &Slot {
        if staff { &self.staff } else { &self.public }
    }

    /// The index while it is fresh.
    pub fn fresh(&self, staff: bool) -> Option<Arc<Built>> {
        match self.slot(staff).lock().expect("name cache lock").as_ref() {
            Some((at, b)) if at.elapsed() < TTL => Some(b.clone()),
            _ => None,
        }
    }

    pub fn put(&self, staff: bool, b: Arc<Built>) {
        *self.slot(staff).lock().expect("name cache lock") = Some((Instant::now(), b));
    }

    /// Forget both indexes (after an import changed the names).
    pub fn invalidate(&self) {
        *self.public.lock().expect("name cache lock") = None;
        *self.staff.lock().expect("name cache lock") = None;
    }
}
