"""The validated Plan as the lint path holds it: plain objects, one class per Plan model.

The Plan is declared once, as pydantic models (tunelint.config.plan). Importing pydantic
costs more than the rest of a `tunelint check` of one file, so the lint path validates with
the models' core schema (cached by tunelint.config.plan_validators) and pydantic_core's
engine alone. That engine builds instances of the classes here, made from the schema: each
field is an attribute, `model_fields_set` says which were written, and the properties the
pydantic models define are shared through tunelint.config.plan_values. Anything else of
pydantic's API (`model_dump`, `model_copy`, ...) converts the object to the pydantic model
on first use and answers from it. A test keeps both in step
(tests/config/test_plan_objects.py).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tunelint.config.plan_values import effective_quantization


class PlanObject:
    """A validated Plan section: its fields as attributes, set by pydantic_core's model
    validator exactly as it sets a pydantic model's."""

    __slots__ = (
        "__dict__",
        "__pydantic_extra__",
        "__pydantic_fields_set__",
        "__pydantic_private__",
    )
    # Filled per class by make_classes(): field names in declaration order, their aliases,
    # and the class of each field that holds a section.
    # (Underscored: a pydantic field name never starts with one.)
    _fields: ClassVar[tuple[str, ...]] = ()
    _aliases: ClassVar[dict[str, str]] = {}
    _sections: ClassVar[dict[str, type[PlanObject]]] = {}

    @property
    def model_fields_set(self) -> set[str]:
        return self.__pydantic_fields_set__

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # mutable, like a pydantic model

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({inner})"

    def _written(self) -> dict[str, Any]:
        """The fields as written (by name), sections included: what validates to an equal
        object with the same fields set."""
        return {name: _written(self.__dict__[name]) for name in self.__pydantic_fields_set__}

    def _to_model(self) -> Any:
        """The pydantic model of this section, validated from what was written."""
        from tunelint.config import plan

        model = getattr(plan, type(self).__name__)
        return model.model_validate(self._written())

    def __getattr__(self, name: str) -> Any:
        # Only reached for what is not a field: pydantic's own API, answered by the model.
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._to_model(), name)


def _written(value: Any) -> Any:
    if isinstance(value, PlanObject):
        return value._written()
    if isinstance(value, list):
        return [_written(item) for item in value]
    return value


class _PlanMembers:
    """What the pydantic Plan defines besides its fields."""

    __slots__ = ()

    @property
    def effective_quantization(self) -> str:
        return effective_quantization(self.model.quantization, self.peft.kind)  # type: ignore[attr-defined]


# Members beyond fields, per model (tests check that every such member of a pydantic model
# is here).
MEMBERS: dict[str, tuple[type, ...]] = {"Plan": (_PlanMembers,)}


def make_class(
    name: str, fields: tuple[str, ...], aliases: dict[str, str], module: str
) -> type[PlanObject]:
    """The plain class standing for the Plan model `name` (sections are linked after),
    reachable as `module.<name>` (for pickle and copy)."""
    namespace = {
        "__slots__": (),
        "__module__": module,
        "__qualname__": name,
        "_fields": fields,
        "_aliases": aliases,
        "_sections": {},
    }
    return type(name, (*MEMBERS.get(name, ()), PlanObject), namespace)


def field_names(cls: type[PlanObject]) -> list[str]:
    """The keys a section takes, as written (alias where it has one)."""
    return [cls._aliases.get(name, name) for name in cls._fields]


def section_at(path: tuple[str, ...], root: type[PlanObject]) -> type[PlanObject] | None:
    """The class of the section that holds the keys under `path` (() is the root)."""
    cls = root
    for part in path:
        found = cls._sections.get(part)
        if found is None:
            return None
        cls = found
    return cls


def to_model(plan: Any) -> Any:
    """The pydantic model of a validated Plan (or section); a pydantic model is returned
    as it is. Code that hands a Plan to pydantic-based code (the runner) calls this."""
    return plan._to_model() if isinstance(plan, PlanObject) else plan
