"""The statistics of the residents' satisfaction survey: sample sizes, allocation by
district, stratified estimates with confidence intervals, and the verdict.

Stratified estimation (Cochran, *Sampling Techniques*, ch. 5), strata = districts with
populations ``N_h`` (weights ``W_h = N_h / N``), ``n_h`` responses each:

* proportion: ``p_st = Σ W_h p_h``, ``V = Σ W_h² (1 - n_h/N_h) p_h (1 - p_h) / (n_h - 1)``;
* mean: ``ȳ_st = Σ W_h ȳ_h``, ``V = Σ W_h² (1 - n_h/N_h) s_h² / n_h``.

Intervals:

* a **proportion** gets the Wilson score interval (Wilson 1927, *JASA* 22:209–212) computed
  with the effective sample size of the design, as Korn & Graubard (1998, *Survey
  Methodology* 24:193–201) describe for survey data and Dean & Pagano (2015, *J. Survey
  Statistics and Methodology* 3:484–503) found to perform well. With ``n* = n_eff`` and
  ``z`` the normal quantile::

      centre ± half = (p + z²/(2n*) ± z √(p(1 - p)/n* + z²/(4n*²))) / (1 + z²/n*)

  ``n_eff = p(1 - p) / V`` (the size of a simple random sample with the same variance as
  the stratified ``V``). When that is undefined — ``V = 0`` because every stratum answered
  all alike, e.g. 100 % satisfied — Kish's effective sample size for the stratum weights
  (Kish 1992, "Weighting for unequal Pi", *J. Official Statistics* 8:183–200) gives it
  instead, with the same finite-population correction as ``V``:
  ``n_eff = 1 / Σ W_h² (1 - n_h/N_h) / n_h`` (``1 / Σ W_h² / n_h`` without populations; for
  proportional allocation that is ``n``). The interval always lies inside 0–100 % (at 100 %
  satisfied its upper end is exactly 100, the lower end below it), so nothing is clipped;
* a **mean** (e.g. of 1–5 ratings) keeps the normal interval ``estimate ± z √V``, reported
  as computed: it is never clipped to the scale.

A stratum with a single response has no variance estimate: the interval is then undefined
(NaN, JSON null) until a second response arrives.

Strata without responses are left out and the weights renormalised over the others; the
result names them (``missing_strata``), so the gap in the sample is visible.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import stats

from gardencity.errors import DataError
from gardencity.messages import Catalogue

MESSAGES = Catalogue(__package__)

__all__ = [
    "StratifiedEstimate",
    "allocate_sample",
    "effective_sample_size",
    "sample_size_for_proportion",
    "stratified_mean",
    "stratified_proportion",
    "verdict",
    "wilson_interval",
]


def sample_size_for_proportion(
    margin_pct: float,
    *,
    expected_pct: float = 50.0,
    confidence: float = 0.95,
    population: float | None = None,
) -> int:
    """Responses needed for a ± ``margin_pct`` interval, with the finite-population correction
    ``n = n0 / (1 + (n0 - 1) / N)``, ``n0 = z² p (1 - p) / e²``.

    >>> sample_size_for_proportion(5), sample_size_for_proportion(5, population=2000)
    (385, 323)
    """
    if not 0 < margin_pct < 100:
        raise DataError(MESSAGES.message("margin_out_of_range", margin=margin_pct))
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = expected_pct / 100
    n0 = z**2 * p * (1 - p) / (margin_pct / 100) ** 2
    if population is not None:
        n0 = n0 / (1 + (n0 - 1) / population)
    return max(1, math.ceil(n0))


def allocate_sample(
    total: int,
    populations: Mapping[str, float],
    *,
    method: Literal["proportional", "equal", "neyman"] = "proportional",
    minimum: int = 0,
    std_devs: Mapping[str, float] | None = None,
) -> dict[str, int]:
    """Split ``total`` responses over the strata (largest remainders, so the parts add up).

    ``proportional``: ``n_h ∝ N_h``; ``equal``: the same for each; ``neyman``:
    ``n_h ∝ N_h S_h`` (``std_devs``). Every stratum gets at least ``minimum`` first.

    >>> allocate_sample(100, {"a": 5000, "b": 3000, "c": 2000})
    {'a': 50, 'b': 30, 'c': 20}
    >>> allocate_sample(10, {"a": 1, "b": 1, "c": 1})
    {'a': 4, 'b': 3, 'c': 3}
    """
    if not populations:
        raise DataError(MESSAGES.message("survey_no_strata"))
    if any(v <= 0 for v in populations.values()):
        raise DataError(MESSAGES.message("survey_strata_population"))
    keys = list(populations)
    if minimum * len(keys) > total:
        raise DataError(
            MESSAGES.message(
                "survey_sample_too_small", total=total, minimum=minimum, strata=len(keys)
            )
        )
    if method == "proportional":
        weights = np.array([populations[k] for k in keys], dtype=float)
    elif method == "equal":
        weights = np.ones(len(keys))
    elif method == "neyman":
        if std_devs is None or set(std_devs) != set(keys):
            raise DataError(MESSAGES.message("survey_neyman_needs_sd"))
        weights = np.array([populations[k] * std_devs[k] for k in keys], dtype=float)
    else:
        raise DataError(MESSAGES.message("survey_allocation_unknown", method=method))
    rest = total - minimum * len(keys)
    exact = rest * weights / weights.sum()
    counts = np.floor(exact).astype(int)
    remainders = exact - counts
    for i in np.argsort(-remainders, kind="stable")[: rest - int(counts.sum())]:
        counts[i] += 1
    return {k: int(c) + minimum for k, c in zip(keys, counts, strict=True)}


@dataclass(frozen=True)
class StratifiedEstimate:
    """A stratified estimate (proportions in %, or means) with its interval."""

    estimate: float
    standard_error: float
    ci_low: float
    ci_high: float
    n: int
    confidence: float
    by_stratum: dict[str, dict[str, float]] = field(default_factory=dict)
    missing_strata: list[str] = field(default_factory=list)
    interval: Literal["wilson", "normal"] = "normal"
    effective_n: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimate": self.estimate,
            "standard_error": self.standard_error,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "n": self.n,
            "confidence": self.confidence,
            "by_stratum": self.by_stratum,
            "missing_strata": self.missing_strata,
            "interval": self.interval,
            "effective_n": self.effective_n,
        }


def _weights(
    sizes: Mapping[str, int], populations: Mapping[str, float] | None
) -> tuple[dict[str, float], list[str]]:
    if not populations:  # self-weighting: each stratum as sampled
        populations = {k: float(v) for k, v in sizes.items() if v > 0}
    present = [k for k in populations if sizes.get(k, 0) > 0]
    missing = [k for k in populations if sizes.get(k, 0) == 0]
    unknown = sorted(set(k for k, v in sizes.items() if v > 0) - set(populations))
    if unknown:
        raise DataError(MESSAGES.message("survey_responses_unknown_strata", strata=unknown))
    if not present:
        raise DataError(MESSAGES.message("survey_no_responses"))
    total = sum(populations[k] for k in present)
    return {k: populations[k] / total for k in present}, missing


def wilson_interval(p: float, n_eff: float, *, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval (0–1) of a proportion ``p`` (0–1) from ``n_eff`` responses.

    ``low(p) = (2n p + z² - z √(z² + 4n p (1 - p))) / (2 (n + z²))`` and
    ``high(p) = 1 - low(1 - p)`` (Wilson 1927), written so that ``p = 0`` gives a lower end
    of exactly 0 and ``p = 1`` an upper end of exactly 1. An infinite ``n_eff`` (a census)
    gives ``(p, p)``; NaN gives ``(nan, nan)``.

    >>> [round(v, 4) for v in wilson_interval(0.8, 100)]
    [0.7112, 0.8666]
    >>> low, high = wilson_interval(1.0, 40)
    >>> round(low, 4), high
    (0.9124, 1.0)
    """
    if math.isnan(n_eff) or math.isnan(p):
        return float("nan"), float("nan")
    if not 0 <= p <= 1:
        raise DataError(MESSAGES.message("proportion_out_of_range", p=p))
    if n_eff <= 0:
        raise DataError(MESSAGES.message("effective_n_not_positive", n=n_eff))
    if math.isinf(n_eff):
        return p, p
    z = float(stats.norm.ppf(0.5 + confidence / 2))

    def low(q: float) -> float:
        root = z * math.sqrt(z * z + 4 * n_eff * q * (1 - q))
        return max(0.0, (2 * n_eff * q + z * z - root) / (2 * (n_eff + z * z)))

    return low(p), 1 - low(1 - p)


def effective_sample_size(
    p: float,
    variance: float,
    weights: Mapping[str, float],
    sizes: Mapping[str, int],
    fpcs: Mapping[str, float] | None = None,
) -> float:
    """The effective sample size of a stratified proportion: ``p (1 - p) / V`` when ``V > 0``,
    else Kish's formula ``1 / Σ W_h² (1 - f_h) / n_h`` (``1 - f_h`` the finite-population
    correction, 1 without populations); NaN when ``V`` is NaN (a stratum of one response).

    >>> w, n = {"a": 0.6, "b": 0.4}, {"a": 60, "b": 40}
    >>> round(effective_sample_size(0.84, 0.00133205, w, n), 1)
    100.9
    >>> round(effective_sample_size(1.0, 0.0, w, n), 6)  # proportional allocation: n_eff = n
    100.0
    """
    if math.isnan(variance):
        return float("nan")
    if variance > 0 and 0 < p < 1:
        return p * (1 - p) / variance
    kish = sum(w**2 * (fpcs or {}).get(k, 1.0) / sizes[k] for k, w in weights.items())
    return 1 / kish if kish > 0 else math.inf


def stratified_proportion(
    successes: Mapping[str, int],
    sizes: Mapping[str, int],
    populations: Mapping[str, float] | None = None,
    *,
    confidence: float = 0.95,
) -> StratifiedEstimate:
    """Stratified share (%) of ``successes`` among ``sizes`` responses, with the Wilson
    interval on the effective sample size (see module docstring).

    >>> e = stratified_proportion({"a": 48, "b": 36}, {"a": 60, "b": 40}, {"a": 6000, "b": 4000})
    >>> round(e.estimate, 2), round(e.standard_error, 3), round(e.effective_n, 1)
    (84.0, 3.65, 100.9)
    >>> round(e.ci_low, 2), round(e.ci_high, 2)
    (75.62, 89.88)
    """
    weights, missing = _weights(sizes, populations)
    pops = populations or {k: float(v) for k, v in sizes.items()}
    weighted = variance = 0.0
    by_stratum = {}
    fpcs = {}
    for k, w in weights.items():
        n, x = sizes[k], successes.get(k, 0)
        if not 0 <= x <= n:
            raise DataError(MESSAGES.message("survey_successes_impossible", stratum=k, x=x, n=n))
        p = x / n
        fpcs[k] = max(0.0, 1 - n / pops[k]) if populations else 1.0
        weighted += pops[k] * p
        variance += w**2 * fpcs[k] * p * (1 - p) / (n - 1) if n > 1 else float("nan")
        by_stratum[k] = {"n": float(n), "pct": 100 * p, "weight": w}
    # Σ N_h p_h / Σ N_h: exactly 1 when every stratum is 100 % (Σ W_h p_h may round below)
    estimate = weighted / sum(pops[k] for k in weights)
    n_eff = effective_sample_size(estimate, variance, weights, sizes, fpcs)
    low, high = wilson_interval(estimate, n_eff, confidence=confidence)
    return StratifiedEstimate(
        estimate=100 * estimate,
        standard_error=100 * math.sqrt(variance),
        ci_low=100 * low,
        ci_high=100 * high,
        n=int(sum(sizes.values())),
        confidence=confidence,
        by_stratum=by_stratum,
        missing_strata=missing,
        interval="wilson",
        effective_n=n_eff,
    )


def stratified_mean(
    values: Mapping[str, Sequence[float]],
    populations: Mapping[str, float] | None = None,
    *,
    confidence: float = 0.95,
) -> StratifiedEstimate:
    """Stratified mean of the values (e.g. 1–5 ratings) per stratum (see module docstring).

    >>> e = stratified_mean({"a": [4, 5, 3, 4], "b": [2, 3]}, {"a": 300, "b": 100})
    >>> round(e.estimate, 3), round(e.standard_error, 3)
    (3.625, 0.328)
    """
    sizes = {k: len(v) for k, v in values.items()}
    weights, missing = _weights(sizes, populations)
    pops = populations or {k: float(v) for k, v in sizes.items()}
    estimate = variance = 0.0
    by_stratum = {}
    for k, w in weights.items():
        array = np.asarray(values[k], dtype=float)
        n = len(array)
        fpc = max(0.0, 1 - n / pops[k]) if populations else 1.0
        estimate += w * float(array.mean())
        variance += w**2 * fpc * float(array.var(ddof=1)) / n if n > 1 else float("nan")
        by_stratum[k] = {"n": float(n), "mean": float(array.mean()), "weight": w}
    return _finish(estimate, math.sqrt(variance), sizes, confidence, by_stratum, missing)


def _finish(
    estimate: float,
    se: float,
    sizes: Mapping[str, int],
    confidence: float,
    by_stratum: dict[str, dict[str, float]],
    missing: list[str],
) -> StratifiedEstimate:
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    return StratifiedEstimate(
        estimate=estimate,
        standard_error=se,
        ci_low=estimate - z * se,
        ci_high=estimate + z * se,
        n=int(sum(sizes.values())),
        confidence=confidence,
        by_stratum=by_stratum,
        missing_strata=missing,
    )


def verdict(estimate: StratifiedEstimate, threshold: float) -> str:
    """``pass`` if the whole interval is at or above ``threshold``, ``fail`` if it is all
    below, ``undecided`` otherwise (more responses needed).

    >>> verdict(StratifiedEstimate(84, 3.6, 77, 91, 100, 0.95), 80)
    'undecided'
    """
    if estimate.ci_low >= threshold:
        return "pass"
    if estimate.ci_high < threshold:
        return "fail"
    return "undecided"
