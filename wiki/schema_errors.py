"""Error wording: pydantic's validation errors and a wrong `kind` as one located line + hint.

Each message names the field the way the author wrote it, says what was expected
and what was found, and suggests the closest valid choice when there is one.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from wiki import schema
from wiki.errors import ContentError
from wiki.located_yaml import FieldPath, Locations


def check_kind(data: Any, locations: Locations, path: Path) -> list[ContentError]:
    kinds = ", ".join(schema.PAGE_KINDS)
    if not isinstance(data, dict):
        return [
            ContentError(
                path,
                1,
                1,
                f"a page is a mapping of keys, not {_describe_value(data)}",
                f"start the file with 'kind: <{kinds.replace(', ', ' | ')}>'",
            )
        ]
    if "kind" not in data:
        return [ContentError(path, *locations.at(()), "missing 'kind'", f"kind is one of {kinds}")]
    kind = data["kind"]
    if kind in schema.PAGE_KINDS:
        return []
    guess = did_you_mean(str(kind), schema.PAGE_KINDS)
    return [
        ContentError(
            path,
            *locations.at(("kind",)),
            f"unknown kind {kind!r}",
            f"{guess} (kinds: {kinds})" if guess else f"kind is one of {kinds}",
        )
    ]


def describe_problem(problem: dict, kind: str, locations: Locations, path: Path) -> ContentError:
    """One pydantic error of a `kind` page as a located, readable ContentError."""
    loc: FieldPath = tuple(problem["loc"])
    if loc and loc[0] == kind:  # the discriminated union puts the tag first
        loc = loc[1:]
    page_model = schema.PAGE_MODELS[kind]
    error_type, value = problem["type"], problem.get("input")
    name = _field_name(loc)
    shown = _describe_value(value)

    if error_type == "extra_forbidden":
        container = _type_at(page_model, loc[:-1])
        allowed = list(container.model_fields) if _is_model(container) else []
        guess = did_you_mean(str(loc[-1]), allowed)
        return ContentError(
            path,
            *locations.key_at(loc),
            f"unknown key {loc[-1]!r} in {_model_label(container)}",
            guess or (f"allowed keys: {', '.join(allowed)}" if allowed else None),
        )
    if error_type == "missing":
        container = _type_at(page_model, loc[:-1])
        return ContentError(
            path,
            *locations.at(loc[:-1]),
            f"missing required key {name} in {_model_label(container)}",
        )
    position = locations.at(loc)
    if error_type == "enum":
        choices = _enum_choices(_type_at(page_model, loc))
        return ContentError(
            path,
            *position,
            f"{name} must be one of {', '.join(choices)} (got {shown})",
            did_you_mean(str(value), choices),
        )
    if value is None:
        return ContentError(path, *position, f"{name} has no value", "give it a value or remove it")
    if error_type == "string_pattern_mismatch" and _pattern(problem) == schema.EXPECT_PATTERN:
        return ContentError(path, *position, f"expect.{loc[-1]}: {_expect_problem(value)}")
    if error_type == "string_pattern_mismatch":
        item = f"{name} item" if isinstance(loc[-1], int) else name.strip("'")
        return ContentError(
            path,
            *position,
            f"{item} {value!r} is not a lower-case slug",
            f"use a-z, 0-9 and '-' only, e.g. '{slugify(str(value))}'",
        )
    if error_type == "string_type":
        quote = "put the value in quotes" if isinstance(value, int | float) else None
        return ContentError(path, *position, f"{name} must be text (got {shown})", quote)
    if error_type == "list_type":
        hint = f"write [{value}]" if not isinstance(value, dict) else "start each item with '- '"
        return ContentError(path, *position, f"{name} must be a list (got {shown})", hint)
    if error_type in ("int_type", "float_type") and isinstance(value, str):
        number = "a whole number" if error_type == "int_type" else "a number"
        return ContentError(
            path, *position, f"{name} must be {number} (got {shown})", "remove the quotes"
        )
    if error_type in ("model_type", "model_attributes_type", "dict_type"):
        return ContentError(path, *position, f"{name} must be a mapping of keys (got {shown})")
    if error_type.startswith("date"):
        reason = problem.get("ctx", {}).get("error")
        return ContentError(
            path,
            *position,
            f"{name} is not a valid date{f': {reason}' if reason else ''} (got {shown})",
            "write dates as YYYY-MM-DD",
        )
    if error_type == "value_error":
        return ContentError(path, *position, problem["msg"].removeprefix("Value error, "))
    message = problem["msg"].replace("Input should", f"{name} should", 1)
    return ContentError(path, *position, f"{message} (got {shown})")


def _pattern(problem: dict) -> str | None:
    return problem.get("ctx", {}).get("pattern")


def _expect_problem(text: str) -> str:
    """Why an `expect` value is not a comparison, in the words of `wiki.expect`."""
    from wiki.expect import ACCEPTED_FORMS, ExpectationSyntaxError, parse_expectation

    try:
        parse_expectation(text)
    except ExpectationSyntaxError as error:
        return str(error)
    return f"{text!r} is not a comparison; write {ACCEPTED_FORMS} (ASCII digits, one line)"


def _type_at(model: type[BaseModel], loc: FieldPath) -> Any:
    """The schema type at `loc` below `model` (list indexes and dict keys pass through)."""
    current: Any = model
    for part in loc:
        if isinstance(part, str) and _is_model(current) and part in current.model_fields:
            current = _unwrap(current.model_fields[part].annotation)
    return current


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated, Optional, list[...] and dict[..., X] down to a model, enum or scalar."""
    while True:
        origin = typing.get_origin(annotation)
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if origin is typing.Annotated or origin in (list, tuple, set, dict):
            annotation = args[-1] if origin is dict else args[0]
        elif origin in (typing.Union, types.UnionType) and len(args) == 1:
            annotation = args[0]
        else:
            return annotation


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _model_label(model: Any) -> str:
    """'ChangelogEntry' -> 'changelog entry'; page models read as their kind."""
    if not _is_model(model):
        return "mapping"
    return re.sub(r"(?<!^)(?=[A-Z])", " ", model.__name__).lower()


def _enum_choices(enum: Any) -> list[str]:
    if enum is schema.Grade:  # strongest first, the way authors read grades
        return [grade.value for grade in reversed(schema.GRADE_ORDER)]
    if isinstance(enum, type) and issubclass(enum, Enum):
        return [member.value for member in enum]
    return []


def _field_name(loc: FieldPath) -> str:
    names = [part for part in loc if isinstance(part, str)]
    return f"{names[-1]!r}" if names else "the page"


def _describe_value(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def did_you_mean(word: str, candidates: typing.Iterable[str]) -> str | None:
    """`did you mean 'x'?` for the closest candidate, or None when nothing is close."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"did you mean {matches[0]!r}?" if matches else None


def slugify(text: str) -> str:
    """A lower-case slug close to `text` ('Lewm_Stable' -> 'lewm-stable')."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "page"
