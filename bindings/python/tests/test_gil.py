"""Batch calls release the GIL: another Python thread keeps running while Rust works."""

import threading
import time

import kokyaku


def _log_bytes(n_rows):
    customers = max(n_rows // 6, 1)
    rows = ["customer_id,order_id,placed_at,amount"]
    rows += [f"c{i % customers},{i},2024-{1 + i % 12:02d}-{1 + i % 28:02d},{10 + i % 90}" for i in range(n_rows)]
    return "\n".join(rows).encode()


def _longest_stall(data):
    """How long a read of ``data`` and its analysis each took on a worker thread (the shorter
    of the two), and the longest this thread waited between two turns of a busy loop meanwhile."""
    done = threading.Event()
    spent = []

    def work():
        t0 = time.perf_counter()
        log = kokyaku.read_csv(data)
        t1 = time.perf_counter()
        log.customers(frame="pyarrow")
        spent.extend([t1 - t0, time.perf_counter() - t1])
        done.set()

    worker = threading.Thread(target=work)
    worst_gap = 0.0
    last = time.perf_counter()
    worker.start()
    while not done.is_set():
        now = time.perf_counter()
        worst_gap = max(worst_gap, now - last)
        last = now
    worker.join()
    return min(spent), worst_gap


def test_reading_and_analysing_release_the_gil():
    # Once first: the first `frame="pyarrow"` imports pyarrow, Python code that would crawl
    # against the busy loop for the GIL (about 10 s) and make the first call all import.
    kokyaku.read_csv(_log_bytes(10)).customers(frame="pyarrow")
    # A debug build reads 60,000 rows in about a second, a release build in a few hundredths:
    # the log grows until each call takes long enough to tell.
    n_rows = 60_000
    shorter, worst_gap = _longest_stall(_log_bytes(n_rows))
    while shorter < 0.05 and n_rows < 4_000_000:
        n_rows *= 4
        shorter, worst_gap = _longest_stall(_log_bytes(n_rows))
    assert shorter > 0.05, "the workload is too small to tell"
    # A call holding the GIL would stall this loop for about as long as the call; released,
    # the loop only waits for the worker's short Python parts.
    assert worst_gap < shorter / 2, (worst_gap, shorter, n_rows)
