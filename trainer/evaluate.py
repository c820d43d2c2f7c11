"""Offline evaluation protocol (shared/DESIGN.md): leave-one-out, HR@10 / NDCG@10, both
sampled (target among 100 random items the user never interacted with) and full (target
ranked among all items, the user's already-seen items excluded except the target itself).

Rank = number of candidates scoring strictly higher than the target + number of other
candidates scoring exactly the same (ties count against the model). The popularity baseline
breaks its many count ties with a fixed random jitter < 1 so it is not penalised by that rule.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence

import numpy as np
import torch

from .data import Split

EVAL_SEED = 20181108          # fixed, independent of the training seed: same negatives for every model
NUM_NEGATIVES = 100
K = 10


def metrics_from_ranks(ranks: Sequence[float], k: int = K) -> Dict[str, float]:
    """ranks are 0-based (0 = first place)."""
    r = np.asarray(ranks, dtype=np.float64)
    if r.size == 0:
        return {f"hr@{k}": 0.0, f"ndcg@{k}": 0.0, "users": 0}
    hit = r < k
    ndcg = np.where(hit, 1.0 / np.log2(r + 2.0), 0.0)
    return {f"hr@{k}": float(hit.mean()), f"ndcg@{k}": float(ndcg.mean()), "users": int(r.size)}


@dataclass
class EvalTask:
    name: str                          # "valid" or "test"
    inputs: List[List[int]]            # what the model has seen before predicting
    targets: np.ndarray                # [U] model index of the true next item
    negatives: np.ndarray              # [U, 100] sampled candidates (0 = none: only when too few items exist)


def sample_negatives(user_items: List[set], item_count: int, rng: np.random.RandomState,
                     n: int = NUM_NEGATIVES) -> np.ndarray:
    out = np.zeros((len(user_items), n), dtype=np.int64)
    for u, seen in enumerate(user_items):
        avail = item_count - 1 - len(seen)
        want = min(n, avail)
        got: List[int] = []
        got_set = set()
        while len(got) < want:
            for c in rng.randint(1, item_count, size=2 * n):
                c = int(c)
                if c not in seen and c not in got_set:
                    got.append(c)
                    got_set.add(c)
                    if len(got) == want:
                        break
        out[u, :want] = got
    return out


def build_tasks(sequences: List[List[int]], split: Split, item_count: int,
                seed: int = EVAL_SEED) -> Dict[str, EvalTask]:
    rng = np.random.RandomState(seed)
    all_items = [set(sequences[u]) for u in split.eval_users]
    v_in = [split.train[u] for u in split.eval_users]
    t_in = [split.train[u] + [split.valid_target[j]] for j, u in enumerate(split.eval_users)]
    v_neg = sample_negatives(all_items, item_count, rng)
    t_neg = sample_negatives(all_items, item_count, rng)
    return {
        "valid": EvalTask("valid", v_in, np.asarray(split.valid_target, dtype=np.int64), v_neg),
        "test": EvalTask("test", t_in, np.asarray(split.test_target, dtype=np.int64), t_neg),
    }


def subset_task(task: EvalTask, n: int, seed: int = EVAL_SEED + 2) -> EvalTask:
    """A fixed random subset of n users (all if n <= 0 or n >= U), for per-epoch validation:
    full ranking scores all items for every user, which dominates an epoch on 2 busy cores.
    The seed is fixed, independent of the training seed: every run stops on the same users."""
    U = len(task.targets)
    if n <= 0 or n >= U:
        return task
    idx = np.sort(np.random.RandomState(seed).choice(U, size=n, replace=False))
    return EvalTask(f"{task.name}[{n} users]", [task.inputs[i] for i in idx], task.targets[idx], task.negatives[idx])


def seen_matrix(task: EvalTask) -> torch.Tensor:
    """[U, L] the items each user has already seen, minus the target, right-padded with 0
    (cached on the task): the full ranking excludes them."""
    cached = getattr(task, "_seen", None)
    if cached is None:
        rows = [sorted(set(inp) - {int(t)}) for inp, t in zip(task.inputs, task.targets)]
        L = max([len(r) for r in rows] + [1])
        cached = torch.zeros(len(rows), L, dtype=torch.long)
        for u, r in enumerate(rows):
            cached[u, :len(r)] = torch.as_tensor(r, dtype=torch.long)
        task._seen = cached
    return cached


def ranks_for_scores(scores: torch.Tensor, task: EvalTask, rows: slice):
    """scores: [b, N] for users task[rows] (not modified). Returns (sampled ranks, full ranks).
    Full rank = items 1..N-1 scoring >= the target (minus the target itself), minus the seen
    items that do: the same count as masking the seen items out, without a [b, N] copy."""
    tgt = torch.as_tensor(task.targets[rows])
    b = scores.shape[0]
    t = scores[torch.arange(b), tgt][:, None]
    # sampled: among 100 negatives (index 0 = padding when too few items exist: never counted)
    neg = torch.as_tensor(task.negatives[rows])
    ns = scores.gather(1, neg)
    s_rank = ((ns >= t) & (neg > 0)).sum(1)
    seen = seen_matrix(task)[rows]
    ss = scores.gather(1, seen)
    f_rank = (scores[:, 1:] >= t).sum(1) - 1 - ((ss >= t) & (seen > 0)).sum(1)
    return s_rank.numpy(), f_rank.numpy()


def evaluate_scorer(score_fn: Callable[[int, int], torch.Tensor], task: EvalTask,
                    chunk: int = 1024) -> Dict[str, Dict[str, float]]:
    """score_fn(lo, hi) -> scores [hi-lo, N] for users lo..hi-1 of the task."""
    s_all, f_all = [], []
    U = len(task.targets)
    for lo in range(0, U, chunk):
        hi = min(U, lo + chunk)
        s, f = ranks_for_scores(score_fn(lo, hi), task, slice(lo, hi))
        s_all.append(s)
        f_all.append(f)
    s_all = np.concatenate(s_all) if s_all else np.zeros(0)
    f_all = np.concatenate(f_all) if f_all else np.zeros(0)
    return {"sampled": metrics_from_ranks(s_all), "full": metrics_from_ranks(f_all)}


@torch.no_grad()
def evaluate_model(model, task: EvalTask, chunk: int = 1024, full: bool = True) -> Dict[str, Dict[str, float]]:
    """full=False: sampled metrics only, scoring just the 101 candidates per user (fast; used
    for per-epoch validation). The ranks are identical to those of the full score matrix."""
    was_training = model.training
    model.eval()
    states = model.final_states(task.inputs)
    if full:
        res = evaluate_scorer(lambda lo, hi: model.score_state(states[lo:hi]), task, chunk)
    else:
        q = model.query(states[:, -model.hidden:])
        cand = torch.cat([torch.as_tensor(task.targets)[:, None], torch.as_tensor(task.negatives)], 1)
        w, b = model.emb.weight, model.out_bias + model.mask
        sc = torch.einsum("ue,uke->uk", q, w[cand]) + b[cand]
        sc[:, 1:][cand[:, 1:] == 0] = -math.inf
        t = sc[:, :1]
        ns = sc[:, 1:]
        ranks = ((ns > t).sum(1) + (ns == t).sum(1)).numpy()
        res = {"sampled": metrics_from_ranks(ranks)}
    model.train(was_training)
    return res


def popularity_scores(counts: Sequence[int], seed: int = EVAL_SEED) -> torch.Tensor:
    """Training-set counts plus a fixed jitter in [0, 0.5) that breaks ties at random."""
    rng = np.random.RandomState(seed + 1)
    s = np.asarray(counts, dtype=np.float64) + 0.5 * rng.random_sample(len(counts))
    s[0] = -np.inf
    return torch.as_tensor(s, dtype=torch.float64)


def evaluate_popularity(counts: Sequence[int], task: EvalTask, chunk: int = 1024):
    s = popularity_scores(counts)
    return evaluate_scorer(lambda lo, hi: s.expand(hi - lo, -1), task, chunk)
