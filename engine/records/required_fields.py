"""The required-field check: the one place that finds a record's missing values.

The save pipeline (`engine/records/pipeline.py`) runs it once per record of every write
(single and bulk, upserts, imports, `RecordWriter`), after literal and expression
defaults are filled (stage 3) and before formulas, validation rules and the write.
"""

from __future__ import annotations

from engine.catalog import CompiledObject
from engine.errors import Problem
from engine.query import ObjectAccess
from engine.rules.evaluate import RecordSave

#: The problem code of a value that must be given and is not.
REQUIRED = "required"


def find_missing_required(
    obj: CompiledObject, save: RecordSave, *, access: ObjectAccess
) -> list[Problem]:
    """Return one problem per required field `save` leaves without a value, all at once.

    On create, a field is missing when neither the caller nor its default gave it a
    value; a field whose expression default was not evaluated (the record failed
    coercion first) is not judged. On update, only the fields the caller sends are
    judged: one left out keeps its stored value, one sent as null is missing. A field
    that has a problem already (a value that does not fit, a default that failed) gets
    no second one.

    A required field the writer (`access`) may not read is not named: it does not exist
    for them. It is reported once, on the record, as what only an administrator can
    settle (grant the field, or give it a default).
    """
    shape = obj.input
    if not shape.required:
        return []
    taken = {problem.pointer for problem in save.problems}
    problems = []
    hidden = False
    for name in shape.required:
        where = f"{save.pointer}/{name}"
        if where in taken:
            continue
        is_defaulted = False
        if save.is_new:
            is_defaulted = name in shape.expression_defaults and name not in save.given
            if is_defaulted and name not in save.values:
                # Its default was not evaluated: the record failed coercion first.
                continue
        elif name not in save.given:
            # An update keeps the stored value of a field it does not send.
            continue
        if save.values.get(name) is not None:
            continue
        if not access.can_read(name):
            hidden = True
            continue
        message = f"{name!r} is required"
        if is_defaulted:
            message += " and its default gave no value"
        problems.append(Problem(where, REQUIRED, message))
    if hidden:
        problems.append(
            Problem(
                save.pointer,
                REQUIRED,
                f"a required field of {obj.state.api_name!r} that you may not read has no "
                "value; ask an administrator to grant it to you or to give it a default",
            )
        )
    return problems
