"""The promotion gate: a candidate replaces its parent only if its loss on the fixed
evaluation set is not worse than the parent's by more than a margin."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    candidate_loss: float
    parent_loss: float | None
    margin: float
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)


def decide(candidate_loss: float, parent_loss: float | None, margin: float) -> GateDecision:
    if parent_loss is None:
        return GateDecision(True, candidate_loss, None, margin, "no parent to compare with")
    limit = parent_loss * (1.0 + margin)
    if candidate_loss <= limit:
        return GateDecision(True, candidate_loss, parent_loss, margin,
                            f"candidate loss {candidate_loss:.4g} <= parent {parent_loss:.4g}"
                            f" x (1 + {margin})")
    return GateDecision(False, candidate_loss, parent_loss, margin,
                        f"candidate loss {candidate_loss:.4g} is worse than parent "
                        f"{parent_loss:.4g} by more than {margin:.0%}")
