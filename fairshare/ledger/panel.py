"""``Panel``: windows of epochs by entities, with label coverage, population conventions and metric series.

A panel sums a ledger's cells per (window, entity) exactly and converts once to tokens. The entity of an
address comes from labels; unlabelled addresses follow a stated policy (each its own entity, pooled into one,
or excluded), and the share of rewards that labels reach is reported per window. Metric series come one value
per window of any measure of a 1-D array (named measures live in :mod:`fairshare.trend.measures`, a layer up).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .amounts import limbs_to_float, sum_limbs_by_group
from .labels import Labels

__all__ = ["Panel", "UNLABELLED_POLICIES", "POPULATIONS"]

#: What happens to unlabelled addresses: each its own entity, all pooled into one, or left out.
UNLABELLED_POLICIES = ("own", "pooled", "excluded")
#: Which entities a window counts: paid in it; also those paid in the previous or next window (as zeros, the
#: Edinburgh Decentralisation Index's ``population_windows = 1`` [sources: edi-2023]); every entity ever paid.
POPULATIONS = ("active", "adjacent", "all")
POOLED = "(unlabelled)"


@dataclass(frozen=True, eq=False)
class Panel:
    """Windows by entities: exact sums converted to tokens once.

    Parameters
    ----------
    window : numpy.ndarray
        Window index of each cell (cells sorted by window, then entity).
    entity : numpy.ndarray
        Entity code of each cell.
    amount : numpy.ndarray
        Tokens of each cell (float64 from exact integer sums).
    windows : pandas.DataFrame
        One row per window: ``start_epoch``, ``end_epoch`` (inclusive), ``complete`` (False for a last window
        that runs past the ledger's last epoch; trends leave it out and say so).
    entities : pandas.Index
        Name of each entity code.
    entity_class : numpy.ndarray
        Class of each entity (object; None when unknown).
    labelled_share : pandas.Series
        Per window, the share of rewards paid to labelled addresses (NaN without labels).
    meta : dict
        What the data are (from the ledger) and how the panel was built: ``level`` is ``"entity"`` with labels,
        ``"key"`` without; ``unlabelled``, ``population``, ``window_epochs``, ``step_epochs``, ``heuristic``.
    ledger : fairshare.Ledger
        The ledger it was built from (to rebuild under another policy).
    labels : fairshare.ledger.Labels or None
        The labels used.
    """

    window: np.ndarray
    entity: np.ndarray
    amount: np.ndarray
    windows: pd.DataFrame
    entities: pd.Index
    entity_class: np.ndarray
    labelled_share: pd.Series
    meta: dict = field(default_factory=dict)
    ledger: object = None
    labels: Labels | None = None

    @classmethod
    def build(cls, ledger, labels=None, *, unlabelled: str = "own", window: int = 1, step: int | None = None,
              population: str = "active") -> Panel:
        """Sum a ledger per (window, entity).

        Parameters
        ----------
        ledger : fairshare.Ledger
        labels : pandas.DataFrame, Labels or None
            Address labels; None makes a key-level panel (every address its own entity).
        unlabelled : {"own", "pooled", "excluded"}, default "own"
            Policy for unlabelled addresses.
        window : int, default 1
            Epochs per window.
        step : int, optional
            Epochs between window starts; default ``window`` (tumbling). ``step < window`` gives rolling
            windows (each epoch counts in several).
        population : {"active", "adjacent", "all"}, default "active"
            Entities each window counts (:data:`POPULATIONS`); inactive ones enter as zeros.

        Returns
        -------
        Panel
        """
        if unlabelled not in UNLABELLED_POLICIES:
            raise ConfigError(f"unlabelled={unlabelled!r}; one of {UNLABELLED_POLICIES}.")
        if population not in POPULATIONS:
            raise ConfigError(f"population={population!r}; one of {POPULATIONS}.")
        step = window if step is None else step
        for name, v in (("window", window), ("step", step)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ConfigError(f"{name}={v!r}; a positive whole number of epochs.")
        if step > window:
            raise ConfigError(f"step={step} > window={window} would skip epochs; use step <= window.")
        lab = Labels.from_frame(labels) if labels is not None else None
        names, classes, code_of_address = _entities(ledger, lab, unlabelled)
        first = int(ledger.epoch[0])
        offset = ledger.epoch - first
        n_windows = max(1, -(-(int(ledger.epochs.size) - window) // step) + 1) if ledger.epochs.size >= window else 1
        keep = code_of_address[ledger.address] >= 0
        # each epoch e lies in windows w with w*step <= e - first < w*step + window
        w_hi = offset // step
        w_lo = np.maximum(0, -(-(offset - window + 1) // step))
        reps = np.where(keep, np.minimum(w_hi, n_windows - 1) - w_lo + 1, 0).clip(min=0)
        cell = np.repeat(np.arange(offset.size), reps)
        wins = np.repeat(w_lo, reps) + (np.arange(cell.size) - np.repeat(np.cumsum(reps) - reps, reps))
        ent = code_of_address[ledger.address[cell]]
        key = (wins.astype(np.int64) << 32) | ent.astype(np.int64)
        order = np.argsort(key, kind="stable")
        key = key[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if key.size else np.zeros(0, np.int64)
        hi, lo = sum_limbs_by_group(starts, ledger.hi[cell][order], ledger.lo[cell][order], "panel amount")
        amount = limbs_to_float(hi, lo) / float(10 ** ledger.decimals)
        key = key[starts]
        start_epoch = first + step * np.arange(n_windows)
        last_epoch = first + int(ledger.epochs.size) - 1
        windows = pd.DataFrame({"start_epoch": start_epoch, "end_epoch": start_epoch + window - 1,
                                "complete": start_epoch + window - 1 <= last_epoch},
                               index=pd.RangeIndex(n_windows, name="window"))
        share = _labelled_share(ledger, lab, windows, offset, step, window, n_windows)
        meta = dict(ledger.meta, level="entity" if lab is not None else "key", unlabelled=unlabelled,
                    population=population, window_epochs=int(window), step_epochs=int(step),
                    heuristic=lab.heuristic if lab is not None else "none: every address is its own entity")
        return cls(key >> 32, key & 0xFFFFFFFF, amount, windows, names, classes, share, meta, ledger, lab)

    # -------------------------------------------------------------------------------------------- views
    @property
    def level(self) -> str:
        """``"entity"`` (labels given) or ``"key"`` (every address its own entity)."""
        return self.meta["level"]

    @property
    def epoch_seconds(self) -> float | None:
        """Seconds per epoch of the ledger, if known."""
        return self.meta.get("epoch_seconds")

    def describe(self) -> str:
        """One line saying what the panel's data are.

        Returns
        -------
        str
        """
        kind = "synthetic" if self.meta.get("synthetic") else "real"
        return (f"{kind} data, network {self.meta.get('network', 'unspecified')}, {self.level}-level "
                f"({self.meta['heuristic']}; unlabelled addresses: {self.meta['unlabelled']}), "
                f"{len(self.windows)} windows of {self.meta['window_epochs']} epoch(s), population "
                f"{self.meta['population']}")

    def rebuild(self, **changes) -> Panel:
        """The same panel with other options (``unlabelled``, ``population``, ``window``, ``step``).

        Parameters
        ----------
        **changes
            Options of :meth:`build` to change.

        Returns
        -------
        Panel
        """
        opts = dict(unlabelled=self.meta["unlabelled"], population=self.meta["population"],
                    window=self.meta["window_epochs"], step=self.meta["step_epochs"])
        opts.update(changes)
        return Panel.build(self.ledger, self.labels, **opts)

    def rebuild_key_level(self) -> Panel:
        """The same windows without labels: every address its own entity.

        Returns
        -------
        Panel
        """
        return Panel.build(self.ledger, None, window=self.meta["window_epochs"], step=self.meta["step_epochs"],
                           population=self.meta["population"])

    def _bounds(self) -> np.ndarray:
        return np.searchsorted(self.window, np.arange(len(self.windows) + 1))

    def vectors(self):
        """Each window's holdings over its population (:data:`POPULATIONS`), as ``(entity codes, amounts)``.

        Yields
        ------
        tuple of numpy.ndarray
        """
        bounds = self._bounds()
        pop = self.meta["population"]
        for w in range(len(self.windows)):
            codes, amounts = self.entity[bounds[w]:bounds[w + 1]], self.amount[bounds[w]:bounds[w + 1]]
            extra = None
            if pop == "all":
                extra = np.arange(self.entities.size)
            elif pop == "adjacent":
                near = [self.entity[bounds[v]:bounds[v + 1]] for v in (w - 1, w + 1) if 0 <= v < len(self.windows)]
                extra = np.concatenate(near) if near else None
            if extra is not None:
                zeros = np.setdiff1d(extra, codes)
                codes = np.concatenate([codes, zeros])
                amounts = np.concatenate([amounts, np.zeros(zeros.size)])
            yield codes, amounts

    def totals(self) -> pd.Series:
        """Tokens paid per window (to the entities the panel keeps).

        Returns
        -------
        pandas.Series
        """
        return pd.Series(np.bincount(self.window, self.amount, minlength=len(self.windows)),
                         index=self.windows["start_epoch"].rename("epoch"), name="tokens")

    def series(self, metric, *, small_threshold: float = 0.01, small_class: str = "retail",
               name: str | None = None) -> pd.Series:
        """One value of ``metric`` per window, indexed by the window's first epoch.

        Parameters
        ----------
        metric : "small_share" or callable
            ``"small_share"`` (the reward share of small entities: class ``small_class`` where the labels give
            classes; otherwise entities whose share of the previous window was below ``small_threshold``,
            membership fixed at the window start), or a function of a 1-D array of holdings (named measures:
            :func:`fairshare.trend.measures.metric_function`).
        small_threshold : float, default 0.01
            Size below which an entity is small (share of a window's rewards).
        small_class : str, default "retail"
            Class that counts as small where labels give classes.
        name : str, optional
            Name of the series.

        Returns
        -------
        pandas.Series
            NaN for a window without rewards.
        """
        if metric == "small_share":
            return self._small_share(small_threshold, small_class)
        if not callable(metric):
            raise ConfigError(f"metric={metric!r}; 'small_share' or a function of a 1-D array "
                              "(named measures: fairshare.trend.measures.metric_function).")
        out = [metric(a) if a.size and a.sum() > 0 else np.nan for _, a in self.vectors()]
        name = name or getattr(metric, "__name__", "metric")
        return pd.Series(out, index=self.windows["start_epoch"].rename("epoch"), name=name, dtype=float)

    def _small_share(self, threshold: float, klass: str) -> pd.Series:
        if not 0 < threshold < 1:
            raise ConfigError(f"small_threshold={threshold!r}; a share in (0, 1).")
        is_class = np.array([c == klass for c in self.entity_class], bool)
        has_class = np.array([c is not None for c in self.entity_class], bool)
        bounds = self._bounds()
        prev_share = None
        out = []
        for w in range(len(self.windows)):
            codes, a = self.entity[bounds[w]:bounds[w + 1]], self.amount[bounds[w]:bounds[w + 1]]
            total = a.sum()
            share_now = pd.Series(a / total if total > 0 else a, index=codes)
            basis = share_now if prev_share is None else prev_share  # membership fixed at the window start
            size_small = basis.reindex(codes, fill_value=0.0).to_numpy() < threshold
            small = np.where(has_class[codes], is_class[codes], size_small)
            out.append(a[small].sum() / total if total > 0 else np.nan)
            prev_share = share_now
        return pd.Series(out, index=self.windows["start_epoch"].rename("epoch"), name="small_share", dtype=float)

    def envelope(self, metric="small_share", **options) -> pd.DataFrame:
        """Per window, the metric with unlabelled rewards in one entity and with each address its own.

        Parameters
        ----------
        metric : "small_share" or callable, default "small_share"
            As in :meth:`series`.
        **options
            Passed to :meth:`series`.

        Returns
        -------
        pandas.DataFrame
            Columns ``pooled``, ``own``, ``low``, ``high`` (the conservative per-window band).
        """
        pooled = self.rebuild(unlabelled="pooled").series(metric, **options)
        own = self.rebuild(unlabelled="own").series(metric, **options)
        return pd.DataFrame({"pooled": pooled, "own": own, "low": np.fmin(pooled, own), "high": np.fmax(pooled, own)})

    def cells(self, window: int) -> pd.Series:
        """Tokens per entity in one window.

        Parameters
        ----------
        window : int
            Window number (row of :attr:`windows`).

        Returns
        -------
        pandas.Series
        """
        b = self._bounds()
        codes = self.entity[b[window]:b[window + 1]]
        return pd.Series(self.amount[b[window]:b[window + 1]], index=self.entities[codes], name="tokens")


def _entities(ledger, labels: Labels | None, unlabelled: str):
    n = ledger.addresses.size
    if labels is None:
        return ledger.addresses, np.full(n, None, object), np.arange(n, dtype=np.int64)
    ent = labels.entity_of(ledger.addresses)
    known = pd.notna(ent)
    labelled_names = np.unique(ent[known].astype(str))
    code = np.full(n, -1, np.int64)
    code[known] = np.searchsorted(labelled_names, ent[known].astype(str))
    cls_map = labels.frame.drop_duplicates("entity").set_index("entity")["class"]
    classes = [None if pd.isna(c) else str(c) for c in cls_map.reindex(labelled_names)]
    names = list(labelled_names)
    if unlabelled == "own":
        code[~known] = len(names) + np.arange(int((~known).sum()))
        names += list(ledger.addresses[~known])
        classes += [None] * int((~known).sum())
    elif unlabelled == "pooled" and (~known).any():
        code[~known] = len(names)
        names.append(POOLED)
        classes.append(None)
    return pd.Index(names, dtype=object), np.array(classes, dtype=object), code


def _labelled_share(ledger, labels, windows, offset, step, window, n_windows) -> pd.Series:
    idx = windows["start_epoch"].rename("epoch")
    if labels is None:
        return pd.Series(np.nan, index=idx, name="labelled_reward_share")
    known = pd.notna(labels.entity_of(ledger.addresses))[ledger.address]
    amount = ledger.amount_tokens()
    n_epochs = int(offset.max()) + 1 if offset.size else 0
    paid = np.r_[0.0, np.cumsum(np.bincount(offset, amount, minlength=n_epochs))]
    lab = np.r_[0.0, np.cumsum(np.bincount(offset, np.where(known, amount, 0.0), minlength=n_epochs))]
    lo = np.minimum(step * np.arange(n_windows), n_epochs)
    hi = np.minimum(lo + window, n_epochs)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.Series((lab[hi] - lab[lo]) / (paid[hi] - paid[lo]), index=idx, name="labelled_reward_share")
