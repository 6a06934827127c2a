"""The content format (v1): pydantic models of every page kind.

This module is the only place the format is defined. `wiki schema` exports it
as JSON Schema. Prose fields are Markdown strings; `[[id]]` links inside them
are resolved later by `wiki.corpus`, not here.
"""

from __future__ import annotations

import datetime as dt
import json
import typing
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

# '$' is end of text for pydantic (Rust regex) and JSON Schema (ECMA 262); Python's `re`
# would also accept a trailing newline there, so Python code uses `.fullmatch` on it.
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# The `expect` grammar of `wiki.expect` as one pattern (ASCII digits and blanks, so that
# Rust, ECMA 262 and Python regex engines agree): '>= 0.5', or several joined by 'and'.
_COMPARISON = r"(?:>=|<=|==|!=|>|<)[ \t]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
EXPECT_PATTERN = rf"^[ \t]*{_COMPARISON}(?:[ \t]+and[ \t]+{_COMPARISON})*[ \t]*$"
SCHEMA_ID = "https://jepa-wiki.example/schema/page-v1.json"
SCHEMA_FILE = Path(__file__).with_name("page.schema.json")  # committed, shipped in the wheel
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
    """Where a concept stands in its field."""

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
    """What an experiment tests: the claim itself (direct) or a premise of it (indirect)."""

    direct = "direct"  # tests the claim itself: may move its grade
    indirect = "indirect"  # tests a premise: shown as support or warning, never moves the grade


class Role(StrEnum):
    """Whether a thesis input supports or challenges it."""

    supports = "supports"
    challenges = "challenges"


class Confidence(StrEnum):
    """How sure the author of a thesis is."""

    high = "high"
    medium = "medium"
    low = "low"


class EntityType(StrEnum):
    """What an entity is."""

    person = "person"
    organization = "organization"


# --- concept parts -----------------------------------------------------------------


class Section(Strict):
    """An ordered prose section of a concept."""

    heading: str
    text: Markdown


class Evidence(Strict):
    """The evidence grade of a claim as compiled from the literature, and its sources."""

    grade: Grade
    sources: list[SourceId] = Field(default_factory=list)


class ExperimentLink(Strict):
    """How a jepa_ref experiment tests a claim. Names a registry entry, never code."""

    experiment: str
    scope: Scope = Scope.direct
    params: dict[str, Any] = Field(default_factory=dict)
    seeds: int = Field(
        default=3, ge=1, le=100, strict=True, description="number of seeds, 0..seeds-1"
    )
    expect: dict[str, Annotated[str, Field(pattern=EXPECT_PATTERN)]] = Field(
        default_factory=dict,
        description="metric -> comparison, e.g. '>= 0.5' or '>= 0.5 and <= 1.5'",
    )


class Claim(Strict):
    """A statement with an evidence grade; its id shares the namespace of page ids."""

    id: Annotated[Slug, NamesOrigin()]
    statement: Markdown
    evidence: Evidence
    experiments: list[ExperimentLink] = Field(default_factory=list)


class Technique(Strict):
    """A technique of a concept and the pages that use it."""

    name: str
    used_by: list[Annotated[Slug, RefersTo(PAGE_KINDS, "used_by")]] = Field(default_factory=list)
    text: Markdown = ""


class Benchmark(Strict):
    """A cited figure: a metric value of a system, with the source it comes from."""

    metric: str
    value: float = Field(strict=True)  # a number as written: "77.3" in quotes is text
    unit: str | None = None
    system: str
    source: SourceId


class Related(Strict):
    """A link to a related page, with a note."""

    page: Annotated[Slug, RefersTo(PAGE_KINDS, "related")]
    note: Markdown = ""


class ChangelogEntry(Strict):
    """What changed on a page and when (verification adds its own entries)."""

    date: dt.date
    note: Markdown
    sources: list[SourceId] = Field(default_factory=list)


# --- the four page kinds --------------------------------------------------------------


class Concept(Strict):
    """A concept page: summary, sections, claims with evidence, techniques, benchmarks."""

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
    """A page an entity is linked to, with a note."""

    page: Annotated[Slug, RefersTo(PAGE_KINDS, "links")]
    note: Markdown = ""


class Entity(Strict):
    """An entity page: a person or an organisation."""

    kind: Literal["entity"]
    title: str
    type: EntityType
    summary: Markdown
    links: list[EntityLink] = Field(default_factory=list)


class Source(Strict):
    """A source page: a paper, report or dataset card that claims cite."""

    kind: Literal["source"]
    title: str
    # The name readers know it by ("DINO"): citations show it instead of the cut title.
    short: str | None = Field(default=None, min_length=1, max_length=40)
    authors: list[str] = Field(default_factory=list)
    year: int = Field(ge=1900, le=2100, strict=True)  # 2026, not "2026"
    url: str | None = None
    summary: Markdown = ""


class Dependency(Strict):
    """One input of a thesis: exactly one of claim, concept or thesis."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"properties": {key: {"type": "string"}}, "required": [key]}
                for key in ("claim", "concept", "thesis")
            ]
        }
    )

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
    """A thesis page: a research position that leans on claims, concepts and theses."""

    kind: Literal["thesis"]
    title: str
    position: Markdown
    confidence: Confidence
    depends_on: list[Dependency] = Field(default_factory=list)
    reviewed: Reviewed | None = None


# The one table of page kinds: kind -> model. PAGE_KINDS (needed above, by the reference
# markers) and the union below are checked against it when this module is imported.
PAGE_MODELS: dict[str, type[Strict]] = {
    "concept": Concept,
    "entity": Entity,
    "source": Source,
    "thesis": Thesis,
}
PageModel = Concept | Entity | Source | Thesis
Page = Annotated[PageModel, Field(discriminator="kind")]
PAGE_ADAPTER: TypeAdapter[PageModel] = TypeAdapter(Page)
assert (
    PAGE_KINDS
    == tuple(PAGE_MODELS)
    == tuple(
        model.model_fields["kind"].annotation.__args__[0] for model in typing.get_args(PageModel)
    )
), "PAGE_KINDS, PAGE_MODELS and PageModel must list the same kinds in the same order"


def json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of one page file, for editors, validators and external tools.

    One `if kind == K then <K's model>` branch per kind instead of a bare `oneOf`, so a
    validator reports the errors of the kind the page declares, not of every kind.
    """
    definitions = PAGE_ADAPTER.json_schema(ref_template="#/$defs/{model}")["$defs"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Research wiki page",
        "description": (
            "One YAML page file of the research wiki. `wiki check` also checks what a "
            "schema cannot: ids exist and have the right kind, [[links]] resolve, no cycles."
        ),
        "type": "object",
        "required": ["kind"],
        "properties": {"kind": {"enum": list(PAGE_KINDS), "description": "The page kind."}},
        "allOf": [
            {
                "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {"$ref": f"#/$defs/{model.__name__}"},
            }
            for kind, model in PAGE_MODELS.items()
        ],
        "$defs": definitions,
    }


def json_schema_text() -> str:
    """The JSON Schema as the committed `wiki/page.schema.json` holds it."""
    return json.dumps(json_schema(), indent=2) + "\n"
