"""Which dialect a document is written in, with a confidence."""

from __future__ import annotations

from dataclasses import dataclass

from tunelint.config.dialects import MIN_CONFIDENCE, Dialect, candidates, get_dialect
from tunelint.config.document import Document, Mapping


@dataclass(frozen=True, slots=True)
class Detection:
    dialect: Dialect | None
    confidence: float

    @property
    def name(self) -> str | None:
        return self.dialect.name if self.dialect else None


def detect_dialect(doc: Document, forced: str | None = None) -> Detection:
    """The most confident dialect, or none below MIN_CONFIDENCE. `forced` wins (settings)."""
    if forced:
        dialect = get_dialect(forced)
        if dialect is not None:
            return Detection(dialect, 1.0)
    best: Detection = Detection(None, 0.0)
    # Only the dialects whose markers the document has: the others score 0.
    keys = doc.root.keys() if isinstance(doc.root, Mapping) else ()
    for dialect in candidates(keys, doc.text):
        try:
            confidence = dialect.detect(doc)
        except Exception:  # a dialect's detector must never break linting of the file
            confidence = 0.0
        if confidence > best.confidence:
            best = Detection(dialect, confidence)
    if best.confidence < MIN_CONFIDENCE:
        return Detection(None, best.confidence)
    return best
