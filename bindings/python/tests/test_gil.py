"""Batch calls release the GIL: another Python thread keeps running while Rust works."""

import threading
import time

import kokyaku


def test_reading_and_analysing_release_the_gil():
    rows = ["customer_id,order_id,placed_at,amount"]
    rows += [f"c{i % 10000},{i},2024-{1 + i % 12:02d}-{1 + i % 28:02d},{10 + i % 90}" for i in range(60_000)]
    data = "\n".join(rows).encode()
    done = threading.Event()
    spent = {}

    def work():
        t0 = time.perf_counter()
        log = kokyaku.read_csv(data)
        log.customers(frame="pyarrow")
        spent["s"] = time.perf_counter() - t0
        done.set()

    worker = threading.Thread(target=work)
    ticks, worst_gap = 0, 0.0
    last = time.perf_counter()
    worker.start()
    while not done.is_set():
        now = time.perf_counter()
        worst_gap = max(worst_gap, now - last)
        last = now
        ticks += 1
    worker.join()
    # Holding the GIL for the whole call would stall this loop for about `spent`; released, the
    # loop only waits for the worker's short Python parts.
    assert spent["s"] > 0.1, "the workload is too small to tell"
    assert worst_gap < spent["s"] / 2, (worst_gap, spent["s"], ticks)
