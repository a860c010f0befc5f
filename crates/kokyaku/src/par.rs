//! Two-way parallelism for the few places where both cores pay: `join` runs two closures, one on
//! a scoped helper thread where the platform has threads (not in the browser), and returns both
//! results. Every caller splits its work the same way with or without the thread, so results
//! never depend on whether it ran.

/// `(a(), b())`, with `a` on a helper thread when one can be started (else both here, `a`
/// first). A panic in `a` resumes on this thread.
pub fn join<RA: Send, RB>(a: &(impl Fn() -> RA + Sync), b: impl FnOnce() -> RB) -> (RA, RB) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::thread::scope(|s| {
            match std::thread::Builder::new().spawn_scoped(s, a) {
                Ok(h) => {
                    let rb = b();
                    match h.join() {
                        Ok(ra) => (ra, rb),
                        Err(panic) => std::panic::resume_unwind(panic),
                    }
                }
                // No thread (resource limits): the work runs here.
                Err(_) => (a(), b()),
            }
        })
    }
    #[cfg(target_arch = "wasm32")]
    {
        (a(), b())
    }
}

/// [`join`] for an `a` that runs once and may own or mutably borrow what it works on
/// (`FnOnce + Send`, so callers need no hand-over of their own): `(Some(a()), b())`. `a` runs
/// exactly once (here when no helper thread starts), so `None` would mean a poisoned hand-over,
/// which only a panic in `a` makes, and that panic resumes here first.
pub(crate) fn join_once<RA: Send, RB>(
    a: impl FnOnce() -> RA + Send,
    b: impl FnOnce() -> RB,
) -> (Option<RA>, RB) {
    let slot = std::sync::Mutex::new(Some(a));
    join(
        &|| slot.lock().ok().and_then(|mut g| g.take()).map(|f| f()),
        b,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn join_returns_both_results_in_order() {
        let data: Vec<u64> = (1..=1000).collect();
        let (a, b) = super::join(&|| data[..500].iter().sum::<u64>(), || {
            data[500..].iter().sum::<u64>()
        });
        assert_eq!((a, b), (125_250, 375_250));
    }

    #[test]
    fn join_once_hands_a_its_mutable_half() {
        let mut data: Vec<u64> = (1..=1000).rev().collect();
        let (lo, hi) = data.split_at_mut(500);
        let (a, b) = super::join_once(
            || {
                lo.sort_unstable();
                lo.len()
            },
            || {
                hi.sort_unstable();
                hi.len()
            },
        );
        assert_eq!((a, b), (Some(500), 500));
        assert_eq!(data[..3], [501, 502, 503]);
        assert_eq!(data[500..503], [1, 2, 3]);
    }
}
