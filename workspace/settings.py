"""Settings: one model, read from the command line, the environment (CAREDESK_*) and the
user's config file (TOML), in that order of precedence.

The file is `config.toml` in the user's config directory (`CAREDESK_CONFIG` names another);
its keys are the fields' names:

    db = "postgresql://caredesk@db.example/caredesk"
    delivery_url = "https://fulfil.example/hooks"
    delivery_secret = "whsec_..."
    [delivery_urls]
    refund = "https://payments.example/hooks"
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from workspace.errors import CareDeskError
from workspace.paths import default_cache_dir, default_config_file, default_data_dir


def config_file() -> Path:
    """The config file read: `CAREDESK_CONFIG`, else `config.toml` in the user's config
    directory (a file that does not exist is read as empty)."""
    named = os.environ.get("CAREDESK_CONFIG")
    return Path(named) if named else default_config_file()


class ConfigFileError(CareDeskError):
    """The config file or a CAREDESK_* variable cannot be read as CareDesk's settings: the
    message names the file and line (or the variable), the key and what was expected."""


DEEPEST = 64
"""Nesting no setting needs (the deepest, `keymap` and `delivery_urls`, is two)."""

LONGEST_LAPSE = 86_400
"""The longest `lapse_after`, in seconds (a day): a hold kept longer is not a lapse."""


def _shown(key: object) -> str:
    """A key as a message names it: escaped when it holds anything hidden, and short."""
    text = key if isinstance(key, str) else repr(key)
    if not text.isprintable() or not text:
        text = repr(text)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _key_path(parts: tuple[object, ...]) -> str:
    """`keymap.queue.claim`, `delivery_urls[0]`: keys dotted, list positions in brackets."""
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{_shown(part)}"
    return path.lstrip(".")


def _line_of(text: str, key: str) -> int | None:
    """The line setting the top-level `key` (`key = `, `key.x = ` or `[key]`); regular
    expressions, not a parser, since tomllib keeps no lines."""
    pattern = rf"""^[ \t]*(?:\[[ \t]*)?["']?{re.escape(key)}["']?[ \t]*[=.\]]"""
    found = re.search(pattern, text, re.MULTILINE)
    return None if found is None else text.count("\n", 0, found.start()) + 1


def _too_deep_at(text: str) -> int:
    """The offset where brackets first nest deeper than DEEPEST (strings not told apart:
    used only to name the line of a file already refused)."""
    depth = 0
    for offset, char in enumerate(text):
        depth += 1 if char in "[{" else -1 if char in "]}" else 0
        if depth > DEEPEST:
            return offset
    return 0


def _strange(value: Any, path: tuple[object, ...] = ()) -> tuple[tuple[object, ...], str] | None:
    """The first key path whose value no setting takes (nested too deep, a number that is
    not finite) and why; None when there is none."""
    stack: list[tuple[Any, tuple[object, ...]]] = [(value, path)]
    while stack:  # a loop, not recursion: the value may nest deeper than the stack allows
        item, at = stack.pop()
        if len(at) > DEEPEST:
            return at[:DEEPEST], f"nested more than {DEEPEST} levels deep"
        if isinstance(item, float) and not math.isfinite(item):
            return at, f"expected a finite number, got {item}"
        if isinstance(item, dict):
            stack += [(v, (*at, k)) for k, v in item.items()]
        elif isinstance(item, list):
            stack += [(v, (*at, i)) for i, v in enumerate(item)]
    return None


class _ConfigFile(TomlConfigSettingsSource):
    """The TOML config file, refusing what is not TOML and keys that are not settings (a
    misspelt `delivery_ulr` would otherwise be ignored, and deliveries wait for no one)."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        self.path = path
        super().__init__(settings_cls, path)
        known = set(settings_cls.model_fields)
        unknown = sorted((k for k in self.toml_data if k not in known), key=str)
        if unknown:
            line = _line_of(self.text, unknown[0])
            raise ConfigFileError(
                f"{self.where(line)}: {_shown(unknown[0])!r} is not a setting; expected one of "
                + ", ".join(sorted(known))
            )

    def where(self, line: int | None) -> str:
        return f"{self.path}" if line is None else f"{self.path}:{line}"

    def _read_file(self, file_path: Any) -> dict[str, Any]:
        """The file as TOML, every way of failing a `ConfigFileError` naming file and line."""
        self.text = ""
        try:
            self.text = Path(file_path).read_bytes().decode("utf-8")
            data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as error:
            found = re.search(r"at line (\d+)", str(error))
            line = int(found.group(1)) if found else None
            written = self.text.splitlines()[line - 1] if line else ""
            key = f" {_shown(written.split('=')[0].strip())}:" if "=" in written else ""
            raise ConfigFileError(f"{self.where(line)}:{key} not TOML: {error}") from None
        except UnicodeDecodeError as error:
            line = Path(file_path).read_bytes()[: error.start].count(b"\n") + 1
            raise ConfigFileError(f"{self.where(line)}: not UTF-8 text") from None
        except OSError as error:
            raise ConfigFileError(f"{self.path}: cannot be read ({error.strerror})") from None
        except RecursionError:
            line = self.text.count("\n", 0, _too_deep_at(self.text)) + 1
            message = f"nested more than {DEEPEST} levels deep"
            raise ConfigFileError(f"{self.where(line)}: {message}") from None
        except ValueError as error:  # tomllib's int() on thousands of digits
            digits = re.search(r"[0-9_]{4000,}", self.text)
            line = self.text.count("\n", 0, digits.start()) + 1 if digits else None
            reason = str(error).split(":")[0]
            message = f"a number CareDesk cannot read ({reason})"
            raise ConfigFileError(f"{self.where(line)}: {message}") from None
        strange = _strange(data)
        if strange is not None:
            at, reason = strange
            line = _line_of(self.text, str(at[0]))
            raise ConfigFileError(f"{self.where(line)}: {_key_path(at)}: {reason}")
        return data


class _Environment(EnvSettingsSource):
    """CAREDESK_* variables, their JSON (`CAREDESK_KEYMAP`) read strictly: the stdlib's
    `json.loads` keeps the last of a repeated key and takes NaN and Infinity."""

    def decode_complex_value(self, field_name: str, field: FieldInfo, value: Any) -> Any:
        name = f"CAREDESK_{field_name.upper()}"
        try:
            decoded = json.loads(value, object_pairs_hook=_once, parse_constant=_no_constant)
        except _Repeated as repeated:
            raise ConfigFileError(f"{name}: {repeated} is given twice") from None
        except json.JSONDecodeError as error:
            raise ConfigFileError(
                f"{name}: expected JSON, e.g. {{...}}: {error.msg} at column {error.colno}"
            ) from None
        except RecursionError:
            raise ConfigFileError(f"{name}: nested more than {DEEPEST} levels deep") from None
        except ValueError as error:  # NaN, Infinity, an integer of thousands of digits
            raise ConfigFileError(f"{name}: {str(error).split(':')[0]}") from None
        strange = _strange(decoded)
        if strange is not None:
            at, reason = strange
            raise ConfigFileError(f"{name}: {_key_path(at) or 'the value'}: {reason}")
        return decoded


class _Repeated(ValueError):
    """A key given twice in one JSON object."""


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise _Repeated(repr(_shown(key)))
            seen.add(key)
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"expected a finite number, got {name}")


def _described(error: ValidationError) -> str:
    """The first problem of `error`, naming where the value came from: the variable, the
    option, or the config file and its line."""
    first = error.errors()[0]
    loc = tuple(first["loc"])
    name = str(loc[0]) if loc else ""
    message = " ".join(str(first["msg"]).split())
    variable = f"CAREDESK_{name.upper()}"
    if not name:
        return f"settings: {message}"
    if any(key.upper() == variable for key in os.environ):
        return f"{variable}: {_key_path(loc[1:]) + ': ' if loc[1:] else ''}{message}"
    path = config_file()
    try:
        line = _line_of(path.read_text(encoding="utf-8"), name)
    except (OSError, ValueError):
        line = None
    if line is None:
        return f"{_key_path(loc)}: {message}"  # given on the command line
    return f"{_key_path(loc)} in {path}:{line}: {message}"


class Settings(BaseSettings):
    """How this CareDesk runs; every field can be set as CAREDESK_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="CAREDESK_", extra="ignore")

    db: str | None = None
    """Database URL (`sqlite:///file.db`, `postgresql://...`); default a file in `data_dir`."""

    data_dir: Path = Field(default_factory=default_data_dir)
    """Folder for the embedded database."""

    cache_dir: Path = Field(default_factory=default_cache_dir)
    """Folder for what can be made again: a replay's empty world, migrated once per schema."""

    agent: str | None = None
    """Who you are (an agent's login name). Default: on PostgreSQL the database login; on
    SQLite the agent whose id is the operating-system user, else the first agent."""

    policy: Path | None = None
    """The policy file (YAML) that bounds agents' actions; default the one CareDesk ships with."""

    lapse_after: int = Field(default=180, ge=30, le=LONGEST_LAPSE)
    """Seconds a workspace may stay silent (a killed terminal, a lost network) before its
    agent's holds go back to the queue; at least 30, at most a day."""

    keymap: dict[str, str] = Field(default_factory=dict)
    """Key remapping by binding id (`{"queue.claim": "c"}`), applied with App.set_keymap."""

    delivery_url: str | None = None
    """Where executed actions' messages go, for every action kind without its own."""

    delivery_urls: dict[str, str] = Field(default_factory=dict)
    """Where one action kind's messages go (`{"refund": "https://..."}`); in the
    environment, `CAREDESK_DELIVERY_URL_<KIND>`."""

    delivery_secret: SecretStr | None = None
    """The Standard Webhooks signing secret (`whsec_...`); two, comma-separated, while one
    is rotated. Never printed."""

    audit_key: SecretStr | None = None
    """The team's audit key (at least 16 characters), which seals every audit entry and signs
    checkpoints; the same on every workspace, deliverer and auditor of one database. Default:
    a random key made on first use beside a SQLite database, else in `data_dir`. Never
    printed."""

    delivery_timeout: float = Field(default=10.0, gt=0, le=120, allow_inf_nan=False)
    """Seconds one delivery attempt may take (connect, send, answer)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The command line, then the environment, then the config file."""
        return init_settings, _Environment(settings_cls), _ConfigFile(settings_cls, config_file())

    @model_validator(mode="wrap")
    @classmethod
    def _named(cls, values: Any, handler: ModelWrapValidatorHandler[Settings]) -> Settings:
        """A value that is not what its field takes is a `ConfigFileError` naming where it
        came from (pydantic lets an exception that is not a ValueError pass through)."""
        try:
            return handler(values)
        except ValidationError as error:
            raise ConfigFileError(_described(error)) from None

    def database_url(self) -> str:
        """The database URL to use, defaulting to the embedded SQLite file."""
        if self.db:
            return self.db
        return f"sqlite:///{self.data_dir / 'caredesk.db'}"
