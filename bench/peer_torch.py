#!/usr/bin/env python3
"""PyTorch peer for bench/train.bench.ts: the same MLP on the same caplab dataset (.npy shards).

Reads the train split named in manifest.json, standardizes it with its own statistics (as
caplab does), and trains a Linear/ReLU stack with Adam (lr 1e-3, eps 1e-7 like tfjs) on
shuffled mini-batches. Prints one JSON line: rows per second over the timed epochs (the first
epoch is a warm-up and is not timed) in wall and CPU time, which thread count torch used, and
the loss.

usage: peer_torch.py --data DIR --hidden 64,32 --batch 256 [--threads 1|0] [--epochs 2] [--max-steps N]
  --threads N also caps the BLAS and OpenMP pools (OPENBLAS/OMP/MKL_NUM_THREADS, set before torch
  loads): torch.set_num_threads alone leaves Debian's OpenBLAS running its own threads, so a
  "one-thread" run used two cores for big matrix products. --threads 0 keeps every default.
"""
import argparse
import json
import os
import sys
import time

np = torch = None  # imported in main(), after the thread environment is set


def load_train(data_dir):
    with open(os.path.join(data_dir, "manifest.json")) as f:
        manifest = json.load(f)
    shards = [s for s in manifest["shards"] if s["split"] == "train"]
    xs = [np.load(os.path.join(data_dir, s["x"]["file"])) for s in shards]
    ys = [np.load(os.path.join(data_dir, s["y"]["file"])) for s in shards]
    x = np.concatenate(xs).astype(np.float32)
    y = np.concatenate(ys).astype(np.float32).reshape(-1, 1)
    x = (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 1e-12, x.std(axis=0), 1)
    y = (y - y.mean()) / (y.std() if y.std() > 1e-12 else 1)
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)), torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32))


def model_for(inputs, hidden):
    layers, width = [], inputs
    for units in hidden:
        layers += [torch.nn.Linear(width, units), torch.nn.ReLU()]
        width = units
    layers.append(torch.nn.Linear(width, 1))
    return torch.nn.Sequential(*layers)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--hidden", default="64,32")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--max-steps", type=int, default=0)
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args()
    if a.threads > 0:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(a.threads)
    global np, torch
    try:
        import numpy as np
        import torch
    except ImportError as e:  # the bench then prints caplab's figure alone
        print(json.dumps({"error": f"missing {e.name}", "python": sys.executable}))
        sys.exit(3)
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x, y = load_train(a.data)
    hidden = [int(h) for h in a.hidden.split(",") if h.strip()]
    model = model_for(x.shape[1], hidden)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.MSELoss()
    rows_total = x.shape[0]
    timed_rows, timed_seconds, timed_cpu, last_loss = 0, 0.0, 0.0, float("nan")
    for epoch in range(a.epochs):
        order = torch.randperm(rows_total)
        start = time.perf_counter()
        cpu_start = time.process_time()
        rows, steps, loss_sum = 0, 0, 0.0
        for s in range(0, rows_total, a.batch):
            if a.max_steps and steps >= a.max_steps:
                break
            idx = order[s : s + a.batch]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            rows += len(idx)
            steps += 1
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        last_loss = loss_sum / rows
        if epoch > 0 or a.epochs == 1:
            timed_rows += rows
            timed_seconds += seconds
            timed_cpu += cpu
    print(json.dumps({
        "peer": "pytorch",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "hidden": hidden,
        "batch": a.batch,
        "rows": timed_rows,
        "seconds": timed_seconds,
        "rows_per_s": timed_rows / timed_seconds,
        # CPU time of all torch threads: with one thread, a figure that other processes on a
        # busy machine barely disturb.
        "rows_per_cpu_s": timed_rows / timed_cpu,
        "loss": last_loss,
    }))


if __name__ == "__main__":
    main()
