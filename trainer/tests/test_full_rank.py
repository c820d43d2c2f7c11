import math
import unittest

import numpy as np
import torch

from trainer import evaluate as E


def naive_full_rank(scores, inputs, targets):
    """Reference: mask column 0 and the seen items (except the target) to -inf, then count."""
    s = scores.clone()
    s[:, 0] = -math.inf
    out = []
    for r, (inp, t) in enumerate(zip(inputs, targets)):
        for c in set(inp) - {int(t)}:
            s[r, c] = -math.inf
        tv = s[r, t]
        out.append(int((s[r] > tv).sum() + (s[r] == tv).sum() - 1))
    return np.asarray(out)


class FullRankTest(unittest.TestCase):
    def test_vectorised_rank_equals_masking(self):
        rng = np.random.RandomState(0)
        N, U = 40, 25
        # few distinct values: many ties, which count against the model
        scores = torch.as_tensor(rng.randint(0, 6, size=(U, N)).astype(np.float32))
        inputs = [list(rng.randint(1, N, size=rng.randint(1, 12))) for _ in range(U)]
        targets = rng.randint(1, N, size=U)
        inputs[0].append(int(targets[0]))            # a target the user has seen before
        task = E.EvalTask("t", inputs, targets.astype(np.int64), rng.randint(1, N, size=(U, 5)))
        _, f = E.ranks_for_scores(scores, task, slice(0, U))
        np.testing.assert_array_equal(f, naive_full_rank(scores, inputs, targets))
        _, f2 = E.ranks_for_scores(scores[5:12], task, slice(5, 12))
        np.testing.assert_array_equal(f2, f[5:12])

    def test_subset_task_is_fixed_and_all_when_large(self):
        t = E.EvalTask("v", [[1]] * 50, np.arange(50), np.zeros((50, 3), np.int64))
        a, b = E.subset_task(t, 10), E.subset_task(t, 10)
        np.testing.assert_array_equal(a.targets, b.targets)
        self.assertEqual(len(a.targets), 10)
        self.assertIs(E.subset_task(t, 0), t)
        self.assertIs(E.subset_task(t, 50), t)


if __name__ == "__main__":
    unittest.main()
