"""The content format (v1): pydantic models of every page kind.

This module is the only place the format is defined. `wiki schema` exports it
as JSON Schema. Prose fields are Markdown strings; `[[id]]` links inside them
are resolved later by `wiki.corpus`, not here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

# '$' is end of text for pydantic (Rust regex) and JSON Schema (ECMA 262); Python's `re`
# would also accept a trailing newline there, so Python code uses `.fullmatch` on it.
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
PAGE_KINDS: tuple[str, ...] = ("concept", "entity", "source", "thesis")


# --- field metadata the linker walks (`wiki.references`) ----------------------------------


@dataclass(frozen=True)
class RefersTo:
    """Field metadata: the value is the id of a page or claim of one of `kinds`.

    `relation` names the edge in the wiki graph; `role_key` names a sibling key whose
    value the edge carries as its role (a thesis dependency supports or challenges).
    """

    kinds: tuple[str, ...]
    relation: str
    role_key: str | None = None


@dataclass(frozen=True)
class Prose:
    """Field metadata: Markdown text whose `[[id]]` links the linker resolves."""


@dataclass(frozen=True)
class NamesOrigin:
    """Field metadata: references below this mapping are made by the id in this field."""


Slug = Annotated[str, Field(pattern=SLUG_PATTERN, description="lower-case id: a-z, 0-9, '-'")]
Markdown = Annotated[
    str, Field(description="Markdown; [[id]] or [[id|label]] links to a page"), Prose()
]
SourceId = Annotated[Slug, RefersTo(("source",), "cites"), Field(description="a source page id")]


class Strict(BaseModel):
    """Base of every model: unknown keys are errors, so typos are caught."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Status(StrEnum):
    emerging = "emerging"
    active_frontier = "active-frontier"
    established = "established"
    contested = "contested"
    superseded = "superseded"


class Grade(StrEnum):
    """Evidence grade, weakest to strongest order given by GRADE_ORDER."""

    speculative = "speculative"
    weak = "weak"
    moderate = "moderate"
    strong = "strong"


GRADE_ORDER: tuple[Grade, ...] = (Grade.speculative, Grade.weak, Grade.moderate, Grade.strong)


class Scope(StrEnum):
    direct = "direct"  # tests the claim itself: may move its grade
    indirect = "indirect"  # tests a premise: shown as support or warning, never moves the grade


class Role(StrEnum):
    supports = "supports"
    challenges = "challenges"


class Confidence(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


class EntityType(StrEnum):
    person = "person"
    organization = "organization"


# --- concept parts -----------------------------------------------------------------


class Section(Strict):
    heading: str
    text: Markdown


class Evidence(Strict):
    grade: Grade
    sources: list[SourceId] = Field(default_factory=list)


class ExperimentLink(Strict):
    """How a jepa_ref experiment tests a claim. Names a registry entry, never code."""

    experiment: str
    scope: Scope = Scope.direct
    params: dict[str, Any] = Field(default_factory=dict)
    seeds: int = Field(default=3, ge=1, le=100, description="number of seeds, 0..seeds-1")
    expect: dict[str, str] = Field(
        default_factory=dict, description="metric -> comparison, e.g. '>= 0.5'"
    )


class Claim(Strict):
    id: Annotated[Slug, NamesOrigin()]
    statement: Markdown
    evidence: Evidence
    experiments: list[ExperimentLink] = Field(default_factory=list)


class Technique(Strict):
    name: str
    used_by: list[Annotated[Slug, RefersTo(PAGE_KINDS, "used_by")]] = Field(default_factory=list)
    text: Markdown = ""


class Benchmark(Strict):
    metric: str
    value: float
    unit: str | None = None
    system: str
    source: SourceId


class Related(Strict):
    page: Annotated[Slug, RefersTo(PAGE_KINDS, "related")]
    note: Markdown = ""


class ChangelogEntry(Strict):
    date: dt.date
    note: Markdown
    sources: list[SourceId] = Field(default_factory=list)


# --- the four page kinds --------------------------------------------------------------


class Concept(Strict):
    kind: Literal["concept"]
    title: str
    aliases: list[str] = Field(default_factory=list)
    status: Status
    summary: Markdown
    sections: list[Section] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)
    techniques: list[Technique] = Field(default_factory=list)
    benchmarks: list[Benchmark] = Field(default_factory=list)
    open_questions: list[Markdown] = Field(default_factory=list)
    related: list[Related] = Field(default_factory=list)
    changelog: list[ChangelogEntry] = Field(default_factory=list)


class EntityLink(Strict):
    page: Annotated[Slug, RefersTo(PAGE_KINDS, "links")]
    note: Markdown = ""


class Entity(Strict):
    kind: Literal["entity"]
    title: str
    type: EntityType
    summary: Markdown
    links: list[EntityLink] = Field(default_factory=list)


class Source(Strict):
    kind: Literal["source"]
    title: str
    authors: list[str] = Field(default_factory=list)
    year: int = Field(ge=1900, le=2100)
    url: str | None = None
    summary: Markdown = ""


class Dependency(Strict):
    """One input of a thesis: exactly one of claim, concept or thesis."""

    claim: Annotated[Slug | None, RefersTo(("claim",), "depends_on", role_key="role")] = None
    concept: Annotated[Slug | None, RefersTo(("concept",), "depends_on", role_key="role")] = None
    thesis: Annotated[Slug | None, RefersTo(("thesis",), "depends_on", role_key="role")] = None
    role: Role = Role.supports

    @model_validator(mode="after")
    def _exactly_one_target(self) -> Dependency:
        given = [k for k in ("claim", "concept", "thesis") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "a dependency names exactly one of 'claim', 'concept' or 'thesis'"
                f" (got {', '.join(given) or 'none'})"
            )
        return self

    @property
    def target_kind(self) -> str:
        return "claim" if self.claim else "concept" if self.concept else "thesis"

    @property
    def target(self) -> str:
        return self.claim or self.concept or self.thesis  # type: ignore[return-value]


class Reviewed(Strict):
    """Written by `wiki review`, never by hand: the fingerprints a thesis was last read against."""

    date: dt.date
    fingerprints: dict[str, str] = Field(default_factory=dict)


class Thesis(Strict):
    kind: Literal["thesis"]
    title: str
    position: Markdown
    confidence: Confidence
    depends_on: list[Dependency] = Field(default_factory=list)
    reviewed: Reviewed | None = None


Page = Annotated[Concept | Entity | Source | Thesis, Field(discriminator="kind")]
PAGE_ADAPTER: TypeAdapter[Concept | Entity | Source | Thesis] = TypeAdapter(Page)
PAGE_MODELS: dict[str, type[Strict]] = {
    "concept": Concept,
    "entity": Entity,
    "source": Source,
    "thesis": Thesis,
}


def json_schema() -> dict[str, Any]:
    """JSON Schema of one page file, for editors and external tools."""
    return PAGE_ADAPTER.json_schema()
