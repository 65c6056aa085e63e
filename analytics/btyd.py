"""Buy-till-you-die models: BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma spend (Fader, Hardie & Lee 2005b).

Inputs per customer, in any one time unit (c360 uses days):
  x    repeat purchases (purchase days after the first one)
  t_x  time from the first to the last purchase
  T    time from the first purchase to the end of the observation
  zbar mean value of the repeat purchases (Gamma-Gamma only, customers with x > 0)
Both fits are maximum likelihood over log-parameters with scipy's L-BFGS-B. Where the likelihood is flat along
a ridge (few customers, or a scale parameter at its bound), L-BFGS-B's line search can stop short of a tolerance
it cannot meet and report failure depending on the order of the customers; such a stop is polished with
Nelder-Mead from where it ended, and only a fit that neither method completes is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1

Array = NDArray[np.float64]


class FitError(RuntimeError):
    """The likelihood could not be maximised (too few customers or degenerate data)."""


@dataclass(frozen=True)
class BgNbd:
    """Fitted BG/NBD: purchase rate ~ Gamma(r, alpha), drop-out probability ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float

    def probability_alive(self, x: Array, t_x: Array, T: Array) -> Array:
        """P(the customer is still active at T | x, t_x, T)."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        log_odds = np.log(a) - np.log(np.maximum(b + x - 1, 1e-12)) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        return np.where(x > 0, 1.0 / (1.0 + np.exp(log_odds)), 1.0)

    def expected_purchases(self, t: float, x: Array, t_x: Array, T: Array) -> Array:
        """E[purchases in (T, T + t] | x, t_x, T] (equation 10 of the 2005 paper)."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + T + t)
        head = (a + b + x - 1) / (a - 1)
        tail = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
        return head * tail * self.probability_alive(x, t_x, T)


def bgnbd_log_likelihood(params: Array, x: Array, t_x: Array, T: Array) -> float:
    """Total log-likelihood of BG/NBD (equation 6 of the 2005 paper) for params (r, alpha, a, b)."""
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-12)) - (r + x) * np.log(alpha + t_x), -np.inf)
    return float(np.sum(a1 + a2 + np.logaddexp(a3, a4)))


def fit_bgnbd(x: Array, t_x: Array, T: Array) -> BgNbd:
    """Maximum-likelihood BG/NBD; raises FitError when it does not converge."""
    scale = float(np.mean(T)) or 1.0  # start alpha near the observation length: keeps the search well scaled
    start = np.log([1.0, scale, 1.0, 1.0])
    found = _maximise(lambda p: bgnbd_log_likelihood(np.exp(p), x, t_x, T), start, (-10, 10), "BG/NBD")
    return BgNbd(*(float(v) for v in np.exp(found)))


@dataclass(frozen=True)
class GammaGamma:
    """Fitted Gamma-Gamma: transaction value ~ Gamma(p, nu), nu ~ Gamma(q, gamma)."""

    p: float
    q: float
    gamma: float

    def expected_value(self, x: Array, zbar: Array) -> Array:
        """E[mean transaction value | x, zbar]; the population mean where x == 0."""
        p, q, g = self.p, self.q, self.gamma
        return (g + zbar * x) * p / (p * x + q - 1)


def gamma_gamma_log_likelihood(params: Array, x: Array, zbar: Array) -> float:
    """Total log-likelihood of Gamma-Gamma (customers with x > 0 and zbar > 0 only)."""
    p, q, g = params
    px = p * x
    return float(np.sum(gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g)
                        + (px - 1) * np.log(zbar) + px * np.log(x) - (px + q) * np.log(g + zbar * x)))


def fit_gamma_gamma(x: Array, zbar: Array) -> GammaGamma:
    """Maximum-likelihood Gamma-Gamma over repeat customers with positive mean spend."""
    keep = (x > 0) & (zbar > 0)
    if keep.sum() < 10:
        raise FitError(f"Gamma-Gamma needs at least 10 repeat customers with spend, got {int(keep.sum())}")
    xs, zs = x[keep], zbar[keep]
    start = np.log([1.0, 2.0, float(np.mean(zs))])
    found = _maximise(lambda v: gamma_gamma_log_likelihood(np.exp(v), xs, zs), start, (-10, 15), "Gamma-Gamma")
    return GammaGamma(*(float(v) for v in np.exp(found)))


def _maximise(log_likelihood: Callable[[Array], float], start: Array, bound: tuple[float, float],
              model: str) -> Array:
    """Log-parameters maximising the likelihood: L-BFGS-B, polished by Nelder-Mead where its line search stalls."""
    bounds = [bound] * len(start)
    result = minimize(lambda p: -log_likelihood(p), start, method="L-BFGS-B", bounds=bounds)
    if not result.success and np.all(np.isfinite(result.x)):
        result = minimize(lambda p: -log_likelihood(p), result.x, method="Nelder-Mead", bounds=bounds)
    if not result.success or not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise FitError(f"{model} fit did not converge: {result.message}")
    return np.asarray(result.x, dtype=float)
