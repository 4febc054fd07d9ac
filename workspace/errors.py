"""Errors a user can cause, each saying where (file, line, field) and what was expected."""

from __future__ import annotations

from dataclasses import dataclass

from workspace.text import count


class CareDeskError(Exception):
    """Something the user can fix; the CLI prints it in one line and exits 2."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input."""

    where: str
    """The file and line (`customers.jsonl:12`), or key path, it was found at."""
    field: str | None
    """The field or key path at fault, if one is."""
    message: str
    """What was wrong and what was expected."""

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return f"{self.where}:{field} {self.message}"


class InputRejected(CareDeskError):
    """An input file was refused whole; `problems` lists what was wrong with it."""

    def __init__(self, source: str, problems: list[Problem], more: int = 0) -> None:
        self.source = source
        self.problems = problems
        self.more = more
        lines = [
            f"{source}: refused, nothing was changed ({count(len(problems) + more, 'problem')})"
        ]
        lines += [f"  {p}" for p in problems]
        if more:
            lines.append(f"  ... and {more} more")
        super().__init__("\n".join(lines))


class NotHeld(CareDeskError):
    """The agent tried to act on a contact they do not hold (released, or taken over)."""


class NotAllowed(CareDeskError):
    """The agent's role does not allow this (only supervisors decide approvals)."""


class NotPermitted(NotAllowed):
    """The permission matrix (workspace/permissions.py) refuses this actor this use case;
    the message names both."""

    def __init__(self, message: str, *, actor: str, use_case: str) -> None:
        self.actor = actor
        """Who tried: a role, `monitor` or `administrator`."""
        self.use_case = use_case
        """What they tried (a `permissions.UseCase` word)."""
        super().__init__(message)


class ActionInputError(CareDeskError):
    """A proposed action is incomplete or malformed; `field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class UnknownAgent(CareDeskError):
    """`--agent NAME` names nobody in this database."""


class NoAgents(UnknownAgent):
    """Nobody works in this database yet; the message gives the line that adds someone."""


class AgentInactive(NotAllowed):
    """The agent was deactivated: they cannot open the workspace or decide anything."""


class UnknownAction(CareDeskError):
    """No action has this number."""


class AgentInputError(CareDeskError):
    """A person's details are malformed; `field` names the input at fault (`id`, `name`,
    `role`, `email`)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def describe_failure(error: BaseException) -> str:
    """One sentence for the agent about something that went wrong while working.

    Errors the user can act on say so; a database that did not answer says nothing was
    changed (each use case runs in one transaction); anything else names the error.
    """
    from workspace.text import one_line  # ids and names in messages can be hostile

    if isinstance(error, CareDeskError):
        return one_line(str(error))
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    if isinstance(error, DBAPIError):
        reason = str(error.orig or error).strip().splitlines()[0]
        return one_line(f"The database did not answer ({reason}). Nothing was changed; try again.")
    if isinstance(error, SQLAlchemyError):
        return f"The database refused that ({error.__class__.__name__}). Nothing was changed."
    return one_line(f"Something went wrong: {error.__class__.__name__}: {error}")


def failure_reason(error: BaseException) -> str:
    """What the database (or the error) itself said, in one safe line."""
    from workspace.text import one_line

    return one_line(str(getattr(error, "orig", None) or error).strip().splitlines()[0])


def database_lost(error: BaseException) -> bool:
    """Whether `error` says the database could not be reached or used just now (a server
    restarting, a network gone, a file locked past the busy timeout), rather than that the
    request was wrong: such work is worth trying again once the database answers."""
    from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

    if isinstance(error, (OperationalError, InterfaceError, DisconnectionError)):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated
