import unittest

import torch

from trainer import losses as L
from trainer.model import GRURec


def _grad(model, loss):
    model.zero_grad()
    loss.backward()
    return torch.cat([p.grad.flatten() for p in (model.emb.weight, model.out_bias)])


class LossTest(unittest.TestCase):
    def test_uniform_sampler_draws_items_1_to_n_minus_1(self):
        s = L.NegativeSampler([0, 5, 1, 1], alpha=0.0)
        d = s.sample(1000, torch.Generator().manual_seed(0))
        self.assertEqual(set(d.tolist()), {1, 2, 3})

    def test_popularity_sampler_probabilities(self):
        s = L.NegativeSampler([0, 7, 1, 0], alpha=1.0)        # (count + 1) ** 1, padding excluded
        torch.testing.assert_close(s.probs, torch.tensor([0.0, 8 / 11, 2 / 11, 1 / 11]))
        d = s.sample(20000, torch.Generator().manual_seed(0))
        self.assertNotIn(0, d.tolist())
        self.assertAlmostEqual(float((d == 1).float().mean()), 8 / 11, delta=0.02)

    def test_logq_sampled_gradient_approaches_full_softmax(self):
        """With the log-Q correction, the sampled softmax gradient estimates the full softmax
        gradient whatever the proposal; without it a skewed proposal biases the gradient."""
        torch.manual_seed(0)
        N = 60
        m = GRURec(N, emb_dim=8, hidden=8, emb_dropout=0.0, out_dropout=0.0).eval()
        with torch.no_grad():
            m.out_bias.copy_(torch.linspace(3, -3, N))          # popular items first
        h, y = torch.randn(32, 8), torch.randint(1, N, (32,))
        counts = [0] + [int(1000 / (i + 1)) for i in range(N - 1)]
        sampler = L.NegativeSampler(counts, alpha=1.0)
        full = _grad(m, L.full_softmax_loss(m, h, y))
        g = torch.Generator().manual_seed(1)
        corrected = _grad(m, L.sampled_softmax_loss(m, h, y, 20000, sampler, g))
        cos = float(torch.nn.functional.cosine_similarity(full, corrected, dim=0))
        self.assertGreater(cos, 0.99)

    def test_full_and_fallback(self):
        torch.manual_seed(0)
        m = GRURec(50, emb_dim=4, hidden=4).eval()
        h, y = torch.randn(6, 4), torch.randint(1, 50, (6,))
        g = torch.Generator().manual_seed(0)
        self.assertTrue(torch.equal(L.loss_fn(m, h, y, 0, g), L.loss_fn(m, h, y, 49, g)))


if __name__ == "__main__":
    unittest.main()
