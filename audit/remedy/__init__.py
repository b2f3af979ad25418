"""Fixes as data: ordered steps, each with its form (SQL, AWS CLI, shell, note), the change
window it needs and the facts it was built from. Rules build them; outputs only render them."""

from audit.remedy.model import ChangeWindow, Fix, Step, StepKind, note, shell, sql

__all__ = ["ChangeWindow", "Fix", "Step", "StepKind", "note", "shell", "sql"]
