"""Settings: one model, read from the environment (CAREDESK_*) and the command line."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from workspace.paths import default_cache_dir, default_data_dir


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

    def database_url(self) -> str:
        """The database URL to use, defaulting to the embedded SQLite file."""
        if self.db:
            return self.db
        return f"sqlite:///{self.data_dir / 'caredesk.db'}"
