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

import os
import tomllib
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
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
    """The config file cannot be read as CareDesk's: it names the file, line or key."""


class _ConfigFile(TomlConfigSettingsSource):
    """The TOML config file, refusing what is not TOML and keys that are not settings (a
    misspelt `delivery_ulr` would otherwise be ignored, and deliveries wait for no one)."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        self.path = path
        try:
            super().__init__(settings_cls, path)
        except tomllib.TOMLDecodeError as error:
            raise ConfigFileError(f"{path}: not TOML: {error}") from None
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigFileError(f"{path}: cannot be read ({error})") from None
        known = set(settings_cls.model_fields)
        unknown = sorted(k for k in self.toml_data if k not in known)
        if unknown:
            raise ConfigFileError(
                f"{path}: {unknown[0]!r} is not a setting; expected one of "
                + ", ".join(sorted(known))
            )


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

    lapse_after: int = Field(default=180, ge=30)
    """Seconds a workspace may stay silent (a killed terminal, a lost network) before its
    agent's holds go back to the queue; at least 30."""

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

    delivery_timeout: float = Field(default=10.0, gt=0, le=120)
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
        return init_settings, env_settings, _ConfigFile(settings_cls, config_file())

    def database_url(self) -> str:
        """The database URL to use, defaulting to the embedded SQLite file."""
        if self.db:
            return self.db
        return f"sqlite:///{self.data_dir / 'caredesk.db'}"
