"""How well the importer reads a document: its proposals against the facts an editor recorded.

A proposed fact *matches* an expected one when both quote the same sentence(s) and agree on the
kind, the start (date and precision), the end, whether it is open-ended, the amount and the
currency. Precision is the share of proposals that match, recall the share of expected facts
matched. Expected facts come from a fixture's ``entries`` (``fixtures/japan.yaml``) or from an
``*.expected.yaml`` file of the evaluation documents (``tests/partnership/import_documents/``).
"""

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

from ..dates import parse_period
from ..models import normalise_quote


def _quote(value):
    """A quote of one or more sentences (a list, or lines, or one string) as one comparable string."""
    sentences = value if isinstance(value, list) else str(value).splitlines()
    return normalise_quote(" ".join(sentences))


def _moment(value):
    if value in (None, ""):
        return None
    period = parse_period(str(value))
    return (period.start.date, period.start.precision)


def key(quote, kind, start=None, end=None, ongoing=False, amount=None, currency=""):
    """What two facts must share to match: ``(quote, kind, start, end, ongoing, amount, currency)``."""
    return (
        _quote(quote),
        kind,
        _moment(start),
        _moment(end),
        bool(ongoing),
        Decimal(str(amount)) if amount not in (None, "") else None,
        currency or "",
    )


def expected_facts(path):
    """The expected facts of a fixture (its ``entries``) or an ``*.expected.yaml`` file (its ``facts``)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    records = data.get("entries") or data.get("facts") or []
    return [
        key(r["quote"], r["kind"], r.get("start"), r.get("end"), r.get("ongoing"), r.get("amount"), r.get("currency"))
        for r in records
    ]


def proposed_facts(proposal):
    """The facts of a ``Proposal`` in the same shape as ``expected_facts``."""
    found = []
    for entry in proposal.fixture.get("entries", []):
        found.append(
            key(
                entry["quote"],
                entry["kind"],
                entry.get("start"),
                entry.get("end"),
                entry.get("ongoing"),
                entry.get("amount"),
                entry.get("currency"),
            )
        )
    return found


@dataclass
class Score:
    proposed: int
    expected: int
    matched: int
    quoted: int  # proposals whose quote is one an expected fact has, whatever their fields
    misses: list = field(default_factory=list)  # expected facts not matched
    extras: list = field(default_factory=list)  # proposals that match nothing

    @property
    def precision(self):
        return self.matched / self.proposed if self.proposed else 1.0

    @property
    def recall(self):
        return self.matched / self.expected if self.expected else 1.0


def score(proposed, expected):
    """Match ``proposed`` against ``expected`` facts (each fact used once) and count."""
    remaining = list(expected)
    extras = []
    for fact in proposed:
        if fact in remaining:
            remaining.remove(fact)
        else:
            extras.append(fact)
    quotes = {fact[0] for fact in expected}
    return Score(
        proposed=len(proposed),
        expected=len(expected),
        matched=len(proposed) - len(extras),
        quoted=sum(1 for fact in proposed if fact[0] in quotes),
        misses=remaining,
        extras=extras,
    )
