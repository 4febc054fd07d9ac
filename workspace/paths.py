"""Where CareDesk keeps its files, without loading the settings model (a replay's boot asks
for its cache before anything else of the settings is needed)."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_path, user_config_path, user_data_path


def default_data_dir() -> Path:
    """Where CareDesk keeps its database when no other is named."""
    return user_data_path("caredesk", appauthor=False)


def default_cache_dir() -> Path:
    """Where CareDesk keeps what it can make again (a replay's empty database)."""
    return user_cache_path("caredesk", appauthor=False)


def default_config_file() -> Path:
    """The user's CareDesk config file (TOML)."""
    return user_config_path("caredesk", appauthor=False) / "config.toml"


def cache_dir() -> Path:
    """`CAREDESK_CACHE_DIR` (as `Settings.cache_dir` reads it), else the default."""
    named = os.environ.get("CAREDESK_CACHE_DIR")
    return Path(named) if named else default_cache_dir()
