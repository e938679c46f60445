"""The streaming engine: audit entries in, detections out, with bounded state.

``Engine.feed(entries)`` flattens each entry (dotted fields, ``seq``, ``_t`` = its time in epoch
seconds, and the derived fields ``_hour``, ``_system``, ``_organisation`` below), runs every base
rule's predicate once, and updates the windows of the correlation rules, baselines and novelty
sets. State is bounded: at most ``max_groups`` groups per rule (the least recently seen group is
dropped first), a count window keeps at most its threshold's events, a value window at most its
threshold's distinct values, a sum window at most ``MAX_SUM_EVENTS`` events, a novelty key at
most ``MAX_VALUES`` values. Baselines and novelty sets are learned knowledge and can be saved
(:meth:`Engine.state`) and restored; windows are short and are not.

Derived fields: ``_hour`` is the entry's hour of day in the province's time (UTC+7 by default);
``_system`` is ``organisation/system`` of a system actor, of an ingest batch's system, or of a
grant's consumer (a grant entry names its consumer by number; the engine learns the number's
code from the ``grant.request`` entry the consumer wrote); ``_organisation`` is its first part;
``_client`` the client id a request or token request used (refused ones included);
``_requests`` how many requests the entry stands for (1, or a ``source.limited`` aggregate's
``count``).
"""

from __future__ import annotations

import json
from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from lienthong.soc.detection import Detection
from lienthong.soc.rules.sigma import Rule

MAX_GROUPS = 50_000
MAX_SUM_EVENTS = 2_000
MAX_VALUES = 256
EVIDENCE = 100  # seqs kept from each end of a detection's evidence


def flatten(
    body: Mapping[str, Any], into: dict[str, Any] | None = None, prefix: str = ""
) -> dict[str, Any]:
    out: dict[str, Any] = {} if into is None else into
    for key, value in body.items():
        name = f"{prefix}{key}"
        if type(value) is dict:  # JSON objects (a cheaper test than the ABC's)
            flatten(value, out, name + ".")
        else:
            out[name] = value
    return out


def _folded(value: Any) -> Any:
    if value is None:
        return None
    if type(value) is list:
        return tuple(str(v).casefold() for v in value)
    return str(value).casefold()


def _evidence(seqs: Sequence[int]) -> tuple[int, ...]:
    if len(seqs) <= 2 * EVIDENCE:
        return tuple(seqs)
    return (*seqs[:EVIDENCE], *seqs[-EVIDENCE:])


def _epoch(at: Any) -> float:
    if isinstance(at, int | float):
        return float(at)
    try:
        return datetime.fromisoformat(str(at)).timestamp()
    except ValueError:
        return 0.0


class _Groups(OrderedDict[str, Any]):
    """Per-group state, least recently seen first; the oldest group goes past ``limit``."""

    def __init__(self, limit: int = MAX_GROUPS) -> None:
        super().__init__()
        self.limit = limit

    def touch(self, key: str, make: Any) -> Any:
        state = self.get(key)
        if state is None:
            state = make()
            self[key] = state
            if len(self) > self.limit:
                self.popitem(last=False)
        else:
            self.move_to_end(key)
        return state


class Engine:
    def __init__(
        self,
        rules: Sequence[Rule],
        *,
        utc_offset_hours: float = 7.0,
        max_groups: int = MAX_GROUPS,
    ) -> None:
        self.rules = list(rules)
        self.offset = utc_offset_hours * 3600.0
        self.max_groups = max_groups
        self._system_of_grant: _Groups = _Groups(max_groups)
        referenced = {r for rule in self.rules if rule.window for r in rule.window.rules}
        known = {rule.id for rule in self.rules}
        missing = referenced - known
        if missing:
            raise ValueError(f"correlations refer to rules not loaded: {sorted(missing)}")
        self._base = [r for r in self.rules if r.match is not None]
        self._single = {
            r.id for r in self._base if r.id not in referenced and not (r.baseline or r.novel)
        }
        self._baselines = [r for r in self._base if r.baseline]
        self._novel = [r for r in self._base if r.novel]
        self._windows: dict[str, list[Rule]] = {}
        for rule in self.rules:
            if rule.window:
                for ref in rule.window.rules:
                    self._windows.setdefault(ref, []).append(rule)
        # Entries are dispatched on the values of the fields the rules' indexes name.
        self._index_fields = sorted({r.index[0] for r in self._base if r.index})
        self._dispatch: dict[tuple[str | None, ...], list[Rule]] = {}
        # The same, keyed on the values as written (no case folding on the usual path).
        self._dispatch_raw: dict[tuple[Any, ...], list[Rule]] = {}
        self._state: dict[str, _Groups] = {r.id: _Groups(max_groups) for r in self.rules}
        self.events = 0

    # -- input ---------------------------------------------------------------------------

    def normalise(self, entry: str | Mapping[str, Any]) -> dict[str, Any]:
        body = json.loads(entry) if isinstance(entry, str) else entry
        event = flatten(body)
        t = _epoch(body.get("at"))
        event["_t"] = t
        event["_hour"] = int(((t + self.offset) // 3600) % 24)
        system = None
        if event.get("actor.kind") == "system" and "actor.system" in event:
            system = f"{event.get('actor.organisation')}/{event['actor.system']}"
            if body.get("action") == "grant.request" and "detail.system_id" in event:
                self._system_of_grant.touch(str(event["detail.system_id"]), lambda: system)
        elif "detail.system" in event:
            system = str(event["detail.system"])
        elif "detail.system_id" in event:
            system = self._system_of_grant.get(str(event["detail.system_id"]))
        # How many requests the entry stands for: a per-address aggregate of the requests
        # answered 429 past the refusal limit (``source.limited``) stands for its ``count``.
        if body.get("action") == "source.limited":
            count = event.get("count")
            event["_requests"] = count if type(count) is int and count > 0 else 1
        else:
            event["_requests"] = 1
        client = event.get("actor.client_id", event.get("client_id"))
        if client is not None:
            event["_client"] = client
        if system is not None:
            event["_system"] = system
            event["_organisation"] = system.split("/", 1)[0]
        return event

    def feed(self, entries: Iterable[str | Mapping[str, Any]]) -> list[Detection]:
        found: list[Detection] = []
        for entry in entries:
            self._one(self.normalise(entry), found)
        return found

    def _candidates(self, event: Mapping[str, Any]) -> list[Rule]:
        """The base rules whose index admits the entry (the others cannot match it)."""
        values = tuple([event.get(name) for name in self._index_fields])
        try:
            found = self._dispatch_raw.get(values)
            hashable = True
        except TypeError:  # a list among the values: not hashable, dispatched on its items
            found, hashable = None, False
        if found is None:
            key = tuple(_folded(v) for v in values)
            found = self._dispatch.get(key)
            if found is None:
                found = [r for r in self._base if r.index is None or self._admits(r, key)]
                if len(self._dispatch) < 10_000:
                    self._dispatch[key] = found
            if hashable and len(self._dispatch_raw) < 10_000:
                self._dispatch_raw[values] = found
        return found

    def _admits(self, rule: Rule, key: tuple[Any, ...]) -> bool:
        assert rule.index is not None
        name, values = rule.index
        value = key[self._index_fields.index(name)]
        if isinstance(value, tuple):  # a list: any of its items
            return any(v in values for v in value)
        return value in values

    def groups(self, rule_id: str) -> int:
        """How many groups the rule keeps state for (bounded by ``max_groups``)."""
        return len(self._state[rule_id])

    def _one(self, event: dict[str, Any], found: list[Detection]) -> None:
        self.events += 1
        windows = self._windows
        for rule in self._candidates(event):
            if not rule.match(event):  # type: ignore[misc]  # base rules have a predicate
                continue
            if rule.id in self._single:
                found.append(self._detect(rule, "", event, [event.get("seq", 0)], {}))
            if rule.baseline is not None:
                self._baseline(rule, event, found)
            if rule.novel is not None:
                self._novelty(rule, event, found)
            for correlation in windows.get(rule.id, ()):
                self._window(correlation, rule.id, event, found)

    # -- output --------------------------------------------------------------------------

    def _detect(
        self,
        rule: Rule,
        group: str,
        event: Mapping[str, Any],
        seqs: Sequence[int],
        summary: dict[str, Any],
    ) -> Detection:
        return Detection(
            rule_id=rule.id,
            rule_title=rule.title,
            severity=rule.level,
            group_key=group,
            observed_at=datetime.fromtimestamp(float(event["_t"]), UTC),
            audit_seqs=_evidence(list(seqs)),
            summary=summary,
        )

    @staticmethod
    def _key(fields: Sequence[str], event: Mapping[str, Any]) -> str | None:
        parts = []
        for name in fields:
            value = event.get(name)
            if value is None:
                return None
            parts.append(f"{name}={value}")
        return ",".join(parts)

    # -- Sigma correlations --------------------------------------------------------------

    def _window(
        self, rule: Rule, matched: str, event: Mapping[str, Any], found: list[Detection]
    ) -> None:
        w = rule.window
        assert w is not None
        group = self._key(w.group_by, event)
        if group is None:
            return
        t = float(event["_t"])
        seq = int(event.get("seq", 0))
        groups = self._state[rule.id]
        start = t - w.seconds
        if w.kind == "event_count":
            times: deque[tuple[float, int]] = groups.touch(
                group, lambda: deque(maxlen=int(w.threshold))
            )
            times.append((t, seq))
            while times and times[0][0] < start:
                times.popleft()
            if len(times) >= w.threshold:
                counted = {"count": len(times), "threshold": w.threshold, "seconds": w.seconds}
                found.append(self._detect(rule, group, event, [s for _, s in times], counted))
                times.clear()
        elif w.kind == "value_count":
            seen: dict[Any, tuple[float, int]] = groups.touch(group, dict)
            value = event.get(w.field or "")
            values = value if isinstance(value, list) else [value]
            for v in values:
                if v is not None:
                    seen.pop(v, None)  # re-inserted last: the dict stays in time order
                    seen[v] = (t, seq)
            if len(seen) >= w.threshold:
                for v in [v for v, (vt, _) in seen.items() if vt < start]:
                    del seen[v]
            if len(seen) >= w.threshold:
                seqs = sorted({s for _, s in seen.values()})
                distinct: dict[str, Any] = {"distinct": len(seen), "field": w.field}
                distinct |= {"threshold": w.threshold, "seconds": w.seconds}
                found.append(self._detect(rule, group, event, seqs, distinct))
                seen.clear()
        elif w.kind == "value_sum":
            window: deque[tuple[float, int, float]] = groups.touch(
                group, lambda: deque(maxlen=MAX_SUM_EVENTS)
            )
            amount = event.get(w.field or "")
            if isinstance(amount, int | float) and not isinstance(amount, bool):
                window.append((t, seq, float(amount)))
            while window and window[0][0] < start:
                window.popleft()
            total = sum(a for _, _, a in window)
            if total >= w.threshold:
                summed: dict[str, Any] = {"sum": total, "field": w.field}
                summed |= {"threshold": w.threshold, "seconds": w.seconds}
                seqs = [s for _, s, _ in window]
                found.append(self._detect(rule, group, event, seqs, summed))
                window.clear()
        else:  # temporal_ordered: the base rules in order, within the timespan
            stages: list[tuple[float, int]] = groups.touch(group, list)
            position = w.rules.index(matched)
            if position == 0:
                stages[:] = [(t, seq)]
            elif len(stages) == position and t - stages[0][0] <= w.seconds:
                stages.append((t, seq))
            if len(stages) == len(w.rules):
                timed = {"seconds": round(t - stages[0][0], 3), "within": w.seconds}
                found.append(self._detect(rule, group, event, [s for _, s in stages], timed))
                stages.clear()

    # -- what Sigma cannot say: baselines and novelty -----------------------------------

    def _baseline(self, rule: Rule, event: Mapping[str, Any], found: list[Detection]) -> None:
        b = rule.baseline
        assert b is not None
        group = self._key(b.by, event)
        if group is None:
            return
        t = float(event["_t"])
        bucket = int(t // 3600)
        state = self._state[rule.id].touch(
            group,
            lambda: {
                "first": bucket,
                "bucket": bucket,
                "count": 0,
                "fired": False,
                "totals": [0.0] * 24,
                "seqs": [],
            },
        )
        if bucket != state["bucket"]:
            hour = int(((state["bucket"] * 3600 + self.offset) // 3600) % 24)
            state["totals"][hour] += state["count"]
            state.update(bucket=bucket, count=0, fired=False, seqs=[])
        state["count"] += 1
        if len(state["seqs"]) < 2 * EVIDENCE:
            state["seqs"].append(int(event.get("seq", 0)))
        days = (bucket - state["first"]) // 24
        if state["fired"] or days < b.learn_days:
            return
        usual = state["totals"][event["_hour"]] / days
        limit = max(float(b.floor), b.factor * usual)
        if state["count"] > limit:
            state["fired"] = True
            summary = {
                "count": state["count"],
                "usual": round(usual, 2),
                "factor": b.factor,
                "hour": event["_hour"],
            }
            found.append(self._detect(rule, group, event, state["seqs"], summary))

    def _novelty(self, rule: Rule, event: Mapping[str, Any], found: list[Detection]) -> None:
        n = rule.novel
        assert n is not None
        group = self._key(n.key, event)
        value = event.get(n.value)
        if group is None or value is None:
            return
        t = float(event["_t"])
        state = self._state[rule.id].touch(group, lambda: {"first": t, "values": []})
        values: list[Any] = state["values"]
        if value in values:
            return
        learning = t - state["first"] < n.learn_hours * 3600
        if len(values) < MAX_VALUES:
            values.append(value)
        if not learning:
            summary = {"new": value, "field": n.value, "known": values[:-1][:20]}
            found.append(self._detect(rule, group, event, [int(event.get("seq", 0))], summary))

    # -- learned state -------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Baselines and novelty sets as JSON-able data, per rule."""
        return {r.id: dict(self._state[r.id]) for r in self.rules if r.baseline or r.novel}

    def restore(self, saved: Mapping[str, Any]) -> None:
        for rule in self.rules:
            if (rule.baseline or rule.novel) and rule.id in saved:
                groups = self._state[rule.id]
                for key, value in saved[rule.id].items():
                    groups.touch(key, lambda v=value: v)
