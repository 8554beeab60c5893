//! CPU-bound work spread over the machine's cores (scoped threads, no pool):
//! used where a large batch does the same work per entity; and [`bounded`],
//! async work on many items at most N at once.

use std::future::Future;

use futures::StreamExt;
use futures::stream::FuturesUnordered;

/// The outputs of the futures `make` makes of `items`, at most `limit`
/// running at once, in the order they finish. Each future is made only
/// when a slot is free, so memory stays bounded by `limit` futures however
/// many items there are (a stream of 10,000 ready-made futures holds them
/// all).
pub async fn bounded<T, Fut>(
    items: impl IntoIterator<Item = T>,
    limit: usize,
    mut make: impl FnMut(T) -> Fut,
) -> Vec<Fut::Output>
where
    Fut: Future,
{
    let mut items = items.into_iter();
    let mut running = FuturesUnordered::new();
    let mut out = Vec::new();
    loop {
        while running.len() < limit.max(1) {
            match items.next() {
                Some(item) => running.push(make(item)),
                None => break,
            }
        }
        match running.next().await {
            Some(done) => out.push(done),
            None => return out,
        }
    }
}

/// Below this many items a batch is mapped on the calling thread.
const MIN_PER_THREAD: usize = 1000;

/// Items mapped per round. Each round splits its items among the threads
/// and appends their outputs in order, so beyond the input and the output
/// a map holds one round in flight, not a copy of the whole batch (a
/// million parsed entities are gigabytes).
const ROUND: usize = 16_384;

/// `items` in vectors of `size` (the last may be shorter), each taken as
/// it is asked for: a large batch handled a chunk at a time, each chunk
/// dropped once handled.
pub fn batches<T>(items: impl IntoIterator<Item = T>, size: usize) -> impl Iterator<Item = Vec<T>> {
    let mut items = items.into_iter();
    std::iter::from_fn(move || {
        let batch: Vec<T> = items.by_ref().take(size.max(1)).collect();
        (!batch.is_empty()).then_some(batch)
    })
}

/// `items` mapped by `f`, in order, on up to every core.
pub fn map<T: Send, U: Send>(items: Vec<T>, f: impl Fn(T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len() / MIN_PER_THREAD);
    if threads < 2 {
        return items.into_iter().map(f).collect();
    }
    let mut out = Vec::with_capacity(items.len());
    let f = &f;
    for round in batches(items, ROUND) {
        let per = round.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = batches(round, per)
                .map(|part| scope.spawn(move || part.into_iter().map(f).collect::<Vec<U>>()))
                .collect();
            for h in handles {
                out.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            }
        });
    }
    out
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn bounded_runs_at_most_limit_at_once_and_returns_everything() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (now, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let mut out = super::bounded(0..50u32, 4, |i| {
            let (now, most) = (&now, &most);
            async move {
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(n, Ordering::SeqCst);
                tokio::task::yield_now().await;
                now.fetch_sub(1, Ordering::SeqCst);
                i * 2
            }
        })
        .await;
        out.sort();
        assert_eq!(out, (0..50).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn batches_are_of_the_size_asked_and_the_last_holds_the_rest() {
        let sizes: Vec<usize> = super::batches(0..10, 4).map(|b| b.len()).collect();
        assert_eq!(sizes, [4, 4, 2]);
        assert_eq!(super::batches(Vec::<u8>::new(), 4).count(), 0);
        let all: Vec<u32> = super::batches(0..7u32, 3).flatten().collect();
        assert_eq!(all, (0..7).collect::<Vec<_>>());
    }

    #[test]
    fn keeps_order_on_any_number_of_threads() {
        for n in [0, 1, 999, 1000, 2001, 10_007, 40_000] {
            let out = super::map((0..n).collect(), |i: u64| i * 2);
            assert_eq!(out, (0..n).map(|i| i * 2).collect::<Vec<_>>(), "n={n}");
        }
    }
}
