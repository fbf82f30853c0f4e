"""The code-reasoning classifier, one module per stage; imports point down this list only.

1. :mod:`~codereason.classifier.patterns`: named, compiled regular expressions.
2. :mod:`~codereason.classifier.segments`: candidate code segments (fences, unfenced line
   runs, inline spans).
3. :mod:`~codereason.classifier.grammars`: program evidence from each language's grammar
   (tree-sitter-python, tree-sitter-language-pack, Lean's tactic lines).
4. :mod:`~codereason.classifier.verify`: the verdict on each segment, and why it was refused.
5. :mod:`~codereason.classifier.features`: a response's numeric features.
6. :mod:`~codereason.classifier.learned`: the learned model's inference (numpy only).
7. :mod:`~codereason.classifier.rules`: :func:`classify`, one response, in each mode.
8. :mod:`~codereason.classifier.parallel`: :func:`classify_many`, :func:`classify_batches`.
9. :mod:`~codereason.classifier.estimator`: scikit-learn estimators (imports scikit-learn).
10. :mod:`~codereason.classifier.training`: fitting and writing a learned classifier version.

Shipped classifier versions (cards, metrics, weights) are package data in ``versions/``.
"""

from codereason.classifier.parallel import classify_batches, classify_many
from codereason.classifier.rules import MODES, RULES_VERSION, classify, load_classifier

__all__ = ["MODES", "RULES_VERSION", "classify", "classify_batches", "classify_many", "load_classifier"]
