"""Every id a page names, found by walking the field metadata `wiki.schema` declares.

A field marked `RefersTo(kinds, relation)` holds an id; a `Prose` field holds Markdown
whose `[[id]]` links count as references too; `NamesOrigin` says which id makes the
references below a mapping (a claim's own). The walk works on a validated model and
on the raw values of a page that failed validation alike, so a page with schema
errors still gets its link errors reported in the same run.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from wiki import schema
from wiki.located_yaml import FieldPath, Locations

LINK_PATTERN = re.compile(r"\[\[\s*([^\[\]|]+?)\s*(?:\|\s*([^\[\]]*?)\s*)?\]\]")
"""`[[id]]` or `[[id|label]]`: group 1 is the id, group 2 the label (None without one)."""

ANY_ID = (*schema.PAGE_KINDS, "claim")
MENTIONS = "mentions"

_SLUG = re.compile(schema.SLUG_PATTERN)


@dataclass(slots=True)  # not frozen: a frozen dataclass is 4x slower to make, and a
class Reference:  # 10,000-page wiki makes 180,000 of these (treat them as read-only)
    """One place where a page (or one of its claims) names another id."""

    page_id: str  # the page whose file holds the reference
    field_path: FieldPath  # where in that file
    origin: str  # the page or claim id doing the referring
    origin_kind: str  # 'claim' or the page's kind
    target: str
    relation: str  # cites | related | used_by | links | depends_on | mentions
    expected: tuple[str, ...]  # kinds the target may have
    path: Path = field(compare=False)
    locations: Locations = field(compare=False, repr=False)
    role: str | None = None
    link_text: str | None = None  # the `[[...]]` text when found in prose

    def position(self) -> tuple[int, int]:
        """1-based (line, col): the `[[link]]` itself in prose, else the field's value."""
        if self.link_text:
            return self.locations.find(self.field_path, self.link_text)
        return self.locations.at(self.field_path)


def page_references(
    page_id: str, kind: str, values: BaseModel | dict, path: Path, locations: Locations
) -> Iterator[Reference]:
    """Every reference of one page, from its validated model or its raw values."""
    page = _PageContext(page_id, path, locations)
    found: list[Reference] = []  # one list down the walk: nested generators cost more
    _walk_model(page, schema.PAGE_MODELS[kind], values, (), page_id, kind, found)
    yield from found


@dataclass(slots=True)
class _PageContext:
    page_id: str
    path: Path
    locations: Locations


@dataclass(frozen=True)
class _Shape:
    """What one field (or list item) holds, read from its annotation once per model."""

    on_text: schema.RefersTo | schema.Prose | None  # the first such marker: applies to a str
    prose: bool  # any Prose marker: the prose walk stops here, text or not
    item: _Shape | None  # a list or tuple: its items' shape
    model: type[BaseModel] | None  # a nested model

    @property
    def links_in_text(self) -> bool:
        """A text value here is prose whose `[[links]]` count (else, with `on_text`, an id)."""
        return isinstance(self.on_text, schema.Prose)


def _shape(annotation: Any, markers: list) -> _Shape:
    on_text = next((m for m in markers if isinstance(m, schema.RefersTo | schema.Prose)), None)
    prose = any(isinstance(marker, schema.Prose) for marker in markers)
    inner, origin = _strip(annotation)
    item = model = None
    if origin in (list, tuple):
        item_type = typing.get_args(inner)[0]
        item = _shape(item_type, _markers(item_type))
    elif _is_model(inner):
        model = inner
    return _Shape(on_text, prose, item, model)


@cache
def _fields(model: type[BaseModel]) -> tuple[tuple[str, _Shape], ...]:
    """(name, shape) of every field of `model`, worked out once: walks only look them up."""
    return tuple(
        (name, _shape(info.annotation, [*info.metadata, *_markers(info.annotation)]))
        for name, info in model.model_fields.items()
    )


_FieldPlan = tuple[str, _Shape, bool, schema.RefersTo | None]


@cache
def _referring_fields(model: type[BaseModel]) -> tuple[_FieldPlan, ...]:
    """(name, shape, links in its text, id marker of its text) of the fields of `model`
    that can hold a reference: titles, numbers and dates are not walked at all."""
    return tuple(
        (name, shape, shape.links_in_text, _id_marker(shape))
        for name, shape in _fields(model)
        if _can_refer(shape)
    )


def _id_marker(shape: _Shape) -> schema.RefersTo | None:
    return shape.on_text if isinstance(shape.on_text, schema.RefersTo) else None


def _can_refer(shape: _Shape) -> bool:
    if shape.on_text is not None:
        return True
    if shape.item is not None:
        return _can_refer(shape.item)
    return shape.model is not None and bool(_referring_fields(shape.model))


def _walk_model(
    page: _PageContext,
    model: type[BaseModel],
    values: Any,
    at: FieldPath,
    origin: str,
    origin_kind: str,
    found: list[Reference],
) -> None:
    mapping = _as_mapping(values)
    if mapping is None:
        return
    origin_key = _origin_key(model)
    if origin_key is not None:
        own_id = mapping.get(origin_key)
        if isinstance(own_id, str):
            origin, origin_kind = own_id, "claim"
    context = _FieldContext(page, model, values, origin, origin_kind)
    for name, shape, links, marker in _referring_fields(model):
        value = mapping.get(name)
        if value is None:
            continue
        if type(value) is str:  # the usual case, taken here: a call per field costs
            if links:
                _links(context, (*at, name), value, found)
            elif marker is not None and _SLUG.fullmatch(value):  # else: its own schema error
                found.append(_reference(context, (*at, name), value, marker))
        else:
            _walk_value(context, shape, value, (*at, name), found)


def _as_mapping(values: Any) -> dict[str, Any] | None:
    """The fields of a validated model (its `__dict__`) or raw values; None for neither."""
    if type(values) is dict:
        return values
    if isinstance(values, BaseModel):
        return values.__dict__
    return None


@dataclass(slots=True)
class _FieldContext:
    page: _PageContext
    model: type[BaseModel]  # the model of the mapping holding the field
    mapping: Any  # that mapping: a model instance or raw values (for a sibling role key)
    origin: str
    origin_kind: str


def _walk_value(
    context: _FieldContext, shape: _Shape, value: Any, at: FieldPath, found: list[Reference]
) -> None:
    if shape.on_text is not None and isinstance(value, str):
        if isinstance(shape.on_text, schema.Prose):
            _links(context, at, value, found)
        elif _SLUG.fullmatch(value):  # a malformed id already has its own schema error
            found.append(_reference(context, at, value, shape.on_text))
        return
    if shape.item is not None and isinstance(value, list | tuple):
        item_shape = shape.item
        marker = _id_marker(item_shape)
        for index, item in enumerate(value):
            if marker is not None and type(item) is str:  # a list of ids, taken here
                if _SLUG.fullmatch(item):
                    found.append(_reference(context, (*at, index), item, marker))
            else:
                _walk_value(context, item_shape, item, (*at, index), found)
    elif shape.model is not None and isinstance(value, BaseModel | dict):
        origin, origin_kind = context.origin, context.origin_kind
        _walk_model(context.page, shape.model, value, at, origin, origin_kind, found)


def _reference(
    context: _FieldContext, at: FieldPath, target: str, marker: schema.RefersTo
) -> Reference:
    page = context.page
    role = None
    if marker.role_key is not None:
        role = _get(context.mapping, marker.role_key)
        if not isinstance(role, str):  # left out (or wrong in raw values): the model default
            role = context.model.model_fields[marker.role_key].default
        role = str(getattr(role, "value", role))
    return Reference(
        page.page_id,
        at,
        context.origin,
        context.origin_kind,
        target,
        marker.relation,
        marker.kinds,
        page.path,
        page.locations,
        role=role,
    )


def _links(context: _FieldContext, at: FieldPath, text: str, found: list[Reference]) -> None:
    if "[[" not in text:
        return
    page = context.page
    for match in LINK_PATTERN.finditer(text):
        found.append(
            Reference(
                page.page_id,
                at,
                context.origin,
                context.origin_kind,
                match.group(1),
                MENTIONS,
                ANY_ID,
                page.path,
                page.locations,
                link_text=match.group(0),
            )
        )


def _get(values: Any, name: str) -> Any:
    if isinstance(values, BaseModel):
        return getattr(values, name, None)
    if isinstance(values, dict):
        return values.get(name)
    return None


@cache
def _origin_key(model: type[BaseModel]) -> str | None:
    for name, info in model.model_fields.items():
        markers = [*info.metadata, *_markers(info.annotation)]
        if any(isinstance(marker, schema.NamesOrigin) for marker in markers):
            return name
    return None


def _markers(annotation: Any) -> list:
    """Metadata of an `Annotated` type, through Optional; [] for anything else."""
    markers: list = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            markers.extend(annotation.__metadata__)
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(options) != 1:
                return markers
            annotation = options[0]
        else:
            return markers


def _strip(annotation: Any) -> tuple[Any, Any]:
    """`annotation` without Annotated and Optional, and its origin (list, dict...)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(options) != 1:
                return annotation, origin
            annotation = options[0]
        else:
            return annotation, origin


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def prose_fields(kind: str, values: BaseModel | dict) -> Iterator[tuple[FieldPath, str]]:
    """(field path, Markdown text) of every `Prose` field of a page, validated or raw."""
    found: list[tuple[FieldPath, str]] = []
    _prose_in_model(schema.PAGE_MODELS[kind], values, (), found)
    yield from found


def _prose_in_model(model: type[BaseModel], values: Any, at: FieldPath, found: list) -> None:
    for name, shape in _fields(model):
        value = _get(values, name)
        if value is not None:
            _prose_in_value(shape, value, (*at, name), found)


def _prose_in_value(shape: _Shape, value: Any, at: FieldPath, found: list) -> None:
    if shape.prose:
        if isinstance(value, str):
            found.append((at, value))
        return
    if shape.item is not None and isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _prose_in_value(shape.item, item, (*at, index), found)
    elif shape.model is not None and isinstance(value, BaseModel | dict):
        _prose_in_model(shape.model, value, at, found)
