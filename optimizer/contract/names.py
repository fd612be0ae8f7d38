"""Near-miss names: a sheet, column or setting name close to a contract name is taken for a
misspelling of it (an error naming the intended one), not for a name of the user's own (a
warning), since a misspelt optional sheet or column would otherwise be dropped in silence.

Close means: the same but for case, dashes or spaces; singular for plural; a few letters
typed wrong (edit distance 1 for names up to 6 letters, 2 above, a swap of neighbours
counting 1); or the leading words of the name cut short (`min_cover` for `min_cover_days`,
5 letters at least). A name that extends a contract name with words of its own
(`country_name`, `demand_old`) and the names in `schema.EXTRA_NAMES` are the user's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from optimizer.contract.schema import EXTRA_NAMES

MIN_PREFIX = 5  # letters a shortened name keeps at least
# codes shorter are too short for a typo to be told from another code, longer ones are
# not codes typed by hand
CODE_TYPO_LETTERS = (3, 64)


def canonical(name: str) -> str:
    """Lower case, runs of spaces, dashes and dots as one underscore."""
    return re.sub(r"[\s\-.]+", "_", str(name).strip().lower()).strip("_")


def intended(name: str, contract: Iterable[str]) -> str | None:
    """The contract name that `name` misspells, or None (a contract name, or the user's)."""
    names = tuple(contract)
    key = canonical(name)
    if name in names or key in EXTRA_NAMES or key.rstrip("s") in EXTRA_NAMES:
        return None
    scored = [(score, target) for target in names
              if (score := _closeness(key, target)) is not None]
    return min(scored)[1] if scored else None


def close_codes(code: str, codes: Iterable[str]) -> list[str]:
    """The codes `code` may misspell: those equal but for case, else the nearest within a few
    letters typed wrong (as for names; codes of 3 to 64 letters), all as near ones."""
    folded = code.casefold()
    same = sorted(c for c in codes if c.casefold() == folded)
    if same or not CODE_TYPO_LETTERS[0] <= len(code) <= CODE_TYPO_LETTERS[1]:
        return same
    near = []
    for candidate in codes:
        allowed = _typos_allowed(candidate)
        if len(candidate) >= CODE_TYPO_LETTERS[0] and abs(len(candidate) - len(code)) <= allowed \
                and (distance := edit_distance(folded, candidate.casefold())) <= allowed:
            near.append((distance, candidate))
    best = min((d for d, _ in near), default=None)
    return sorted(c for d, c in near if d == best)


def _closeness(key: str, target: str) -> int | None:
    """0 for a spelling of `target` (case, dashes, plural), the edit distance for a typo, 9
    for a shortened name; None when not close."""
    if key == target or target in _number_forms(key):
        return 0
    if key.startswith(target + "_"):
        return None  # the contract name and words of the user's own
    distance = edit_distance(key, target)
    if distance <= _typos_allowed(target):
        return distance
    if _shortened(key, target):
        return 9
    return None


def _typos_allowed(target: str) -> int:
    """Letters that may be typed wrong in a name or code still taken for `target`."""
    return 1 if len(target) <= 6 else 2


def _number_forms(word: str) -> set[str]:
    """`word` in the singular and the plural (English endings s, es, ies)."""
    forms = {word + "s", word + "es"}
    if word.endswith("y"):
        forms.add(word[:-1] + "ies")
    if word.endswith("ies"):
        forms.add(word[:-3] + "y")
    if word.endswith("es"):
        forms.add(word[:-2])
    if word.endswith("s"):
        forms.add(word[:-1])
    return forms


def _shortened(key: str, target: str) -> bool:
    """`key` keeps the first letters of `target` up to a word end (`min_cover` of
    `min_cover_days`), or its leading words and then words of its own (`min_cover_stock`)."""
    common = 0
    for a, b in zip(key, target, strict=False):
        if a != b:
            break
        common += 1
    if common < MIN_PREFIX:
        return False
    if common == len(key) and common < len(target):
        return True  # cut short
    # the shared part ends at a word end of both: the first words agree, the last ones not
    return target[common - 1] == "_" and key[common - 1] == "_"


def edit_distance(a: str, b: str) -> int:
    """Insertions, deletions, substitutions and swaps of neighbours (optimal string
    alignment)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]
