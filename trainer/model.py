"""GRU sequence model with a tied-embedding full-softmax scoring head.

State layout (the opaque vector the engine carries): the hidden states of the L GRU layers
concatenated, layer 0 first: D = L * hidden. A zero vector is the initial state (h0 = 0).

score(state) = head(h_last) @ E^T + b  (+ mask: column 0 gets -1e9)
where head = dropout -> [Linear(hidden, emb_dim)] and E is the (tied) item embedding.
"""
from __future__ import annotations

from typing import List, Sequence

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

PAD_SCORE = -1e9


class GRURec(nn.Module):
    def __init__(self, item_count: int, emb_dim: int = 64, hidden: int = 64, layers: int = 1,
                 emb_dropout: float = 0.3, out_dropout: float = 0.3, proj: bool = False,
                 init_std: float = 0.05):
        super().__init__()
        self.item_count, self.emb_dim, self.hidden, self.layers = item_count, emb_dim, hidden, layers
        self.emb = nn.Embedding(item_count, emb_dim, padding_idx=0)
        nn.init.normal_(self.emb.weight, std=init_std)
        with torch.no_grad():
            self.emb.weight[0].zero_()
        self.emb_drop = nn.Dropout(emb_dropout)
        self.gru = nn.GRU(emb_dim, hidden, num_layers=layers, batch_first=True)
        self.out_drop = nn.Dropout(out_dropout)
        self.proj = nn.Linear(hidden, emb_dim) if (proj or hidden != emb_dim) else None
        self.out_bias = nn.Parameter(torch.zeros(item_count))
        mask = torch.zeros(item_count)
        mask[0] = PAD_SCORE
        self.register_buffer("mask", mask)

    @property
    def state_size(self) -> int:
        return self.layers * self.hidden

    def config(self) -> dict:
        return {"emb_dim": self.emb_dim, "hidden": self.hidden, "layers": self.layers,
                "emb_dropout": self.emb_drop.p, "out_dropout": self.out_drop.p,
                "proj": self.proj is not None}

    # ---- scoring head (shared by training, evaluation and the exported score graph) ----
    def query(self, h: torch.Tensor) -> torch.Tensor:
        h = self.out_drop(h)
        return self.proj(h) if self.proj is not None else h

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        """h: [..., hidden] (top GRU layer) -> [..., item_count]."""
        return self.query(h) @ self.emb.weight.t() + (self.out_bias + self.mask)

    def score_state(self, state: torch.Tensor) -> torch.Tensor:
        """state: [B, D] opaque state -> scores [B, N]."""
        return self.logits(state[:, -self.hidden:])

    # ---- full-sequence forward ----
    def run_packed(self, items: torch.Tensor, lengths: torch.Tensor):
        """items: [B, T] right-padded int64; lengths: [B] (>= 1). Returns (packed output of
        the top layer, final state [B, D]) starting from the zero state."""
        x = self.emb_drop(self.emb(items))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, h_n = self.gru(packed)                  # h_n: [L, B, H], original batch order
        state = h_n.permute(1, 0, 2).reshape(items.shape[0], self.state_size)
        return out, state

    @torch.no_grad()
    def final_states(self, seqs: Sequence[Sequence[int]], batch_size: int = 1024) -> torch.Tensor:
        """Final state after feeding each whole sequence (empty sequence -> zero state)."""
        out = torch.zeros(len(seqs), self.state_size)
        order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
        order = [i for i in order if len(seqs[i]) > 0]
        for b in range(0, len(order), batch_size):
            idx = order[b:b + batch_size]
            T = len(seqs[idx[-1]])
            items = torch.zeros(len(idx), T, dtype=torch.long)
            for r, i in enumerate(idx):
                items[r, :len(seqs[i])] = torch.as_tensor(seqs[i], dtype=torch.long)
            lengths = torch.as_tensor([len(seqs[i]) for i in idx])
            _, st = self.run_packed(items, lengths)
            out[torch.as_tensor(idx)] = st
        return out


class StepModule(nn.Module):
    """Exported step graph: (item [B] int64, state [B, D]) -> next_state [B, D].
    Written out as explicit GRU equations (PyTorch's gate order r, z, n; linear_before_reset)
    with the same weights as the training nn.GRU, so step-by-step == full-sequence forward."""

    def __init__(self, m: GRURec):
        super().__init__()
        self.hidden, self.layers = m.hidden, m.layers
        self.emb = nn.Parameter(m.emb.weight.detach().clone())
        for l in range(m.layers):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                p = getattr(m.gru, f"{name}_l{l}").detach().clone()
                if name.startswith("weight"):
                    p = p.t().contiguous()           # [in, 3H] so that x @ W
                self.register_parameter(f"{name}_l{l}", nn.Parameter(p))

    def forward(self, item: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        H = self.hidden
        x = self.emb[item]
        outs: List[torch.Tensor] = []
        for l in range(self.layers):
            h = state[:, l * H:(l + 1) * H]
            gi = x @ getattr(self, f"weight_ih_l{l}") + getattr(self, f"bias_ih_l{l}")
            gh = h @ getattr(self, f"weight_hh_l{l}") + getattr(self, f"bias_hh_l{l}")
            r = torch.sigmoid(gi[:, :H] + gh[:, :H])
            z = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
            n = torch.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
            h = n + z * (h - n)                       # == (1 - z) * n + z * h
            outs.append(h)
            x = h
        return outs[0] if len(outs) == 1 else torch.cat(outs, dim=1)


class ScoreModule(nn.Module):
    """Exported score graph: state [B, D] -> scores [B, N] (column 0 = -1e9)."""

    def __init__(self, m: GRURec):
        super().__init__()
        self.hidden = m.hidden
        self.emb_t = nn.Parameter(m.emb.weight.detach().t().contiguous())   # [E, N]
        self.bias = nn.Parameter((m.out_bias + m.mask).detach().clone())
        if m.proj is not None:
            self.proj_w = nn.Parameter(m.proj.weight.detach().t().contiguous())
            self.proj_b = nn.Parameter(m.proj.bias.detach().clone())
        else:
            self.proj_w = None

    def forward(self, state: torch.Tensor) -> torch.Tensor:
        h = state[:, -self.hidden:]
        if self.proj_w is not None:
            h = h @ self.proj_w + self.proj_b
        return h @ self.emb_t + self.bias
