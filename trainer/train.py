"""Train, evaluate and export a GRU sequence recommender (model contract: shared/DESIGN.md).

    PYENV_VERSION=system python3 -m trainer.train --data /work/shared/data/Video.txt \
        --out models/default --seed 1            # one model
    ... --seeds 1 2 3                            # 3 models, mean +- std, ships the best on validation

See trainer/README.md.
"""
from __future__ import annotations

import argparse
import copy
import datetime as dt
import hashlib
import json
import os
import random
import shutil
import sys
import time
from typing import Dict, List

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence

from . import data as D
from . import evaluate as E
from . import export as X
from . import losses as L
from . import machine as M
from .plot import plot_curves
from .report import report_md
from .model import GRURec

FORMAT = "personalization-model/1"
CURVE_FILE = "training_curves.png"
HP_KEYS = ["emb_dim", "hidden", "layers", "emb_dropout", "out_dropout", "proj", "lr", "weight_decay",
           "batch_size", "max_len", "windows", "max_epochs", "patience", "select", "clip", "init_std"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m trainer.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="`user item` file, each user's lines in time order")
    p.add_argument("--out", required=True, help="model folder to (over)write")
    p.add_argument("--name", default=None, help="manifest name (default: gru-<data file stem>)")
    p.add_argument("--version", default=None, help="manifest version (default: UTC date + config hash)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--seeds", type=int, nargs="+", default=None,
                   help="train one model per seed, report mean +- std, ship the best on validation")
    p.add_argument("--emb-dim", type=int, default=64)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--emb-dropout", type=float, default=0.5)
    p.add_argument("--out-dropout", type=float, default=0.5)
    p.add_argument("--proj", action="store_true", help="Linear(hidden, emb_dim) before the dot product")
    p.add_argument("--init-std", type=float, default=0.05)
    p.add_argument("--lr", type=float, default=5e-3)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--batch-size", type=int, default=64, help="training windows per batch")
    p.add_argument("--max-len", type=int, default=50, help="training window length (targets per window)")
    p.add_argument("--windows", choices=["all", "last"], default="all",
                   help="long training sequences: cut into consecutive windows (all) or keep only the last")
    p.add_argument("--epochs", type=int, default=10, dest="max_epochs",
                   help="maximum epochs (also the cosine horizon)")
    p.add_argument("--patience", type=int, default=3, help="early stopping: epochs without validation gain")
    p.add_argument("--select", choices=["sampled", "full"], default="full",
                   help="validation NDCG@10 used for model selection / early stopping")
    p.add_argument("--negatives", type=int, default=2048,
                   help="K > 0: sampled softmax, the true item against K uniformly drawn items shared by the "
                        "batch (default 2048; falls back to full softmax when K >= N-1); 0: full softmax "
                        "cross-entropy over all items (~10x slower per epoch)")
    p.add_argument("--neg-alpha", type=float, default=1.0,
                   help="negative proposal q ~ (training count + 1) ** alpha, with log-Q correction "
                        "(0 = uniform, 1 = popularity, the default)")
    p.add_argument("--optimizer", choices=["adam", "adamw"], default="adam")
    p.add_argument("--warmup-epochs", type=float, default=0.0, help="linear LR warm-up (epochs, fractional ok)")
    p.add_argument("--lr-decay", choices=["none", "cosine"], default="cosine",
                   help="cosine: LR decays to 0 at --epochs (after the warm-up)")
    p.add_argument("--val-full", action="store_true",
                   help="also compute full-ranking validation metrics every epoch (slower; always done "
                        "for the selected epoch); implied by --select full")
    p.add_argument("--val-users", type=int, default=5000,
                   help="per-epoch validation (early stopping, selection) on this fixed random subset of the "
                        "validation users (0 = all); the selected epoch is then evaluated on all users")
    p.add_argument("--clip", type=float, default=5.0)
    p.add_argument("--threads", type=int, default=2,
                   help="torch intra-op threads (results are bit-reproducible for a given thread count)")
    p.add_argument("--no-export", action="store_true", help="train + evaluate only (exploration)")
    p.add_argument("--resume", action="store_true",
                   help="reuse seeds already finished by an earlier run with the same configuration and data "
                        "(saved in <out>.runs/)")
    p.add_argument("--no-test", action="store_true",
                   help="(exploration, with --no-export) skip the test split: choices are made on validation only")
    p.add_argument("--report-json", default=None, help="(with --no-export) write the report here")
    return p.parse_args(argv)


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def make_windows(train: List[List[int]], max_len: int, mode: str) -> List[List[int]]:
    """Training windows of <= max_len + 1 items (max_len inputs -> max_len targets). Long
    sequences are cut from the end into windows that overlap by one item, so every training
    target appears exactly once (mode 'all'), or only the last window is kept ('last')."""
    out = []
    for s in train:
        if len(s) < 2:
            continue
        end = len(s)
        while end >= 2:
            start = max(0, end - (max_len + 1))
            out.append(s[start:end])
            if mode == "last" or start == 0:
                break
            end = start + 1
    return out


def batch_tensors(windows: List[List[int]], idx: List[int]):
    T = max(len(windows[i]) for i in idx) - 1
    inp = torch.zeros(len(idx), T, dtype=torch.long)
    tgt = torch.zeros(len(idx), T, dtype=torch.long)
    lengths = torch.empty(len(idx), dtype=torch.long)
    for r, i in enumerate(idx):
        w = windows[i]
        n = len(w) - 1
        inp[r, :n] = torch.as_tensor(w[:-1])
        tgt[r, :n] = torch.as_tensor(w[1:])
        lengths[r] = n
    return inp, tgt, lengths


def lr_factor(args, steps_per_epoch: int):
    """LR multiplier per optimiser step: linear warm-up, then constant or cosine to 0 at --epochs."""
    warm = max(1, int(args.warmup_epochs * steps_per_epoch)) if args.warmup_epochs > 0 else 0
    total = max(warm + 1, args.max_epochs * steps_per_epoch)

    def f(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        if args.lr_decay == "cosine":
            return 0.5 * (1.0 + np.cos(np.pi * min(1.0, (step - warm) / (total - warm))))
        return 1.0
    return f


def fmt(m: Dict[str, Dict[str, float]]) -> str:
    s = f"sampled HR@10 {m['sampled']['hr@10']:.4f} NDCG@10 {m['sampled']['ndcg@10']:.4f}"
    if "full" in m:
        s += f" | full HR@10 {m['full']['hr@10']:.4f} NDCG@10 {m['full']['ndcg@10']:.4f}"
    return s


def new_model(args, ds: D.Dataset) -> GRURec:
    return GRURec(ds.item_count, emb_dim=args.emb_dim, hidden=args.hidden, layers=args.layers,
                  emb_dropout=args.emb_dropout, out_dropout=args.out_dropout, proj=args.proj,
                  init_std=args.init_std)


def train_one(args, ds: D.Dataset, split: D.Split, tasks, seed: int, log=print):
    set_seed(seed)
    model = new_model(args, ds)
    opt_cls = torch.optim.AdamW if args.optimizer == "adamw" else torch.optim.Adam
    opt = opt_cls(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    windows = make_windows(split.train, args.max_len, args.windows)
    sampler = L.NegativeSampler(D.popularity(split.train, ds.item_count), args.neg_alpha)
    steps_per_epoch = (len(windows) + args.batch_size - 1) // args.batch_size
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor(args, steps_per_epoch))
    n_targets = sum(len(w) - 1 for w in windows)
    g = torch.Generator().manual_seed(seed)
    log(f"[seed {seed}] {len(windows)} training windows, {n_targets} targets, "
        f"{sum(p.numel() for p in model.parameters())} parameters, state D={model.state_size}")
    val_task = E.subset_task(tasks["valid"], args.val_users)
    t0 = time.time()
    best, best_epoch, best_val, history, bad = -1.0, 0, None, [], 0
    best_state = copy.deepcopy(model.state_dict())
    for epoch in range(1, args.max_epochs + 1):
        model.train()
        te = time.time()
        perm = torch.randperm(len(windows), generator=g).tolist()
        nb = (len(perm) + args.batch_size - 1) // args.batch_size
        quarters = {nb // 4, nb // 2, 3 * nb // 4} - {0}
        tot, cnt = 0.0, 0
        for b in range(nb):
            idx = perm[b * args.batch_size:(b + 1) * args.batch_size]
            inp, tgt, lengths = batch_tensors(windows, idx)
            out, _ = model.run_packed(inp, lengths)
            y = pack_padded_sequence(tgt, lengths, batch_first=True, enforce_sorted=False).data
            loss = L.loss_fn(model, out.data, y, args.negatives, g, sampler)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if args.clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            opt.step()
            sched.step()
            tot += float(loss) * len(y)
            cnt += len(y)
            if sys.stdout.isatty() and (b % 20 == 0 or b == nb - 1):
                print(f"\r  epoch {epoch} batch {b + 1}/{nb} loss {tot / cnt:.4f}", end="", flush=True)
            elif not sys.stdout.isatty() and b + 1 in quarters:    # logs: a line per quarter epoch
                log(f"[seed {seed}]   epoch {epoch} {100 * (b + 1) // nb}% loss {tot / cnt:.4f} "
                    f"{time.time() - te:.0f}s")
        if sys.stdout.isatty():
            print("\r", end="")
        train_s = time.time() - te
        val = E.evaluate_model(model, val_task, full=args.val_full or args.select == "full")
        score = val[args.select]["ndcg@10"]
        history.append({"epoch": epoch, "loss": tot / cnt, "train_seconds": round(train_s, 1),
                        "load_1min": round(os.getloadavg()[0], 2), "valid": val})
        mark = ""
        if score > best:
            best, best_epoch, best_val, bad = score, epoch, val, 0
            best_state = copy.deepcopy(model.state_dict())
            mark = " *"
        else:
            bad += 1
        log(f"[seed {seed}] epoch {epoch:3d} loss {tot / cnt:.4f} train {train_s:.0f}s "
            f"elapsed {time.time() - t0:.0f}s | valid {fmt(val)}{mark}")
        if bad >= args.patience:
            log(f"[seed {seed}] early stop: no validation gain for {args.patience} epochs")
            break
    model.load_state_dict(best_state)
    model.eval()
    best_val = E.evaluate_model(model, tasks["valid"])     # all validation users
    test = None if args.no_test else E.evaluate_model(model, tasks["test"])
    wall = time.time() - t0
    log(f"[seed {seed}] best epoch {best_epoch} | valid (all users) {fmt(best_val)} | "
        f"test {fmt(test) if test else 'skipped'} | wall {wall:.0f}s")
    return model, {"seed": seed, "best_epoch": best_epoch, "epochs_run": len(history),
                   "valid": best_val, "test": test, "wall_time_seconds": round(wall, 1),
                   "history": history}


def trained_seed(args, ds, split, tasks, seed: int, hp: dict):
    """train_one, or (--resume) the finished result of the same seed, configuration and data saved
    by an earlier, interrupted run in <out>.runs/: a 3-seed run on a busy machine can then be
    completed seed by seed."""
    key = hashlib.sha1(json.dumps({"hp": hp, "data_md5": ds.md5, "test": not args.no_test}, sort_keys=True)
                       .encode()).hexdigest()[:10]
    path = os.path.join(os.path.abspath(args.out).rstrip("/") + ".runs", f"{key}-seed{seed}.pt")
    if args.resume and os.path.exists(path):
        saved = torch.load(path)
        model = new_model(args, ds)
        model.load_state_dict(saved["state_dict"])
        model.eval()
        print(f"[seed {seed}] reused {path} (best epoch {saved['run']['best_epoch']})", flush=True)
        return model, dict(saved["run"], reused=True)
    model, run = train_one(args, ds, split, tasks, seed, log=lambda msg: print(msg, flush=True))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save({"state_dict": model.state_dict(), "run": run}, path + ".tmp")
    os.replace(path + ".tmp", path)
    return model, run


def mean_std(runs, split_name="test"):
    out = {}
    for kind in ("sampled", "full"):
        out[kind] = {}
        for k in ("hr@10", "ndcg@10"):
            v = np.asarray([r[split_name][kind][k] for r in runs])
            out[kind][k] = {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
                            "values": [float(x) for x in v]}
    return out


def strip(m):  # only the contract's keys
    return {kind: {k: m[kind][k] for k in ("hr@10", "ndcg@10")} for kind in ("sampled", "full")}


def folder_bytes(path: str) -> int:
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path)
               if os.path.isfile(os.path.join(path, f)))


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    seeds = args.seeds or [args.seed]
    t_start = time.time()
    machine = M.describe(args.threads)
    print(f"machine: {M.summary(machine)}", flush=True)
    ds = D.load(args.data)
    split = D.leave_one_out(ds.sequences)
    counts = D.popularity(split.train, ds.item_count)
    tasks = E.build_tasks(ds.sequences, split, ds.item_count)
    print(f"data {args.data}: {ds.lines} lines, {len(ds.users)} users, {ds.item_count - 1} items, "
          f"{len(split.eval_users)} evaluated users", flush=True)
    pop = {k: E.evaluate_popularity(counts, tasks[k]) for k in (("valid",) if args.no_test else ("valid", "test"))}
    for k, v in pop.items():
        print(f"popularity baseline | {k:5s} {fmt(v)}", flush=True)

    hp = {"emb_dim": args.emb_dim, "hidden": args.hidden, "layers": args.layers,
          "emb_dropout": args.emb_dropout, "out_dropout": args.out_dropout, "proj": args.proj or args.hidden != args.emb_dim,
          "lr": args.lr, "weight_decay": args.weight_decay, "batch_size": args.batch_size, "max_len": args.max_len,
          "windows": args.windows, "max_epochs": args.max_epochs, "patience": args.patience,
          "select": args.select, "clip": args.clip, "init_std": args.init_std,
          "loss": "full softmax cross-entropy" if not 0 < args.negatives < ds.item_count - 1 else
                  f"sampled softmax cross-entropy, {args.negatives} shared negatives, " +
                  ("uniform" if args.neg_alpha == 0 else f"q ~ (count + 1)^{args.neg_alpha:g} with log-Q correction"),
          "negatives": args.negatives, "neg_alpha": args.neg_alpha, "optimizer": args.optimizer,
          "warmup_epochs": args.warmup_epochs, "lr_decay": args.lr_decay, "val_users": args.val_users,
          "tied_embeddings": True}
    runs, models, reused = [], {}, []
    for s in seeds:
        m, r = trained_seed(args, ds, split, tasks, s, hp)
        if r.get("reused"):
            reused.append(s)
        runs.append(r)
        models[s] = m
    shipped = max(runs, key=lambda r: r["valid"][args.select]["ndcg@10"])["seed"]
    model = models[shipped]
    stem = os.path.splitext(os.path.basename(args.data))[0]
    name = args.name or f"gru-{stem.lower()}"
    cfg_hash = hashlib.sha1(json.dumps({"hp": hp, "seeds": seeds, "data_md5": ds.md5}, sort_keys=True)
                            .encode()).hexdigest()[:7]
    now = dt.datetime.now(dt.timezone.utc)
    version = args.version or f"{now:%Y-%m-%d}.{cfg_hash}"
    arch = (f"gru: item embedding {args.emb_dim} (tied input/output) -> {args.layers}-layer GRU hidden {args.hidden}"
            f"{' -> linear ' + str(args.emb_dim) if hp['proj'] else ''} -> dot with item embeddings + item bias")
    rep = {
        "name": name, "version": version, "architecture": arch, "format": FORMAT,
        "data": {"file": os.path.basename(args.data), "path": os.path.abspath(args.data), "md5": ds.md5, "lines": ds.lines, "users": len(ds.users),
                 "items": ds.item_count - 1, "eval_users": len(split.eval_users)},
        "protocol": {"split": "leave-one-out (last = test, second-to-last = valid, < 3 events train-only)",
                     "k": E.K, "sampled_negatives": E.NUM_NEGATIVES, "eval_seed": E.EVAL_SEED,
                     "ties": "count against the model (popularity: random jitter tie-break)",
                     "std": "sample standard deviation (ddof=1) over seeds"},
        "hyperparameters": hp, "seeds": seeds, "shipped_seed": shipped,
        "test_mean_std": None if args.no_test else mean_std(runs, "test"), "valid_mean_std": mean_std(runs, "valid"),
        "popularity_baseline": pop, "runs": runs, "reused_seeds": reused,
        "machine": machine, "threads": args.threads, "torch_version": torch.__version__,
        "command": "python3 -m trainer.train " + " ".join(argv if argv is not None else sys.argv[1:]),
        "created": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if args.no_test:
        rep["test_mean_std"] = None
    if args.no_export:
        rep["wall_time_seconds"] = round(time.time() - t_start, 1)
        rep["folder_bytes"] = 0
        if args.report_json:
            X.write_json(rep, args.report_json)
            png = os.path.splitext(args.report_json)[0] + ".png"
            if plot_curves(runs, png, f"{name} on {os.path.basename(args.data)}"):
                print(f"training curves: {png}")
        print(json.dumps(rep["test_mean_std"], indent=1))
        return rep

    # ---- export into a temp folder, check, then move the files over the target folder ----
    out = os.path.abspath(args.out)
    tmp = out.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    X.write_items(ds.items, tmp)
    X.export_onnx(model, tmp)
    graph_info = X.check_graphs(tmp, model.state_size, ds.item_count)
    parity = X.make_parity(model, ds.users, ds.sequences, ds.items, seed=shipped)
    pseqs = [[ds.item_index[i] for i in c["items"]] for c in parity["cases"]]
    checks = X.check_wrappers(model, pseqs, tmp)
    print("export checks (max abs diff):", json.dumps(checks), flush=True)
    bad = {k: v for k, v in checks.items() if not v <= 1e-4}
    if bad:
        raise SystemExit(f"export check failed: {bad}")
    parity["export_checks"] = checks
    X.write_json(parity, os.path.join(tmp, X.PARITY_FILE))
    run = next(r for r in runs if r["seed"] == shipped)
    top = sorted(range(1, ds.item_count), key=lambda i: (-counts[i], i))[:100]
    manifest = {
        "format": FORMAT, "name": name, "version": version, "architecture": arch,
        "hidden_size": model.state_size, "item_count": ds.item_count, "vocabulary": X.ITEMS_FILE,
        "graphs": {"step": X.STEP_FILE, "score": X.SCORE_FILE},
        "popular_items": [ds.items[i] for i in top],
        "training": {
            "data": os.path.basename(args.data), "data_md5": ds.md5, "lines": ds.lines, "users": len(ds.users),
            "items": ds.item_count - 1, "seed": shipped, "epochs": run["best_epoch"],
            "epochs_run": run["epochs_run"], "hyperparameters": hp,
            "wall_time_seconds": run["wall_time_seconds"], "torch_version": torch.__version__,
            "trained_on": "leave-one-out training split only (each evaluated user's last two items held out); "
                          "the metrics below are for exactly these weights",
            "state_layout": f"{args.layers} GRU layer(s) x {args.hidden}, concatenated layer 0 first; zeros = new user",
        },
        "metrics": {**strip(run["test"]), "popularity_baseline": strip(pop["test"]),
                    "split": "test", "evaluated_users": len(split.eval_users),
                    "valid": strip(run["valid"]),
                    "seeds_mean_std": rep["test_mean_std"] if len(runs) > 1 else None},
        "graph_info": graph_info,
        "created": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    X.write_json(manifest, os.path.join(tmp, "manifest.json"))
    rep["wall_time_seconds"] = round(time.time() - t_start, 1)
    rep["folder_bytes"] = 0
    if plot_curves(runs, os.path.join(tmp, CURVE_FILE), f"{name} on {os.path.basename(args.data)}"):
        rep["curve_png"] = CURVE_FILE
    X.write_json(rep, os.path.join(tmp, "report.json"))
    with open(os.path.join(tmp, "report.md"), "w") as f:
        f.write(report_md(rep))
    rep["folder_bytes"] = folder_bytes(tmp) + 200          # + the digits written next
    X.write_json(rep, os.path.join(tmp, "report.json"))
    with open(os.path.join(tmp, "report.md"), "w") as f:
        f.write(report_md(rep))
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(tmp):
        os.replace(os.path.join(tmp, f), os.path.join(out, f))
    os.rmdir(tmp)
    print(f"wrote {out} ({folder_bytes(out) / 1e6:.1f} MB): shipped seed {shipped}, test {fmt(run['test'])}")
    print(f"total wall time {time.time() - t_start:.0f}s")
    return rep


if __name__ == "__main__":
    main()
