"""Sensitivity levels, content categories, an item's rating and its plain-language warning.

Texts are English module constants marked with ``N_`` (one of Babel's default keywords) so an extractor
finds them; callers translate at render time by passing their ``gettext`` to :func:`warning_text`.
The organiser's own label for "other" content is their text and is never passed through ``gettext``.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable

Gettext = Callable[[str], str]


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


def _identity(message: str) -> str:
    return message


class Sensitivity(enum.IntEnum):
    """How hard an item is to look at, ordered: NONE < MILD < GRAPHIC < EXTREME."""

    NONE = 0
    MILD = 1
    GRAPHIC = 2
    EXTREME = 3

    @classmethod
    def parse(cls, value: "Sensitivity | str | int | None") -> "Sensitivity":
        """Accept a member, its name in any case ("graphic", " Graphic "), or its number; None means NONE."""
        if value is None:
            return cls.NONE
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            key = value.strip().upper()
            if key in cls.__members__:
                return cls[key]
            raise ValueError(f"unknown sensitivity level: {value!r}")
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(value)
        raise ValueError(f"unknown sensitivity level: {value!r}")

    @property
    def label(self) -> str:
        """Lower-case name, as stored and sent over the API ("graphic")."""
        return self.name.lower()


class Category(enum.Enum):
    """What makes an item sensitive. OTHER stands for a kind the organiser names in ``Rating.custom_label``."""

    INJURY = "injury"
    DEATH = "death"
    VIOLENCE = "violence"
    DISTRESS_TEXT = "distress_text"
    OTHER = "other"

    @classmethod
    def parse(cls, value: "Category | str") -> "Category":
        """Accept a member or its value in any case; raise ValueError for anything else."""
        if isinstance(value, cls):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise ValueError(f"unknown content category: {value!r}") from None


_CATEGORY_ORDER = {category: index for index, category in enumerate(Category)}


@dataclass(frozen=True)
class Rating:
    """An item's (or a campaign's expected) rating: a level, what kind of content, the organiser's label for OTHER."""

    level: Sensitivity = Sensitivity.NONE
    categories: frozenset[Category] = field(default_factory=frozenset)
    custom_label: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "level", Sensitivity.parse(self.level))
        object.__setattr__(self, "categories", frozenset(Category.parse(c) for c in self.categories))
        label = (self.custom_label or "").strip() or None
        object.__setattr__(self, "custom_label", label)
        if label and Category.OTHER not in self.categories:
            raise ValueError("custom_label names an OTHER category; add Category.OTHER to categories")

    @classmethod
    def parse(cls, level: Sensitivity | str | int | None, categories: Iterable[str | Category] = (),
              custom_label: str | None = None) -> "Rating":
        """Build a rating from loose input (forms, CSV, JSON).

        A category name that is not one of ours becomes OTHER, and its name joins ``custom_label``:
        ``Rating.parse("graphic", ["injury", "burns"])`` is GRAPHIC, {INJURY, OTHER}, label "burns".
        """
        found: set[Category] = set()
        labels = [custom_label.strip()] if custom_label and custom_label.strip() else []
        for name in categories:
            try:
                found.add(Category.parse(name))
            except ValueError:
                found.add(Category.OTHER)
                if str(name).strip() and str(name).strip() not in labels:
                    labels.append(str(name).strip())
        if labels:
            found.add(Category.OTHER)
        return cls(Sensitivity.parse(level), frozenset(found), ", ".join(labels) or None)

    def with_level(self, level: Sensitivity | str | int) -> "Rating":
        """The same categories at another level."""
        return replace(self, level=Sensitivity.parse(level))

    def ordered_categories(self) -> list[Category]:
        """Categories in a stable order (the enum's), so texts and exports do not shuffle."""
        return sorted(self.categories, key=_CATEGORY_ORDER.__getitem__)

    def to_dict(self) -> dict:
        """JSON-ready form: {"level": "graphic", "categories": ["injury"], "custom_label": None}."""
        return {"level": self.level.label, "categories": [c.value for c in self.ordered_categories()],
                "custom_label": self.custom_label}

    @classmethod
    def from_dict(cls, data: dict) -> "Rating":
        """Inverse of :meth:`to_dict`; tolerant like :meth:`parse`."""
        return cls.parse(data.get("level"), data.get("categories") or (), data.get("custom_label"))


NOT_RATED = Rating()

LEVEL_TEXT: dict[Sensitivity, str] = {
    Sensitivity.MILD: N_("Some people may find this upsetting."),
    Sensitivity.GRAPHIC: N_("Warning: graphic content."),
    Sensitivity.EXTREME: N_("Warning: extremely graphic content."),
}

CATEGORY_TEXT: dict[Category, str] = {
    Category.INJURY: N_("injured people"),
    Category.DEATH: N_("dead people or human remains"),
    Category.VIOLENCE: N_("violence or its aftermath"),
    Category.DISTRESS_TEXT: N_("distressing descriptions"),
    Category.OTHER: N_("content the organisers consider upsetting"),
}

TOPICS_TEXT = N_("It may show: %(topics)s.")


def warning_text(rating: Rating, gettext: Gettext = _identity) -> str:
    """The warning line for ``rating`` ("" when there is nothing to warn about).

    >>> warning_text(Rating(Sensitivity.GRAPHIC, frozenset({Category.INJURY})))
    'Warning: graphic content. It may show: injured people.'
    """
    if rating.level == Sensitivity.NONE:
        return ""
    parts = [gettext(LEVEL_TEXT[rating.level])]
    topics = []
    for category in rating.ordered_categories():
        if category is Category.OTHER and rating.custom_label:
            topics.append(rating.custom_label)  # the organiser's own words, not ours to translate
        else:
            topics.append(gettext(CATEGORY_TEXT[category]))
    if topics:
        parts.append(gettext(TOPICS_TEXT) % {"topics": ", ".join(topics)})
    return " ".join(parts)
