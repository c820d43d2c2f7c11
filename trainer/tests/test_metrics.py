import math
import unittest

import numpy as np
import torch

from trainer import evaluate as E


class MetricsTest(unittest.TestCase):
    def test_hr_ndcg(self):
        m = E.metrics_from_ranks([0, 1, 9, 10, 50])
        self.assertAlmostEqual(m["hr@10"], 3 / 5)
        self.assertAlmostEqual(m["ndcg@10"], (1 + 1 / math.log2(3) + 1 / math.log2(11)) / 5)
        self.assertEqual(m["users"], 5)

    def test_ranks(self):
        # 2 users, N = 8 (column 0 = padding)
        scores = torch.tensor([
            [9.0, 0.1, 0.9, 0.5, 0.7, 0.3, 0.5, 0.8],
            [9.0, 0.6, 0.2, 0.6, 0.1, 0.9, 0.4, 0.3],
        ])
        task = E.EvalTask(
            name="t",
            inputs=[[2, 7], [3, 5]],             # seen items
            targets=np.array([4, 3]),             # user 1's target 3 is also a seen item (repeat)
            negatives=np.array([[1, 5, 3, 0], [2, 4, 6, 1]]),
        )
        s, f = E.ranks_for_scores(scores, task, slice(0, 2))
        # user 0: target 0.7; sampled candidates 0.1, 0.3, 0.5, pad -> rank 0
        # full: seen 2 (0.9) and 7 (0.8) excluded, pad excluded -> nothing above 0.7 -> rank 0
        # user 1: target 0.6; sampled 0.2, 0.1, 0.4, 0.6 (item 1 ties -> counts against) -> rank 1
        # full: seen 5 (0.9) excluded, target 3 kept; item 1 ties -> rank 1
        self.assertEqual(list(s), [0, 1])
        self.assertEqual(list(f), [0, 1])
        scores[0, 3] = 0.75                        # now one item above the target for user 0
        s, f = E.ranks_for_scores(scores, task, slice(0, 2))
        self.assertEqual(list(s), [1, 1])
        self.assertEqual(list(f), [1, 1])

    def test_popularity_ties_broken(self):
        s = E.popularity_scores([0, 5, 5, 5, 1])
        self.assertEqual(float(s[0]), -math.inf)
        self.assertEqual(len(set(s[1:4].tolist())), 3)
        self.assertTrue(bool((s[1:4] > s[4]).all()))


if __name__ == "__main__":
    unittest.main()
