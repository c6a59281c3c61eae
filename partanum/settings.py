"""Settings: each service declares its own once, in `services/<name>/settings.py`, as a
class `Settings` built on `SharedSettings` (partanum/config.py). One line per setting
gives its type, default, validation and environment variable:

    quiet_from: time = setting(time(21), "PARTANUM_QUIET_FROM")

`python -m partanum.run` reads the settings of the services it runs from the
environment (`from_environment`) and stops at once, naming the variable, on a bad
value. They travel in the nameko config under their key (the variable without
`PARTANUM_`, as tests set them), and each service reads them back with
`Settings.from_config(config)`. An empty variable counts as unset, as compose files
write an optional one.

pydantic rather than marshmallow: a setting is a typed attribute with its default on
the class, so the same class is what the code reads and what tests build by hand.
"""

import os
from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class SettingError(ValueError):
    """A setting has a value that cannot be used; the message names its variable."""


def setting(default: Any = None, env: str = "", *, key: str = "", **constraints) -> Any:
    """A field read from the environment variable `env`, kept in the nameko config
    under `key` (by default the variable without its PARTANUM_ prefix)."""
    if callable(default):
        return Field(
            default_factory=default,
            alias=key or env.removeprefix("PARTANUM_"),
            json_schema_extra={"env": env},
            **constraints,
        )
    return Field(
        default,
        alias=key or env.removeprefix("PARTANUM_"),
        json_schema_extra={"env": env},
        **constraints,
    )


class Settings(BaseModel):
    # Built by attribute name in code and tests, by key from the nameko config.
    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        validate_by_name=True,
        validate_by_alias=True,
        arbitrary_types_allowed=True,
    )

    @classmethod
    def variables(cls) -> dict[str, str]:
        """{key in the nameko config: environment variable}."""
        return {
            field.alias: str(field.json_schema_extra["env"])
            for field in cls.model_fields.values()
            if isinstance(field.json_schema_extra, dict) and field.alias
        }

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Self:
        return cls._checked(
            {
                key: environ[env]
                for key, env in cls.variables().items()
                if environ.get(env, "") != ""
            }
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        return cls._checked({key: config[key] for key in cls.variables() if key in config})

    def as_config(self) -> dict[str, Any]:
        """The entries of the nameko config, by key."""
        return {
            key: value
            for key, value in self.model_dump(by_alias=True).items()
            if key in self.variables()
        }

    @classmethod
    def _checked(cls, values: dict) -> Self:
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            # A default computed from a bad setting only repeats that setting's error.
            raise SettingError(
                "\n".join(
                    _line(cls.variables(), problem)
                    for problem in error.errors()
                    if problem["type"] != "default_factory_not_called"
                )
            ) from None


def _line(variables: dict[str, str], problem: Mapping[str, Any]) -> str:
    """'PARTANUM_QUIET_FROM: expected …', without the value (it may be a password)."""
    message = problem["msg"].removeprefix("Value error, ")
    if not problem["loc"]:
        return message
    key = str(problem["loc"][0])
    return f"{variables.get(key, key)}: {message[0].lower()}{message[1:]}"
