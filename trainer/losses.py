"""Training losses over the tied item-embedding head of GRURec.

- full softmax cross-entropy over all N items (exact, ~10x the cost of 2,048 negatives here);
- sampled softmax: the true item against K items drawn from a proposal q shared by the batch,
  with the log-Q correction (logit - log q) so that the sampled loss estimates the full softmax
  whatever q is (Bengio & Senecal 2008; Jean et al. 2015; Yi et al. 2019). q is uniform
  (alpha = 0) or proportional to (training count + 1) ** alpha: popular items, which dominate the
  full-softmax partition function and the full-ranking metric, are then sampled often enough.
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn.functional as F


class NegativeSampler:
    """Proposal q over items 1..N-1 (index 0, the padding row, is never drawn)."""

    def __init__(self, counts: Sequence[int], alpha: float):
        c = torch.as_tensor(counts, dtype=torch.float64)
        w = (c + 1.0) ** alpha
        w[0] = 0.0
        self.alpha = alpha
        self.probs = (w / w.sum()).float()
        self.log_q = torch.log(self.probs.clamp_min(1e-30))

    def sample(self, k: int, g: torch.Generator) -> torch.Tensor:
        if self.alpha == 0.0:     # same draws as the original uniform sampler: reproducible baselines
            return torch.randint(1, len(self.probs), (k,), generator=g)
        return torch.multinomial(self.probs, k, replacement=True, generator=g)


def full_softmax_loss(model, h: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(model.logits(h), y)


def sampled_softmax_loss(model, h: torch.Tensor, y: torch.Tensor, k: int, sampler: NegativeSampler,
                         g: torch.Generator) -> torch.Tensor:
    """h: [T, hidden] top-layer outputs, y: [T] targets. Negatives are shared by the batch;
    accidental hits (a negative equal to the target) are masked out."""
    q = model.query(h)
    neg = sampler.sample(k, g)
    w, b = model.emb.weight, model.out_bias
    pos = (q * w[y]).sum(-1) + b[y]
    nl = q @ w[neg].t() + b[neg]
    if sampler.alpha != 0.0:       # uniform q: the correction is a constant shift, skipped
        pos = pos - sampler.log_q[y]
        nl = nl - sampler.log_q[neg][None, :]
    nl = nl.masked_fill(neg[None, :] == y[:, None], float("-inf"))
    logits = torch.cat([pos[:, None], nl], dim=1)
    return F.cross_entropy(logits, torch.zeros(len(y), dtype=torch.long))


def loss_fn(model, h: torch.Tensor, y: torch.Tensor, negatives: int, g: torch.Generator,
            sampler: Optional[NegativeSampler] = None) -> torch.Tensor:
    """negatives <= 0 or >= N-1: full softmax; else sampled softmax (uniform q if no sampler)."""
    if negatives <= 0 or negatives >= model.item_count - 1:
        return full_softmax_loss(model, h, y)
    if sampler is None:
        sampler = NegativeSampler([0] * model.item_count, 0.0)
    return sampled_softmax_loss(model, h, y, negatives, sampler, g)
