"""Export a trained GRURec to a model folder following the model contract (shared/DESIGN.md):
items.txt, step.onnx, score.onnx, parity.json (manifest.json is written by train.py)."""
from __future__ import annotations

import json
import os
from typing import Dict, List, Sequence

import numpy as np
import onnx
import torch

from .model import GRURec, ScoreModule, StepModule
from .onnx_ref import OnnxRef

OPSET = 17
STEP_FILE, SCORE_FILE, ITEMS_FILE, PARITY_FILE = "step.onnx", "score.onnx", "items.txt", "parity.json"


def write_items(items: Sequence[str], out_dir: str) -> None:
    with open(os.path.join(out_dir, ITEMS_FILE), "w", encoding="utf-8", newline="\n") as f:
        for it in items:
            f.write(f"{it}\n")


def export_onnx(model: GRURec, out_dir: str) -> Dict[str, str]:
    model.eval()
    step, score = StepModule(model).eval(), ScoreModule(model).eval()
    D = model.state_size
    item_ex = torch.tensor([1, min(2, model.item_count - 1)], dtype=torch.long)
    state_ex = torch.zeros(2, D)
    paths = {"step": os.path.join(out_dir, STEP_FILE), "score": os.path.join(out_dir, SCORE_FILE)}
    with torch.no_grad():
        torch.onnx.export(step, (item_ex, state_ex), paths["step"], input_names=["item", "state"],
                          output_names=["next_state"], opset_version=OPSET, do_constant_folding=True,
                          dynamic_axes={"item": {0: "B"}, "state": {0: "B"}, "next_state": {0: "B"}})
        torch.onnx.export(score, (state_ex,), paths["score"], input_names=["state"],
                          output_names=["scores"], opset_version=OPSET, do_constant_folding=True,
                          dynamic_axes={"state": {0: "B"}, "scores": {0: "B"}})
    return paths


def _io_signature(vi) -> tuple:
    t = vi.type.tensor_type
    dims = tuple(d.dim_param if d.dim_param else d.dim_value for d in t.shape.dim)
    return vi.name, onnx.TensorProto.DataType.Name(t.elem_type), dims


def check_graphs(out_dir: str, state_size: int, item_count: int) -> Dict[str, object]:
    """onnx.checker + contract names/types/shapes. Raises AssertionError on mismatch."""
    info = {}
    expect = {
        STEP_FILE: ([("item", "INT64", ("B",)), ("state", "FLOAT", ("B", state_size))],
                    [("next_state", "FLOAT", ("B", state_size))]),
        SCORE_FILE: ([("state", "FLOAT", ("B", state_size))], [("scores", "FLOAT", ("B", item_count))]),
    }
    for fname, (ins, outs) in expect.items():
        path = os.path.join(out_dir, fname)
        onnx.checker.check_model(path)
        m = onnx.load(path)
        inits = {t.name for t in m.graph.initializer}
        got_in = [_io_signature(i) for i in m.graph.input if i.name not in inits]
        got_out = [_io_signature(o) for o in m.graph.output]
        assert got_in == ins, f"{fname}: inputs {got_in} != {ins}"
        assert got_out == outs, f"{fname}: outputs {got_out} != {outs}"
        opset = max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
        assert opset <= 17, f"{fname}: opset {opset} > 17"
        info[fname] = {"opset": opset, "ops": sorted({n.op_type for n in m.graph.node}),
                       "bytes": os.path.getsize(path)}
    return info


@torch.no_grad()
def check_wrappers(model: GRURec, seqs: List[List[int]], out_dir: str = None, seed: int = 0) -> Dict[str, float]:
    """Compare (a) torch export wrappers vs the training model on random input, (b) stepping
    the wrapper through whole sequences vs the full-sequence forward, and (c) if out_dir is
    given, the exported ONNX files run by the NumPy interpreter vs the same. Returns max abs diffs."""
    model.eval()
    step, score = StepModule(model).eval(), ScoreModule(model).eval()
    g = torch.Generator().manual_seed(seed)
    D, N = model.state_size, model.item_count
    st = torch.rand(5, D, generator=g) * 2 - 1
    it = torch.randint(1, N, (5,), generator=g)
    # reference one step with nn.GRU
    x = model.emb(it)[:, None, :]
    h0 = st.view(5, model.layers, model.hidden).permute(1, 0, 2).contiguous()
    _, hn = model.gru(x, h0)
    ref_next = hn.permute(1, 0, 2).reshape(5, D)
    res = {"step_vs_gru": float((step(it, st) - ref_next).abs().max()),
           "score_vs_model": float((score(st) - model.score_state(st)).abs().max())}
    full = model.final_states(seqs)
    worst_seq = 0.0
    stepped = []
    for i, s in enumerate(seqs):
        h = torch.zeros(1, D)
        for item in s:
            h = step(torch.tensor([item]), h)
        stepped.append(h)
        worst_seq = max(worst_seq, float((h - full[i:i + 1]).abs().max()))
    res["stepped_vs_full_state"] = worst_seq
    res["stepped_vs_full_scores"] = float((score(torch.cat(stepped)) - model.score_state(full)).abs().max()) if seqs else 0.0
    if out_dir is not None:
        ostep, oscore = OnnxRef(os.path.join(out_dir, STEP_FILE)), OnnxRef(os.path.join(out_dir, SCORE_FILE))
        o = ostep.run({"item": it.numpy(), "state": st.numpy()})["next_state"]
        res["onnx_step_vs_gru"] = float(np.abs(o - ref_next.numpy()).max())
        o = oscore.run({"state": st.numpy()})["scores"]
        res["onnx_score_vs_model"] = float(np.abs(o - model.score_state(st).numpy()).max())
        worst = 0.0
        for i, s in enumerate(seqs):
            h = np.zeros((1, D), np.float32)
            for item in s:
                h = ostep.run({"item": np.asarray([item], np.int64), "state": h})["next_state"]
            sc = oscore.run({"state": h})["scores"]
            worst = max(worst, float(np.abs(sc - model.score_state(full[i:i + 1]).numpy()).max()))
        res["onnx_stepped_vs_full_scores"] = worst
    return res


def _top_min_gap(scores: np.ndarray, k: int = 11) -> float:
    top = np.sort(scores[1:])[::-1][:k]
    return float(np.min(-np.diff(top))) if len(top) > 1 else float("inf")


@torch.no_grad()
def make_parity(model: GRURec, users: List[str], sequences: List[List[int]], items: List[str],
                targets: Sequence[int] = (1, 2, 3, 5, 8, 13, 21, 34, 55, 144, 10 ** 9),
                seed: int = 0, min_gap: float = 1e-3, candidates: int = 64) -> dict:
    """Pick ~10 users of varied history length: for each target length, among the users with
    the smallest available length >= target (the last target: the longest users), the first in
    file order whose top-11 scores are separated by >= min_gap (no near ties; if none qualifies,
    the one with the largest gap). Record the full-sequence (nn.GRU) forward outputs."""
    model.eval()
    lens = np.asarray([len(s) for s in sequences])
    asc, desc = np.argsort(lens, kind="stable"), np.argsort(-lens, kind="stable")
    chosen: List[int] = []
    gaps = {}
    for t in targets:
        pool = [int(u) for u in (desc if t >= 10 ** 9 else asc[lens[asc] >= t]) if int(u) not in chosen and lens[u] > 0]
        if not pool:
            continue
        # users with exactly the nearest available length, in file order
        cands = sorted(u for u in pool if lens[u] == lens[pool[0]])[:candidates]
        if not cands:
            continue
        sc = model.score_state(model.final_states([sequences[u] for u in cands])).numpy()
        g = [_top_min_gap(row) for row in sc]
        ok = [i for i, x in enumerate(g) if x >= min_gap]
        i = ok[0] if ok else int(np.argmax(g))
        chosen.append(cands[i])
        gaps[cands[i]] = g[i]
    rng = np.random.RandomState(seed)
    cases = []
    for u in chosen:
        seq = sequences[u]
        state = model.final_states([seq])
        sc = model.score_state(state)[0].numpy()
        order = np.argsort(-sc[1:], kind="stable")[:10] + 1
        seen = set(seq)
        unseen = [int(i) for i in np.argsort(-sc[1:], kind="stable") + 1 if int(i) not in seen][:10]
        others = [int(i) for i in rng.choice(np.arange(1, len(items)), size=min(10, len(items) - 1), replace=False)
                  if int(i) not in set(order.tolist())]
        idx = [int(i) for i in order] + others[:10]
        cases.append({
            "user": users[u], "length": len(seq), "items": [items[i] for i in seq],
            "top10": [items[i] for i in order], "top10_indices": [int(i) for i in order],
            "top10_scores": [float(sc[i]) for i in order],
            "top10_unseen": [items[i] for i in unseen],
            "score_indices": idx, "score_values": [float(sc[i]) for i in idx],
            "final_state": [float(v) for v in state[0].numpy()],
            "top11_min_gap": gaps[u],
        })
    return {
        "description": "Full-sequence PyTorch forward (nn.GRU over all the user's items: train+valid+test, "
                       "starting from the zero state). Feed 'items' one by one through step.onnx from a zero "
                       "state, then score.onnx: final_state and score_values must match to <= 1e-4, and "
                       "top10 = the 10 highest-scoring columns among 1..N-1 (no exclusion of seen items; "
                       "top10_unseen = same with the user's own items excluded). score_indices are model "
                       "indices (rows of items.txt); top-11 scores of every case are >= 1e-3 apart (no ties).",
        "tolerance": 1e-4,
        "cases": cases,
    }


def write_json(obj, path: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, indent=1, ensure_ascii=False)
        f.write("\n")
