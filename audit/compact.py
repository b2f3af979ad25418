"""Many small pydantic models held at once, kept small: one field set shared by equal sets.

Pydantic keeps, beside each instance's values, the set of field names given when it was made
(``model_fields_set``): for a table row of 32 fields that set takes 2.2 kB, more than the
values themselves, and a facts document or a report on 50,000 tables holds 50,000 equal sets.
:class:`SharedFieldSets` makes the instances of a batch that were given the same fields share
one set. This is safe for the frozen models it is used on: nothing adds to the set of a frozen
instance, and ``model_copy`` copies the set before it changes it.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel


class SharedFieldSets:
    """The field sets met so far; :meth:`share` gives a model the equal one met first."""

    def __init__(self) -> None:
        self._sets: dict[tuple[type[BaseModel], frozenset[str]], set[str]] = {}

    def share(self, model: BaseModel) -> None:
        if not model.model_config.get("frozen"):
            raise TypeError(f"{type(model).__name__} is not frozen: its field set can change")
        own = model.__pydantic_fields_set__
        first = self._sets.setdefault((type(model), frozenset(own)), own)
        if first is not own:
            object.__setattr__(model, "__pydantic_fields_set__", first)


def share_field_sets(models: Iterable[BaseModel]) -> None:
    """Give every model in ``models`` that was set with the same fields the same set object."""
    shared = SharedFieldSets()
    for model in models:
        shared.share(model)
