"""A tiny NumPy interpreter for the few ONNX operators our exported graphs use.

onnxruntime is not available to the Python side here, and onnx 1.12 has no reference
evaluator, so this runs the *exported files* (not the torch modules) to check them.
Unknown operators raise NotImplementedError (the export test then fails loudly).
"""
from __future__ import annotations

from typing import Dict

import numpy as np
import onnx
from onnx import numpy_helper

_DTYPES = {1: np.float32, 6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64}


def _attrs(node) -> Dict[str, object]:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _sigmoid(x):
    return (1.0 / (1.0 + np.exp(-x))).astype(x.dtype)


def _run_node(op, ins, at, n_out):
    if op == "Constant":
        return [numpy_helper.to_array(at["value"])]
    if op == "Identity":
        return [ins[0]]
    if op == "Gather":
        return [np.take(ins[0], ins[1], axis=int(at.get("axis", 0)))]
    if op == "MatMul":
        return [np.matmul(ins[0], ins[1])]
    if op == "Gemm":
        a, b = ins[0], ins[1]
        if at.get("transA", 0):
            a = a.T
        if at.get("transB", 0):
            b = b.T
        y = at.get("alpha", 1.0) * (a @ b)
        if len(ins) > 2 and ins[2] is not None:
            y = y + at.get("beta", 1.0) * ins[2]
        return [y.astype(np.float32)]
    if op in ("Add", "Sub", "Mul", "Div"):
        f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op]
        return [f(ins[0], ins[1])]
    if op == "Sigmoid":
        return [_sigmoid(ins[0])]
    if op == "Tanh":
        return [np.tanh(ins[0])]
    if op == "Neg":
        return [-ins[0]]
    if op == "Slice":
        data, starts, ends = ins[0], ins[1], ins[2]
        axes = ins[3] if len(ins) > 3 and ins[3] is not None else np.arange(len(starts))
        steps = ins[4] if len(ins) > 4 and ins[4] is not None else np.ones(len(starts), np.int64)
        sl = [slice(None)] * data.ndim
        for s, e, a, st in zip(starts, ends, axes, steps):
            a = int(a) % data.ndim
            dim = data.shape[a]
            s, e = int(s), int(e)
            s = max(min(s, dim), -dim - 1) if s < 0 else min(s, dim)
            e = max(min(e, dim), -dim - 1) if e < 0 else min(e, dim)
            sl[a] = slice(s, e, int(st))
        return [data[tuple(sl)]]
    if op == "Concat":
        return [np.concatenate(ins, axis=int(at["axis"]))]
    if op == "Split":
        axis = int(at.get("axis", 0))
        split = ins[1] if len(ins) > 1 and ins[1] is not None else at.get("split")
        if split is None:
            return list(np.split(ins[0], n_out, axis=axis))
        idx = np.cumsum(np.asarray(split))[:-1]
        return list(np.split(ins[0], idx, axis=axis))
    if op == "Shape":
        return [np.asarray(ins[0].shape, dtype=np.int64)]
    if op == "Unsqueeze":
        y = ins[0]
        for a in sorted(int(a) for a in ins[1]):
            y = np.expand_dims(y, a)
        return [y]
    if op == "Squeeze":
        return [np.squeeze(ins[0], axis=tuple(int(a) for a in ins[1]))]
    if op == "Reshape":
        shape = [int(s) for s in ins[1]]
        shape = [ins[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
        return [ins[0].reshape(shape)]
    if op == "Transpose":
        return [np.transpose(ins[0], at.get("perm"))]
    if op == "Cast":
        return [ins[0].astype(_DTYPES[int(at["to"])])]
    raise NotImplementedError(f"onnx_ref: operator {op} not supported")


class OnnxRef:
    def __init__(self, path_or_model):
        self.model = onnx.load(path_or_model) if isinstance(path_or_model, str) else path_or_model
        g = self.model.graph
        self.init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        self.input_names = [i.name for i in g.input if i.name not in self.init]
        self.output_names = [o.name for o in g.output]
        self.ops = sorted({n.op_type for n in g.node})

    def run(self, feeds: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        env = dict(self.init)
        env.update(feeds)
        for node in self.model.graph.node:
            ins = [env[n] if n else None for n in node.input]
            outs = _run_node(node.op_type, ins, _attrs(node), len(node.output))
            for name, val in zip(node.output, outs):
                env[name] = val
        return {n: env[n] for n in self.output_names}
